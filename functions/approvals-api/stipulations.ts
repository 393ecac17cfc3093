/**
 * POST /stipulations {period}: the ministry starts (or, after a failed run, re-runs) a period's
 * stipulation. Refused with 409 when the period is stipulated already (a stipulated month is never
 * rewritten) or when a stipulation run is in progress (two runs would take the same queue at once), also
 * when two requests race: each attempt has one execution name (nextAttempt), which Step Functions starts once.
 * Who started it is recorded in the period's audit trail.
 */
import { type ExecutionListItem, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { periodAt } from '#core/period.ts';
import { type Principal, STIPULATION_REQUEST } from '#shared/contracts.ts';
import { ForbiddenError, StipulatedPeriodError, StipulationRunningError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { type Event, parseBody, type Response, respond } from './http.ts';
import { listRuns } from './runs.ts';
import { audit, config, periods, sfn } from './stores.ts';

/** The console's runs are console-<period>-<attempt>, 1 for a period's first run, then one more per re-run. */
const CONSOLE_RUN = 'console-';

export async function startStipulation(principal: Principal, event: Event): Promise<Response> {
  if (principal.role !== 'ministry_operator') {
    throw new ForbiddenError('Hanya operator Kementerian Sosial yang dapat menjalankan penetapan');
  }
  const { period } = parseBody(STIPULATION_REQUEST, event);
  // A stipulated month is never rewritten, so a typo for a month still to come (2062-11 for 2026-11) would
  // stand for good, and its run would take every proposal waiting up to that month: refused before it runs.
  const current = periodAt(new Date());
  if (period > current) {
    throw new ValidationError(
      `Periode ${period} belum dimulai (sekarang ${current}); hanya bulan yang sudah berjalan yang dapat ditetapkan`,
      [`period: paling lambat ${current}`],
    );
  }
  const record = await periods.getPeriod(period);
  if (record) throw new StipulatedPeriodError(period, record.recordedAt);
  const runs = await listRuns();
  const running = runs.find(({ status }) => status === 'RUNNING');
  if (running) throw new StipulationRunningError(running.name ?? '');
  const name = `${CONSOLE_RUN}${period}-${nextAttempt(period, runs)}`;
  // Two requests that both listed no running run name the same attempt, and Step Functions starts a name
  // once: the input carries this request's id, so the other request's start is ExecutionAlreadyExists
  // (AWS: a name in use with another input, or by an execution that has ended), while the SDK retrying this
  // request's own call is the same start (same name and input while it runs: success, the original answer).
  const { executionArn } = await sfn
    .send(
      new StartExecutionCommand({
        stateMachineArn: config.stipulationStateMachineArn,
        name,
        input: JSON.stringify({ period, requestId: event.requestContext.requestId }),
      }),
    )
    .catch((error: unknown) => {
      if ((error as Error).name === 'ExecutionAlreadyExists') throw new StipulationRunningError(name);
      throw error;
    });
  await audit.addPeriodEvent(period, {
    at: new Date().toISOString(),
    kind: 'DECISION',
    actor: principal.username,
    detail: `penetapan dimulai: ${name}`,
  });
  logger.info('Stipulation started', { period, executionName: name });
  return respond(202, {
    code: 'STIPULATION_STARTED',
    message: `Penetapan periode ${period} dimulai`,
    executionArn,
    name,
    period,
  });
}

/** One more than the highest attempt of the console's runs of `period` listed (1 when there is none). */
function nextAttempt(period: string, runs: readonly ExecutionListItem[]): number {
  const prefix = `${CONSOLE_RUN}${period}-`;
  const attempts = runs
    .map(({ name = '' }) => (name.startsWith(prefix) ? Number(name.slice(prefix.length)) : 0))
    .filter(Number.isSafeInteger);
  return Math.max(0, ...attempts) + 1;
}
