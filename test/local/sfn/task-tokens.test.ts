/**
 * Task tokens (local/sfn/task-tokens.ts) as Step Functions treats them: a token never issued answers
 * InvalidToken, and no token reaches the execution history.
 */
import { describe, expect, it } from 'vitest';
import { approval, harnessPerTest } from './harness.ts';

const harnesses = harnessPerTest();

describe('task tokens', () => {
  it('answers InvalidToken for a token it never issued', async () => {
    const harness = await harnesses.start({ machines: { Test: approval() } });
    await expect(harness.runtime.sendTaskSuccess({ taskToken: 'not-a-token', output: '{}' })).rejects.toMatchObject({
      type: 'InvalidToken',
    });
  });

  it('keeps task tokens out of the execution history', async () => {
    const harness = await harnesses.start({ machines: { Test: approval() } });
    const arn = await harness.start('Test');
    const { taskToken } = await harness.runtime.waitForPendingTask(arn);
    await harness.runtime.sendTaskSuccess({ taskToken, output: '{}' });
    await harness.runtime.waitForStatus(arn);
    const history = JSON.stringify(harness.runtime.getExecutionHistory({ executionArn: arn }));
    expect(history).not.toContain(taskToken);
    expect(history).toContain('TaskSubmitted');
  });
});
