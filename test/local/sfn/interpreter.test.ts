/**
 * Conformance of the interpreter (local/sfn/interpreter.ts) with the Step Functions developer guide: the
 * context object, "Passing data between states with variables", "Handling errors" (Retry/Catch), and the
 * Choice, Wait, Succeed and Fail states.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '#local/sfn/clock.ts';
import { callbackTask, harnessPerTest, invokeTask, machine, namedError, output, ScriptedInvoker } from './harness.ts';

const harnesses = harnessPerTest();
const { runMachine } = harnesses;

describe('the context object', () => {
  it('exposes the context object: execution, state, state machine', async () => {
    const harness = await harnesses.start({
      machines: {
        Ctx: machine('Look', {
          Look: {
            Type: 'Pass',
            Output: {
              id: '{% $states.context.Execution.Id %}',
              name: '{% $states.context.Execution.Name %}',
              input: '{% $states.context.Execution.Input %}',
              start: '{% $states.context.Execution.StartTime %}',
              state: '{% $states.context.State.Name %}',
              entered: '{% $states.context.State.EnteredTime %}',
              retries: '{% $states.context.State.RetryCount %}',
              machineId: '{% $states.context.StateMachine.Id %}',
              machineName: '{% $states.context.StateMachine.Name %}',
            },
            End: true,
          },
        }),
      },
    });
    const arn = await harness.start('Ctx', { n: 1 }, 'run-1');
    const result = await harness.runtime.waitForStatus(arn);
    expect(output(result)).toEqual({
      id: 'arn:aws:states:ap-southeast-3:000000000000:execution:Ctx:run-1',
      name: 'run-1',
      input: { n: 1 },
      start: result.startDate.toISOString(),
      state: 'Look',
      entered: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      retries: 0,
      machineId: 'arn:aws:states:ap-southeast-3:000000000000:stateMachine:Ctx',
      machineName: 'Ctx',
    });
  });
});

describe('variables', () => {
  it('assigns literal and JSONata values and reads them in later states', async () => {
    const result = await runMachine(
      machine('Set', {
        Set: {
          Type: 'Pass',
          Assign: { productName: 'product1', count: 42, available: true, fromInput: '{% $states.input.x %}' },
          Next: 'Read',
        },
        Read: { Type: 'Pass', Output: '{% [$productName, $count, $available, $fromInput] %}', End: true },
      }),
      { x: 'y' },
    );
    expect(output(result)).toEqual(['product1', 42, true, 'y']);
  });

  it('evaluates all assignments of a state with the values from before the state (swap)', async () => {
    const result = await runMachine(
      machine('Init', {
        Init: { Type: 'Pass', Assign: { x: 1, y: 2 }, Next: 'Swap' },
        Swap: { Type: 'Pass', Assign: { x: '{% $y %}', y: '{% $x %}' }, Output: '{% {"seenX": $x} %}', Next: 'Read' },
        Read: { Type: 'Pass', Output: '{% {"x": $x, "y": $y, "before": $states.input.seenX} %}', End: true },
      }),
    );
    // Output of the same state still sees the old $x.
    expect(output(result)).toEqual({ x: 2, y: 1, before: 1 });
  });

  it('assigns from $states.result in a Task and does not apply the Assign of a caught state', async () => {
    const invoker = new ScriptedInvoker({
      ok: () => ({ id: 'P-1' }),
      broken: () => {
        throw namedError('CheckFailed', 'no');
      },
    });
    const result = await runMachine(
      machine('First', {
        First: invokeTask('ok', {
          Assign: { proposalId: '{% $states.result.Payload.id %}' },
          Output: '{% $states.input %}',
          Next: 'Second',
        }),
        Second: invokeTask('broken', {
          Assign: { proposalId: 'overwritten' },
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              Assign: { caught: '{% $states.errorOutput.Error %}', original: '{% $states.input.n %}' },
              Next: 'Read',
            },
          ],
          End: true,
        }),
        Read: { Type: 'Pass', Output: '{% [$proposalId, $caught, $original] %}', End: true },
      }),
      { n: 7 },
      { invoker },
    );
    expect(output(result)).toEqual(['P-1', 'CheckFailed', 7]);
  });
});

describe('Retry and Catch', () => {
  function flaky(failures: number, errorName = 'TransientError') {
    return new ScriptedInvoker({
      f: (_payload, { attempt }) => {
        if (attempt <= failures) throw namedError(errorName, `attempt ${attempt} failed`);
        return { attempt };
      },
    });
  }
  const fastRetry = { IntervalSeconds: 0, BackoffRate: 1 };

  it('reports a handler error as Lambda does: Error is the errorType, Cause the error JSON', async () => {
    const result = await runMachine(
      machine('Call', { Call: invokeTask('f', { End: true }) }),
      {},
      { invoker: flaky(1) },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'TransientError' });
    expect(JSON.parse(result.cause ?? '')).toEqual({ errorMessage: 'attempt 1 failed', errorType: 'TransientError' });
  });

  it('retries until MaxAttempts and then catches, with $states.errorOutput in the catcher Output', async () => {
    const invoker = flaky(10);
    const result = await runMachine(
      machine('Call', {
        Call: invokeTask('f', {
          Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 2, ...fastRetry }],
          Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'Failed' }],
          End: true,
        }),
        Failed: { Type: 'Pass', End: true },
      }),
      {},
      { invoker },
    );
    expect(invoker.calls).toHaveLength(3);
    expect(output(result)).toEqual({
      Error: 'TransientError',
      Cause: JSON.stringify({ errorMessage: 'attempt 3 failed', errorType: 'TransientError' }),
    });
  });

  it('succeeds after a retry and counts it in $states.context.State.RetryCount', async () => {
    const invoker = flaky(2);
    const result = await runMachine(
      machine('Call', {
        Call: invokeTask('f', {
          Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 3, ...fastRetry }],
          Output: '{% {"attempt": $states.result.Payload.attempt, "retries": $states.context.State.RetryCount} %}',
          End: true,
        }),
      }),
      {},
      { invoker },
    );
    expect(output(result)).toEqual({ attempt: 3, retries: 2 });
  });

  it('does not retry with MaxAttempts 0', async () => {
    const invoker = flaky(1);
    const result = await runMachine(
      machine('Call', {
        Call: invokeTask('f', { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 0 }], End: true }),
      }),
      {},
      { invoker },
    );
    expect(invoker.calls).toHaveLength(1);
    expect(result.status).toBe('FAILED');
  });

  it('uses the first matching retrier and the first matching catcher', async () => {
    const invoker = flaky(10, 'DomainError');
    const result = await runMachine(
      machine('Call', {
        Call: invokeTask('f', {
          Retry: [
            { ErrorEquals: ['TransientError'], MaxAttempts: 5, ...fastRetry },
            { ErrorEquals: ['DomainError'], MaxAttempts: 1, ...fastRetry },
            { ErrorEquals: ['States.ALL'], MaxAttempts: 5, ...fastRetry },
          ],
          Catch: [
            { ErrorEquals: ['OtherError'], Next: 'Other' },
            { ErrorEquals: ['DomainError', 'TransientError'], Output: '{% "domain" %}', Next: 'Domain' },
            { ErrorEquals: ['States.ALL'], Next: 'Other' },
          ],
          End: true,
        }),
        Other: { Type: 'Fail', Error: 'Wrong' },
        Domain: { Type: 'Succeed' },
      }),
      {},
      { invoker },
    );
    expect(invoker.calls).toHaveLength(2);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: '"domain"' });
  });

  it('grows the retry interval by BackoffRate up to MaxDelaySeconds', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({
      machines: {
        Test: machine('Call', {
          Call: invokeTask('f', {
            Retry: [
              {
                ErrorEquals: ['TransientError'],
                IntervalSeconds: 2,
                BackoffRate: 3,
                MaxDelaySeconds: 10,
                MaxAttempts: 4,
              },
            ],
            End: true,
          }),
        }),
      },
      invoker: flaky(4),
      clock,
    });
    const arn = await harness.start('Test');
    const delays: number[] = [];
    for (let retry = 0; retry < 4; retry++) {
      const [delay = -1] = await clock.waitForTimers(1);
      delays.push(delay);
      await clock.advance(delay);
    }
    expect(delays).toEqual([2000, 6000, 10_000, 10_000]);
    expect((await harness.runtime.waitForStatus(arn)).status).toBe('SUCCEEDED');
  });

  it('applies FULL jitter as a random share of the interval', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({
      machines: {
        Test: machine('Call', {
          Call: invokeTask('f', {
            Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 4, JitterStrategy: 'FULL', MaxAttempts: 1 }],
            End: true,
          }),
        }),
      },
      invoker: flaky(1),
      clock,
      random: () => 0.25,
    });
    const arn = await harness.start('Test');
    expect(await clock.waitForTimers(1)).toEqual([1000]);
    await clock.advance(1000);
    expect((await harness.runtime.waitForStatus(arn)).status).toBe('SUCCEEDED');
  });

  it('does not let States.TaskFailed catch States.Timeout', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({
      machines: {
        Test: machine('Wait', {
          Wait: callbackTask('ask', {
            TimeoutSeconds: 5,
            Catch: [
              { ErrorEquals: ['States.TaskFailed'], Next: 'Failed' },
              { ErrorEquals: ['States.Timeout'], Output: '{% $states.errorOutput.Error %}', Next: 'TimedOut' },
            ],
            End: true,
          }),
          Failed: { Type: 'Fail', Error: 'Wrong' },
          TimedOut: { Type: 'Succeed' },
        }),
      },
      clock,
    });
    const arn = await harness.start('Test');
    await harness.runtime.waitForPendingTask(arn);
    await clock.advance(5000);
    expect(await harness.runtime.waitForStatus(arn)).toMatchObject({ status: 'SUCCEEDED', output: '"States.Timeout"' });
  });
});

describe('Choice, Wait, Succeed and Fail', () => {
  const choice = machine('Pick', {
    Pick: {
      Type: 'Choice',
      Choices: [
        { Condition: '{% $states.input.n > 10 %}', Next: 'Big' },
        { Condition: '{% $states.input.n > 5 %}', Assign: { size: 'medium' }, Next: 'Medium' },
      ],
      Assign: { checked: true },
      Output: '{% {"m": $states.input.n} %}',
      Default: 'Small',
    },
    Big: { Type: 'Pass', Output: 'big', End: true },
    Medium: { Type: 'Pass', Output: '{% [$size, $checked, $states.input.m] %}', End: true },
    Small: { Type: 'Pass', Output: 'small', End: true },
  });

  it('takes the first rule whose Condition is true, with its Assign, the state Assign and the state Output', async () => {
    expect(output(await runMachine(choice, { n: 20 }))).toBe('big');
    await harnesses.current?.close();
    expect(output(await runMachine(choice, { n: 7 }))).toEqual(['medium', true, 7]);
  });

  it('takes the Default when no rule matches', async () => {
    expect(output(await runMachine(choice, { n: 1 }))).toBe('small');
  });

  it('fails with States.NoChoiceMatched without a Default', async () => {
    const result = await runMachine(
      machine('Pick', {
        Pick: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.ok %}', Next: 'Done' }] },
        Done: { Type: 'Succeed' },
      }),
      { ok: false },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });

  it('fails the execution with a Fail state whose Error and Cause are JSONata', async () => {
    const result = await runMachine(
      machine('Stop', {
        Stop: {
          Type: 'Fail',
          Error: '{% $states.input.Error %}',
          Cause: "{% $exists($states.input.Cause) ? $states.input.Cause : 'Tidak ada keterangan' %}",
        },
      }),
      { Error: 'ApplyFailed' },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'ApplyFailed', cause: 'Tidak ada keterangan' });
  });

  it('waits Seconds on the injected clock', async () => {
    const clock = new ManualClock();
    const harness = await harnesses.start({
      machines: { Test: machine('Pause', { Pause: { Type: 'Wait', Seconds: '{% $states.input.s %}', End: true } }) },
      clock,
    });
    const arn = await harness.start('Test', { s: 3600 });
    expect(await clock.waitForTimers(1)).toEqual([3_600_000]);
    await clock.advance(3_599_000);
    expect(harness.runtime.describeExecution({ executionArn: arn }).status).toBe('RUNNING');
    await clock.advance(1000);
    expect((await harness.runtime.waitForStatus(arn)).status).toBe('SUCCEEDED');
  });

  it('waits until a Timestamp', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 31));
    const harness = await harnesses.start({
      machines: { Test: machine('Pause', { Pause: { Type: 'Wait', Timestamp: '2026-02-01T00:00:00Z', End: true } }) },
      clock,
    });
    const arn = await harness.start('Test');
    expect(await clock.waitForTimers(1)).toEqual([86_400_000]);
    await clock.advance(86_400_000);
    expect((await harness.runtime.waitForStatus(arn)).status).toBe('SUCCEEDED');
  });
});
