/**
 * StipulationGuard (issue 11): before the month's change set is applied, it is compared with the DTKS
 * master as it stands, and a month that deactivates far more people than usual waits for the ministry.
 * Three steps of the stipulation workflow, one function (GUARD_INPUT):
 *
 *  - COMPARE_SHARD (a child of the CompareShards distributed Map, one per NIK shard with changes) streams
 *    the shard's change set, reads each changed person's record (BatchGetItem, as Apply does), counts per
 *    regency what the merge rule will write (core/guard.ts GuardTally) and writes the counts to S3
 *    (KEYS.guardShardTally, counts only, no NIK).
 *  - COMPARE (CompareChangesWithMaster) merges the tallies of the shards in KEYS.shardList, takes each
 *    touched regency's active persons from the manifest of the period stipulated before (its records per
 *    regency: the master as that stipulation left it, since only stipulations write the master, under
 *    the write lease), asking the byRegency index (a COUNT query) only for a regency no such manifest
 *    names, and writes the diff report (KEYS.guardReport). Its verdict says whether a sign-off is
 *    required: a regency over GUARD_REGENCY_SHARE of its active persons, or the country over
 *    GUARD_NATIONAL_DEACTIVATIONS.
 *  - REQUEST_SIGN_OFF runs as lambda:invoke.waitForTaskToken: it stores the token with the verdict and the
 *    report's SHA-256 read back from S3 (what the ministry will answer), never logs it, and returns.
 *  - VERIFY_SIGN_OFF runs after the wait. The task output is only a claim (whoever holds the token can
 *    send anything): it answers with the sign-off the approvals API recorded for THIS run and this
 *    report, or fails with SignOffNotRecordedError, and the run applies nothing.
 */
import { createHash } from 'node:crypto';
import {
  describeBreach,
  effectOf,
  evaluateGuard,
  GuardTally,
  type GuardThresholds,
  type RegencyDiff,
} from '#core/guard.ts';
import type { StipulationChange } from '#core/stipulation.ts';
import { documents, s3 } from '#shared/clients.ts';
import { forEachConcurrently } from '#shared/concurrency.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ChangeSetShard,
  GUARD_INPUT,
  type GuardInput,
  type GuardSignOff,
  type GuardVerdictSummary,
  KEYS,
  MAX_GUARD_BREACHES_SHOWN,
} from '#shared/contracts.ts';
import { SignOffNotRecordedError, StagedRowsMissingError, ValidationError } from '#shared/errors.ts';
import { GuardRepository } from '#shared/guard-repository.ts';
import { logger } from '#shared/logger.ts';
import { DynamoDtksMaster } from '#shared/master-repository.ts';
import { lambda } from '#shared/middleware.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { previousRecordedManifest } from '#shared/previous-manifest.ts';
import { openObject, putText, readJson, readNdjson } from '#shared/staging.ts';

const config = readConfig([
  'masterTable',
  'proposalsTable',
  'proposalsBucket',
  'exportsBucket',
  'guardRegencyShare',
  'guardNationalDeactivations',
]);
const master = new DynamoDtksMaster(documents, config.masterTable);
const guard = new GuardRepository(documents, config.proposalsTable);
const periods = new PeriodsRepository(documents, config.proposalsTable);
const thresholds: GuardThresholds = {
  regencyShare: config.guardRegencyShare,
  nationalDeactivations: config.guardNationalDeactivations,
};

/** Changes read at once: ten BatchGetItems of 100 keys, eight in flight (batch-writer.ts batchGet). */
const READ_BATCH = 1000;
const COUNT_CONCURRENCY = 16;
/** Tally objects read at once by the summary: 64 shards in a few round trips. */
const TALLY_READS = 16;
/** What the sign-off binds, compared with the task output field by field. */
const SIGN_OFF_FIELDS = ['decision', 'period', 'executionId', 'decidedBy', 'decidedAt', 'reportSha256'] as const;

