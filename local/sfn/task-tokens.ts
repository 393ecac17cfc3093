/**
 * The task tokens of waitForTaskToken tasks: issued random, looked up for SendTaskSuccess/Failure/Heartbeat
 * with the answers AWS gives (InvalidToken, TaskTimedOut, ValidationException), closed when their task
 * ends, and remembered as closed (by hash, also across a restart). The only place a token is shown is
 * `pending()`, for the local task store and tests; the history hides them (`hideTaskTokens`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { StepFunctionsApiError } from './errors.ts';
import type { LiveExecution } from './execution-host.ts';
import type { ExecutionRecord, FrameRecord, FrameResult, InvokePhase } from './store.ts';

export interface PendingTask {
  executionArn: string;
  stateMachineArn: string;
  stateName: string;
  functionArn: string;
  taskToken: string;
  scheduledAt: Date;
}

/** The task waiting for a token: its execution and the frame whose invoke phase holds the token. */
export interface WaitingTask {
  live: LiveExecution;
  frame: FrameRecord;
}

/** SendTask* accept task tokens of 1 to 2048 characters (the API's length constraint). */
const MAX_TOKEN_LENGTH = 2048;

/** Task tokens carry a prefix so that the history can recognise and hide them wherever they appear. */
const TOKEN_PREFIX = 'AQl0';
const TOKEN_PATTERN = /AQl0[A-Za-z0-9_-]{128}/g;

/** A new task token: 96 random bytes after the prefix the history recognises. */
export function newTaskToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(96).toString('base64url')}`;
}

/** Task tokens never reach the history (a function may echo its token, a workflow may pass it on). */
export function hideTaskTokens(text: string): string {
  return text.replace(TOKEN_PATTERN, '<task token>');
}

export class TaskTokens {
  private readonly waiting = new Map<string, WaitingTask>();
  private readonly closed = new Set<string>();

  /** From now on SendTask* for `token` reach the task of `frame`. */
  register(token: string, live: LiveExecution, frame: FrameRecord): void {
    this.waiting.set(token, { live, frame });
  }

  /** The tokens a persisted execution closed stay closed (a late decision answers TaskTimedOut). */
  rememberClosed(record: ExecutionRecord): void {
    for (const hash of record.closedTokens) this.closed.add(hash);
  }

  /** The open tokens of a resumed execution wait again (the same tokens: they are persisted in its frames). */
  resume(live: LiveExecution): void {
    const index = (frame: FrameRecord) => {
      if (frame.result) return;
      const phase = frame.phase;
      if (phase.kind === 'invoke' && phase.token && !phase.outcome) this.waiting.set(phase.token, { live, frame });
      if (phase.kind === 'children') phase.children.forEach(index);
    };
    index(live.record.root);
  }

  /**
   * AWS (SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat): a token outside 1–2048 characters fails the
   * request's validation; a token of a closed task (decided, timed out, its execution stopped) answers
   * TaskTimedOut; any other token — garbage, or a well-formed one Step Functions never issued — is
   * InvalidToken. TaskDoesNotExist is the answer for activities, which this runtime does not have.
   */
  lookup(token: string): WaitingTask {
    if (typeof token !== 'string' || token.length < 1 || token.length > MAX_TOKEN_LENGTH) {
      const constraint =
        typeof token === 'string' && token.length > MAX_TOKEN_LENGTH
          ? `less than or equal to ${MAX_TOKEN_LENGTH}`
          : 'greater than or equal to 1';
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length ${constraint}`,
      );
    }
    const waiting = this.waiting.get(token);
    if (waiting) return waiting;
    if (this.closed.has(hashToken(token))) {
      // DESIGN.md: an approval sent to a closed task is reported as "already decided".
      throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: the task is already closed');
    }
    throw new StepFunctionsApiError('InvalidToken', "Invalid Token: 'Invalid token'");
  }

  /** Records what SendTaskSuccess/SendTaskFailure reported and closes the token (the caller saves and wakes). */
  settle(token: string, task: WaitingTask, outcome: FrameResult): void {
    (task.frame.phase as InvokePhase).outcome = outcome;
    this.close(task.live, token);
  }

  close(live: LiveExecution, token: string): void {
    this.waiting.delete(token);
    const hash = hashToken(token);
    if (!this.closed.has(hash)) {
      this.closed.add(hash);
      live.record.closedTokens.push(hash);
    }
  }

  /** Closes every open token under `frame` (its execution stopped, or a sibling branch failed). */
  closeAllUnder(live: LiveExecution, frame: FrameRecord): void {
    const phase = frame.phase;
    if (phase.kind === 'invoke' && phase.token && !phase.outcome) this.close(live, phase.token);
    if (phase.kind === 'children') for (const child of phase.children) this.closeAllUnder(live, child);
  }

  /** The tasks waiting for a token (optionally those `filter` keeps). */
  pending(filter?: (task: WaitingTask) => boolean): PendingTask[] {
    return [...this.waiting.entries()]
      .filter(([, task]) => !filter || filter(task))
      .map(([taskToken, { live, frame }]) => ({
        executionArn: live.record.executionArn,
        stateMachineArn: live.record.stateMachineArn,
        stateName: frame.state,
        functionArn: (frame.phase as InvokePhase).functionArn,
        taskToken,
        scheduledAt: new Date(frame.enteredAt),
      }));
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
