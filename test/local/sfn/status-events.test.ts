/**
 * The "Step Functions Execution Status Change" events of the local runtime: what an EventBridge rule on
 * the state machine receives on AWS, one per status change, after the status is persisted.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionStatusChangeEvent } from '#local/sfn/status-events.ts';
import { callbackTask, harnessPerTest, invokeTask, machine, namedError, ScriptedInvoker } from './harness.ts';

const harnesses = harnessPerTest();

const approval = machine('Ask', { Ask: callbackTask('ask', { End: true }) });

async function withEvents(machines: Record<string, string>, invoker?: ScriptedInvoker) {
  const events: ExecutionStatusChangeEvent[] = [];
  const harness = await harnesses.start({
    machines,
    ...(invoker ? { invoker } : {}),
    onStatusChange: (event) => events.push(event),
  });
  return { harness, events };
}

describe('execution status change events', () => {
  it('announces RUNNING and then ABORTED with the stop error and cause, in the EventBridge shape', async () => {
    const { harness, events } = await withEvents({ Approval: approval });
    const executionArn = await harness.start('Approval', { proposalId: 'P-1' }, 'stopped-one');
    await harness.runtime.waitForPendingTask(executionArn);
    await harness.runtime.stopExecution({ executionArn, error: 'Operator', cause: 'salah unggah' });

    expect(events.map((event) => event.detail.status)).toEqual(['RUNNING', 'ABORTED']);
    const aborted = events[1]!;
    expect(aborted).toMatchObject({
      version: '0',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '000000000000',
      region: 'ap-southeast-3',
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: harness.runtime.stateMachineArn('Approval'),
        name: 'stopped-one',
        status: 'ABORTED',
        input: '{"proposalId":"P-1"}',
        inputDetails: { included: true },
        output: null,
        error: 'Operator',
        cause: 'salah unggah',
      },
    });
    expect(aborted.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(aborted.detail.stopDate).toBeGreaterThanOrEqual(aborted.detail.startDate);
    expect(aborted.id).not.toBe(events[0]!.id);
    // The status is on disk before the event is out: a listener may describe the execution.
    expect(harness.runtime.describeExecution({ executionArn }).status).toBe('ABORTED');

    // Stopping a closed execution changes nothing and announces nothing.
    await harness.runtime.stopExecution({ executionArn });
    expect(events).toHaveLength(2);
  });

  it('announces SUCCEEDED with the output and FAILED with the error and cause', async () => {
    const invoker = new ScriptedInvoker({
      boom: () => {
        throw namedError('IntegrityCheckError', 'tidak bisa');
      },
    });
    const { harness, events } = await withEvents(
      {
        Fine: machine('Run', { Run: invokeTask('fine', { End: true, Output: '{% {"ok": true} %}' }) }),
        Boom: machine('Run', { Run: invokeTask('boom', { End: true }) }),
      },
      invoker,
    );
    const fine = await harness.run('Fine');
    const boom = await harness.run('Boom');
    const closing = events.filter((event) => event.detail.status !== 'RUNNING');
    expect(closing.map((event) => [event.detail.executionArn, event.detail.status])).toEqual([
      [fine.executionArn, 'SUCCEEDED'],
      [boom.executionArn, 'FAILED'],
    ]);
    expect(closing[0]!.detail).toMatchObject({ output: '{"ok":true}', outputDetails: { included: true }, error: null });
    expect(closing[1]!.detail).toMatchObject({ error: 'IntegrityCheckError', output: null });
    expect(JSON.parse(closing[1]!.detail.cause ?? '{}')).toMatchObject({ errorMessage: 'tidak bisa' });
  });

  it('keeps running when a listener throws', async () => {
    const messages: string[] = [];
    const harness = await harnesses.start({
      machines: { Approval: approval },
      onStatusChange: () => {
        throw new Error('listener down');
      },
      log: (message) => messages.push(message),
    });
    const executionArn = await harness.start('Approval');
    await harness.runtime.waitForPendingTask(executionArn);
    await harness.runtime.stopExecution({ executionArn });
    expect(harness.runtime.describeExecution({ executionArn }).status).toBe('ABORTED');
    expect(messages.join('\n')).toContain('listener down');
  });
});
