/**
 * POST /periods/{period}/guard: the ministry signs off (APPROVE) or holds (HOLD) a stipulation the guard
 * stopped (functions/stipulation-guard). Ministry operators only. The sign-off is recorded on the period's
 * guard task (who, when, why, the run and the report it answers) before the waiting run gets it with
 * SendTaskSuccess: the run continues only on what is recorded (VERIFY_SIGN_OFF reads it back). The token is
 * read here and sent to Step Functions, never into a response or a log line.
 */
import { documents } from '#shared/clients.ts';
import { GUARD_DECISION_REQUEST, type GuardSignOff, PERIOD } from '#shared/contracts.ts';
import { ForbiddenError, SignOffNotAwaitedError, ValidationError } from '#shared/errors.ts';
import { GuardRepository, type GuardTaskView } from '#shared/guard-repository.ts';
import { logger } from '#shared/logger.ts';
import { completeTask } from '#shared/task-tokens.ts';
import { parseBody, pathParameter, type RouteHandler, respond } from './http.ts';
import { config, sfn } from './stores.ts';

const guard = new GuardRepository(documents, config.proposalsTable);

export const signOffGuard: RouteHandler = async (principal, event) => {
  if (principal.role !== 'ministry_operator') {
    logger.warn('Guard sign-off refused', { role: principal.role, area: principal.area });
    throw new ForbiddenError('Hanya operator Kementerian Sosial yang dapat menyetujui atau menahan penetapan');
  }
  const period = pathParameter(event, 'period');
  if (!PERIOD.safeParse(period).success) throw new ValidationError(`Periode "${period}" harus berbentuk YYYY-MM`);
  const request = parseBody(GUARD_DECISION_REQUEST, event);
  const task = await guard.getTaskWithToken(period);
  if (task?.state !== 'OPEN' || !task.taskToken) throw new SignOffNotAwaitedError(period, task?.signOff);
  const signOff: GuardSignOff = {
    decision: request.decision,
    period,
    executionId: task.executionId,
    decidedBy: principal.username,
    decidedAt: new Date().toISOString(),
    note: request.note,
    reportSha256: task.verdict.reportSha256,
  };
  if (!(await guard.recordSignOff(signOff))) {
    // Answered already: the recorded answer is sent again, in case a failure kept it from the run.
    const recorded = (await guard.getTaskWithToken(period))?.signOff;
    if (recorded && recorded.executionId === task.executionId) await answer(task, recorded);
    throw new SignOffNotAwaitedError(period, recorded);
  }
  const delivered = await answer(task, signOff);
  logger.info('Guard sign-off recorded', { period, decision: signOff.decision, delivered });
  if (!delivered) throw new SignOffNotAwaitedError(period, signOff);
  const held = signOff.decision === 'HOLD';
  return respond(200, {
    code: held ? 'HELD' : 'SIGNED_OFF',
    message: held
      ? `Penetapan periode ${period} ditahan; tidak ada perubahan yang diterapkan`
      : `Penetapan periode ${period} disetujui dan dilanjutkan`,
    signOff,
  });
};

/** Sends the sign-off to the waiting run, then closes the task (its token dropped) whether it was taken or not. */
async function answer(task: GuardTaskView & { taskToken?: string }, signOff: GuardSignOff): Promise<boolean> {
  const delivered = task.taskToken ? await completeTask(sfn, task.taskToken, signOff) : false;
  await guard.closeTask(task.period, task.executionId);
  return delivered;
}
