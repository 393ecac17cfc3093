/**
 * Conformance of Task states (local/sfn/task-invocation.ts) with the Step Functions developer guide:
 * "Invoke a Lambda function" (the result shape, TimeoutSeconds) and "Wait for a callback with task token"
 * (SendTaskSuccess/SendTaskFailure, TimeoutSeconds, HeartbeatSeconds).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '#local/sfn/clock.ts';
import { approval, harnessPerTest, invokeTask, machine, namedError, output, ScriptedInvoker } from './harness.ts';

const harnesses = harnessPerTest();
const { runMachine } = harnesses;

describe('lambda:invoke', () => {
  it('gives the lambda:invoke result as $states.result with Payload and StatusCode', async () => {
    const invoker = new ScriptedInvoker({ f: () => ({ total: 3 }) });
    const result = await runMachine(
      machine('Call', { Call: invokeTask('f', { Output: '{% $states.result %}', End: true }) }),
      {},
      { invoker },
    );
    expect(output(result)).toEqual({ ExecutedVersion: '$LATEST', Payload: { total: 3 }, StatusCode: 200 });
  });

  it('outputs the full task result when there is no Output, and the input of a Pass state', async () => {
    const invoker = new ScriptedInvoker({ f: () => 'ok' });
    const result = await runMachine(
      machine('Keep', { Keep: { Type: 'Pass', Next: 'Call' }, Call: invokeTask('f', { End: true }) }),
      { a: 1 },
      { invoker },
    );
    expect(invoker.calls[0]?.payload).toEqual({ a: 1 });
    expect(output(result)).toMatchObject({ Payload: 'ok', StatusCode: 200 });
  });
});

describe('task timeouts', () => {
  it('times out a lambda:invoke task that runs longer than TimeoutSeconds with States.Timeout', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({
      machines: {
        Test: machine('Slow', {
          Slow: invokeTask('slow', {
            TimeoutSeconds: 30,
            Catch: [{ ErrorEquals: ['States.Timeout'], Output: '{% $states.errorOutput.Error %}', Next: 'TimedOut' }],
            End: true,
          }),
          TimedOut: { Type: 'Succeed' },
        }),
      },
      invoker: new ScriptedInvoker({ slow: () => new Promise(() => undefined) }),
      clock,
    });
    const arn = await harness.start('Test');
    expect(await clock.waitForTimers(1)).toEqual([30_000]);
    await clock.advance(30_000);
    expect(await harness.runtime.waitForStatus(arn)).toMatchObject({ status: 'SUCCEEDED', output: '"States.Timeout"' });
    const types = harness.runtime.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type);
    expect(types).toContain('TaskTimedOut');
  });

  it('reports an invoker that throws synchronously as a task failure', async () => {
    const result = await runMachine(
      machine('Call', { Call: invokeTask('f', { End: true }) }),
      {},
      {
        invoker: Object.assign(new ScriptedInvoker(), {
          invoke: () => {
            throw namedError('FunctionNotFoundError', 'Function not found: f');
          },
        }),
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'FunctionNotFoundError' });
  });
});

describe('waitForTaskToken', () => {
  it('passes the token to the function and continues with the SendTaskSuccess output', async () => {
    const harness = await harnesses.start({ machines: { Test: approval() } });
    const arn = await harness.start('Test', { proposalId: 'P-1' });
    const task = await harness.runtime.waitForPendingTask(arn, 'Ask');
    expect(harness.invoker.calls[0]?.payload).toEqual({ input: { proposalId: 'P-1' }, taskToken: task.taskToken });
    await harness.runtime.sendTaskSuccess({ taskToken: task.taskToken, output: '{"decision":"APPROVE"}' });
    expect(output(await harness.runtime.waitForStatus(arn))).toEqual({ decision: 'APPROVE' });
    expect(harness.runtime.listPendingTasks()).toEqual([]);
  });

  it('routes SendTaskFailure to the Catch with the error and cause as given', async () => {
    const harness = await harnesses.start({ machines: { Test: approval() } });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await harness.runtime.sendTaskFailure({ taskToken, error: 'ApprovalWithdrawn', cause: 'ditarik' });
    expect(output(await harness.runtime.waitForStatus(arn))).toEqual({ Error: 'ApprovalWithdrawn', Cause: 'ditarik' });
  });

  it('times out with States.Timeout after TimeoutSeconds and answers TaskTimedOut to a late decision', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({ machines: { Test: approval({ TimeoutSeconds: 1_209_600 }) }, clock });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await clock.advance(1_209_599_000);
    expect(harness.runtime.describeExecution({ executionArn: arn }).status).toBe('RUNNING');
    await clock.advance(1000);
    const result = await harness.runtime.waitForStatus(arn);
    expect(output(result)).toMatchObject({ Error: 'States.Timeout', level: 'REGENCY' });
    await expect(harness.runtime.sendTaskSuccess({ taskToken, output: '{}' })).rejects.toMatchObject({
      type: 'TaskTimedOut',
    });
    const types = harness.runtime.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type);
    expect(types).toContain('TaskTimedOut');
  });

  it('times out after HeartbeatSeconds without a heartbeat; each heartbeat restarts the period', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({ machines: { Test: approval({ HeartbeatSeconds: 60 }) }, clock });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await clock.advance(50_000);
    await harness.runtime.sendTaskHeartbeat({ taskToken });
    await clock.advance(50_000);
    expect(harness.runtime.describeExecution({ executionArn: arn }).status).toBe('RUNNING');
    await clock.advance(10_000);
    expect(output(await harness.runtime.waitForStatus(arn))).toMatchObject({ Error: 'States.Timeout' });
  });

  it('fails the task with the function error when the invocation throws', async () => {
    const invoker = new ScriptedInvoker({
      ask: () => {
        throw namedError('ProposalNotFoundError', 'unknown proposal');
      },
    });
    const result = await runMachine(approval(), {}, { invoker });
    expect(output(result)).toMatchObject({ Error: 'ProposalNotFoundError' });
  });

  it('continues when the token is answered before the function has even returned', async () => {
    const invoker = new ScriptedInvoker({
      ask: async (_payload, { taskToken }) => {
        await harnesses.current?.runtime.sendTaskSuccess({ taskToken: taskToken ?? '', output: '{"early":true}' });
        return { stored: true };
      },
    });
    expect(output(await runMachine(approval(), {}, { invoker }))).toEqual({ early: true });
  });
});
