import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/emulators.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import type { ApprovalDecision, StipulationRelease } from '#shared/contracts.ts';
import { type DecisionStores, recordDecision, recordRelease } from '#shared/decisions.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { AlreadyDecidedError } from '#shared/errors.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { completeTask } from '#shared/task-tokens.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { proposalRecord } from '../../support/proposals.ts';

let aws: TestAws;
let stores: DecisionStores & { tasks: TasksRepository; decisions: DecisionsRepository; audit: AuditTrail };
let proposals: ProposalsRepository;

async function proposalWithTask(proposalId: string, kind: 'REGENCY' | 'STIPULATION', taskToken: string) {
  await proposals.create(proposalRecord(proposalId));
  const proposal = await proposals.transition(proposalId, 'AWAITING_REGENCY');
  await stores.tasks.openTask(proposal, kind, taskToken);
}

const decision = (decidedBy: string): ApprovalDecision => ({
  decision: 'APPROVE',
  level: 'REGENCY',
  decidedBy,
  decidedAt: new Date().toISOString(),
  note: '',
  exclusions: [],
});

const sent = (taskToken: string) => (aws.sfn?.calls ?? []).filter((call) => call.taskToken === taskToken);

/** What the task is answered with: the decision without its exclusions (they stay out of the history). */
const answerOf = ({ exclusions: _exclusions, ...answer }: ApprovalDecision) => answer;

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  const sfn = new SFNClient({ ...LOCAL_AWS, endpoint: aws.endpoints.sfnEndpoint });
  const { documents } = aws.clients;
  const table = aws.names.tables.proposals;
  stores = {
    proposals,
    tasks: new TasksRepository(documents, table),
    decisions: new DecisionsRepository(documents, table),
    audit: new AuditTrail(documents, table),
    sfn,
  };
});

afterAll(async () => {
  await aws?.stop();
});

describe('completeTask (task-tokens.ts)', () => {
  it('is true when the task took the output, false when Step Functions says it is closed', async () => {
    expect(await completeTask(stores.sfn, 'token-open', { ok: true })).toBe(true);
    for (const closed of ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']) {
      aws.sfn?.failToken(`token-${closed}`, closed);
      expect(await completeTask(stores.sfn, `token-${closed}`, {})).toBe(false);
    }
  });

  it('fails for good, not "try again", when Step Functions refuses the answer itself', async () => {
    // A refusal is the same on every retry: a TransientError would answer 503 forever while the task waits.
    for (const refusal of ['InvalidOutput', 'ValidationException', 'AccessDeniedException']) {
      aws.sfn?.failToken(`secret-token-${refusal}`, refusal, 1);
      const failure = completeTask(stores.sfn, `secret-token-${refusal}`, {});
      await expect(failure).rejects.toMatchObject({ name: 'TaskAnswerRefusedError', httpStatus: 500 });
      await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('secret-token') });
    }
  });

  it('turns a passing failure into a TransientError whose message quotes no token', async () => {
    aws.sfn?.failToken('secret-token-busy', 'InternalFailure', 1);
    const failure = completeTask(stores.sfn, 'secret-token-busy', {});
    await expect(failure).rejects.toMatchObject({ name: 'TransientError' });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('secret-token-busy') });
  });
});

describe('recordDecision (decisions.ts)', () => {
  it('records the decision, sends it to the waiting task, closes the task and audits it', async () => {
    await proposalWithTask('d-first', 'REGENCY', 'token-d-first');
    const first = decision('kadinsos-3371');
    await recordDecision(stores, 'd-first', first, 'token-d-first');
    expect(await stores.decisions.getDecision('d-first', 'REGENCY')).toMatchObject(first);
    expect(sent('token-d-first').map((call) => call.output)).toEqual([answerOf(first)]);
    expect((await stores.tasks.getTaskWithToken('d-first', 'REGENCY'))?.state).toBe('CLOSED');
    const events = await stores.audit.listEvents('d-first');
    expect(events.filter((event) => event.kind === 'DECISION')).toMatchObject([
      { actor: 'kadinsos-3371', detail: 'REGENCY APPROVE' },
    ]);
  });

  it('keeps the first decision of a level, sends that one again, and tells the second it was decided', async () => {
    await proposalWithTask('d-twice', 'REGENCY', 'token-d-twice');
    const first = decision('kadinsos-3371');
    await recordDecision(stores, 'd-twice', first, 'token-d-twice');
    const second = { ...decision('wakil-3371'), decision: 'REJECT' as const, note: 'tidak' };
    await expect(recordDecision(stores, 'd-twice', second, 'token-d-twice')).rejects.toBeInstanceOf(
      AlreadyDecidedError,
    );
    expect(await stores.decisions.getDecision('d-twice', 'REGENCY')).toMatchObject(first);
    expect(sent('token-d-twice').map((call) => call.output)).toEqual([answerOf(first), answerOf(first)]);
  });

  it('treats a task Step Functions reports closed as already decided, the decision recorded and the task closed', async () => {
    await proposalWithTask('d-late', 'REGENCY', 'token-d-late');
    aws.sfn?.failToken('token-d-late', 'TaskTimedOut');
    await expect(recordDecision(stores, 'd-late', decision('kadinsos-3371'), 'token-d-late')).rejects.toBeInstanceOf(
      AlreadyDecidedError,
    );
    expect(await stores.decisions.getDecision('d-late', 'REGENCY')).toBeDefined();
    expect((await stores.tasks.getTaskWithToken('d-late', 'REGENCY'))?.state).toBe('CLOSED');
  });
});

describe('recordRelease (decisions.ts)', () => {
  const release: StipulationRelease = { outcome: 'STIPULATED', period: '2026-11', applied: 3, returnedRows: 0 };

  it('records the release on the proposal before it answers the stipulation task, then closes the task', async () => {
    await proposalWithTask('r-open', 'STIPULATION', 'token-r-open');
    expect(await recordRelease(stores, 'r-open', release)).toEqual({ delivered: true });
    expect((await proposals.require('r-open')).release).toEqual(release);
    expect(sent('token-r-open').map((call) => call.output)).toEqual([release]);
    expect(await stores.tasks.getTaskWithToken('r-open', 'STIPULATION')).toMatchObject({
      state: 'CLOSED',
      closedBy: 'stipulation 2026-11',
    });
  });

  it('tolerates a task closed already: the release stays recorded and nothing is sent twice', async () => {
    expect(await recordRelease(stores, 'r-open', release)).toEqual({ delivered: false });
    expect(sent('token-r-open')).toHaveLength(1);
    await proposalWithTask('r-timed-out', 'STIPULATION', 'token-r-timed-out');
    aws.sfn?.failToken('token-r-timed-out', 'TaskTimedOut');
    expect(await recordRelease(stores, 'r-timed-out', release)).toEqual({ delivered: false });
    expect((await stores.tasks.getTaskWithToken('r-timed-out', 'STIPULATION'))?.state).toBe('CLOSED');
  });
});
