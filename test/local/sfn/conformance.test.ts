/**
 * Conformance of the local runtime with the Step Functions developer guide: "Transforming data with
 * JSONata", "Passing data between states with variables", "Handling errors" (Retry/Catch), the Map,
 * Parallel, Choice, Wait and Fail states, and "Wait for a callback with task token".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '#local/sfn/clock.ts';
import type { Json } from '#local/sfn/definition.ts';
import {
  callbackTask,
  type Harness,
  invokeTask,
  lambdaArn,
  machine,
  namedError,
  ScriptedInvoker,
  startHarness,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function runMachine(
  text: string,
  input: unknown = {},
  options: { invoker?: ScriptedInvoker; clock?: ManualClock } = {},
) {
  harness = await startHarness({ machines: { Test: text }, ...options });
  return harness.run('Test', input);
}

function output(description: { output?: string }): unknown {
  return description.output === undefined ? undefined : JSON.parse(description.output);
}

describe('JSONata evaluation', () => {
  it('evaluates "{% %}" strings at any depth of Arguments and leaves other strings literal', async () => {
    const invoker = new ScriptedInvoker();
    await runMachine(
      machine('Call', {
        Assign: undefined,
        Init: { Type: 'Pass', Assign: { customerName: 'Siti' }, Next: 'Call' },
        Call: {
          ...invokeTask('f'),
          Arguments: {
            FunctionName: lambdaArn('f'),
            Payload: {
              static: 'Hello',
              title: '{% $states.input.title %}',
              nested: [{ upper: '{% $uppercase($states.input.title) %}' }, 42, true, null],
              'not-evaluated': '$customerName',
              spaced: ' {% 1 + 1 %}',
            },
          },
          End: true,
        },
      }).replace('"Assign":null,', ''),
      { title: 'Kartu' },
      { invoker },
    );
    expect(invoker.calls[0]?.payload).toEqual({
      static: 'Hello',
      title: 'Kartu',
      nested: [{ upper: 'KARTU' }, 42, true, null],
      'not-evaluated': '$customerName',
      spaced: ' {% 1 + 1 %}',
    });
  });

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

  it('exposes the context object: execution, state, state machine', async () => {
    harness = await startHarness({
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

  it('provides $partition, $range, $hash, $random with a seed, $uuid and $parse', async () => {
    const result = await runMachine(
      machine('Fns', {
        Fns: {
          Type: 'Pass',
          Output: {
            partition: '{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}',
            uneven: '{% $partition([1, 2, 3, 4, 5], 2) %}',
            range: '{% $range(0, 10, 2) %}',
            down: '{% $range(3, 1, -1) %}',
            md5: "{% $hash('', 'MD5') %}",
            sha1: "{% $hash('abc', 'SHA-1') %}",
            sha256: "{% $hash('abc', 'SHA-256') %}",
            sha384: "{% $hash('abc', 'SHA-384') %}",
            sha512: "{% $hash('abc', 'SHA-512') %}",
            sameSeed: '{% $random(7) = $random(7) %}',
            seeded: '{% $random(7) %}',
            unseeded: '{% $random() %}',
            uuid: '{% $uuid() %}',
            parsed: '{% $parse($states.input.json) %}',
          },
          End: true,
        },
      }),
      { json: '{"a": [1, {"b": null}]}' },
    );
    const values = output(result) as Record<string, Json>;
    expect(values).toMatchObject({
      partition: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      uneven: [[1, 2], [3, 4], [5]],
      range: [0, 2, 4, 6, 8, 10],
      down: [3, 2, 1],
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      sha384: 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
      sha512:
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      sameSeed: true,
      parsed: { a: [1, { b: null }] },
    });
    for (const key of ['seeded', 'unseeded']) {
      expect(values[key]).toBeGreaterThanOrEqual(0);
      expect(values[key]).toBeLessThan(1);
    }
    expect(values.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('fails with States.QueryEvaluationError when $eval is used (Step Functions offers $parse instead)', async () => {
    const result = await runMachine(machine('E', { E: { Type: 'Pass', Output: "{% $eval('1 + 1') %}", End: true } }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
  });

  it('speaks the JSONata of Step Functions (2.0.6): the ?? and ?: operators of JSONata 2.1 do not parse', async () => {
    // AWS, "Transforming data with JSONata": Step Functions implements the 2.0.6 specification.
    for (const expression of ['{% $states.input.a ?? 1 %}', '{% $states.input.a ?: 1 %}']) {
      const result = await runMachine(machine('E', { E: { Type: 'Pass', Output: expression, End: true } }), { a: 0 });
      expect(result, expression).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
      expect(result.cause).toContain('cannot parse JSONata');
    }
  });

  it('fails with States.QueryEvaluationError when an expression has no value', async () => {
    const result = await runMachine(
      machine('E', { E: { Type: 'Pass', Output: { a: '{% $states.input.missing %}' }, End: true } }),
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
    expect(result.cause).toContain('Output.a');
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

  it('lets Map iterations read outer variables and keeps their own variables inside', async () => {
    const result = await runMachine(
      machine('Init', {
        Init: { Type: 'Pass', Assign: { factor: 10 }, Next: 'Fan' },
        Fan: {
          Type: 'Map',
          Items: '{% [1, 2, 3] %}',
          ItemProcessor: {
            StartAt: 'Scale',
            States: {
              Scale: { Type: 'Pass', Assign: { scaled: '{% $states.input * $factor %}' }, Next: 'Emit' },
              Emit: { Type: 'Pass', Output: '{% $scaled %}', End: true },
            },
          },
          Next: 'After',
        },
        After: { Type: 'Pass', Output: '{% {"result": $states.input, "inner": $exists($scaled)} %}', End: true },
      }),
    );
    expect(output(result)).toEqual({ result: [10, 20, 30], inner: false });
  });

  it('lets Parallel branches read outer variables; branch variables stay in the branch', async () => {
    const result = await runMachine(
      machine('Init', {
        Init: { Type: 'Pass', Assign: { region: '3371' }, Next: 'Both' },
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'A',
              States: {
                A: { Type: 'Pass', Assign: { local: 'a' }, Next: 'A2' },
                A2: { Type: 'Pass', Output: "{% $region & '-' & $local %}", End: true },
              },
            },
            { StartAt: 'B', States: { B: { Type: 'Pass', Output: '{% $states.input.n + 1 %}', End: true } } },
          ],
          Assign: { parts: '{% $states.result %}' },
          Next: 'After',
        },
        After: { Type: 'Pass', Output: '{% {"parts": $parts, "local": $exists($local)} %}', End: true },
      }),
      { n: 1 },
    );
    expect(output(result)).toEqual({ parts: ['3371-a', 2], local: false });
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
    harness = await startHarness({
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
    harness = await startHarness({
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
    harness = await startHarness({
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

describe('task timeouts', () => {
  it('times out a lambda:invoke task that runs longer than TimeoutSeconds with States.Timeout', async () => {
    const clock = new ManualClock();
    harness = await startHarness({
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

describe('Step Functions quotas', () => {
  it('fails with States.DataLimitExceeded, which States.ALL does not catch, when a result exceeds 256 KiB', async () => {
    const invoker = new ScriptedInvoker({ big: () => 'x'.repeat(262_144) });
    const result = await runMachine(
      machine('Call', {
        Call: invokeTask('big', {
          Output: '{% $states.result.Payload %}',
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        }),
        Caught: { Type: 'Succeed' },
      }),
      {},
      { invoker },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  it('refuses an execution input over 256 KiB', async () => {
    harness = await startHarness({ machines: { Test: machine('A', { A: { Type: 'Pass', End: true } }) } });
    await expect(harness.start('Test', { text: 'x'.repeat(262_144) })).rejects.toMatchObject({
      type: 'InvalidExecutionInput',
    });
  });

  it('fails an execution that reaches 25,000 history events', async () => {
    const result = await runMachine(
      machine('Loop', {
        Loop: { Type: 'Pass', Output: '{% {"round": $states.input.round + 1} %}', Next: 'Loop' },
      }),
      { round: 0 },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(result.cause).toContain('25000');
  }, 120_000);
});

describe('Map and Parallel', () => {
  it('returns Map results in item order while running at most MaxConcurrency iterations at once', async () => {
    let running = 0;
    let peak = 0;
    const invoker = new ScriptedInvoker({
      work: async (payload) => {
        running++;
        peak = Math.max(peak, running);
        const { value } = payload as { value: number };
        await new Promise((resolve) => setTimeout(resolve, (6 - value) * 5));
        running--;
        return value * value;
      },
    });
    const result = await runMachine(
      machine('Fan', {
        Fan: {
          Type: 'Map',
          Items: '{% $states.input.values %}',
          ItemSelector: {
            value: '{% $states.context.Map.Item.Value %}',
            index: '{% $states.context.Map.Item.Index %}',
            label: '{% $states.input.label %}',
          },
          MaxConcurrency: 2,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Work',
            States: {
              Work: invokeTask('work', {
                Output:
                  '{% {"index": $states.input.index, "square": $states.result.Payload, "label": $states.input.label} %}',
                End: true,
              }),
            },
          },
          End: true,
        },
      }),
      { values: [1, 2, 3, 4, 5], label: 'kk' },
      { invoker },
    );
    expect(output(result)).toEqual([1, 4, 9, 16, 25].map((square, index) => ({ index, square, label: 'kk' })));
    expect(peak).toBe(2);
  });

  it('fails the Map with the error of a failed iteration, which the Map Catch handles', async () => {
    const invoker = new ScriptedInvoker({
      work: (payload) => {
        if (payload === 2) throw namedError('BadItem', 'item 2');
        return payload;
      },
    });
    const result = await runMachine(
      machine('Fan', {
        Fan: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Work', States: { Work: invokeTask('work', { End: true }) } },
          Catch: [{ ErrorEquals: ['BadItem'], Output: '{% $states.errorOutput.Error %}', Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      }),
      [1, 2, 3],
      { invoker },
    );
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: '"BadItem"' });
  });

  it('closes the tokens of the other branches when a Parallel branch fails', async () => {
    const invoker = new ScriptedInvoker({
      broken: () => {
        throw namedError('BranchFailed', 'no');
      },
    });
    harness = await startHarness({
      machines: {
        Test: machine('Both', {
          Both: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'Ask', States: { Ask: callbackTask('ask', { End: true }) } },
              {
                StartAt: 'Later',
                States: {
                  Later: { Type: 'Wait', Seconds: 1, Next: 'Break' },
                  Break: invokeTask('broken', { End: true }),
                },
              },
            ],
            End: true,
          },
        }),
      },
      invoker,
    });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn, 'Ask');
    expect(await harness.runtime.waitForStatus(arn)).toMatchObject({ status: 'FAILED', error: 'BranchFailed' });
    expect(harness.runtime.listPendingTasks()).toEqual([]);
    await expect(harness.runtime.sendTaskSuccess({ taskToken, output: '{}' })).rejects.toMatchObject({
      type: 'TaskTimedOut',
    });
  });

  it('gives Parallel branches the Arguments and returns their outputs in branch order', async () => {
    const result = await runMachine(
      machine('Both', {
        Both: {
          Type: 'Parallel',
          Arguments: { n: '{% $states.input.n * 2 %}' },
          Branches: [
            {
              StartAt: 'Slow',
              States: { Slow: { Type: 'Wait', Seconds: 0, Output: '{% $states.input.n + 1 %}', End: true } },
            },
            { StartAt: 'Fast', States: { Fast: { Type: 'Pass', Output: '{% $states.input.n %}', End: true } } },
          ],
          Output: '{% $states.result %}',
          End: true,
        },
      }),
      { n: 5 },
    );
    expect(output(result)).toEqual([11, 10]);
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
    await harness?.close();
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
    harness = await startHarness({
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
    harness = await startHarness({
      machines: { Test: machine('Pause', { Pause: { Type: 'Wait', Timestamp: '2026-02-01T00:00:00Z', End: true } }) },
      clock,
    });
    const arn = await harness.start('Test');
    expect(await clock.waitForTimers(1)).toEqual([86_400_000]);
    await clock.advance(86_400_000);
    expect((await harness.runtime.waitForStatus(arn)).status).toBe('SUCCEEDED');
  });
});

describe('waitForTaskToken', () => {
  const approval = (extra: Record<string, unknown> = {}) =>
    machine('Ask', {
      Ask: callbackTask('ask', {
        Output: '{% $states.result %}',
        Catch: [
          {
            ErrorEquals: ['States.Timeout'],
            Output: '{% $merge([$states.errorOutput, {"level": "REGENCY"}]) %}',
            Next: 'Expired',
          },
          { ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'Failed' },
        ],
        End: true,
        ...extra,
      }),
      Expired: { Type: 'Pass', End: true },
      Failed: { Type: 'Pass', End: true },
    });

  it('passes the token to the function and continues with the SendTaskSuccess output', async () => {
    harness = await startHarness({ machines: { Test: approval() } });
    const arn = await harness.start('Test', { proposalId: 'P-1' });
    const task = await harness.runtime.waitForPendingTask(arn, 'Ask');
    expect(harness.invoker.calls[0]?.payload).toEqual({ input: { proposalId: 'P-1' }, taskToken: task.taskToken });
    await harness.runtime.sendTaskSuccess({ taskToken: task.taskToken, output: '{"decision":"APPROVE"}' });
    expect(output(await harness.runtime.waitForStatus(arn))).toEqual({ decision: 'APPROVE' });
    expect(harness.runtime.listPendingTasks()).toEqual([]);
  });

  it('routes SendTaskFailure to the Catch with the error and cause as given', async () => {
    harness = await startHarness({ machines: { Test: approval() } });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await harness.runtime.sendTaskFailure({ taskToken, error: 'ApprovalWithdrawn', cause: 'ditarik' });
    expect(output(await harness.runtime.waitForStatus(arn))).toEqual({ Error: 'ApprovalWithdrawn', Cause: 'ditarik' });
  });

  it('times out with States.Timeout after TimeoutSeconds and answers TaskTimedOut to a late decision', async () => {
    const clock = new ManualClock();
    harness = await startHarness({ machines: { Test: approval({ TimeoutSeconds: 1_209_600 }) }, clock });
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
    harness = await startHarness({ machines: { Test: approval({ HeartbeatSeconds: 60 }) }, clock });
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
        await harness?.runtime.sendTaskSuccess({ taskToken: taskToken ?? '', output: '{"early":true}' });
        return { stored: true };
      },
    });
    expect(output(await runMachine(approval(), {}, { invoker }))).toEqual({ early: true });
  });

  it('answers InvalidToken for a token it never issued', async () => {
    harness = await startHarness({ machines: { Test: approval() } });
    await expect(harness.runtime.sendTaskSuccess({ taskToken: 'not-a-token', output: '{}' })).rejects.toMatchObject({
      type: 'InvalidToken',
    });
  });

  it('keeps task tokens out of the execution history', async () => {
    harness = await startHarness({ machines: { Test: approval() } });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await harness.runtime.sendTaskSuccess({ taskToken, output: '{}' });
    await harness.runtime.waitForStatus(arn);
    const history = JSON.stringify(harness.runtime.getExecutionHistory({ executionArn: arn }));
    expect(history).not.toContain(taskToken);
    expect(history).toContain('TaskSubmitted');
  });
});
