/**
 * The stipulation guard (issue 11): before a month's change set is applied, it is compared with the DTKS
 * master as it stands, per regency — persons added, reactivated, updated, moved between regencies,
 * deactivated (by reason) and whose welfare decile changed. A month that deactivates far more people than
 * usual (the PBI deactivations of February 2026) is not applied on the Minister's schedule alone: it waits
 * for a ministry sign-off. Pure rules, no I/O; functions/stipulation-guard reads the change set and the
 * master and writes the report.
 *
 * What a change does is decided by the merge rule itself (core/stipulation.ts applyChange), so the report
 * counts exactly what ApplyChangesToMaster will write: a change already applied, superseded or deactivating
 * someone already inactive counts as nothing.
 */
import { applyChange, type MasterRecord, type StipulationChange } from './stipulation.ts';

/** A regency's deactivations above this share of its active persons need a sign-off (5%, issue 11). */
export const DEFAULT_GUARD_REGENCY_SHARE = 0.05;
/**
 * Deactivations in the whole country above this count need a sign-off, whatever each regency's share:
 * many small shares of 514 regencies are still a mass deactivation. 100,000 is about 0.035% of the 289
 * million persons of the national master; the ministry sets its own with GUARD_NATIONAL_DEACTIVATIONS.
 */
export const DEFAULT_GUARD_NATIONAL_DEACTIVATIONS = 100_000;

export interface GuardThresholds {
  /** A fraction, 0 < share ≤ 1: a regency whose deactivations exceed share × its active persons. */
  regencyShare: number;
  /** A count: the national deactivations above it. */
  nationalDeactivations: number;
}

/** What one change of the set does to the master, as the merge rule would write it. */
export type GuardEffect =
  | { kind: 'ADD'; regency: string }
  | { kind: 'REACTIVATE'; regency: string }
  | { kind: 'UPDATE'; regency: string; decile?: DecileChange }
  | { kind: 'MOVE'; from: string; to: string; decile?: DecileChange }
  | { kind: 'DEACTIVATE'; regency: string; reason: string }
  | { kind: 'NONE' };

export type DecileChange = 'UP' | 'DOWN' | 'SET' | 'CLEARED';

/** One regency's side of the comparison, as the report lists it. */
export interface RegencyDiff {
  regency: string;
  /** Active persons in the master before the month's changes. */
  active: number;
  adds: number;
  reactivations: number;
  updates: number;
  movedIn: number;
  movedOut: number;
  deactivations: number;
  /** Deactivations by `alasan` (MENINGGAL, PINDAH, MAMPU, ...). */
  deactivationsByReason: Record<string, number>;
  /** Persons whose decile (desil) changed: up, down, set where there was none, cleared. */
  decileChanges: Record<DecileChange, number>;
  /** deactivations / active (0 when the regency had no active person). */
  deactivationShare: number;
}

/** Why the guard asks: a regency over its share, or the country over its count. */
export type GuardBreach =
  | { kind: 'REGENCY_SHARE'; regency: string; deactivations: number; active: number; share: number; limit: number }
  | { kind: 'NATIONAL_COUNT'; deactivations: number; limit: number };

/** What a stipulation would change, summed over the regencies: the verdict's and the workflow summary's totals. */
export interface GuardTotals {
  adds: number;
  reactivations: number;
  updates: number;
  moves: number;
  deactivations: number;
  decileChanges: number;
}

export interface GuardVerdict {
  signOffRequired: boolean;
  breaches: GuardBreach[];
  totals: GuardTotals;
}

function decileChange(before: string | undefined, after: string | undefined): DecileChange | undefined {
  const from = Number.parseInt(before ?? '', 10);
  const to = Number.parseInt(after ?? '', 10);
  const hadOne = Number.isFinite(from);
  const hasOne = Number.isFinite(to);
  if (!hadOne && !hasOne) return undefined;
  if (!hadOne) return 'SET';
  if (!hasOne) return 'CLEARED';
  if (to === from) return undefined;
  // Decile 1 is the poorest: a higher decile is a family doing better.
  return to > from ? 'UP' : 'DOWN';
}

/** What `change` does to the person `existing` (the master record, or undefined when there is none). */
export function effectOf(existing: MasterRecord | undefined, change: StipulationChange): GuardEffect {
  const next = applyChange(existing, change);
  if (next === 'UNCHANGED') return { kind: 'NONE' };
  if (next.status === 'INACTIVE') {
    // applyChange deactivates only an active record.
    return { kind: 'DEACTIVATE', regency: existing?.regency ?? next.regency, reason: next.deactivatedReason ?? '' };
  }
  if (!existing) return { kind: 'ADD', regency: next.regency };
  if (existing.status === 'INACTIVE') return { kind: 'REACTIVATE', regency: next.regency };
  const decile = decileChange(existing.desil, next.desil);
  const withDecile = decile ? { decile } : {};
  if (existing.regency !== next.regency)
    return { kind: 'MOVE', from: existing.regency, to: next.regency, ...withDecile };
  return { kind: 'UPDATE', regency: next.regency, ...withDecile };
}

function emptyDiff(regency: string): RegencyDiff {
  return {
    regency,
    active: 0,
    adds: 0,
    reactivations: 0,
    updates: 0,
    movedIn: 0,
    movedOut: 0,
    deactivations: 0,
    deactivationsByReason: {},
    decileChanges: { UP: 0, DOWN: 0, SET: 0, CLEARED: 0 },
    deactivationShare: 0,
  };
}

