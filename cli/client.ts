/**
 * The operations of the dtks commands against a target (local or AWS), shared by the commands and
 * the demo. Everything speaks the real APIs: S3 for uploads, the approvals HTTP API for tasks and
 * decisions, Step Functions for the stipulation, DynamoDB (through the handlers' own repository) for
 * status, and DuckDB over the Parquet export for analyst queries.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { Upload } from '@aws-sdk/lib-storage';
import { isTerminal } from '#core/lifecycle.ts';
import { closingPeriod, periodAt } from '#core/period.ts';
import { DEFAULT_SOURCE, type ProposalSource } from '#core/source.ts';
import type { AuditTrail } from '#shared/audit-trail.ts';
import {
  type ApprovalDecision,
  type DecisionKind,
  type Exclusion,
  KEYS,
  type MandiriGatherOutput,
  type ProposalStatus,
  REGISTRATION_ROUTES,
} from '#shared/contracts.ts';
import type { DecisionsRepository } from '#shared/decisions-repository.ts';
import type { GuardRepository, GuardTaskView } from '#shared/guard-repository.ts';
import type { PeriodsRepository, QualityControlSummary } from '#shared/periods-repository.ts';
import type { ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import { parseUploadKey, proposalIdFor } from '#shared/uploads.ts';
import { CliError, connectionFailure } from './errors.ts';
import { type AccessTier, assertEntitled, querySnapshot } from './snapshot-query.ts';
import { type VerifyResult, verifySnapshots } from './snapshot-verify.ts';
import type { Target } from './target.ts';

/** The current month in Asia/Jakarta (YYYY-MM): the default period of an upload. */
export function currentPeriod(now = new Date()): string {
  return periodAt(now);
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T & { message?: string; code?: string };
}

export class DtksClient {
  private readonly s3: S3Client;
  private readonly sfn = new SFNClient({});
  private repositories?: Promise<{
    proposals: ProposalsRepository;
    audit: AuditTrail;
    decisions: DecisionsRepository;
    periods: PeriodsRepository;
    guard: GuardRepository;
  }>;

  /** `clients.s3`: another S3 client (a test's, recording its requests); by default one from the environment. */
  constructor(
    readonly target: Target,
    clients: { s3?: S3Client } = {},
  ) {
    this.s3 = clients.s3 ?? new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  }

  /** The handlers' repositories over the proposals table, imported after the target set process.env. */
  private stores() {
    this.repositories ??= (async () => {
      const table = process.env.PROPOSALS_TABLE;
      if (!table) {
        throw new CliError({ id: 'variabel PROPOSALS_TABLE belum diisi', en: 'PROPOSALS_TABLE is not set' });
      }
      const [
        { ProposalsRepository },
        { AuditTrail },
        { DecisionsRepository },
        { PeriodsRepository },
        { GuardRepository },
        { documents },
      ] = await Promise.all([
        import('#shared/proposals-repository.ts'),
        import('#shared/audit-trail.ts'),
        import('#shared/decisions-repository.ts'),
        import('#shared/periods-repository.ts'),
        import('#shared/guard-repository.ts'),
        import('#shared/clients.ts'),
      ]);
      return {
        proposals: new ProposalsRepository(documents, table),
        audit: new AuditTrail(documents, table),
        decisions: new DecisionsRepository(documents, table),
        periods: new PeriodsRepository(documents, table),
        guard: new GuardRepository(documents, table),
      };
    })();
    return this.repositories;
  }

  private async proposals(): Promise<ProposalsRepository> {
    return (await this.stores()).proposals;
  }

