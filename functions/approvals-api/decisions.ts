/** POST /proposals/{proposalId}/decision: approve, approve with exclusions, or reject. */
import { decisionLevelFor } from '#shared/approvals.ts';
import { type ApprovalDecision, type ApprovalLevel, DECISION_REQUEST, type Principal } from '#shared/contracts.ts';
import { recordDecision, requireOpenTask } from '#shared/decisions.ts';
import { ForbiddenError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { describeUnknown, unknownExclusions } from './exclusions.ts';
import { type Event, parseBody, pathParameter, type Response, respond } from './http.ts';
import { audit, config, decisionStores, proposals, s3 } from './stores.ts';

export async function decide(principal: Principal, event: Event): Promise<Response> {
  const proposalId = pathParameter(event, 'proposalId');
  const proposal = await proposals.require(proposalId);
  let level: ApprovalLevel;
  try {
    level = decisionLevelFor(principal, proposal);
  } catch (error) {
    if (error instanceof ForbiddenError) {
      // A refused attempt is part of the audit trail: who tried to decide what, and when.
      await audit.addEvent(proposalId, {
        at: new Date().toISOString(),
        kind: 'REFUSED',
        actor: principal.username,
        detail: `${principal.role} ${principal.area || '-'}: ${error.message}`,
      });
      logger.warn('Decision refused', { proposalId, role: principal.role, area: principal.area });
    }
    throw error;
  }
  const body = parseBody(DECISION_REQUEST, event);
  const decision: ApprovalDecision = {
    decision: body.decision,
    level,
    decidedBy: principal.username,
    decidedAt: new Date().toISOString(),
    note: body.note,
    exclusions: body.exclusions,
  };
  const task = await requireOpenTask(decisionStores, proposalId, level);
  // Before anything is recorded: an exclusion that names no accepted row would silently do nothing.
  const unknown = await unknownExclusions(s3, config.proposalsBucket, proposalId, decision.exclusions);
  if (unknown.length > 0) {
    const { message, issues } = describeUnknown(unknown);
    logger.warn('Decision refused: unknown exclusions', { proposalId, unknownExclusions: unknown.length });
    throw new ValidationError(message, issues);
  }
  await recordDecision(decisionStores, proposalId, decision, task.taskToken);
  logger.info('Decision recorded', { proposalId, approvalLevel: level, decision: decision.decision });
  return respond(200, { code: 'DECIDED', message: 'Keputusan dicatat dan diteruskan', decision });
}
