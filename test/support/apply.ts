/**
 * Apply as the stipulation workflow runs it (TakeMasterWriteLease → the ApplyShards Map, each child looping
 * its shard's slices → ReleaseMasterWriteLease), for the tests that invoke the handlers themselves: the
 * shards of SummariseResolution's list, each in turn, slice after slice, under one execution's lease.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ApplyOutput, ChangeSetShard } from '#shared/contracts.ts';
import { readJson } from '#shared/staging.ts';
import type { Invoke } from './resolve.ts';

/** The records written and the slices run; `executionId` holds the lease meanwhile. */
export async function applyPeriod(
  invoke: Invoke,
  storage: { s3: S3Client; bucket: string },
  { period, shardsKey }: { period: string; shardsKey: string },
  executionId = `arn:aws:states:ap-southeast-3:000000000000:execution:stipulation:test-${period}`,
): Promise<{ applied: number; slices: number }> {
  const shards = (await readJson<ChangeSetShard[]>(storage.s3, storage.bucket, shardsKey)) ?? [];
  let applied = 0;
  let slices = 0;
  if (!shards.length) return { applied, slices };
  await invoke('stipulation-master-lease', { action: 'TAKE', period, executionId });
  for (const { shard, changeSetKey } of shards) {
    let slice: Pick<ApplyOutput, 'offset' | 'done'> = { offset: 0, done: false };
    while (!slice.done) {
      const output = await invoke<ApplyOutput>('stipulation-apply', {
        period,
        executionId,
        shard,
        changeSetKey,
        offset: slice.offset,
      });
      slice = output;
      applied += output.applied;
      slices++;
    }
  }
  await invoke('stipulation-master-lease', { action: 'RELEASE', period, executionId });
  return { applied, slices };
}

/** The handlers applyPeriod invokes. */
export const APPLY_FUNCTIONS = ['stipulation-master-lease', 'stipulation-apply'];
