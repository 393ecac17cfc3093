/**
 * A stopped process loses nothing: every execution is on disk after every step, and a new runtime on
 * the same data directory resumes waits, timeouts, task tokens and interrupted invocations.
 */
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '#local/sfn/clock.ts';
import { callbackTask, harnessPerTest, invokeTask, machine, ScriptedInvoker } from './harness.ts';

const harnesses = harnessPerTest();

const approvals = machine('Ingest', {
  Ingest: invokeTask('ingest', {
    Assign: { proposalId: '{% $states.result.Payload.proposalId %}' },
    Output: '{% $states.result.Payload %}',
    Next: 'AwaitRegencyApproval',
  }),
  AwaitRegencyApproval: callbackTask('request-approval', {
    TimeoutSeconds: 60,
    Output: '{% $states.result %}',
    Catch: [{ ErrorEquals: ['States.Timeout'], Output: '{% $states.errorOutput %}', Next: 'Expired' }],
    Next: 'AwaitProvinceApproval',
  }),
  AwaitProvinceApproval: callbackTask('request-approval', {
    Output: '{% {"proposalId": $proposalId, "regency": $states.input.decision, "province": $states.result.decision} %}',
    End: true,
  }),
  Expired: { Type: 'Pass', Output: '{% {"proposalId": $proposalId, "expired": $states.input.Error} %}', End: true },
});

function ingestInvoker(): ScriptedInvoker {
  return new ScriptedInvoker({ ingest: () => ({ proposalId: 'P-3371-1' }) });
}

