import { describe, expect, it } from 'vitest';
import {
  AWAITING_APPROVAL,
  assertTransition,
  canMove,
  isTerminal,
  MOVES,
  PROPOSAL_STATUSES,
  type ProposalStatus,
  precedes,
  StatusConflictError,
  sourcesOf,
  TAKE_OVER_FROM,
  TERMINAL_STATUSES,
} from '#core/lifecycle.ts';

/**
 * Every status change the workflows make, by the step that makes it (state-machines/proposal.asl.json and
 * the handlers): the moves the `from:` lists of the handlers allowed before the table existed.
 */
const WORKFLOW_MOVES: [ProposalStatus, ProposalStatus, string][] = [
  ['RECEIVED', 'CHECKING', 'CheckIntegrity'],
  ['RECEIVED', 'RETURNED', 'Ingest: a file it cannot read'],
  ['RECEIVED', 'FAILED', 'Ingest failed, RecordFailed, RecordStopped'],
  ['CHECKING', 'AWAITING_REGENCY', 'RequestRegencyApproval'],
  ['CHECKING', 'RETURNED', 'RecordReturned: no valid row'],
  ['CHECKING', 'FAILED', 'RecordFailed, RecordStopped'],
  ['AWAITING_REGENCY', 'AWAITING_PROVINCE', 'RequestProvinceApproval'],
  ['AWAITING_REGENCY', 'REJECTED', 'RecordRejected'],
  ['AWAITING_REGENCY', 'EXPIRED', 'RecordExpired'],
  ['AWAITING_REGENCY', 'FAILED', 'RecordFailed, RecordStopped'],
  ['AWAITING_PROVINCE', 'AWAITING_STIPULATION', 'AwaitStipulation'],
  ['AWAITING_PROVINCE', 'REJECTED', 'RecordRejected'],
  ['AWAITING_PROVINCE', 'EXPIRED', 'RecordExpired'],
  ['AWAITING_PROVINCE', 'FAILED', 'RecordFailed, RecordStopped'],
  ['AWAITING_STIPULATION', 'STIPULATED', 'RecordStipulated'],
  ['AWAITING_STIPULATION', 'RETURNED', 'RecordReturned: every row lost to conflicts or exclusions'],
  ['AWAITING_STIPULATION', 'EXPIRED', 'RecordExpired'],
  ['AWAITING_STIPULATION', 'FAILED', 'RecordFailed, RecordStopped'],
];

describe('the proposal lifecycle', () => {
  it('has a row for every status of DESIGN.md, and every move leads to a status', () => {
    expect(Object.keys(MOVES).sort()).toEqual([...PROPOSAL_STATUSES].sort());
    for (const status of PROPOSAL_STATUSES) {
      for (const to of MOVES[status]) expect(PROPOSAL_STATUSES).toContain(to);
    }
  });

  it('has every move the workflows make, and no other', () => {
    for (const [from, to, step] of WORKFLOW_MOVES) expect(canMove(from, to), `${from} → ${to} (${step})`).toBe(true);
    const table = PROPOSAL_STATUSES.flatMap((from) => MOVES[from].map((to) => `${from} → ${to}`));
    expect(table.sort()).toEqual(WORKFLOW_MOVES.map(([from, to]) => `${from} → ${to}`).sort());
  });

  it('has no move out of a terminal status, and those are the five ends of DESIGN.md', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['EXPIRED', 'FAILED', 'REJECTED', 'RETURNED', 'STIPULATED']);
    for (const status of TERMINAL_STATUSES) {
      expect(MOVES[status]).toEqual([]);
      for (const to of PROPOSAL_STATUSES) expect(canMove(status, to)).toBe(false);
    }
    const ends: readonly ProposalStatus[] = TERMINAL_STATUSES;
    for (const status of PROPOSAL_STATUSES) expect(isTerminal(status), status).toBe(ends.includes(status));
  });

  it('reaches a terminal status from every status, and no status from itself', () => {
    for (const status of PROPOSAL_STATUSES) {
      expect(isTerminal(status) || TERMINAL_STATUSES.some((end) => precedes(status, end)), status).toBe(true);
      expect(precedes(status, status), status).toBe(false);
    }
  });

  it('lets nothing move back to RECEIVED: only a re-upload takes a proposal over, from RECEIVED or FAILED', () => {
    expect(sourcesOf('RECEIVED')).toEqual([]);
    expect([...TAKE_OVER_FROM].sort()).toEqual(['FAILED', 'RECEIVED']);
  });

  it('derives the sources of a move from the table', () => {
    expect(sourcesOf('AWAITING_STIPULATION')).toEqual(['AWAITING_PROVINCE']);
    expect(sourcesOf('RETURNED')).toEqual(['RECEIVED', 'CHECKING', 'AWAITING_STIPULATION']);
    expect(sourcesOf('FAILED')).toEqual(PROPOSAL_STATUSES.filter((status) => !isTerminal(status)));
  });

  it('puts each approval level after the statuses before it', () => {
    expect(PROPOSAL_STATUSES.filter((status) => precedes(status, AWAITING_APPROVAL.REGENCY))).toEqual([
      'RECEIVED',
      'CHECKING',
    ]);
    expect(PROPOSAL_STATUSES.filter((status) => precedes(status, AWAITING_APPROVAL.PROVINCE))).toEqual([
      'RECEIVED',
      'CHECKING',
      'AWAITING_REGENCY',
    ]);
  });

  it('refuses a move outside the table with a StatusConflictError naming the statuses it may come from', () => {
    expect(() => assertTransition('AWAITING_PROVINCE', 'AWAITING_STIPULATION', 'p-1')).not.toThrow();
    let error: unknown;
    try {
      assertTransition('CHECKING', 'STIPULATED', 'p-1');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(StatusConflictError);
    expect(error).toMatchObject({
      name: 'StatusConflictError',
      proposalId: 'p-1',
      to: 'STIPULATED',
      from: ['AWAITING_STIPULATION'],
      message: 'Status usulan p-1 tidak dapat diubah menjadi STIPULATED (status saat ini bukan AWAITING_STIPULATION)',
    });
    expect(() => assertTransition('STIPULATED', 'FAILED', 'p-1')).toThrow(StatusConflictError);
  });
});
