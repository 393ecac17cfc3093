/**
 * Typed errors of the handlers. `name` is stable: Lambda reports it as the errorType that the state
 * machines' Retry/Catch match (retry TransientError, catch the domain names). Each error also says how
 * the approvals API answers it (`httpStatus`, `apiCode`), so that the API has no table of its own.
 * Messages are written for a Dinas Sosial operator (Bahasa Indonesia).
 */

/**
 * The base of the typed errors. By default an error is the system's, not the caller's: the API answers
 * 500 INTERNAL without its message (`clientMessage` undefined), which may name internals.
 */
export abstract class DtksError extends Error {
  readonly httpStatus: number = 500;
  readonly apiCode: string = 'INTERNAL';
  /** What an API client is told; undefined when the message is for the state machine and the log only. */
  get clientMessage(): string | undefined {
    return this.httpStatus < 500 ? this.message : undefined;
  }
}

/** A required environment variable is missing or invalid: the function cannot start. */
export class ConfigurationError extends DtksError {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: readonly string[]) {
    super(`Konfigurasi fungsi tidak lengkap: ${problems.join('; ')}`);
  }
}

/**
 * A dependency was briefly unavailable (throttling, a 5xx, a dropped connection, unprocessed batch
 * items after retries). The step is safe to run again: every write of the handlers is idempotent.
 */
