/**
 * POST /stipulations {period}: the ministry starts (or, after a failed run, re-runs) a period's
 * stipulation. Refused with 409 when the period is stipulated already (a stipulated month is never
 * rewritten) or when a stipulation run is in progress (two runs would take the same queue at once).
 * Who started it is recorded in the period's audit trail.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Principal, STIPULATION_REQUEST } from '#shared/contracts.ts';
import { ForbiddenError, StipulatedPeriodError, StipulationRunningError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { type Event, parseBody, type Response, respond } from './http.ts';
import { listRuns } from './runs.ts';
import { audit, config, periods, sfn } from './stores.ts';

export async function startStipulation(principal: Principal, event: Event): Promise<Response> {
  if (principal.role !== 'ministry_operator') {
    throw new ForbiddenError('Hanya operator Kementerian Sosial yang dapat menjalankan penetapan');
  }
  const { period } = parseBody(STIPULATION_REQUEST, event);
  const record = await periods.getPeriod(period);
  if (record) throw new StipulatedPeriodError(period, record.recordedAt);
  const [running] = await listRuns('RUNNING');
  if (running) throw new StipulationRunningError(running.name ?? '');
  const name = `console-${period}-${Date.now()}`;
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: config.stipulationStateMachineArn,
      name,
      input: JSON.stringify({ period }),
    }),
  );
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