type CompareShard = Extract<GuardInput, { action: 'COMPARE_SHARD' }>;
type Compare = Extract<GuardInput, { action: 'COMPARE' }>;
type Request = Extract<GuardInput, { action: 'REQUEST_SIGN_OFF' }>;
type Verify = Extract<GuardInput, { action: 'VERIFY_SIGN_OFF' }>;

export const handler = lambda(GUARD_INPUT, async (input) => {
  logger.appendKeys({ period: input.period, guardStep: input.action });
  if (input.action === 'COMPARE_SHARD') return compareShard(input);
  if (input.action === 'COMPARE') return compare(input);
  if (input.action === 'REQUEST_SIGN_OFF') return request(input);
  return verify(input);
});

async function compareShard(input: CompareShard): Promise<{ shard: number; compared: number; regencies: number }> {
  const { period, executionId, shard, changeSetKey } = input;
  // Only shards with changes are items of the Map: a missing change set is lost, not empty.
  const body = await openObject(s3, config.proposalsBucket, changeSetKey);
  if (!body) throw new StagedRowsMissingError(`shard ${shard} penetapan ${period}`);
  const tally = new GuardTally();
  let compared = 0;
  for await (const changes of readNdjson<StipulationChange>(body, READ_BATCH)) {
    for (const change of changes) {
      if (change.period !== period)
        throw new ValidationError(`Perubahan periode ${change.period} dalam penetapan ${period}`);
    }
    const existing = await master.getRecords(changes.map((change) => change.nik));
    for (const change of changes) tally.add(effectOf(existing.get(change.nik), change));
    compared += changes.length;
  }
  const counts = tally.counts();
  await putText(
    s3,
    config.proposalsBucket,
    KEYS.guardShardTally(period, executionNameOf(executionId), shard),
    JSON.stringify(counts),
    'application/json',
  );
  logger.info('Guard compared a shard with the master', { shard, compared, regencies: counts.length });
  return { shard, compared, regencies: counts.length };
}

async function compare(input: Compare): Promise<GuardVerdictSummary> {
  const { period, executionId, shardsKey } = input;
  const shards = await readJson<ChangeSetShard[]>(s3, config.proposalsBucket, shardsKey);
  if (!shards) throw new StagedRowsMissingError(`daftar shard penetapan ${period}`);
  const tally = new GuardTally();
  await forEachConcurrently(shards, TALLY_READS, async ({ shard }) => {
    const key = KEYS.guardShardTally(period, executionNameOf(executionId), shard);
    const counts = await readJson<RegencyDiff[]>(s3, config.proposalsBucket, key);
    // A shard the Map did not compare in this run must not pass as a shard without effect.
    if (!counts) throw new StagedRowsMissingError(`penjagaan shard ${shard} penetapan ${period}`);
    tally.merge(counts);
  });
  const active = await activeBefore(period, tally.regencies());
  const regencies = tally.diffsWith(active);
  const verdict = evaluateGuard(regencies, thresholds);
  const described = verdict.breaches.map(describeBreach);
  const reportKey = KEYS.guardReport(period, executionNameOf(executionId));
  const report = {
    period,
    executionId,
    generatedAt: new Date().toISOString(),
    shardsKey,
    thresholds,
    signOffRequired: verdict.signOffRequired,
    breaches: verdict.breaches.map((breach, i) => ({ ...breach, description: described[i] })),
    totals: verdict.totals,
    regencies,
  };
  const text = `${JSON.stringify(report, null, 2)}\n`;
  await putText(s3, config.proposalsBucket, reportKey, text, 'application/json');
  logger.info('Guard compared the change set with the master', {
    regencies: regencies.length,
    signOffRequired: verdict.signOffRequired,
    breaches: verdict.breaches.length,
    ...verdict.totals,
  });
  return {
    period,
    executionId,
    reportKey,
    reportSha256: sha256(text),
    signOffRequired: verdict.signOffRequired,
    breaches: shown(described),
    totals: verdict.totals,
    thresholds,
  };
}

