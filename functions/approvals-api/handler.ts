/**
 * The approvals HTTP API (API Gateway HTTP API, Cognito JWT authorizer; locally local/approvals-server):
 *   GET  /tasks                              my open approval tasks
 *   GET  /proposals/{proposalId}             a proposal's check summary, status and audit trail
 *   POST /proposals/{proposalId}/decision    approve, approve with exclusions, or reject
 * A decision is recorded (who, when, why) before it is sent to the waiting workflow with
 * SendTaskSuccess. Responses are JSON with a `message` in Bahasa Indonesia and a stable `code`; a task
 * token is never read into a response, and errors are never passed through raw.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { isResultCode } from '#core/codes.ts';
import { messageFor } from '#core/messages.ts';
import { SOURCE_NAMES, sourceOf } from '#core/source.ts';
import { assertMayView, decisionLevelFor, principalFromClaims, taskScopeOf } from '#shared/approvals.ts';
import { AuditTrail } from '#shared/audit-trail.ts';
import { documents, s3, sfn } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import {
  type ApprovalDecision,
  type ApprovalLevel,
  type ApprovalRoute,
  approvalRouteOf,
  DECISION_REQUEST,
  type Principal,
} from '#shared/contracts.ts';
import { type DecisionStores, recordDecision, requireOpenTask } from '#shared/decisions.ts';
import { DecisionsRepository } from '#shared/decisions-repository.ts';
import { DtksError, ForbiddenError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { httpLambda, parseInput } from '#shared/middleware.ts';
import { type ProposalRecord, ProposalsRepository } from '#shared/proposals-repository.ts';
import { TasksRepository } from '#shared/tasks-repository.ts';
import { describeUnknown, unknownExclusions } from './exclusions.ts';

const config = readConfig(['proposalsTable', 'proposalsBucket']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);
const tasks = new TasksRepository(documents, config.proposalsTable);
const decisions = new DecisionsRepository(documents, config.proposalsTable);
const audit = new AuditTrail(documents, config.proposalsTable);
const stores: DecisionStores = { sfn, proposals, tasks, decisions, audit };

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;
type Response = APIGatewayProxyStructuredResultV2;

/** What each route of the API (contracts.ts APPROVAL_ROUTES) does. */
const ROUTES: Record<ApprovalRoute, (principal: Principal, event: Event) => Promise<Response>> = {
  listTasks: (principal) => listTasks(principal),
  viewProposal: (principal, event) => viewProposal(principal, proposalIdOf(event)),
  decide: (principal, event) => decide(principal, proposalIdOf(event), event),
};

export const handler = httpLambda(async (event): Promise<Response> => {
  try {
    const principal = principalFromClaims(event.requestContext.authorizer?.jwt?.claims);
    logger.appendKeys({ route: event.routeKey, username: principal.username });
    const route = approvalRouteOf(event.routeKey);
    if (!route) return respond(404, { code: 'NOT_FOUND', message: 'Alamat tidak dikenal' });
    return await ROUTES[route](principal, event);
  } catch (error) {
    return errorResponse(error);
  }
});

function proposalIdOf(event: Event): string {
  return event.pathParameters?.proposalId ?? '';
}

async function listTasks(principal: Principal): Promise<Response> {
  const open = await tasks.listOpenTasks(taskScopeOf(principal));
  const listed = open.map((task) => ({ ...task, sourceName: SOURCE_NAMES[task.source].id }));
  return respond(200, { code: 'OK', message: `${open.length} tugas persetujuan menunggu`, tasks: listed });
}

async function viewProposal(principal: Principal, proposalId: string): Promise<Response> {
  const proposal = await proposals.require(proposalId);
  assertMayView(principal, proposal);
  const [recorded, events] = await Promise.all([decisions.listDecisions(proposalId), audit.listEvents(proposalId)]);
  const codes = Object.entries(proposal.summary?.codes ?? {}).map(([code, rows]) => ({
    code,
    rows,
    message: isResultCode(code) ? messageFor(code, 'id') : code,
  }));
  return respond(200, {
    code: 'OK',
    message: `Usulan ${proposalId}: ${proposal.status}`,
    proposal: publicView(proposal),
    codes,
    decisions: recorded,
    events,
  });
}

/** What a client sees of the proposal record: the workflow's bookkeeping stays inside; its source always. */
function publicView(proposal: ProposalRecord) {
  const { executionId: _execution, previousStatus: _previous, error: _error, ...visible } = proposal;
  const source = sourceOf(proposal);
  return { ...visible, source, sourceName: SOURCE_NAMES[source].id };
}

async function decide(
  principal: Principal,
  proposalId: string,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
): Promise<Response> {
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
  const body = parseBody(event);
  const decision: ApprovalDecision = {
    decision: body.decision,
    level,
    decidedBy: principal.username,
    decidedAt: new Date().toISOString(),
    note: body.note,
    exclusions: body.exclusions,
  };
  const task = await requireOpenTask(stores, proposalId, level);
  // Before anything is recorded: an exclusion that names no accepted row would silently do nothing.
  const unknown = await unknownExclusions(s3, config.proposalsBucket, proposalId, decision.exclusions);
  if (unknown.length > 0) {
    const { message, issues } = describeUnknown(unknown);
    logger.warn('Decision refused: unknown exclusions', { proposalId, unknownExclusions: unknown.length });
    throw new ValidationError(message, issues);
  }
  await recordDecision(stores, proposalId, decision, task.taskToken);
  logger.info('Decision recorded', { proposalId, approvalLevel: level, decision: decision.decision });
  return respond(200, { code: 'DECIDED', message: 'Keputusan dicatat dan diteruskan', decision });
}

function parseBody(event: Event): z.output<typeof DECISION_REQUEST> {
  let json: unknown;
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
    json = JSON.parse(text || '{}');
  } catch {
    throw new ValidationError('Isi permintaan bukan JSON yang valid');
  }
  return parseInput(DECISION_REQUEST, json);
}

/** Typed errors answer with their own status, code and message (errors.ts); anything else is an opaque 500. */
function errorResponse(error: unknown): Response {
  const name = (error as Error | undefined)?.name ?? '';
  const message = error instanceof DtksError ? error.clientMessage : undefined;
  if (error instanceof DtksError && message !== undefined) {
    const issues = error instanceof ValidationError ? { issues: error.issues } : {};
    if (error.httpStatus >= 500) logger.warn('Approvals API unavailable', { errorName: name });
    return respond(error.httpStatus, { code: error.apiCode, message, ...issues });
  }
  logger.error('Approvals API failure', { errorName: name, errorMessage: (error as Error | undefined)?.message });
  return respond(500, { code: 'INTERNAL', message: 'Terjadi kesalahan pada sistem; silakan coba lagi' });
}

function respond(statusCode: number, body: Record<string, unknown>): Response {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
