/**
 * npx tsx bench/guard.ts [persons]      (default 5000)
 *
 * The stipulation guard (functions/stipulation-guard) on the local emulators (in this process, so the peak
 * RSS includes dynalite's): a master of `persons` active persons in one regency (3371), seeded through the
 * master repository (not measured), and a change set of as many lines split by NIK shard as ResolveShards
 * writes them — 10% deactivations (HAPUS MENINGGAL), 20% updates with a decile change, 70% new persons —
 * compared with the master by the production handler as the workflow runs it: COMPARE_SHARD for every
 * shard at once (the CompareShards Map), then the COMPARE summary. Prints changes/s and the peak RSS. dynalite answers ~10^3
 * BatchGetItem keys/s on these machines, far below DynamoDB; on AWS the compare reads each changed person
 * once (BatchGetItem of 100), as Apply does.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ProposalRow } from '#core/proposal.ts';
import { applyChange, changeFromRow, type StipulationChange, shardOf } from '#core/stipulation.ts';
import { startEmulators } from '#local/emulators.ts';
import { lambdaContext } from '#local/functions.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import { type ChangeSetShard, type GuardVerdictSummary, KEYS } from '#shared/contracts.ts';
import { syntheticPerson } from './synthetic-person.ts';

const PERIOD = '2026-11';
const persons = Number(process.argv[2] ?? 5000);
if (!Number.isInteger(persons) || persons <= 0) throw new Error(`persons must be a positive integer: ${persons}`);

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

function row(i: number, overrides: Partial<ProposalRow> = {}): ProposalRow {
  return {
    line: i + 2,
    aksi: 'TAMBAH',
    alasan: '',
    ...syntheticPerson(i, '337101'),
    rt: '001',
    rw: '002',
    pekerjaan: '',
    penghasilanBulanan: '',
    desil: String((i % 9) + 1),
    ...overrides,
  };
}

const emulators = await startEmulators();
try {
  const endpoints = { dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint };
  await provisionLocal(endpoints, LOCAL_RESOURCES);
  Object.assign(process.env, localEnvironmentVariables(endpoints, LOCAL_RESOURCES));
  const { documents, s3 } = await import('#shared/clients.ts');
  const { DynamoDtksMaster } = await import('#shared/master-repository.ts');
  const { forEachConcurrently } = await import('#shared/concurrency.ts');
  const { handler } = await import('../functions/stipulation-guard/handler.ts');
  const master = new DynamoDtksMaster(documents, LOCAL_RESOURCES.tables.master);

  const seeding = performance.now();
  await forEachConcurrently(
    Array.from({ length: persons }, (_, i) => i),
    32,
    async (i) => {
      const record = applyChange(undefined, changeFromRow(row(i), 'seed', '2026-10'));
      if (record !== 'UNCHANGED') await master.putRecord(record, undefined);
    },
  );
  console.log(
    `node ${process.version}: ${persons.toLocaleString('en')} master persons seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );

  const changes: StipulationChange[] = [];
  for (let i = 0; i < persons; i++) {
    const kind = i % 10;
    const proposed =
      kind === 0
        ? row(i, { aksi: 'HAPUS', alasan: 'MENINGGAL' })
        : kind < 3
          ? row(i, { aksi: 'UBAH', desil: String(((i % 9) + 2) % 10 || 1) })
          : row(persons + i);
    changes.push(changeFromRow(proposed, 'bench', PERIOD));
  }
  const { readConfig } = await import('#shared/config.ts');
  const { stipulationShards } = readConfig(['stipulationShards']);
  const shards: ChangeSetShard[] = [];
  for (let shard = 0; shard < stipulationShards; shard++) {
    const own = changes.filter((change) => shardOf(change.nik, stipulationShards) === shard);
    if (!own.length) continue;
    const changeSetKey = KEYS.changeSetShard(PERIOD, shard);
    await s3.send(
      new PutObjectCommand({
        Bucket: LOCAL_RESOURCES.buckets.proposals,
        Key: changeSetKey,
        Body: own.map((change) => `${JSON.stringify(change)}\n`).join(''),
      }),
    );
    shards.push({ shard, changeSetKey, changes: own.length });
  }
  const shardsKey = KEYS.shardList(PERIOD);
  await s3.send(
    new PutObjectCommand({ Bucket: LOCAL_RESOURCES.buckets.proposals, Key: shardsKey, Body: JSON.stringify(shards) }),
  );
  const context = lambdaContext('dtks-bench', { logStreamName: 'bench' });

  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  await Promise.all(
    shards.map(({ shard, changeSetKey }) =>
      handler({ action: 'COMPARE_SHARD', period: PERIOD, executionId: 'bench', shard, changeSetKey }, context),
    ),
  );
  const verdict = (await handler(
    { action: 'COMPARE', period: PERIOD, executionId: 'bench', shardsKey },
    context,
  )) as GuardVerdictSummary;
  const ms = performance.now() - started;
  clearInterval(timer);
  console.log(
    `compare: ${persons.toLocaleString('en')} changes in ${(ms / 1000).toFixed(1)} s: ` +
      `${Math.round(persons / (ms / 1000)).toLocaleString('en')} changes/s, peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB ` +
      '(this process, dynalite and the local S3 included)',
  );
  console.log(`verdict: signOffRequired ${verdict.signOffRequired}; ${verdict.breaches.join('; ')}`);
  console.log(`totals: ${JSON.stringify(verdict.totals)}`);
} finally {
  await emulators.stop();
}