describe('persistence across a restart', () => {
  it('keeps a task waiting for its token across a restart; a later SendTaskSuccess continues it', async () => {
    const harness = await harnesses.start({ machines: { Proposal: approvals }, invoker: ingestInvoker() });
    const arn = await harness.start('Proposal', {}, 'upload-1');
    const regency = await harness.runtime.waitForPendingTask(arn, 'AwaitRegencyApproval');
    await harness.runtime.sendTaskSuccess({ taskToken: regency.taskToken, output: '{"decision":"APPROVE"}' });
    const province = await harness.runtime.waitForPendingTask(arn, 'AwaitProvinceApproval');

    const runtime = await harness.restart({ invoker: new ScriptedInvoker() });
    expect(runtime.describeExecution({ executionArn: arn }).status).toBe('RUNNING');
    expect(runtime.listPendingTasks()).toEqual([
      expect.objectContaining({ executionArn: arn, stateName: 'AwaitProvinceApproval', taskToken: province.taskToken }),
    ]);
    // The regency token was closed before the restart: still "already decided" afterwards.
    await expect(runtime.sendTaskSuccess({ taskToken: regency.taskToken, output: '{}' })).rejects.toMatchObject({
      type: 'TaskTimedOut',
    });

    await runtime.sendTaskSuccess({ taskToken: province.taskToken, output: '{"decision":"APPROVE_WITH_EXCLUSIONS"}' });
    const result = await runtime.waitForStatus(arn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({
      proposalId: 'P-3371-1',
      regency: 'APPROVE',
      province: 'APPROVE_WITH_EXCLUSIONS',
    });
    // Neither the waiting task nor the ingest ran again: the new process only continued.
    expect(harness.invoker.calls).toHaveLength(0);
    const types = runtime.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type);
    expect(types.filter((type) => type === 'TaskSucceeded')).toHaveLength(3);
    expect(types.at(0)).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('runs an invocation that was under way when the process stopped again (at least once)', async () => {
    const hanging = new ScriptedInvoker({ ingest: () => new Promise(() => undefined) });
    const harness = await harnesses.start({ machines: { Proposal: approvals }, invoker: hanging });
    const arn = await harness.start('Proposal');
    await expect.poll(() => hanging.calls.length).toBe(1);

    const invoker = ingestInvoker();
    const runtime = await harness.restart({ invoker });
    const task = await runtime.waitForPendingTask(arn, 'AwaitRegencyApproval');
    expect(invoker.callsTo('ingest')).toHaveLength(1);
    expect(invoker.callsTo('request-approval')[0]?.taskToken).toBe(task.taskToken);
  });

  it('re-invokes an interrupted waitForTaskToken function with the same token', async () => {
    const hanging = new ScriptedInvoker({
      ingest: () => ({ proposalId: 'P-1' }),
      'request-approval': () => new Promise(() => undefined),
    });
    const harness = await harnesses.start({ machines: { Proposal: approvals }, invoker: hanging });
    const arn = await harness.start('Proposal');
    await expect.poll(() => hanging.callsTo('request-approval').length).toBe(1);
    const firstToken = hanging.callsTo('request-approval')[0]?.taskToken;

    const invoker = new ScriptedInvoker();
    const runtime = await harness.restart({ invoker });
    await expect.poll(() => invoker.callsTo('request-approval').length).toBe(1);
    expect(invoker.callsTo('request-approval')[0]?.taskToken).toBe(firstToken);
    await runtime.sendTaskSuccess({ taskToken: firstToken ?? '', output: '{"decision":"REJECT"}' });
    await runtime.waitForPendingTask(arn, 'AwaitProvinceApproval');
  });

  it('keeps the task timeout deadline: a restart after the deadline times the task out', async () => {
    const start = Date.UTC(2026, 5, 1);
    const harness = await harnesses.start({
      machines: { Proposal: approvals },
      invoker: ingestInvoker(),
      clock: new ManualClock(start),
    });
    const arn = await harness.start('Proposal');
    await harness.runtime.waitForPendingTask(arn, 'AwaitRegencyApproval');

    const runtime = await harness.restart({ clock: new ManualClock(start + 61_000) });
    const result = await runtime.waitForStatus(arn);
    expect(JSON.parse(result.output ?? '')).toEqual({ proposalId: 'P-3371-1', expired: 'States.Timeout' });
    expect(runtime.listPendingTasks()).toEqual([]);
  });

  it('resumes a Wait state at its persisted deadline', async () => {
    const start = Date.UTC(2026, 5, 1);
    const pause = machine('Pause', {
      Pause: { Type: 'Wait', Seconds: 3600, Assign: { waited: true }, Next: 'Done' },
      Done: { Type: 'Pass', Output: '{% $waited %}', End: true },
    });
    const before = new ManualClock(start);
    const harness = await harnesses.start({ machines: { Pause: pause }, clock: before });
    const arn = await harness.start('Pause');
    expect(await before.waitForTimers(1)).toEqual([3_600_000]);

    const clock = new ManualClock(start + 3_599_000);
    const runtime = await harness.restart({ clock });
    expect(await clock.waitForTimers(1)).toEqual([1000]);
    await clock.advance(1000);
    expect(await runtime.waitForStatus(arn)).toMatchObject({ status: 'SUCCEEDED', output: 'true' });
  });

  it('resumes a Map whose iterations wait for tokens, keeping finished iterations and the item order', async () => {
    const fan = machine('Fan', {
      Fan: {
        Type: 'Map',
        Items: '{% $states.input.regencies %}',
        ItemProcessor: {
          StartAt: 'Release',
          States: { Release: callbackTask('release', { Output: '{% $states.result.n %}', End: true }) },
        },
        End: true,
      },
    });
    const harness = await harnesses.start({ machines: { Fan: fan } });
    const arn = await harness.start('Fan', { regencies: ['3371', '3372', '3373'] });
    await expect.poll(() => harness.runtime.listPendingTasks().length).toBe(3);
    const byRegency = new Map(
      harness.invoker.calls.map((call) => [(call.payload as { input: string }).input, call.taskToken ?? '']),
    );
    await harness.runtime.sendTaskSuccess({ taskToken: byRegency.get('3372') ?? '', output: '{"n":2}' });

    const runtime = await harness.restart();
    expect(runtime.listPendingTasks()).toHaveLength(2);
    await runtime.sendTaskSuccess({ taskToken: byRegency.get('3373') ?? '', output: '{"n":3}' });
    await runtime.sendTaskSuccess({ taskToken: byRegency.get('3371') ?? '', output: '{"n":1}' });
    expect(await runtime.waitForStatus(arn)).toMatchObject({ status: 'SUCCEEDED', output: '[1,2,3]' });
  });

  it('stores a state file and a history file per execution and leaves no temporary files', async () => {
    const harness = await harnesses.start({ machines: { Proposal: approvals }, invoker: ingestInvoker() });
    const first = await harness.start('Proposal', {}, 'one');
    await harness.start('Proposal', {}, 'two');
    await harness.runtime.waitForPendingTask(first);
    await harness.runtime.stop();
    const files = await readdir(join(harness.dataDir, 'executions', 'Proposal'));
    expect(files.sort()).toEqual(['one.history.ndjson', 'one.json', 'two.history.ndjson', 'two.json']);
  });

  it('cuts off history events that a stopped process appended after its last saved state', async () => {
    const harness = await harnesses.start({ machines: { Proposal: approvals }, invoker: ingestInvoker() });
    const arn = await harness.start('Proposal', {}, 'cut');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    const saved = harness.runtime.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type);
    await harness.runtime.stop();
    const half = { id: saved.length + 1, previousEventId: saved.length, timestamp: 0, type: 'TaskSucceeded' };
    await appendFile(
      join(harness.dataDir, 'executions', 'Proposal', 'cut.history.ndjson'),
      `${JSON.stringify(half)}\n`,
    );

    const runtime = await harness.restart();
    expect(runtime.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type)).toEqual(saved);
    await runtime.sendTaskSuccess({ taskToken, output: '{"decision":"APPROVE"}' });
    await runtime.waitForPendingTask(arn, 'AwaitProvinceApproval');
    const ids = runtime.getExecutionHistory({ executionArn: arn }).events.map((event) => event.id);
    expect(ids).toEqual(ids.map((_id, index) => index + 1));
  });

  it('resumes nothing for a stopped (aborted) execution and answers TaskTimedOut for its token', async () => {
    const harness = await harnesses.start({ machines: { Proposal: approvals }, invoker: ingestInvoker() });
    const arn = await harness.start('Proposal');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await harness.runtime.stopExecution({ executionArn: arn, error: 'Operator', cause: 'uploaded twice' });
    const runtime = await harness.restart();
    expect(runtime.describeExecution({ executionArn: arn })).toMatchObject({ status: 'ABORTED', error: 'Operator' });
    await expect(runtime.sendTaskSuccess({ taskToken, output: '{}' })).rejects.toMatchObject({ type: 'TaskTimedOut' });
  });
});
