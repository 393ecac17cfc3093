/**
 * The decision protocol of the proposal workflow's waiting tasks, for the approvals API (an approver's
 * decision) and stipulation-release (the month's outcome): the answer is recorded first, then sent to
 * the waiting task, whose record is closed; a task that is closed already counts as decided. The
 * workflow continues only on what is recorded (verify-decision reads it back), so recording comes first.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { AuditTrail } from './audit-trail.ts';
import type { ApprovalDecision, ApprovalLevel, StipulationRelease, TaskAnswer } from './contracts.ts';
import type { DecisionsRepository } from './decisions-repository.ts';
import { AlreadyDecidedError } from './errors.ts';
import type { ProposalsRepository } from './proposals-repository.ts';
import { answerTask } from './task-tokens.ts';
import type { TaskKind, TasksRepository, TaskView } from './tasks-repository.ts';

export interface DecisionStores {
  sfn: SFNClient;
  proposals: Pick<ProposalsRepository, 'update'>;
  tasks: Pick<TasksRepository, 'getTaskWithToken' | 'closeTask'>;
  decisions: Pick<DecisionsRepository, 'putDecision' | 'getDecision'>;
  audit: Pick<AuditTrail, 'addEvent'>;
}

type OpenTask = TaskView & { taskToken: string };

/** The open task of `kind` with its token; AlreadyDecidedError when it is closed (decided, timed out) or missing. */
export async function requireOpenTask(
  stores: Pick<DecisionStores, 'tasks'>,
  proposalId: string,
  kind: TaskKind,
): Promise<OpenTask> {
  const task = await stores.tasks.getTaskWithToken(proposalId, kind);
  if (task?.state !== 'OPEN') throw new AlreadyDecidedError(proposalId);
  return task;
}

/**
 * Records an approver's decision for its level and answers the level's task with it. The first decision
 * of a level stands: a second one is AlreadyDecidedError, and the recorded one is sent again, in case a
 * failure between recording and sending kept it from the workflow. A task Step Functions reports closed
 * (timed out) is AlreadyDecidedError too, the decision recorded.
 */
export async function recordDecision(
  stores: DecisionStores,
  proposalId: string,
  decision: ApprovalDecision,
  taskToken: string,
): Promise<void> {
  const task = { proposalId, level: decision.level, taskToken };
  if (!(await stores.decisions.putDecision({ proposalId, ...decision }))) {
    const recorded = await stores.decisions.getDecision(proposalId, decision.level);
    if (recorded) await answerTask(stores, task, outputOf(recorded), recorded.decidedBy);
    throw new AlreadyDecidedError(proposalId);
  }
  const delivered = await answerTask(stores, task, outputOf(decision), decision.decidedBy);
  await stores.audit.addEvent(proposalId, {
    at: decision.decidedAt,
    kind: 'DECISION',
    actor: decision.decidedBy,
    detail: auditDetail(decision.level, decision),
    eventKey: `DECISION#${decision.level}`,
  });
  if (!delivered) throw new AlreadyDecidedError(proposalId);
}

/**
 * Records the stipulation's outcome on the proposal and answers its stipulation task with it. A task
 * closed already (a repeated run, a timeout) is tolerated: the proposal has moved on.
 */
export async function recordRelease(
  stores: DecisionStores,
  proposalId: string,
  release: StipulationRelease,
): Promise<{ delivered: boolean }> {
  // Recorded before the token is answered: the proposal workflow's VerifyStipulationRelease continues only
  // on a release that is on record, so a SendTaskSuccess from anyone else gets nowhere.
  await stores.proposals.update(proposalId, { release });
  const task = await stores.tasks.getTaskWithToken(proposalId, 'STIPULATION');
  if (task?.state !== 'OPEN') return { delivered: false };
  return { delivered: await answerTask(stores, task, release, `stipulation ${release.period}`) };
}

/**
 * What the task's output carries: the decision's own fields, nothing else of the stored record, and not
 * its exclusions (NIKs and reasons): the output stays in the execution history (TaskAnswer).
 */
function outputOf(decision: ApprovalDecision): TaskAnswer {
  const { decision: kind, level, decidedBy, decidedAt, note } = decision;
  return { decision: kind, level, decidedBy, decidedAt, note };
}

function auditDetail(level: ApprovalLevel, decision: ApprovalDecision): string {
  const note = decision.note ? `: ${decision.note}` : '';
  const exclusions = decision.exclusions.length ? ` (${decision.exclusions.length} pengecualian)` : '';
  return `${level} ${decision.decision}${note}${exclusions}`;
}
