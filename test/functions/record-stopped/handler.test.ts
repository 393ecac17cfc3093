import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '#shared/audit-trail.ts';
import { DynamoClaimRegistry } from '#shared/claims-repository.ts';
import { KEYS, type ProposalStatus } from '#shared/contracts.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { parseUploadKey, proposalIdFor } from '#shared/uploads.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { proposalRecord } from '../../support/proposals.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let aws: TestAws;
let recordStopped: Handler;
let proposals: ProposalsRepository;
let audit: AuditTrail;
let tasks: TasksRepository;
let claims: DynamoClaimRegistry;

const MACHINE = 'arn:aws:states:ap-southeast-3:000000000000:stateMachine:dtks-proposal';
const execution = (name: string) => `arn:aws:states:ap-southeast-3:000000000000:execution:dtks-proposal:${name}`;
const NIKS = ['3371011205800001', '3371014507850002'];

/** The execution input: the S3 Object Created event of the upload (what the intake rule starts it with). */
function uploadEvent(key: string, etag: string) {
  return {
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { version: '0', bucket: { name: aws.names.buckets.proposals }, object: { key, etag, size: 10 } },
  };
}

function statusChange(
  executionArn: string,
  status: string,
  input: unknown,
  extra: { error?: string; cause?: string; included?: boolean } = {},
) {
  const included = extra.included ?? true;
  return {
    version: '0',
    id: 'event-id',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    time: '2026-12-01T00:00:00Z',
    region: 'ap-southeast-3',
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: MACHINE,
      name: executionArn.split(':').pop(),
      status,
      startDate: 1_764_547_200_000,
      stopDate: 1_764_547_260_000,
      input: included ? JSON.stringify(input) : null,
      inputDetails: { included },
      output: null,
      outputDetails: null,
      error: extra.error ?? null,
      cause: extra.cause ?? null,
    },
  };
}

/** A proposal of `name`'s execution in `status`, with an open regency task, accepted rows and their claims. */
async function waitingProposal(name: string, status: ProposalStatus = 'AWAITING_REGENCY') {
  const key = `proposals/3371/2026-11/${name}.csv`;
  const input = uploadEvent(key, `"${name}-etag"`);
  const proposalId = proposalIdFor(
    { bucket: aws.names.buckets.proposals, key, version: `"${name}-etag"` },
    parseUploadKey(key),
  );
  await proposals.create(proposalRecord(proposalId, { key, etag: `"${name}-etag"`, executionId: execution(name) }));
  if (status !== 'CHECKING') {
    const current = await proposals.transition(proposalId, status);
    if (status === 'AWAITING_REGENCY') await tasks.openTask(current, 'REGENCY', `token-${name}`);
  }
  await aws.clients.s3.send(
    new PutObjectCommand({
      Bucket: aws.names.buckets.proposals,
      Key: KEYS.acceptedRows(proposalId),
      Body: NIKS.map((nik) => JSON.stringify({ nik, noKk: '3371010103150002' })).join('\n'),
    }),
  );
  await claims.take(
    proposalId,
    NIKS.map((nik) => ({ nik, noKk: '3371010103150002' })),
  );
  return { proposalId, executionArn: execution(name), input };
}

async function heldClaims(): Promise<string[]> {
  return [...(await claims.findClaims(NIKS, 'nobody')).values()].map((claim) => claim.proposalId);
}

const run = (event: unknown) => recordStopped(event, lambdaContext('dtks-record-stopped'));

beforeAll(async () => {
  aws = await startTestAws();
  proposals = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  audit = new AuditTrail(aws.clients.documents, aws.names.tables.proposals);
  tasks = new TasksRepository(aws.clients.documents, aws.names.tables.proposals);
  claims = new DynamoClaimRegistry(aws.clients.documents, aws.names.tables.claims);
  ({ handler: recordStopped } = (await import('../../../functions/record-stopped/handler.ts')) as { handler: Handler });
});

afterAll(async () => {
  await aws?.stop();
});

