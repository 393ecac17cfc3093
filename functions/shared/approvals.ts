/**
 * Who may see and decide what (DOMAIN.md, roles): a regency approver decides its own regency's proposals
 * at AWAITING_REGENCY, a province approver its own province's at AWAITING_PROVINCE; region operators and
 * approvers see their own area's proposals; ministry operators see all.
 */
import { z } from 'zod';
import { AWAITING_APPROVAL, precedes } from '#core/lifecycle.ts';
import { type ApprovalLevel, CLAIM_NAMES, type Principal, type Role } from './contracts.ts';
import { AlreadyDecidedError, ForbiddenError, NotAwaitingDecisionError } from './errors.ts';
import type { ProposalRecord } from './proposals-repository.ts';

const ROLES = ['region_operator', 'regency_approver', 'province_approver', 'ministry_operator', 'analyst'] as const;

const CLAIMS = z.object({
  [CLAIM_NAMES.username]: z.string().min(1),
  [CLAIM_NAMES.role]: z.enum(ROLES),
  [CLAIM_NAMES.area]: z.string().default(''),
});

/** The principal of the JWT authorizer's claims. */
export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal {
  const parsed = CLAIMS.safeParse(claims ?? {});
  if (!parsed.success) throw new ForbiddenError('Akun tidak memiliki peran atau wilayah yang dikenal');
  return {
    username: parsed.data[CLAIM_NAMES.username],
    role: parsed.data[CLAIM_NAMES.role] satisfies Role,
    area: parsed.data[CLAIM_NAMES.area],
  };
}

/** The approvers' task list of a principal: its scope in the byTaskScope index. */
export function taskScopeOf(principal: Principal): string {
  if (principal.role === 'regency_approver') return `REGENCY#${principal.area}`;
  if (principal.role === 'province_approver') return `PROVINCE#${principal.area}`;
  throw new ForbiddenError('Hanya pemberi persetujuan kabupaten/kota atau provinsi yang memiliki daftar tugas');
}

export function assertMayView(principal: Principal, proposal: ProposalRecord): void {
  const allowed =
    principal.role === 'ministry_operator' ||
    ((principal.role === 'region_operator' || principal.role === 'regency_approver') &&
      principal.area === proposal.regency) ||
    (principal.role === 'province_approver' && principal.area === proposal.province);
  if (!allowed) throw new ForbiddenError(`Anda tidak berwenang melihat usulan ${proposal.proposalId}`);
}

/**
 * The level this principal decides now. ForbiddenError when the principal has no say over this
 * proposal at all (another area, another role); AlreadyDecidedError when it has, but the proposal is not
 * (or no longer) waiting for its level.
 */
export function decisionLevelFor(principal: Principal, proposal: ProposalRecord): ApprovalLevel {
  let level: ApprovalLevel;
  if (principal.role === 'regency_approver' && principal.area === proposal.regency) level = 'REGENCY';
  else if (principal.role === 'province_approver' && principal.area === proposal.province) level = 'PROVINCE';
  else throw new ForbiddenError(`Anda tidak berwenang memutuskan usulan ${proposal.proposalId}`);
  const awaiting = AWAITING_APPROVAL[level];
  if (proposal.status === awaiting) return level;
  // Before its turn in the lifecycle (still checked, or at the regency for a province approver) vs after it.
  if (precedes(proposal.status, awaiting)) throw new NotAwaitingDecisionError(proposal.proposalId);
  throw new AlreadyDecidedError(proposal.proposalId);
}
