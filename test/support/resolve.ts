/**
 * Resolve as the stipulation workflow runs it (PlanResolution → the ResolveShards Map → SummariseResolution),
 * for the tests that invoke the handlers themselves: the plan, each shard in turn, then the summary.
 */
import type { CollectOutput, ResolveOutput, ResolvePlanOutput, ResolveShardOutput } from '#shared/contracts.ts';

export type Invoke = <T>(name: string, event: unknown) => Promise<T>;

/** Resolves the collected period with the plan's shard count, or `shards` when given (the results are the same). */
export async function resolvePeriod(
  invoke: Invoke,
  collected: Pick<CollectOutput, 'period' | 'proposalsKey'>,
  shards?: number,
): Promise<ResolveOutput & { shardOutputs: ResolveShardOutput[] }> {
  const { period, proposalsKey } = collected;
  const plan = await invoke<ResolvePlanOutput>('stipulation-resolve-plan', { period, proposalsKey });
  const count = shards ?? plan.shards;
  const shardOutputs: ResolveShardOutput[] = [];
  for (let shard = 0; shard < count; shard++) {
    shardOutputs.push(
      await invoke<ResolveShardOutput>('stipulation-resolve', { period, shard, shards: count, planKey: plan.planKey }),
    );
  }
  const resolved = await invoke<ResolveOutput>('stipulation-resolve-summary', {
    period,
    shards: count,
    planKey: plan.planKey,
  });
  return { ...resolved, shardOutputs };
}

/** The handlers resolvePeriod invokes. */
export const RESOLVE_FUNCTIONS = ['stipulation-resolve-plan', 'stipulation-resolve', 'stipulation-resolve-summary'];
