/**
 * Conformance of the Map and Parallel states (local/sfn/map-parallel.ts) with the Step Functions developer
 * guide: variable scopes of iterations and branches, MaxConcurrency, result order, failures and Catch.
 */
import { describe, expect, it } from 'vitest';
import { callbackTask, harnessPerTest, invokeTask, machine, namedError, output, ScriptedInvoker } from './harness.ts';

const harnesses = harnessPerTest();
const { runMachine } = harnesses;

describe('variables in Map and Parallel', () => {
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
    const harness = await harnesses.start({
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
