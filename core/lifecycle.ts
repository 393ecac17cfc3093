/**
 * The lifecycle of a proposal (DESIGN.md, "Flow of one proposal" and "Statuses"): its statuses and the
 * moves between them, in one table. Every status change the pipeline writes is a move of this table:
 * the proposals repository derives the statuses a transition may start from here, so a handler names
 * only where the proposal goes. A new status or move is a change of this file (and its test) alone.
 */

export const PROPOSAL_STATUSES = [
  'RECEIVED',
  'CHECKING',
  'RETURNED',
  'AWAITING_REGENCY',
  'AWAITING_PROVINCE',
  'AWAITING_STIPULATION',
  'STIPULATED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/**
 * Where each status may move to. FAILED is reachable from every status the workflow still carries (a
 * system error, a stopped execution); a status with no move out is terminal: the proposal's workflow
 * ends there, its tasks are closed and its claims released.
 */
export const MOVES = {
  // Ingest stages the file (CheckIntegrity takes it), or returns a file it cannot read.
  RECEIVED: ['CHECKING', 'RETURNED', 'FAILED'],
  // No valid row: returned with the report; otherwise to the regency's approvers.
  CHECKING: ['AWAITING_REGENCY', 'RETURNED', 'FAILED'],
  AWAITING_REGENCY: ['AWAITING_PROVINCE', 'REJECTED', 'EXPIRED', 'FAILED'],
  AWAITING_PROVINCE: ['AWAITING_STIPULATION', 'REJECTED', 'EXPIRED', 'FAILED'],
  // Released by the month's stipulation: STIPULATED, or RETURNED when every row was lost to conflicts
  // or exclusions.
  AWAITING_STIPULATION: ['STIPULATED', 'RETURNED', 'EXPIRED', 'FAILED'],
  RETURNED: [],
  STIPULATED: [],
  REJECTED: [],
  EXPIRED: [],
  FAILED: [],
} as const satisfies Record<ProposalStatus, readonly ProposalStatus[]>;

/** The statuses with no move out. */
export type TerminalStatus = {
  [S in ProposalStatus]: (typeof MOVES)[S]['length'] extends 0 ? S : never;
}[ProposalStatus];

export function isTerminal(status: ProposalStatus): status is TerminalStatus {
  return MOVES[status].length === 0;
}

export const TERMINAL_STATUSES: readonly TerminalStatus[] = PROPOSAL_STATUSES.filter(isTerminal);

/** The status a proposal waits in for each approval level. */
export const AWAITING_APPROVAL = {
  REGENCY: 'AWAITING_REGENCY',
  PROVINCE: 'AWAITING_PROVINCE',
} as const satisfies Record<string, ProposalStatus>;

export function canMove(from: ProposalStatus, to: ProposalStatus): boolean {
  return (MOVES[from] as readonly ProposalStatus[]).includes(to);
}

/** The statuses a proposal may move to `to` from; none for RECEIVED, where a proposal only starts. */
export function sourcesOf(to: ProposalStatus): ProposalStatus[] {
  return PROPOSAL_STATUSES.filter((from) => canMove(from, to));
}

/** Whether `later` is reachable from `status` by one or more moves (`status` comes before it). */
export function precedes(status: ProposalStatus, later: ProposalStatus): boolean {
  const seen = new Set<ProposalStatus>();
  const next: ProposalStatus[] = [status];
  for (let current = next.pop(); current !== undefined; current = next.pop()) {
    for (const to of MOVES[current]) {
      if (to === later) return true;
      if (!seen.has(to)) {
        seen.add(to);
        next.push(to);
      }
    }
  }
  return false;
}

/**
 * A re-upload of the same object takes the proposal over, back to RECEIVED, from these: a FAILED ingest
 * (nothing was staged) or a RECEIVED proposal whose execution died. It is not a move of the table: a new
 * execution starts the proposal's lifecycle again, so FAILED stays terminal for the workflow that ended.
 */
export const TAKE_OVER_FROM: readonly ProposalStatus[] = ['RECEIVED', 'FAILED'];

/**
 * A status change that the proposal's status does not allow: a move outside the table, or a late,
 * repeated step that finds the proposal moved on. The name is what the state machines' Catch sees.
 */
export class StatusConflictError extends Error {
  override readonly name = 'StatusConflictError';
  constructor(
    readonly proposalId: string,
    readonly to: string,
    readonly from: readonly string[],
  ) {
    super(
      from.length > 0
        ? `Status usulan ${proposalId} tidak dapat diubah menjadi ${to} (status saat ini bukan ${from.join('/')})`
        : `Status usulan ${proposalId} tidak dapat diubah menjadi ${to}: tidak ada status yang berpindah ke sana`,
    );
  }
}

/** Throws StatusConflictError unless `from` → `to` is a move of the table. */
export function assertTransition(from: ProposalStatus, to: ProposalStatus, proposalId: string): void {
  if (!canMove(from, to)) throw new StatusConflictError(proposalId, to, sourcesOf(to));
}
