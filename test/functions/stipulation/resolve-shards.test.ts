/**
 * Resolve by NIK shard (ResolvePlan → one stipulation-resolve per shard → ResolveSummary) against the test
 * AWS: whatever the shard count, the change set, each proposal's counts and return report and the change set
 * summary are what one pass over the proposals in approval order gives (ConflictResolver and ExclusionList
 * over every row, as Resolve ran before it was sharded), and a rerun writes the same.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposalRow } from '#core/proposal.ts';
import { createReportWriter } from '#core/report.ts';
import { ConflictResolver, changeFromRow, ExclusionList, shardOf } from '#core/stipulation.ts';
import { type ChangeSetShard, type CollectOutput, KEYS } from '#shared/contracts.ts';
import { ProposalsRepository, type StipulationCounts } from '#shared/proposals-repository.ts';
import { type StipulationReturn, stipulationReturnLines } from '#shared/return-report.ts';
import { rowsOfShard } from '../../../functions/stipulation-resolve/shard-rows.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { provinceApprovedProposal } from '../../support/proposals.ts';
import { RESOLVE_FUNCTIONS, resolvePeriod } from '../../support/resolve.ts';
import { proposalRow } from '../../support/rows.ts';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
type Exclusion = { kind: 'NIK' | 'KK'; id: string; reason: string };

const PERIOD = '2026-11';
const handlers: Record<string, Handler> = {};
let aws: TestAws;

async function invoke<T>(name: string, event: unknown): Promise<T> {
  const handler = handlers[name];
  if (!handler) throw new Error(`no handler ${name}`);
  return (await handler(event, lambdaContext(`dtks-${name}`))) as T;
}

const nik = (n: number) => `33710101${String(n).padStart(8, '0')}`;
const kk = (n: number) => `33710101${String(900_000 + n).padStart(8, '0')}`;

/**
 * Six proposals, approved in an order other than their ids': each claims persons an earlier one claims too
 * (conflicts), two exclude a person or a family, and the rows fall in two regencies.
 */
const PROPOSALS: { proposalId: string; approvedAt: string; rows: ProposalRow[]; exclusions: Exclusion[] }[] = [
  0, 1, 2, 3, 4, 5,
].map((p) => {
  const rows = Array.from({ length: 40 }, (_, i) => {
    const person = p * 25 + i; // 15 persons shared with the next proposal
    return proposalRow({
      line: i + 1,
      aksi: i % 9 === 0 ? 'UBAH' : 'TAMBAH',
      nik: nik(person),
      noKk: kk(Math.floor(person / 4)),
      nama: `Warga ${person}`,
      kodeDesa: person % 3 === 0 ? '33.72.01.1001' : '33.71.01.1001',
    });
  });
  const exclusions: Exclusion[] =
    p === 2
      ? [{ kind: 'NIK', id: nik(p * 25 + 30), reason: 'Sudah meninggal' }]
      : p === 4
        ? [{ kind: 'KK', id: kk(Math.floor((p * 25 + 35) / 4)), reason: 'Keluarga sudah mampu' }]
        : [];
  // Approval order 3, 0, 5, 1, 4, 2: the ids sort otherwise.
  const approvedAt = `2026-11-${String(10 + [1, 3, 5, 0, 4, 2][p]!).padStart(2, '0')}T01:00:00.000Z`;
  return { proposalId: `3371-2026-11-prop${p}00000000000`.slice(0, 26), approvedAt, rows, exclusions };
});

/** One pass over every row in approval order: Resolve as it ran before it was sharded. */
function oneWholePass() {
  const ordered = [...PROPOSALS].sort((a, b) => a.approvedAt.localeCompare(b.approvedAt));
  const resolver = new ConflictResolver();
  const changes: string[] = [];
  const perProposal: Record<
    string,
    { counts: { changes: number; conflicts: number; excluded: number }; report?: string }
  > = {};
  for (const proposal of ordered) {
    const exclusions = new ExclusionList(proposal.exclusions);
    const counts = { changes: 0, conflicts: 0, excluded: 0 };
    const returned: StipulationReturn[] = [];
    for (const row of proposal.rows) {
      const change = changeFromRow(row, proposal.proposalId, PERIOD, 'MUSDES');
      const verdict = resolver.admit(change, exclusions.match(row));
      if (verdict.admitted) {
        counts.changes++;
        changes.push(JSON.stringify(change));
      } else if (verdict.because === 'CONFLICT') {
        counts.conflicts++;
        returned.push({ row, because: 'CONFLICT', winner: verdict.winner, period: PERIOD });
      } else {
        counts.excluded++;
        returned.push({ row, because: 'EXCLUDED', exclusion: verdict.exclusion });
      }
    }
    perProposal[proposal.proposalId] = {
      counts,
      ...(returned.length
        ? { report: createReportWriter('id').header() + stipulationReturnLines(returned, 'id') }
        : {}),
    };
  }
  return { ordered, changes: changes.sort(), perProposal };
}