describe('record-stopped', () => {
  it('records a proposal whose execution an operator stopped as FAILED, closes its task and releases its claims', async () => {
    const { proposalId, executionArn, input } = await waitingProposal('stopped');
    expect(await heldClaims()).toEqual([proposalId, proposalId]);

    const event = statusChange(executionArn, 'ABORTED', input, { cause: 'Salah unggah berkas' });
    expect(await run(event)).toMatchObject({ proposalId, recorded: true, releasedClaims: 2 });

    const proposal = await proposals.require(proposalId);
    expect(proposal).toMatchObject({
      status: 'FAILED',
      previousStatus: 'AWAITING_REGENCY',
      reason: expect.stringContaining('dihentikan oleh operator: Salah unggah berkas'),
      error: { Error: 'ExecutionAborted', Cause: 'Salah unggah berkas' },
    });
    expect((await tasks.getTaskWithToken(proposalId, 'REGENCY'))?.state).toBe('CLOSED');
    expect(await tasks.listOpenTasks('REGENCY#3371')).toEqual([]);
    expect(await heldClaims()).toEqual([]);
    const trail = await audit.listEvents(proposalId);
    expect(trail.filter((e) => e.to === 'FAILED')).toEqual([
      expect.objectContaining({
        from: 'AWAITING_REGENCY',
        detail: expect.stringContaining('dihentikan oleh operator'),
      }),
    ]);

    // EventBridge delivers at least once: the same event again changes nothing and does not fail.
    expect(await run(event)).toMatchObject({ proposalId, recorded: true, releasedClaims: 0 });
    expect((await audit.listEvents(proposalId)).filter((e) => e.to === 'FAILED')).toHaveLength(1);
    expect((await proposals.require(proposalId)).reason).toBe(proposal.reason);
  });

  it('takes the proposal out of the stipulation queue when the stopped execution was waiting for it', async () => {
    const { proposalId, executionArn, input } = await waitingProposal('queued', 'CHECKING');
    await proposals.transition(proposalId, 'AWAITING_REGENCY');
    await proposals.transition(proposalId, 'AWAITING_PROVINCE');
    await proposals.transition(proposalId, 'AWAITING_STIPULATION', {
      set: ProposalsRepository.stipulationQueueAttributes(proposalId, new Date().toISOString()),
    });
    expect((await proposals.listStipulationQueue('2026-11')).map((p) => p.proposalId)).toContain(proposalId);
    await run(statusChange(executionArn, 'TIMED_OUT', input));
    expect(await proposals.require(proposalId)).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('batas waktu'),
      error: { Error: 'ExecutionTimedOut' },
    });
    expect((await proposals.listStipulationQueue('2026-11')).map((p) => p.proposalId)).not.toContain(proposalId);
  });

  it('marks a proposal stopped before its ingest finished as an ingest failure, which a re-upload may take over', async () => {
    const { proposalId, executionArn, input } = await waitingProposal('ingesting', 'CHECKING');
    await proposals.update(proposalId, { status: 'RECEIVED' });
    await run(statusChange(executionArn, 'ABORTED', input));
    expect(await proposals.require(proposalId)).toMatchObject({
      status: 'FAILED',
      previousStatus: 'RECEIVED',
      ingestFailure: { error: 'ExecutionAborted' },
    });
  });

  it('records an execution that failed without a Catch (its proposal still open) with the error', async () => {
    const { proposalId, executionArn, input } = await waitingProposal('uncaught');
    await run(statusChange(executionArn, 'FAILED', input, { error: 'States.Runtime', cause: 'boom' }));
    expect(await proposals.require(proposalId)).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('(States.Runtime)'),
      error: { Error: 'ExecutionFailed', Cause: 'States.Runtime: boom' },
    });
    expect(await heldClaims()).toEqual([]);
  });

  it('leaves a proposal its workflow already ended (RecordFailed before the execution failed) as it is', async () => {
    const { proposalId, executionArn, input } = await waitingProposal('recorded');
    await proposals.transition(proposalId, 'FAILED', {
      set: { reason: 'Keputusan tidak tercatat', error: { Error: 'DecisionNotRecordedError' } },
    });
    expect(await run(statusChange(executionArn, 'FAILED', input, { error: 'DecisionNotRecordedError' }))).toMatchObject(
      { recorded: false },
    );
    expect(await proposals.require(proposalId)).toMatchObject({
      reason: 'Keputusan tidak tercatat',
      error: { Error: 'DecisionNotRecordedError' },
    });
    // Not this handler's to release: RecordOutcome did it (here nobody did, so the claims stay).
    expect(await heldClaims()).toEqual([proposalId, proposalId]);
    await claims.release(proposalId, NIKS);
  });

  it('does not end the proposal of another execution (the one a repeated S3 event started)', async () => {
    const { proposalId, input } = await waitingProposal('carried');
    expect(await run(statusChange(execution('duplicate-run'), 'ABORTED', input))).toMatchObject({
      proposalId,
      recorded: false,
    });
    expect((await proposals.require(proposalId)).status).toBe('AWAITING_REGENCY');
    await claims.release(proposalId, NIKS);
  });

  it('fails (to the dead-letter queue) when the event left the input out, and changes nothing', async () => {
    const { proposalId, executionArn, input } = await waitingProposal('large');
    await expect(run(statusChange(executionArn, 'ABORTED', input, { included: false }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
    expect((await proposals.require(proposalId)).status).toBe('AWAITING_REGENCY');
    await claims.release(proposalId, NIKS);
  });

  it('ignores a stopped execution that was not started by an upload, and refuses an event that is not one', async () => {
    expect(await run(statusChange(execution('by-hand'), 'ABORTED', { hello: 'world' }))).toEqual({
      recorded: false,
    });
    expect(await run(statusChange(execution('running'), 'RUNNING', {}))).toEqual({ recorded: false });
    await expect(run({ detail: {} })).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