/** The per-regency counts of a change set, effect by effect; memory grows with the regencies, not the persons. */
export class GuardTally {
  private readonly diffs = new Map<string, RegencyDiff>();

  private of(regency: string): RegencyDiff {
    let diff = this.diffs.get(regency);
    if (!diff) {
      diff = emptyDiff(regency);
      this.diffs.set(regency, diff);
    }
    return diff;
  }

  add(effect: GuardEffect): void {
    switch (effect.kind) {
      case 'NONE':
        return;
      case 'ADD':
        this.of(effect.regency).adds++;
        return;
      case 'REACTIVATE':
        this.of(effect.regency).reactivations++;
        return;
      case 'UPDATE': {
        const diff = this.of(effect.regency);
        diff.updates++;
        if (effect.decile) diff.decileChanges[effect.decile]++;
        return;
      }
      case 'MOVE': {
        this.of(effect.from).movedOut++;
        const diff = this.of(effect.to);
        diff.movedIn++;
        if (effect.decile) diff.decileChanges[effect.decile]++;
        return;
      }
      case 'DEACTIVATE': {
        const diff = this.of(effect.regency);
        diff.deactivations++;
        diff.deactivationsByReason[effect.reason] = (diff.deactivationsByReason[effect.reason] ?? 0) + 1;
        return;
      }
    }
  }

  /** The regencies the change set touches, in code order. */
  regencies(): string[] {
    return [...this.diffs.keys()].sort();
  }

  /** The counts per regency without the active persons: one NIK shard's part, which `merge` adds up. */
  counts(): RegencyDiff[] {
    return this.diffsWith(new Map());
  }

  /** Adds the counts of another tally (a shard's, as its `counts` gave them). */
  merge(counts: readonly RegencyDiff[]): void {
    for (const part of counts) {
      const diff = this.of(part.regency);
      diff.adds += part.adds;
      diff.reactivations += part.reactivations;
      diff.updates += part.updates;
      diff.movedIn += part.movedIn;
      diff.movedOut += part.movedOut;
      diff.deactivations += part.deactivations;
      for (const [reason, count] of Object.entries(part.deactivationsByReason))
        diff.deactivationsByReason[reason] = (diff.deactivationsByReason[reason] ?? 0) + count;
      for (const [kind, count] of Object.entries(part.decileChanges) as [DecileChange, number][])
        diff.decileChanges[kind] += count;
    }
  }

  /** The diffs with each regency's active persons before the month (absent from `active`: none). */
  diffsWith(active: ReadonlyMap<string, number>): RegencyDiff[] {
    return this.regencies().map((regency) => {
      const diff = { ...(this.diffs.get(regency) as RegencyDiff) };
      diff.active = active.get(regency) ?? 0;
      diff.deactivationShare = diff.active === 0 ? 0 : diff.deactivations / diff.active;
      return diff;
    });
  }
}

/** Whether the month may be applied without a sign-off, and if not, why. */
export function evaluateGuard(diffs: readonly RegencyDiff[], thresholds: GuardThresholds): GuardVerdict {
  const breaches: GuardBreach[] = [];
  const totals = { adds: 0, reactivations: 0, updates: 0, moves: 0, deactivations: 0, decileChanges: 0 };
  for (const diff of diffs) {
    totals.adds += diff.adds;
    totals.reactivations += diff.reactivations;
    totals.updates += diff.updates;
    totals.moves += diff.movedIn;
    totals.deactivations += diff.deactivations;
    totals.decileChanges += Object.values(diff.decileChanges).reduce((sum, count) => sum + count, 0);
    // Compared as counts, not as rounded shares: 5% of 20 active persons is exactly 1 deactivation allowed.
    if (diff.deactivations > thresholds.regencyShare * diff.active) {
      breaches.push({
        kind: 'REGENCY_SHARE',
        regency: diff.regency,
        deactivations: diff.deactivations,
        active: diff.active,
        share: diff.deactivationShare,
        limit: thresholds.regencyShare,
      });
    }
  }
  if (totals.deactivations > thresholds.nationalDeactivations) {
    breaches.push({
      kind: 'NATIONAL_COUNT',
      deactivations: totals.deactivations,
      limit: thresholds.nationalDeactivations,
    });
  }
  return { signOffRequired: breaches.length > 0, breaches, totals };
}

/** A breach in a ministry official's words (Bahasa Indonesia), for the report, the API and the CLI. */
export function describeBreach(breach: GuardBreach): string {
  const percent = (value: number) => `${(value * 100).toLocaleString('id-ID', { maximumFractionDigits: 2 })}%`;
  if (breach.kind === 'REGENCY_SHARE') {
    return (
      `kabupaten/kota ${breach.regency}: ${breach.deactivations.toLocaleString('id-ID')} penonaktifan dari ` +
      `${breach.active.toLocaleString('id-ID')} orang aktif (${percent(breach.share)}, batas ${percent(breach.limit)})`
    );
  }
  return (
    `nasional: ${breach.deactivations.toLocaleString('id-ID')} penonaktifan ` +
    `(batas ${breach.limit.toLocaleString('id-ID')})`
  );
}