export class TransientError extends DtksError {
  override readonly name = 'TransientError';
  override readonly httpStatus = 503;
  override readonly apiCode = 'TRY_AGAIN';
  // The message is for the state machine's retry; an approver is told what to do.
  override get clientMessage(): string {
    return 'Layanan sedang sibuk; silakan kirim ulang sebentar lagi (keputusan yang sudah tercatat tidak hilang)';
  }
  constructor(message = 'Layanan sedang sibuk; langkah ini akan diulang otomatis', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ProposalNotFoundError extends DtksError {
  override readonly name = 'ProposalNotFoundError';
  override readonly httpStatus = 404;
  override readonly apiCode = 'NOT_FOUND';
  constructor(readonly proposalId: string) {
    super(`Usulan ${proposalId} tidak ditemukan`);
  }
}

/** The same uploaded object (bucket, key, version) was already received as a proposal. */
export class DuplicateProposalError extends DtksError {
  override readonly name = 'DuplicateProposalError';
  constructor(readonly proposalId: string) {
    super(`Berkas ini sudah diterima sebagai usulan ${proposalId}`);
  }
}

/** The principal may not act on this proposal (another regency/province, or another role). */
export class ForbiddenError extends DtksError {
  override readonly name = 'ForbiddenError';
  override readonly httpStatus = 403;
  override readonly apiCode = 'FORBIDDEN';
}

/** The approval task is no longer open: decided, timed out, or the proposal moved on. */
export class AlreadyDecidedError extends DtksError {
  override readonly name = 'AlreadyDecidedError';
  override readonly httpStatus = 409;
  override readonly apiCode = 'ALREADY_DECIDED';
  constructor(readonly proposalId: string) {
    super(`Usulan ${proposalId} sudah diputuskan atau batas waktunya sudah lewat`);
  }
}

/** A request or payload does not have the expected shape. */
export class ValidationError extends DtksError {
  override readonly name = 'ValidationError';
  override readonly httpStatus = 400;
  override readonly apiCode = 'INVALID_REQUEST';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A status transition that the proposal's current status does not allow: core/lifecycle.ts, with its moves. */
export { StatusConflictError } from '#core/lifecycle.ts';

/** The staged rows of a proposal are missing: ingest did not finish, or staging data was removed. */
export class StagedRowsMissingError extends DtksError {
  override readonly name = 'StagedRowsMissingError';
  constructor(readonly proposalId: string) {
    super(`Data usulan ${proposalId} yang sudah dinormalisasi tidak ditemukan di penyimpanan`);
  }
}

/**
 * A list of proposals a period's item names (functions/shared/proposal-list.ts) is missing, or its bytes or
 * count differ from what the item keeps: it was changed or removed after it was written.
 */
export class ProposalListChangedError extends DtksError {
  override readonly name = 'ProposalListChangedError';
  constructor(key: string, what: string) {
    super(`Daftar usulan periode (${key}) ${what}: penetapan dihentikan; laporkan ke Pusdatin`);
  }
}

/**
 * A regency that ExportRegency reported as exported has no part record in S3 (removed, or written to
 * another bucket): a manifest without it would silently leave the regency's files out of the snapshot.
 */
export class ExportPartMissingError extends DtksError {
  override readonly name = 'ExportPartMissingError';
  constructor(
    readonly period: string,
    readonly regencies: readonly string[],
  ) {
    const shown = regencies.slice(0, 10).join(', ');
    const more = regencies.length > 10 ? ` dan ${regencies.length - 10} lainnya` : '';
    super(
      `Catatan ekspor periode ${period} tidak ditemukan untuk kabupaten/kota ${shown}${more}; ` +
        'manifes tidak ditulis, jalankan ulang penetapan periode ini',
    );
  }
}

/**
 * DeleteObjects could not delete some export files of an earlier run that the new manifest does not list
 * (functions/shared/exports/stray-files.ts): left there, Athena and DuckDB would read their persons twice.
 * The keys name regencies and units only, never a person.
 */
export class StrayExportFilesNotDeletedError extends DtksError {
  override readonly name = 'StrayExportFilesNotDeletedError';
  constructor(
    readonly period: string,
    readonly failures: readonly { key: string; code: string }[],
  ) {
    const shown = failures
      .slice(0, 5)
      .map(({ key, code }) => `${key} (${code})`)
      .join(', ');
    const more = failures.length > 5 ? ` dan ${failures.length - 5} lainnya` : '';
    super(
      `Berkas ekspor lama periode ${period} yang tidak tercantum di manifes tidak dapat dihapus: ${shown}${more}; ` +
        'manifes tidak ditulis, jalankan ulang penetapan periode ini',
    );
  }
}

/**
 * A waiting task of the proposal workflow was answered with an output that the approvals API (or, for
 * the stipulation task, stipulation-release) did not record: no decision on record for the level, or
 * one that differs from the output. Whoever holds a task token can call SendTaskSuccess with anything;
 * the workflow continues only on a recorded decision and fails the proposal with this message otherwise.
 */
export class DecisionNotRecordedError extends DtksError {
  override readonly name = 'DecisionNotRecordedError';
  constructor(
    readonly proposalId: string,
    readonly level: 'REGENCY' | 'PROVINCE' | 'STIPULATION',
    readonly problem: string,
  ) {
    const what =
      level === 'STIPULATION'
        ? 'Hasil penetapan'
        : `Keputusan persetujuan tingkat ${level === 'REGENCY' ? 'kabupaten/kota' : 'provinsi'}`;
    super(
      `${what} yang diterima alur kerja untuk usulan ${proposalId} tidak tercatat (${problem}); ` +
        'usulan dihentikan tanpa diteruskan, unggah ulang berkasnya bila usulan masih berlaku',
    );
  }
}

/**
 * A States.Timeout reached RecordExpired before the approval period of its task was over. Step Functions
 * raises it only when TimeoutSeconds has passed, so an early one was sent with SendTaskFailure by
 * whoever held the token: the proposal fails instead of expiring (and the alarm fires).
 */
export class PrematureExpiryError extends DtksError {
  override readonly name = 'PrematureExpiryError';
  constructor(
    readonly proposalId: string,
    readonly level: 'REGENCY' | 'PROVINCE',
    openedAt: string | undefined,
  ) {
    const where = level === 'REGENCY' ? 'kabupaten/kota' : 'provinsi';
    super(
      `Tugas persetujuan tingkat ${where} untuk usulan ${proposalId} dilaporkan kedaluwarsa sebelum batas waktunya` +
        `${openedAt ? ` (dibuka ${openedAt})` : ' (tidak ada tugas yang tercatat)'}: laporan itu tidak berasal dari ` +
        'Step Functions; usulan dihentikan tanpa diteruskan, unggah ulang berkasnya bila usulan masih berlaku',
    );
  }
}

/**
 * The period was stipulated already (its PERIOD#<period> record exists): a stipulated month is never
 * rewritten, neither its record nor its manifest. Proposals approved since then join the next period.
 */
export class PeriodAlreadyStipulatedError extends DtksError {
  override readonly name = 'PeriodAlreadyStipulatedError';
  constructor(
    readonly period: string,
    readonly recordedAt?: string,
  ) {
    super(
      `Periode ${period} sudah ditetapkan${recordedAt ? ` pada ${recordedAt}` : ''}: penetapan yang sudah ditetapkan ` +
        'tidak diubah; usulan yang disetujui sesudahnya ikut penetapan periode berikutnya',
    );
  }
}

const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'SlowDown',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** True for AWS SDK and network errors that a later retry can cure. */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TransientError) return true;
  const details = error as Error & { code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (TRANSIENT_AWS_ERRORS.has(error.name) || (details.code && TRANSIENT_AWS_ERRORS.has(details.code))) return true;
  if (details.$retryable) return true;
  const status = details.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** The proposal is not yet waiting for this level's decision (still checked, or at an earlier level). */
export class NotAwaitingDecisionError extends DtksError {
  override readonly name = 'NotAwaitingDecisionError';
  override readonly httpStatus = 409;
  override readonly apiCode = 'NOT_AWAITING_DECISION';
  constructor(readonly proposalId: string) {
    super(`Usulan ${proposalId} belum menunggu persetujuan Anda (masih diperiksa atau di tingkat sebelumnya)`);
  }
}

/**
 * Step Functions refused a task answer for good (InvalidOutput, ValidationException, AccessDenied…):
 * sending it again gets the same answer, so it is not a TransientError (which the approvals API would
 * answer with 503 "try again" forever while the task waits). An opaque 500 to clients; the name is logged.
 */
export class TaskAnswerRefusedError extends DtksError {
  override readonly name = 'TaskAnswerRefusedError';
  constructor(
    readonly action: string,
    readonly refusal: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${action} ditolak Step Functions (${refusal}); jawaban tugas ini tidak dapat dikirim ulang apa adanya`,
      options,
    );
  }
}

/**
 * A Step Functions call failed for another reason than a closed task: a TransientError when it may pass,
 * a TaskAnswerRefusedError when it will not. Its message is replaced: an SDK error message may quote the
 * request, and the request carries a task token.
 */
export function taskCallError(action: string, error: unknown): Error {
  const name = (error as Error | undefined)?.name ?? 'Error';
  if (!isTransientAwsError(error)) return new TaskAnswerRefusedError(action, name, { cause: error });
  return new TransientError(`${action} ke Step Functions gagal (${name}); langkah ini akan diulang`, { cause: error });
}

/**
 * The stipulation guard's task was answered with an output the approvals API did not record for this run
 * (no sign-off, one of an earlier run, another report, or fields that differ): whoever holds the token can
 * call SendTaskSuccess with anything, so the run applies nothing and fails with this message.
 */
export class SignOffNotRecordedError extends DtksError {
  override readonly name = 'SignOffNotRecordedError';
  constructor(
    readonly period: string,
    readonly problem: string,
  ) {
    super(
      `Persetujuan Kementerian atas penetapan periode ${period} yang diterima alur kerja tidak tercatat (${problem}); ` +
        'tidak ada perubahan yang diterapkan, jalankan ulang penetapan periode ini untuk meminta persetujuan lagi',
    );
  }
}

/** No stipulation of the period is waiting for the ministry's sign-off (none was held, or it was answered). */
export class SignOffNotAwaitedError extends DtksError {
  override readonly name = 'SignOffNotAwaitedError';
  override readonly httpStatus = 409;
  override readonly apiCode = 'NOT_AWAITING_SIGN_OFF';
  constructor(
    readonly period: string,
    answered?: { decision: string; decidedBy: string; decidedAt: string },
  ) {
    super(
      answered
        ? `Penetapan periode ${period} sudah dijawab (${answered.decision} oleh ${answered.decidedBy} pada ${answered.decidedAt})`
        : `Tidak ada penetapan periode ${period} yang menunggu persetujuan Kementerian`,
    );
  }
}

/**
 * A regency of the quality control's list left no counts in S3 (or the list itself is gone): a summary
 * without it would undercount the period's open findings.
 */
export class QualityControlIncompleteError extends DtksError {
  override readonly name = 'QualityControlIncompleteError';
  constructor(
    readonly period: string,
    readonly regencies: readonly string[],
  ) {
    const shown = regencies.slice(0, 10).join(', ');
    const more = regencies.length > 10 ? ` dan ${regencies.length - 10} lainnya` : '';
    super(
      `${regencies.length ? `Hasil pengendalian kualitas periode ${period} tidak ditemukan untuk kabupaten/kota ${shown}${more}` : `Daftar kabupaten/kota pengendalian kualitas periode ${period} tidak ditemukan`}; ` +
        `jalankan ulang pengendalian kualitas periode ini (dtks quality-control run --period ${period})`,
    );
  }
}

/**
 * Another quality control run of the period holds its run lease (functions/shared/quality-control-runs.ts):
 * this newer one waits (the workflow retries it) instead of screening the same regencies at the same time.
 */
export class QualityControlRunningError extends DtksError {
  override readonly name = 'QualityControlRunningError';
  constructor(readonly period: string) {
    super(
      `Pengendalian kualitas periode ${period} sedang dijalankan oleh run lain; run ini menunggu sampai run itu selesai`,
    );
  }
}

/**
 * The period's stipulation started while a quality control run of it was still going: its files are now the
 * manifest's (their SHA-256 listed), so the run writes no more of them and ends; the stipulation includes the
 * last completed run, or records that the month was not screened.
 */
export class QualityControlClosedError extends DtksError {
  override readonly name = 'QualityControlClosedError';
  constructor(readonly period: string) {
    super(
      `Penetapan periode ${period} sudah dimulai: hasil pengendalian kualitasnya tidak ditulis ulang ` +
        '(berkasnya sudah tercatat di manifes); pengendalian kualitas berikutnya untuk bulan berjalan',
    );
  }
}

/** A tracking task (daftar pelacakan) that does not exist, or that the principal may not see. */
export class TrackingTaskNotFoundError extends DtksError {
  override readonly name = 'TrackingTaskNotFoundError';
  override readonly httpStatus = 404;
  override readonly apiCode = 'NOT_FOUND';
  constructor(readonly id: string) {
    super(`Tugas pelacakan ${id} tidak ditemukan`);
  }
}

/** The tracking task was resolved (the family is no longer found, or was placed) before the answer came. */
export class TrackingTaskClosedError extends DtksError {
  override readonly name = 'TrackingTaskClosedError';
  override readonly httpStatus = 409;
  override readonly apiCode = 'ALREADY_RESOLVED';
  constructor(readonly id: string) {
    super(`Tugas pelacakan ${id} sudah selesai; jawaban tidak dicatat`);
  }
}

/** Something the console asked for that does not exist (a period, a file of its manifest). */
export class NotFoundError extends DtksError {
  override readonly name = 'NotFoundError';
  override readonly httpStatus = 404;
  override readonly apiCode = 'NOT_FOUND';
}

/**
 * The checked rows of a proposal cannot be shown: it is not checked yet, or it was checked before the
 * check kept its rows for the console (the return report has them).
 */
export class RowsNotAvailableError extends DtksError {
  override readonly name = 'RowsNotAvailableError';
  override readonly httpStatus = 404;
  override readonly apiCode = 'ROWS_NOT_AVAILABLE';
}

/**
 * POST /stipulations of a period that is stipulated already: the caller's conflict (409), where the
 * workflow's own PeriodAlreadyStipulatedError stays the system's.
 */
export class StipulatedPeriodError extends DtksError {
  override readonly name = 'StipulatedPeriodError';
  override readonly httpStatus = 409;
  override readonly apiCode = 'PERIOD_STIPULATED';
  constructor(
    readonly period: string,
    recordedAt: string,
  ) {
    super(
      `Periode ${period} sudah ditetapkan pada ${recordedAt}; penetapan yang sudah ditetapkan tidak dijalankan ulang`,
    );
  }
}

/** A stipulation run is in progress: a second one would collect and apply the same queue at once. */
export class StipulationRunningError extends DtksError {
  override readonly name = 'StipulationRunningError';
  override readonly httpStatus = 409;
  override readonly apiCode = 'STIPULATION_RUNNING';
  constructor(readonly executionName: string) {
    super(`Penetapan sedang berjalan (${executionName}); tunggu sampai selesai sebelum menjalankannya lagi`);
  }
}

/**
 * The manifest of the period stipulated before is missing, or its bytes differ from the SHA-256 its period
 * record keeps: it was changed after its stipulation, and a new manifest must not chain onto it.
 */
export class ManifestChainError extends DtksError {
  override readonly name = 'ManifestChainError';
  constructor(period: string, previous: string, key: string, what: string) {
    super(
      `Manifes periode ${previous} (${key}) ${what}: manifes periode ${period} tidak ditulis; ` +
        'periksa dengan dtks snapshot verify dan laporkan ke Pusdatin',
    );
  }
}

/**
 * A shard of the ResolveShards Map left no summary or returned-rows part (its child did not finish, or the
 * object was removed): a change set without it would silently drop that shard's persons.
 */
export class ResolutionShardMissingError extends DtksError {
  override readonly name = 'ResolutionShardMissingError';
  constructor(
    readonly period: string,
    readonly shards: readonly number[],
  ) {
    super(
      `Hasil penyelesaian konflik periode ${period} tidak lengkap (shard ${shards.join(', ')} tidak ditemukan); ` +
        'jalankan ulang penetapan periode ini',
    );
  }
}

/**
 * Another stipulation execution holds the master write lease (functions/shared/master-lease.ts): this one
 * writes nothing to the master. Names the holder's period only (never its execution or anything secret).
 */
export class MasterWriteLeaseHeldError extends DtksError {
  override readonly name = 'MasterWriteLeaseHeldError';
  constructor(period: string, holderPeriod: string | undefined, expiresAt: string | undefined, coolingDown = false) {
    super(
      holderPeriod && coolingDown
        ? `Penetapan periode ${holderPeriod} sebelumnya gagal; izin tulis master DTKS ditahan sampai ${expiresAt} ` +
            `agar langkah penerapan yang mungkin masih berjalan selesai lebih dulu. Penetapan periode ${period} ` +
            `tidak menulis apa pun; jalankan ulang setelah ${expiresAt}`
        : holderPeriod
          ? `Master DTKS sedang ditulis oleh penetapan periode ${holderPeriod} (izin tulis berlaku sampai ${expiresAt}); ` +
            `penetapan periode ${period} tidak menulis apa pun. Jalankan ulang penetapan ${period} setelah penetapan itu selesai`
          : `Izin tulis master DTKS untuk penetapan periode ${period} sudah tidak dipegang (dilepas atau diambil alih); ` +
            `tidak ada lagi yang ditulis. Jalankan ulang penetapan ${period}`,
    );
  }
}
