/**
 * Answering a task of the proposal workflow (a `.waitForTaskToken` state) with its stored token. The
 * token is a bearer credential for the execution: it goes to Step Functions and nowhere else, never into
 * a log line or an error message.
 */
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { taskCallError } from './errors.ts';
import type { TaskKind, TasksRepository } from './tasks-repository.ts';

/**
 * Step Functions' answers for a task that is no longer waiting: timed out, answered before, or its
 * execution ended (DESIGN.md: SendTaskSuccess on a closed task answers TaskTimedOut, "already decided").
 */
const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/**
 * SendTaskSuccess with `output`: true when the waiting task took it, false when the task was closed
 * already. Any other failure is a TransientError (the caller's step is retried), its message without the
 * request, which carries the token.
 */
export async function completeTask(sfn: SFNClient, taskToken: string, output: unknown): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return true;
  } catch (error) {
    if (CLOSED_TASK_ERRORS.has((error as Error).name)) return false;
    throw taskCallError('SendTaskSuccess', error);
  }
}

export interface AnsweredTask {
  proposalId: string;
  level: TaskKind;
  taskToken: string;
}

/**
 * Completes the task with `output` and closes its record (it leaves the approvers' list), whether
 * Step Functions took the output or said the task was closed: either way nobody waits on it any more.
 * True when the output was delivered.
 */
export async function answerTask(
  stores: { sfn: SFNClient; tasks: Pick<TasksRepository, 'closeTask'> },
  task: AnsweredTask,
  output: unknown,
  closedBy: string,
): Promise<boolean> {
  const delivered = await completeTask(stores.sfn, task.taskToken, output);
  await stores.tasks.closeTask(task.proposalId, task.level, closedBy);
  return delivered;
}
