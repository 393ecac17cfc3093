/**
 * The approvals HTTP API (API Gateway HTTP API, Cognito JWT authorizer; locally local/approvals-server):
 * one function behind every route of contracts.ts APPROVAL_ROUTES, each route's work in its own module
 * (ROUTES below). A decision is recorded (who, when, why) before it is sent to the waiting workflow with
 * SendTaskSuccess. Responses are JSON with a `message` in Bahasa Indonesia and a stable `code` (http.ts);
 * a task token is never read into a response, and errors are never passed through raw.
 *
 * A new route: its entry in APPROVAL_ROUTES, its module here, one line in ROUTES.
 */
import { principalFromClaims } from '#shared/approvals.ts';
import { type ApprovalRoute, approvalRouteOf } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { httpLambda } from '#shared/middleware.ts';
import { board } from './board.ts';
import { decide } from './decisions.ts';
import { signOffGuard } from './guard.ts';
import { errorResponse, type Response, type RouteHandler, respond } from './http.ts';
import { me } from './me.ts';
import { listPeriods, periodDownload, viewPeriod } from './periods.ts';
import { listProposals } from './proposal-list.ts';
import { viewProposal } from './proposals.ts';
import { proposalReport, proposalRows } from './rows.ts';
import { startStipulation } from './stipulations.ts';
import { listTasks } from './tasks.ts';
import { answerTracking, listTracking, viewTracking } from './tracking.ts';
import { completeUpload, createUpload } from './uploads.ts';

/** What each route of the API (contracts.ts APPROVAL_ROUTES) does. */
const ROUTES: Record<ApprovalRoute, RouteHandler> = {
  listTasks,
  viewProposal,
  decide,
  me,
  listProposals,
  proposalRows,
  proposalReport,
  createUpload,
  completeUpload,
  board,
  listPeriods,
  viewPeriod,
  periodDownload,
  startStipulation,
  guard: signOffGuard,
  listTracking,
  viewTracking,
  answerTracking,
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
