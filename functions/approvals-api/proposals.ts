/** GET /proposals/{proposalId}: a proposal's check summary, status, decisions and audit trail. */
import { isResultCode } from '#core/codes.ts';
import { messageFor } from '#core/messages.ts';
import { SOURCE_NAMES, sourceOf } from '#core/source.ts';
import { assertMayView } from '#shared/approvals.ts';
import type { Principal } from '#shared/contracts.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';
import { type Event, pathParameter, type Response, respond } from './http.ts';
import { audit, decisions, proposals } from './stores.ts';

export async function viewProposal(principal: Principal, event: Event): Promise<Response> {
  const proposalId = pathParameter(event, 'proposalId');
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

/** The proposal a principal may view (404 when there is none, 403 when it is another area's). */
export async function viewableProposal(principal: Principal, event: Event): Promise<ProposalRecord> {
  const proposal = await proposals.require(pathParameter(event, 'proposalId'));
  assertMayView(principal, proposal);
  return proposal;
}

/** What a client sees of the proposal record: the workflow's bookkeeping stays inside; its source always. */
export function publicView(proposal: ProposalRecord) {
  const { executionId: _execution, previousStatus: _previous, error: _error, ...visible } = proposal;
  const source = sourceOf(proposal);
  return { ...visible, source, sourceName: SOURCE_NAMES[source].id };
}