  /**
   * Uploads a proposal file where the intake rule watches; returns its key and the proposal id it gets.
   * The id is derived from the object (bucket, key, version or ETag, as Ingest derives it): in a bucket
   * without versioning the same bytes at the same key keep their ETag, so S3's event is a duplicate
   * of the first upload's and Ingest creates no new proposal. `heldBy` is then the proposal that
   * already holds the object, found before the upload from the object that was there.
   */
  async upload(
    file: string,
    regency: string,
    period: string,
    onProgress?: (sent: number, total: number) => void,
    /** The source the upload claims: its prefix (KEYS.uploadPrefixOf), which the uploader's IAM policy must allow. */
    source: ProposalSource = DEFAULT_SOURCE,
  ): Promise<{ key: string; proposalId: string; heldBy?: ProposalRecord }> {
    const key = KEYS.upload(source, regency, period, basename(file));
    const location = parseUploadKey(key);
    if (!location.valid) throw new CliError(location.reason);
    const before = await this.proposalHolding(key, location);
    const total = statSync(file).size;
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.target.proposalsBucket, Key: key, Body: createReadStream(file), ContentType: 'text/csv' },
    });
    upload.on('httpUploadProgress', (p) => onProgress?.(p.loaded ?? 0, total));
    const result = await upload.done();
    const version = result.VersionId ?? result.ETag?.replaceAll('"', '') ?? '';
    const proposalId = proposalIdFor({ bucket: this.target.proposalsBucket, key, version }, location);
    return { key, proposalId, ...(before?.proposalId === proposalId ? { heldBy: before } : {}) };
  }

  /**
   * The proposal Ingest recorded for the object now at `key`, if any. Best effort: an uploader who may
   * not read the object or the table learns nothing here, and the upload goes ahead as before.
   */
  private async proposalHolding(
    key: string,
    location: { regency: string; period: string },
  ): Promise<ProposalRecord | undefined> {
    let version: string | undefined;
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.target.proposalsBucket, Key: key }));
      version = head.VersionId ?? head.ETag?.replaceAll('"', '');
    } catch (error) {
      if (connectionFailure(error)) throw error;
      return undefined; // no object there yet, or no permission to look
    }
    if (!version) return undefined;
    const proposalId = proposalIdFor({ bucket: this.target.proposalsBucket, key, version }, location);
    try {
      return await this.proposal(proposalId);
    } catch (error) {
      if (connectionFailure(error)) throw error;
      return undefined;
    }
  }

  /** Places a file in the proposals bucket (e.g. a Dukcapil extract under reference/population/). */
  async putObject(key: string, file: string): Promise<void> {
    await new Upload({
      client: this.s3,
      params: { Bucket: this.target.proposalsBucket, Key: key, Body: createReadStream(file), ContentType: 'text/csv' },
    }).done();
  }

  async proposal(proposalId: string): Promise<ProposalRecord | undefined> {
    return (await this.proposals()).get(proposalId);
  }

  async proposalWithEvents(proposalId: string) {
    const { proposals, audit, decisions: decisionsRepository } = await this.stores();
    const proposal = await proposals.get(proposalId);
    if (!proposal) {
      throw new CliError({ id: `usulan ${proposalId} tidak ditemukan`, en: `proposal not found: ${proposalId}` }, 1);
    }
    const [events, decisions] = await Promise.all([
      audit.listEvents(proposalId),
      decisionsRepository.listDecisions(proposalId),
    ]);
    return { proposal, events, decisions };
  }

  async proposalsOf(regency: string): Promise<ProposalRecord[]> {
    return (await this.proposals()).listByRegency(regency);
  }

  /** Polls until the proposal reaches one of `statuses` (or a terminal status), or the time runs out. */
  async waitForStatus(
    proposalId: string,
    statuses: readonly ProposalStatus[],
    timeoutMs = 120_000,
  ): Promise<ProposalRecord> {
    const deadline = Date.now() + timeoutMs;
    let last: ProposalRecord | undefined;
    while (Date.now() < deadline) {
      last = await this.proposal(proposalId);
      if (last && (statuses.includes(last.status) || isTerminal(last.status))) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const wanted = statuses.join('/');
    throw new CliError(
      {
        id: `usulan ${proposalId} belum mencapai ${wanted} dalam ${timeoutMs / 1000} detik (sekarang: ${last?.status ?? 'belum tercatat'})`,
        en: `proposal ${proposalId} did not reach ${wanted} in ${timeoutMs / 1000} s (now: ${last?.status ?? 'not recorded'})`,
      },
      1,
    );
  }

  async api<T = Record<string, unknown>>(method: string, path: string, user: string | undefined, body?: unknown) {
    if (!this.target.approvalsUrl) {
      throw new CliError({
        id: 'alamat API persetujuan tidak diketahui (DTKS_APPROVALS_URL)',
        en: 'the approvals API URL is not known (DTKS_APPROVALS_URL)',
      });
    }
    const response = await fetch(`${this.target.approvalsUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.target.bearerFor(user)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: parseAnswer(text) as ApiAnswer<T>['body'] };
  }

  async tasks(user: string | undefined) {
    return this.api<{ tasks: Record<string, unknown>[] }>('GET', '/tasks', user);
  }

  async decide(
    proposalId: string,
    user: string | undefined,
    decision: DecisionKind,
    note: string,
    exclusions: Exclusion[] = [],
  ): Promise<ApiAnswer> {
    return this.api('POST', `/proposals/${encodeURIComponent(proposalId)}/decision`, user, {
      decision,
      note,
      exclusions,
    } satisfies Pick<ApprovalDecision, 'decision' | 'note' | 'exclusions'>);
  }

  /** Starts the stipulation workflow (for `period`, or the closing month it derives) and waits for it. */
  async stipulate(period: string | undefined, timeoutMs = 600_000) {
    if (!this.target.stipulationStateMachineArn) {
      throw new CliError({
        id: 'ARN alur kerja penetapan tidak diketahui (DTKS_STIPULATION_STATE_MACHINE_ARN)',
        en: 'the stipulation state machine ARN is not known (DTKS_STIPULATION_STATE_MACHINE_ARN)',
      });
    }
    const name = `manual-${period ?? 'closing'}-${Date.now()}`;
    const { executionArn } = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: this.target.stipulationStateMachineArn,
        name,
        input: JSON.stringify(period ? { period } : {}),
      }),
    );
    return this.waitForExecution(executionArn!, timeoutMs);
  }

  /**
   * Starts the quality control workflow (for `period`, or the open month it derives: the one the next
   * stipulation closes) and waits for it to end; `onProgress` hears the regencies screened so far (its
   * distributed Map Run's item counts). The period's summary once it succeeded.
   */
  async runQualityControl(
    period: string | undefined,
    onProgress?: (screened: number, total: number) => void,
    timeoutMs = 3_600_000,
  ) {
    if (!this.target.qualityControlStateMachineArn) {
      throw new CliError({
        id: 'ARN alur kerja pengendalian kualitas tidak diketahui (DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN)',
        en: 'the quality control state machine ARN is not known (DTKS_QUALITY_CONTROL_STATE_MACHINE_ARN)',
      });
    }
    const { executionArn } = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: this.target.qualityControlStateMachineArn,
        name: `manual-${period ?? 'open'}-${Date.now()}`,
        input: JSON.stringify(period ? { period } : {}),
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const execution = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') {
        const screened =
          (JSON.parse(execution.input ?? '{}') as { period?: string }).period ??
          periodAt(execution.startDate ?? new Date());
        const summary: QualityControlSummary | undefined =
          execution.status === 'SUCCEEDED'
            ? await (await this.stores()).periods.getQualityControl(screened)
            : undefined;
        return { ...execution, period: screened, summary };
      }
      if (onProgress) {
        const [mapRun] = (await this.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
        if (mapRun?.mapRunArn) {
          const { itemCounts } = await this.sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn }));
          onProgress(itemCounts?.succeeded ?? 0, itemCounts?.total ?? 0);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new CliError(
      {
        id: `pengendalian kualitas ${executionArn} masih berjalan setelah ${timeoutMs / 1000} detik`,
        en: `the quality control run ${executionArn} is still running after ${timeoutMs / 1000} s`,
      },
      1,
    );
  }

  /**
   * The stipulation run once it ended, or once the stipulation guard holds it for the ministry's sign-off
   * (`awaitingSignOff`: the guard task, without its token; answered with `dtks guard approve|hold`).
   */
  async waitForExecution(executionArn: string, timeoutMs = 600_000) {
    const deadline = Date.now() + timeoutMs;
    // The guard task lives in the proposals table: looked at only where the CLI knows the table.
    const guard = process.env.PROPOSALS_TABLE ? (await this.stores()).guard : undefined;
    while (Date.now() < deadline) {
      const execution = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return { ...execution, awaitingSignOff: undefined };
      // A run started with {} closes the month before its start (Asia/Jakarta), as DetermineClosingPeriod does.
      const period =
        (JSON.parse(execution.input ?? '{}') as { period?: string }).period ??
        closingPeriod(execution.startDate ?? new Date());
      const task = period && guard ? await guard.getTask(period) : undefined;
      if (task?.state === 'OPEN' && task.executionId === executionArn) return { ...execution, awaitingSignOff: task };
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new CliError(
      {
        id: `penetapan ${executionArn} masih berjalan setelah ${timeoutMs / 1000} detik`,
        en: `the stipulation run ${executionArn} is still running after ${timeoutMs / 1000} s`,
      },
      1,
    );
  }

  /** The public self-registration endpoint (no sign-in): POST /registrations with one family. */
  async register(family: unknown): Promise<ApiAnswer<{ receipt?: string; period?: string; issues?: string[] }>> {
    return this.publicApi('POST', REGISTRATION_ROUTES.register.path, family);
  }

  /** GET /registrations/{receipt}?nik=: the status of a registration, for the NIK of one of its members. */
  async registrationStatus(receipt: string, nik: string): Promise<ApiAnswer<{ status?: string; period?: string }>> {
    const path = REGISTRATION_ROUTES.lookup.path.replace('{receipt}', encodeURIComponent(receipt));
    return this.publicApi('GET', `${path}?nik=${encodeURIComponent(nik)}`);
  }

  private async publicApi<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    if (!this.target.approvalsUrl) {
      throw new CliError({
        id: 'alamat API tidak diketahui (DTKS_APPROVALS_URL)',
        en: 'the API URL is not known (DTKS_APPROVALS_URL)',
      });
    }
    const response = await fetch(`${this.target.approvalsUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: parseAnswer(await response.text()) as ApiAnswer<T>['body'] };
  }

  /**
   * Gathers a period's self-registrations now, as the cut-off schedule does: locally the mandiri-gather
   * handler runs in this process against the local environment (its file then enters the workflow through
   * the environment's intake); on AWS the schedule's function is invoked with the same input.
   */
  async gatherMandiri(period: string | undefined, regency?: string): Promise<MandiriGatherOutput> {
    if (this.target.kind !== 'local') {
      throw new CliError({
        id: `di AWS, jalankan fungsi mandiri-gather dengan {"period": "${period ?? 'YYYY-MM'}"} (aws lambda invoke); jadwalnya menjalankannya sendiri pada hari batas`,
        en: `on AWS, invoke the mandiri-gather function with {"period": "${period ?? 'YYYY-MM'}"} (aws lambda invoke); its schedule runs it on the cut-off day`,
      });
    }
    const { LocalFunctions } = await import('#local/functions.ts');
    const input = { ...(period ? { period } : {}), ...(regency ? { regency } : {}) };
    return (await new LocalFunctions().invoke('mandiri-gather', input)) as MandiriGatherOutput;
  }

  async manifest(period: string): Promise<Record<string, unknown>> {
    const object = await this.s3.send(
      new GetObjectCommand({ Bucket: this.target.exportsBucket, Key: KEYS.manifest(period) }),
    );
    return JSON.parse(await object.Body!.transformToString()) as Record<string, unknown>;
  }

  /**
   * Re-reads the files and the hash chain of one period (and its chain back to the first) or of every period
   * with a manifest (cli/snapshot-verify.ts). The full tier's files are read to hash them: `user` must hold it.
   */
  async verifySnapshots(options: { period?: string; user?: string } = {}): Promise<VerifyResult> {
    assertEntitled(this.target.users, options.user, 'full');
    const { periods } = await this.stores();
    return verifySnapshots(
      { s3: this.s3, bucket: this.target.exportsBucket, periodRecord: (period) => periods.getPeriod(period) },
      options.period,
    );
  }

  /** The stipulation guard's task of a period, as clients see it (never its token); undefined when none. */
  async guardTask(period: string): Promise<GuardTaskView | undefined> {
    return (await this.stores()).guard.getTask(period);
  }

  /** The ministry's answer to a held stipulation: POST /periods/{period}/guard. */
  async signOffGuard(period: string, user: string | undefined, decision: 'APPROVE' | 'HOLD', note: string) {
    return this.api('POST', `/periods/${encodeURIComponent(period)}/guard`, user, { decision, note });
  }

  /**
   * Runs SQL with DuckDB over one tier of one period (cli/snapshot-query.ts): the full tier as the view
   * `dtks`, the pseudonymised tier as `dtks_pseudonim`, fetching only that tier's files of that period.
   * `user` is the local user it runs as (default the analyst); a user without the tier is refused first.
   */
  async querySnapshot(sql: string, options: { period?: string; tier?: AccessTier; user?: string } = {}) {
    const tier = options.tier ?? 'pseudonymised';
    assertEntitled(this.target.users, options.user, tier);
    return querySnapshot(this.s3, this.target.exportsBucket, { sql, period: options.period, tier });
  }
}

/** The API answers JSON; anything else in front of it (a proxy's error page) is shown as its message. */
function parseAnswer(text: string): Record<string, unknown> {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { message: text.slice(0, 200) };
  }
}