async function text(key: string): Promise<string> {
  const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

async function exists(key: string): Promise<boolean> {
  const listed = await aws.clients.s3.send(
    new ListObjectsV2Command({ Bucket: aws.names.buckets.proposals, Prefix: key, MaxKeys: 1 }),
  );
  return (listed.KeyCount ?? 0) > 0;
}

const sortedLines = (ndjson: string) => ndjson.split('\n').filter(Boolean).sort();

/** What a resolution left: the change set, the shards' files, each proposal's counts and report, the summary. */
async function resolution(shards: number) {
  const collected = await invoke<CollectOutput>('stipulation-collect', { period: PERIOD });
  const resolved = await resolvePeriod(invoke, collected, shards);
  const shardList = JSON.parse(await text(resolved.shardsKey)) as ChangeSetShard[];
  const shardLines: string[] = [];
  for (const { shard, changeSetKey } of shardList) {
    const lines = sortedLines(await text(changeSetKey));
    expect(lines.every((line) => shardOf((JSON.parse(line) as { nik: string }).nik, shards) === shard)).toBe(true);
    shardLines.push(...lines);
  }
  const repository = new ProposalsRepository(aws.clients.documents, aws.names.tables.proposals);
  const perProposal: Record<string, { counts: object; report?: string }> = {};
  for (const { proposalId } of PROPOSALS) {
    const { stipulation } = await repository.require(proposalId);
    if (!stipulation) throw new Error(`no stipulation counts on ${proposalId}`);
    // The report's key is kept beside the counts (StipulationCounts does not declare it).
    const { reportKey, period, ...counts } = stipulation as StipulationCounts & { reportKey?: string };
    expect(period).toBe(PERIOD);
    perProposal[proposalId] = { counts, ...(reportKey ? { report: await text(reportKey) } : {}) };
  }
  return {
    output: { changes: resolved.changes, returnedRows: resolved.returnedRows },
    shardLines: shardLines.sort(),
    shardsWithChanges: shardList.length,
    shardChanges: shardList.reduce((sum, { changes }) => sum + changes, 0),
    perProposal,
    summary: JSON.parse(await text(KEYS.changeSetSummary(PERIOD))) as object,
  };
}

beforeAll(async () => {
  aws = await startTestAws();
  for (const name of ['await-stipulation', 'stipulation-collect', ...RESOLVE_FUNCTIONS]) {
    handlers[name] = ((await import(`../../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  }
  for (const proposal of PROPOSALS) {
    await provinceApprovedProposal(aws, { ...proposal, period: PERIOD });
    await invoke('await-stipulation', { proposalId: proposal.proposalId, taskToken: `token-${proposal.proposalId}` });
  }
});

afterAll(async () => {
  await aws?.stop();
});

describe('Resolve by NIK shard', () => {
  const whole = oneWholePass();
  const results = new Map<number, Awaited<ReturnType<typeof resolution>>>();

  it.each([1, 4, 16])('gives with %i shards what one pass over every proposal gives', async (shards) => {
    const result = await resolution(shards);
    results.set(shards, result);
    // The shards' change sets together are the period's change set: no joined copy is written.
    expect(result.shardLines).toEqual(whole.changes);
    expect(await exists(KEYS.changeSet(PERIOD))).toBe(false);
    expect(result.shardChanges).toBe(whole.changes.length);
    expect(result.output).toEqual({
      changes: whole.changes.length,
      returnedRows: Object.values(whole.perProposal).reduce(
        (sum, { counts }) => sum + counts.conflicts + counts.excluded,
        0,
      ),
    });
    expect(result.perProposal).toEqual(whole.perProposal);
    expect(result.summary).toEqual({
      period: PERIOD,
      proposals: whole.ordered.map(({ proposalId }) => ({ proposalId, regency: '3371' })),
      changes: whole.changes.length,
      returnedRows: result.output.returnedRows,
      regencies: ['3371', '3372'],
    });
  });

  it('found conflicts and both kinds of exclusion, in more than one shard', () => {
    const counts = Object.values(whole.perProposal).map(({ counts }) => counts);
    // 5 × 15 persons claimed again, less those an exclusion removes first.
    expect(counts.reduce((sum, { conflicts }) => sum + conflicts, 0)).toBeGreaterThan(60);
    expect(counts.reduce((sum, { excluded }) => sum + excluded, 0)).toBeGreaterThanOrEqual(2);
    expect(results.get(16)?.shardsWithChanges).toBeGreaterThan(8);
  });

  it('writes the same on a rerun of the period', async () => {
    const rerun = await resolution(4);
    expect(rerun).toEqual(results.get(4));
  });

  it('fails the summary when a shard left no summary, rather than drop its persons', async () => {
    const bucket = aws.names.buckets.proposals;
    await aws.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: KEYS.resolutionShardSummary(PERIOD, 2) }));
    const planKey = KEYS.resolutionPlan(PERIOD);
    await expect(invoke('stipulation-resolve-summary', { period: PERIOD, shards: 4, planKey })).rejects.toMatchObject({
      name: 'ResolutionShardMissingError',
    });
  });
});

describe('rowsOfShard', () => {
  const rows = [proposalRow({ line: 1, nik: nik(1) }), proposalRow({ line: 2, nik: nik(2), alasan: 'x"nik":"0' })];
  const ndjson = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n\n  \n${JSON.stringify({ ...rows[0], line: 3, nik: 'ÿ\\"x' })}`;

  async function* chunks(size: number): AsyncGenerator<Uint8Array> {
    const bytes = Buffer.from(ndjson);
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }

  it.each([3, 64, 100_000])(
    'keeps the rows of its shard only, in order, whatever the chunks (%i bytes)',
    async (size) => {
      const shards = 4;
      const seen: ProposalRow[] = [];
      for (let shard = 0; shard < shards; shard++) {
        for await (const batch of rowsOfShard(chunks(size), shard, shards)) {
          expect(batch.every((row) => shardOf(row.nik, shards) === shard)).toBe(true);
          seen.push(...batch);
        }
      }
      // The blank lines are skipped; the line whose NIK is escaped and not ASCII is parsed whole.
      expect(seen.map(({ line }) => line).sort()).toEqual([1, 2, 3]);
      // A field before the NIK holding the text "nik":" (escaped in the line) does not mislead the scan.
      expect(seen.find(({ line }) => line === 2)?.alasan).toBe('x"nik":"0');
    },
  );
});
