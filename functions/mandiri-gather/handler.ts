/**
 * MandiriGather: at the cut-off (EventBridge Scheduler, the MANDIRI_CUTOFF_DAY at 00:00 WIB; locally
 * local/scheduler.ts or `dtks mandiri gather`), the self-registrations of each regency and period become
 * ONE proposal file, mandiri/<regency>/<period>/pendaftaran-mandiri-<period>.csv, which the intake rule
 * takes into the proposal workflow as a MANDIRI proposal like any upload. Each registration is then
 * marked with that proposal's id, so its receipt lookup follows the proposal.
 *
 * A family that registered again in the month (a corrected form) is gathered once, from its latest
 * registration: a registration any of whose NIKs a later one names is left out and marked superseded, so
 * the file holds no NIK twice (DUPLICATE_NIK would return both) and its receipt lookup says so.
 *
 * Idempotent: the file is written only if absent (If-None-Match: *), and the proposal id comes from the
 * object (bucket, key, version) as Ingest derives it, so a rerun writes nothing and marks, with the same
 * id, the registrations the file holds that a crashed run had not marked yet.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readProposal } from '#core/proposal-reader.ts';
import { gatheringPeriod, mandiriFileName, mandiriProposalCsv } from '#core/registration.ts';
import { documents, s3 } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { KEYS, MANDIRI_GATHER_INPUT, type MandiriGathered, type MandiriGatherOutput } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { officialRegencies } from '#shared/regencies.ts';
import { type RegistrationRecord, RegistrationsRepository } from '#shared/registrations-repository.ts';
import { openObject } from '#shared/staging.ts';
import { proposalIdFor } from '#shared/uploads.ts';

const config = readConfig(['registrationsTable', 'proposalsBucket', 'mandiriCutoffDay']);
const registrations = new RegistrationsRepository(documents, config.registrationsTable);

export const handler = lambda(MANDIRI_GATHER_INPUT, async (input): Promise<MandiriGatherOutput> => {
  const period = input.period ?? gatheringPeriod(new Date(), config.mandiriCutoffDay);
  const gathered: MandiriGathered[] = [];
  for (const regency of input.regency ? [input.regency] : officialRegencies()) {
    const result = await gatherRegency(regency, period);
    if (result) gathered.push(result);
  }
  logger.info('Registrations gathered', { period, regencies: gathered.length });
  return { period, gathered };
});

async function gatherRegency(regency: string, period: string): Promise<MandiriGathered | undefined> {
  const found: RegistrationRecord[] = [];
  for await (const registration of registrations.listForGathering(regency, period)) found.push(registration);
  if (found.length === 0) return undefined;
  const bucket = config.proposalsBucket;
  const key = KEYS.upload('MANDIRI', regency, period, mandiriFileName(period));
  const { standing, superseded } = latestRegistrations(found);
  const body = mandiriProposalCsv(standing.flatMap((registration) => registration.members));
  let version = await writeIfAbsent(bucket, key, body);
  const written = version !== undefined;
  let included = standing;
  if (version === undefined) {
    // An earlier run wrote the file: its version names the proposal, its rows the registrations it holds.
    version = await currentVersion(bucket, key);
    included = await registrationsIn(bucket, key, version, standing);
  }
  const proposalId = proposalIdFor({ bucket, key, version }, { regency, period });
  const at = new Date().toISOString();
  for (const registration of included) {
    if (registration.proposalId === undefined) await registrations.markGathered(registration.receipt, proposalId, at);
  }
  for (const registration of superseded) {
    if (!registration.superseded) await registrations.markSuperseded(registration.receipt, at);
  }
  logger.info('Regency gathered', { regency, period, proposalId, registrations: included.length, written });
  return {
    regency,
    key,
    proposalId,
    registrations: included.length,
    rows: included.reduce((sum, registration) => sum + registration.members.length, 0),
    written,
  };
}

/** Oldest first (the gathering index's order): a registration stands unless a later one names one of its NIKs. */
function latestRegistrations(found: readonly RegistrationRecord[]) {
  const latest = new Map<string, string>();
  for (const registration of found)
    for (const member of registration.members) latest.set(member.nik, registration.receipt);
  const standing: RegistrationRecord[] = [];
  const superseded: RegistrationRecord[] = [];
  for (const registration of found) {
    const stands = registration.members.every((member) => latest.get(member.nik) === registration.receipt);
    (stands ? standing : superseded).push(registration);
  }
  return { standing, superseded };
}

/** PutObject if the key is free: the new version (or ETag), or undefined when an object is there already. */
async function writeIfAbsent(bucket: string, key: string, body: string): Promise<string | undefined> {
  try {
    const answer = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'text/csv; charset=utf-8',
        IfNoneMatch: '*',
      }),
    );
    return answer.VersionId ?? answer.ETag ?? '';
  } catch (error) {
    const name = (error as Error).name;
    // 412: the object exists. 409 ConditionalRequestConflict: another write of it is in flight; the next run marks.
    if (
      name === 'PreconditionFailed' ||
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412
    ) {
      return undefined;
    }
    throw error;
  }
}

async function currentVersion(bucket: string, key: string): Promise<string> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return head.VersionId ?? head.ETag ?? '';
}

/** The registrations whose every member is a row of the file as written. */
async function registrationsIn(
  bucket: string,
  key: string,
  version: string,
  found: readonly RegistrationRecord[],
): Promise<RegistrationRecord[]> {
  const body = await openObject(s3, bucket, key, { versionId: version });
  if (!body) return [];
  const niks = new Set<string>();
  for await (const rows of readProposal(body)) for (const row of rows) niks.add(row.nik);
  return found.filter((registration) => registration.members.every((member) => niks.has(member.nik)));
}
