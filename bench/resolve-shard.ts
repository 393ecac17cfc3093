/**
 * npx tsx bench/resolve-shard.ts [proposals] [rows] [shards]      (default 100 1000 64)
 *
 * One ResolveShards child (functions/stipulation-resolve) on `proposals` proposals of `rows` accepted rows
 * each (2% of each proposal's persons claimed by an earlier proposal too), with `shards` shards:
 *  1. the child's own CPU, without I/O (the bodies in memory, in S3-sized chunks of 64 KiB): the scan that
 *     keeps one shard's lines (rowsOfShard) against parsing every line, and the resolve of every row with one
 *     shard (parse, ConflictResolver, the change serialised). Prints rows scanned per CPU-second and changes
 *     resolved per CPU-second, the two rates of a child's time: rows / scanned + rows / shards / resolved.
 *  2. the production handler for shard 0 on the local emulators (in this process, so its CPU includes the
 *     local S3's): wall time and CPU.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ProposalRow } from '#core/proposal.ts';
import { ConflictResolver, changeFromRow, shardOf } from '#core/stipulation.ts';
import { startEmulators } from '#local/emulators.ts';
import { lambdaContext } from '#local/functions.ts';
import { LOCAL_RESOURCES, localEnvironmentVariables, provisionLocal } from '#local/provision.ts';
import { KEYS, type ResolutionPlan } from '#shared/contracts.ts';
import { readNdjson } from '#shared/staging.ts';
import { rowsOfShard } from '../functions/stipulation-resolve/shard-rows.ts';
import { syntheticPerson } from './synthetic-person.ts';

const PERIOD = '2026-11';
const proposals = Number(process.argv[2] ?? 100);
const rowsEach = Number(process.argv[3] ?? 1000);
const shards = Number(process.argv[4] ?? 64);
for (const [name, value] of Object.entries({ proposals, rowsEach, shards })) {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer: ${value}`);
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

function row(line: number, person: number): ProposalRow {
  return {
    line,
    aksi: 'TAMBAH',
    alasan: '',
    ...syntheticPerson(person, '337101'),
    rt: '001',
    rw: '002',
    kodeDesa: '3371011001',
    pekerjaan: 'Pedagang',
    penghasilanBulanan: '1500000',
    desil: String((person % 9) + 1),
  };
}

const proposalIds = Array.from({ length: proposals }, (_, p) => `3371-${PERIOD}-bench${String(p).padStart(6, '0')}`);
const bodies = proposalIds.map((_, p) => {
  const lines: string[] = [];
  for (let i = 0; i < rowsEach; i++) {
    // Every 50th row claims a person of the proposal before: 2% conflicts.
    const person = p > 0 && i % 50 === 0 ? (p - 1) * rowsEach + i + 1 : p * rowsEach + i;
    lines.push(JSON.stringify(row(i + 2, person)));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
});
const totalRows = proposals * rowsEach;
const megabytes = bodies.reduce((sum, body) => sum + body.length, 0) / 1024 / 1024;

async function* chunked(body: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += 65_536) yield body.subarray(i, i + 65_536);
}

/** CPU seconds (user + system) of `work`, the best of three runs. */
async function cpuSeconds(work: () => Promise<number>): Promise<{ seconds: number; result: number }> {
  let best = Number.POSITIVE_INFINITY;
  let result = 0;
  for (let run = 0; run < 3; run++) {
    const before = process.cpuUsage();
    result = await work();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  return { seconds: best, result };
}

const scan = await cpuSeconds(async () => {
  let kept = 0;
  for (const body of bodies) for await (const batch of rowsOfShard(chunked(body), 0, shards)) kept += batch.length;
  return kept;
});
const parseAll = await cpuSeconds(async () => {
  let kept = 0;
  for (const body of bodies) {
    for await (const batch of readNdjson<ProposalRow>(chunked(body))) {
      for (const parsed of batch) if (shardOf(parsed.nik, shards) === 0) kept++;
    }
  }
  return kept;
});
const resolveAll = await cpuSeconds(async () => {
  const resolver = new ConflictResolver();
  let admitted = 0;
  let bytes = 0;
  for (const [p, body] of bodies.entries()) {
    const proposalId = proposalIds[p] as string;
    for await (const batch of rowsOfShard(chunked(body), 0, 1)) {
      for (const parsed of batch) {
        const change = changeFromRow(parsed, proposalId, PERIOD, 'MUSDES');
        if (resolver.admit(change).admitted) {
          admitted++;
          bytes += JSON.stringify(change).length;
        }
      }
    }
  }
  return bytes && admitted;
});

const rate = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en');
console.log(
  `node ${process.version}: ${proposals} proposals × ${rowsEach.toLocaleString('en')} rows ` +
    `(${totalRows.toLocaleString('en')} rows, ${megabytes.toFixed(0)} MB), ${shards} shards`,
);
console.log(
  `scan, shard 0 kept ${scan.result.toLocaleString('en')} rows: ${scan.seconds.toFixed(3)} CPU-s, ` +
    `${rate(totalRows, scan.seconds)} rows scanned/CPU-s (parsing every line instead: ${parseAll.seconds.toFixed(3)} CPU-s, ` +
    `${rate(totalRows, parseAll.seconds)} rows/CPU-s)`,
);
console.log(
  `resolve every row (1 shard): ${resolveAll.result.toLocaleString('en')} changes in ${resolveAll.seconds.toFixed(3)} CPU-s, ` +
    `${rate(resolveAll.result, resolveAll.seconds)} changes resolved/CPU-s (scan included)`,
);

const emulators = await startEmulators();
try {
  const endpoints = { dynamoEndpoint: emulators.dynamoEndpoint, s3Endpoint: emulators.s3Endpoint };
  await provisionLocal(endpoints, LOCAL_RESOURCES);
  Object.assign(process.env, localEnvironmentVariables(endpoints, LOCAL_RESOURCES));
  const { s3 } = await import('#shared/clients.ts');
  const { handler } = await import('../functions/stipulation-resolve/handler.ts');
  const bucket = LOCAL_RESOURCES.buckets.proposals;
  for (const [p, body] of bodies.entries()) {
    const Key = KEYS.acceptedRows(proposalIds[p] as string);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body }));
  }
  const plan: ResolutionPlan = {
    period: PERIOD,
    proposals: proposalIds.map((proposalId) => ({ proposalId, regency: '3371', source: 'MUSDES', exclusions: [] })),
  };
  const planKey = KEYS.resolutionPlan(PERIOD);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: planKey, Body: JSON.stringify(plan) }));
  const context = lambdaContext('dtks-bench', { logStreamName: 'bench' });
  const wall = performance.now();
  const before = process.cpuUsage();
  const output = (await handler({ period: PERIOD, shard: 0, shards, planKey }, context)) as { changes: number };
  const used = process.cpuUsage(before);
  const seconds = (performance.now() - wall) / 1000;
  console.log(
    `handler, shard 0 on the local emulators: ${output.changes.toLocaleString('en')} changes of ` +
      `${totalRows.toLocaleString('en')} rows in ${seconds.toFixed(2)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} CPU-s ` +
      `(the local S3 included): ${rate(totalRows, seconds)} rows scanned/s`,
  );
} finally {
  await emulators.stop();
}