async function request(input: Request): Promise<{ awaiting: true }> {
  const { period, executionId, reportKey, taskToken } = input;
  // The report as stored now, not as COMPARE said: the ministry answers the report it can read.
  const body = await openObject(s3, config.proposalsBucket, reportKey);
  if (!body) throw new StagedRowsMissingError(`laporan penjagaan penetapan ${period}`);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  const text = Buffer.concat(chunks).toString('utf8');
  const report = JSON.parse(text) as { breaches: { description: string }[] } & Omit<
    GuardVerdictSummary,
    'reportKey' | 'reportSha256' | 'breaches'
  >;
  if (report.executionId !== executionId || report.period !== period) {
    throw new ValidationError(`Laporan penjagaan ${reportKey} bukan milik penetapan ini`);
  }
  await guard.openTask(
    {
      period,
      executionId,
      reportKey,
      reportSha256: sha256(text),
      signOffRequired: report.signOffRequired,
      breaches: shown(report.breaches.map((breach) => breach.description)),
      totals: report.totals,
      thresholds: report.thresholds,
    },
    taskToken,
  );
  // Never the token: it is a bearer credential for the execution.
  logger.info('Guard waits for the ministry sign-off', { reportKey });
  return { awaiting: true };
}

async function verify(input: Verify): Promise<GuardSignOff> {
  const { period, executionId } = input;
  const received = asRecord(input.received);
  const task = await guard.getTask(period);
  const refuse = (problem: string) => {
    // Only what differs is logged: the received output is the sender's, and may carry anything.
    logger.warn('Guard sign-off not recorded', { problem });
    return new SignOffNotRecordedError(period, problem);
  };
  if (!task || task.executionId !== executionId) throw refuse('tidak ada tugas penjagaan untuk penetapan ini');
  const recorded = task.signOff;
  if (!recorded || recorded.executionId !== executionId) {
    throw refuse('tidak ada persetujuan yang tercatat di API persetujuan');
  }
  if (recorded.reportSha256 !== task.verdict.reportSha256) throw refuse('persetujuan untuk laporan yang lain');
  const differing = SIGN_OFF_FIELDS.filter((field) => received[field] !== recorded[field]);
  if (differing.length) throw refuse(`berbeda dengan yang tercatat pada ${differing.join(', ')}`);
  await guard.closeTask(period, executionId);
  logger.info('Guard sign-off verified', { decision: recorded.decision });
  return recorded;
}

/**
 * Each regency's active persons before the month: the records per regency of the latest stipulated
 * period's manifest, a COUNT query of the byRegency index (which reads the regency's whole index) only for
 * a regency no such manifest names, or when no period was stipulated before.
 */
async function activeBefore(period: string, regencies: readonly string[]): Promise<Map<string, number>> {
  // Checked against its period's record: a manifest changed since would feed the guard made-up counts.
  const previous = await previousRecordedManifest(periods, s3, config.exportsBucket, period);
  const byRegency = previous?.manifest.totals.byRegency ?? {};
  const active = new Map<string, number>();
  const counted: string[] = [];
  for (const regency of regencies) {
    const records = byRegency[regency];
    if (records === undefined) counted.push(regency);
    else active.set(regency, records);
  }
  await forEachConcurrently(counted, COUNT_CONCURRENCY, async (regency) => {
    active.set(regency, await master.countActiveInRegency(regency));
  });
  logger.info('Guard took the active persons', {
    fromManifest: regencies.length - counted.length,
    counted: counted.length,
  });
  return active;
}

/** The execution's name: the last part of its ARN (the local runtime's ids are ARNs too). */
function executionNameOf(executionId: string): string {
  return (executionId.split(':').pop() ?? executionId).replace(/[^A-Za-z0-9_.-]/g, '-');
}

function shown(described: readonly string[]): string[] {
  if (described.length <= MAX_GUARD_BREACHES_SHOWN) return [...described];
  const more = described.length - MAX_GUARD_BREACHES_SHOWN;
  return [
    ...described.slice(0, MAX_GUARD_BREACHES_SHOWN),
    `dan ${more.toLocaleString('id-ID')} lainnya (lihat laporan)`,
  ];
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
