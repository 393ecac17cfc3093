/**
 * The Step Functions quotas (local/sfn/quotas.ts): 256 KiB for execution inputs and state results,
 * 25,000 history events.
 */
import { describe, expect, it } from 'vitest';
import { harnessPerTest, invokeTask, machine, ScriptedInvoker } from './harness.ts';

const harnesses = harnessPerTest();
const { runMachine } = harnesses;

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
    const harness = await harnesses.start({ machines: { Test: machine('A', { A: { Type: 'Pass', End: true } }) } });
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
