/**
 * What the rooms of the runtime share: the loaded machines and the executions, the store, the clock, the
 * task tokens, and the means of an execution to record, save, sleep and stop. An execution is a tree of
 * frames (local/sfn/store.ts) run by the interpreter; `Halted` unwinds it when it is stopped.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from './clock.ts';
import type { Json, StateMachineDefinition } from './definition.ts';
import { appendEvent } from './history.ts';
import { type ExecutionStatusChangeEvent, StatusChangeAnnouncer } from './status-events.ts';
import type { ExecutionRecord, ExecutionStore, FrameRecord } from './store.ts';
import { TaskTokens } from './task-tokens.ts';

/** Invokes a Lambda function by ARN; the local environment wires it to the handlers in-process. */
export interface LambdaInvoker {
  invoke(functionArn: string, payload: Json, options: { taskToken?: string }): Promise<unknown>;
}

export interface Tag {
  key: string;
  value: string;
}

export interface Machine {
  name: string;
  arn: string;
  definition: StateMachineDefinition;
  creationDate: Date;
  tags: Tag[];
}

export interface LiveExecution {
  record: ExecutionRecord;
  machine: Machine;
  controller: AbortController;
}

/** Thrown through the interpreter when its execution was stopped (StopExecution or runtime stop). */
export class Halted extends Error {
  override readonly name = 'Halted';
}

export interface HostOptions {
  region: string;
  account: string;
  clock: Clock;
  random: () => number;
  invoker: LambdaInvoker;
  store: ExecutionStore;
  log: (message: string) => void;
  onStatusChange: ((event: ExecutionStatusChangeEvent) => void) | undefined;
}

export class ExecutionHost {
  readonly region: string;
  readonly account: string;
  readonly clock: Clock;
  /** Source of the FULL jitter of Retry back-offs. */
  readonly random: () => number;
  readonly invoker: LambdaInvoker;
  readonly store: ExecutionStore;
  readonly log: (message: string) => void;
  readonly machines = new Map<string, Machine>();
  readonly executions = new Map<string, LiveExecution>();
  readonly tokens = new TaskTokens();
  private readonly announcer: StatusChangeAnnouncer;
  private readonly wakers = new Map<FrameRecord, () => void>();
  private readonly timers = new Set<() => void>();
  private readonly signals = new EventEmitter();
  private stopped = false;

  constructor(options: HostOptions) {
    this.region = options.region;
    this.account = options.account;
    this.clock = options.clock;
    this.random = options.random;
    this.invoker = options.invoker;
    this.store = options.store;
    this.log = options.log;
    this.announcer = new StatusChangeAnnouncer(options);
    this.signals.setMaxListeners(0);
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  executionArn(stateMachineName: string, name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:execution:${stateMachineName}:${name}`;
  }

  /** The role an execution runs as, in DescribeStateMachine and the context object. */
  get roleArn(): string {
    return `arn:aws:iam::${this.account}:role/local-step-functions`;
  }

  addEvent(record: ExecutionRecord, type: string, key?: string, value?: Record<string, Json>): void {
    appendEvent(record, this.clock.now(), type, key, value);
  }

  /** The status of the execution changed and is saved: wake the waiters and announce it. */
  statusChanged(record: ExecutionRecord): void {
    this.signals.emit(`status:${record.executionArn}`);
    this.announcer.announce(record, this.clock.now());
  }

  /** A task of the execution was scheduled or its function returned (waitForPendingTask looks again). */
  taskChanged(executionArn: string): void {
    this.signals.emit(`task:${executionArn}`);
  }

  /** Resolves with what `find` finds, looking again at every signal of `kind` for the execution. */
  waitFor<T>(
    find: () => T | undefined,
    kind: 'status' | 'task',
    executionArn: string,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const signal = `${kind}:${executionArn}`;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.signals.off(signal, check);
      };
      this.signals.on(signal, check);
      check();
    });
  }

  /**
   * Saves without waiting, after pure steps (entering a state, Pass, Choice): redoing them after a stop is
   * harmless. Every side effect (an invocation, a token, a sleep, the end) waits for its save first, and
   * saves of one execution are written in order, so those waits also cover the steps saved before.
   */
  saveLater(live: LiveExecution, signal: AbortSignal): void {
    this.checkAlive(signal);
    this.store.save(live.record).catch((error: unknown) => {
      this.log(`Could not save ${live.record.executionArn}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async save(live: LiveExecution, signal: AbortSignal): Promise<void> {
    this.checkAlive(signal);
    await this.store.save(live.record);
    this.checkAlive(signal);
  }

  checkAlive(signal: AbortSignal): void {
    if (signal.aborted || this.stopped) throw new Halted('The execution was stopped');
  }

  /** Waits until `at` (or forever when undefined), `wake(frame)`, or `also` settles. */
  sleepUntil(frame: FrameRecord, at: number | undefined, signal: AbortSignal, also?: Promise<unknown>): Promise<void> {
    this.checkAlive(signal);
    return new Promise<void>((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const done = () => {
        if (cancelTimer) {
          cancelTimer();
          this.timers.delete(cancelTimer);
        }
        this.wakers.delete(frame);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(new Halted('The execution was stopped'));
      };
      if (at !== undefined) {
        cancelTimer = this.clock.schedule(at, done);
        this.timers.add(cancelTimer);
      }
      this.wakers.set(frame, done);
      signal.addEventListener('abort', onAbort, { once: true });
      also?.then(done, done);
    });
  }

  /** An outcome arrived for the sleeping frame (a token decided, a heartbeat): it looks again. */
  wake(frame: FrameRecord): void {
    this.wakers.get(frame)?.();
  }

  /** Stops timers and persistence, as if the process ended; invocations under way are abandoned. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const live of this.executions.values()) live.controller.abort();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    await this.store.close();
  }

  /** The runtime stopped (then nothing is recorded any more, not even a failure). */
  get isStopped(): boolean {
    return this.stopped;
  }
}

export function newFrame(id: string, body: string[], state: string, input: Json, now: number): FrameRecord {
  return {
    id,
    body,
    variables: {},
    state,
    input,
    entered: false,
    enteredAt: now,
    retryCounts: [],
    retryTotal: 0,
    phase: { kind: 'run' },
  };
}
