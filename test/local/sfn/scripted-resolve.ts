/**
 * Resolve's three functions scripted for the stipulation ASL on the local runtime: the plan writes the
 * ResolveShards Map's items (one per shard) to the runtime's S3, each shard reports its changes, and the
 * summary writes the list of the shards with changes (the Compare and Apply Maps' items).
 */
import { KEYS } from '#shared/contracts.ts';
import type { Handler, memoryObjects } from './harness.ts';

export function scriptedResolve(
  storage: ReturnType<typeof memoryObjects>,
  bucket: string,
  period: string,
  { shards = 4, changes = 3 }: { shards?: number; changes?: number } = {},
): Record<string, Handler> {
  return {
    'dtks-stipulation-resolve-plan': async () => {
      const itemsKey = KEYS.resolutionItems(period);
      const items = Array.from({ length: shards }, (_, shard) => ({ shard }));
      await storage.putObject({ bucket, key: itemsKey, body: JSON.stringify(items), contentType: '' });
      return { period, planKey: KEYS.resolutionPlan(period), itemsKey, shards, proposalCount: 2 };
    },
    // All the changes in shard 0.
    'dtks-stipulation-resolve': (payload) => {
      const { shard } = payload as { shard: number };
      return { period, shard, changes: shard === 0 ? changes : 0, returnedRows: 0 };
    },
    'dtks-stipulation-resolve-summary': async () => {
      const shardsKey = KEYS.shardList(period);
      const withChanges = changes ? [{ shard: 0, changeSetKey: KEYS.changeSetShard(period, 0), changes }] : [];
      await storage.putObject({ bucket, key: shardsKey, body: JSON.stringify(withChanges), contentType: '' });
      return { period, changes, returnedRows: 0, shardsKey };
    },
  };
}
