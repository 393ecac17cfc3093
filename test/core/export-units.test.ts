/**
 * The export units of a large regency (core/snapshot.ts): the NIK runs an export records and the NIK
 * ranges the next period's export is cut into, and the manifest's refusal of units that do not make up
 * the regency once.
 */
import { describe, expect, it } from 'vitest';
import {
  buildSnapshotManifest,
  InconsistentSnapshotError,
  type NikRun,
  NikRuns,
  planExportUnits,
  runLength,
  type SnapshotPart,
} from '#core/snapshot.ts';

const nik = (i: number) => `3201${String(i).padStart(12, '0')}`;

/** The runs an export of `persons` persons (NIKs 0, 2, 4, …) records at `length` persons a run. */
function runsOf(persons: number, length: number): NikRun[] {
  const runs = new NikRuns(length);
  for (let i = 0; i < persons; i++) runs.add(nik(2 * i));
  return runs.runs ?? [];
}

/** Which unit each of the NIKs 0 … n-1 falls in, by the units' ranges (fromNik <= nik < toNik). */
function unitOf(units: ReturnType<typeof planExportUnits>, value: string): number[] {
  return units.flatMap((unit, index) =>
    (unit.fromNik === undefined || value >= unit.fromNik) && (unit.toNik === undefined || value < unit.toNik)
      ? [index]
      : [],
  );
}

describe('NikRuns', () => {
  it('records the first NIK of every run of `length` persons, and how many each holds', () => {
    expect(runsOf(12, 5)).toEqual([
      { nik: nik(0), persons: 5 },
      { nik: nik(10), persons: 5 },
      { nik: nik(20), persons: 2 },
    ]);
  });

  it('records no runs when the persons did not come in NIK order', () => {
    const runs = new NikRuns(5);
    for (const value of [nik(3), nik(1), nik(2)]) runs.add(value);
    expect(runs.runs).toBeUndefined();
  });

  it('makes runs a tenth of EXPORT_UNIT_MAX_PERSONS', () => {
    expect(runLength(1_000_000)).toBe(100_000);
    expect(runLength(50)).toBe(5);
    expect(runLength(2)).toBe(1);
  });
});

describe('planExportUnits', () => {
  it('keeps a regency of up to EXPORT_UNIT_MAX_PERSONS persons whole, and one without runs (no previous export)', () => {
    expect(planExportUnits(runsOf(50, 5), 50)).toEqual([{}]);
    expect(planExportUnits([], 50)).toEqual([{}]);
  });

  it('cuts a larger regency into ceil(persons / max) units at run starts, each within a run of the balance', () => {
    const runs = runsOf(130, 5);
    const units = planExportUnits(runs, 50);
    expect(units).toEqual([{ toNik: nik(90) }, { fromNik: nik(90), toNik: nik(170) }, { fromNik: nik(170) }]);
    // 45, 40 and 45 persons of the previous export: none above the limit, none nearly empty.
    const sizes = units.map((_, index) =>
      Array.from({ length: 130 }, (_, i) => nik(2 * i)).filter((value) => unitOf(units, value)[0] === index),
    );
    expect(sizes.map((members) => members.length)).toEqual([45, 40, 45]);
  });

  it('puts every NIK in exactly one unit: those of the boundaries, those between and those beyond either end', () => {
    const units = planExportUnits(runsOf(130, 5), 50);
    for (let i = -1; i < 300; i++) {
      const value = i < 0 ? '0000000000000000' : nik(i);
      expect(unitOf(units, value), value).toHaveLength(1);
    }
    expect(unitOf(units, '9999999999999999')).toEqual([2]);
  });

  it('splits Kabupaten Bogor (5.7 million persons, runs of 100,000) into 6 units of about 950,000', () => {
    const runs = Array.from({ length: 57 }, (_, i) => ({ nik: nik(i * 1000), persons: 100_000 }));
    const units = planExportUnits(runs, 1_000_000);
    expect(units).toHaveLength(6);
    const starts = units.map((unit) => (unit.fromNik ? runs.findIndex((run) => run.nik === unit.fromNik) : 0));
    const sizes = starts.map((start, index) => ((starts[index + 1] ?? 57) - start) * 100_000);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(1_000_000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5_700_000);
  });
});

describe('the manifest of a regency exported in units', () => {
  const file = (key: string, records: number, tier: 'full' | 'csv' = 'full') => ({
    key,
    tier,
    records,
    bytes: 1,
    sha256: 'a'.repeat(64),
  });
  const unit = (part: number, parts: number, records: number, range: { fromNik?: string; toNik?: string }) =>
    ({
      regency: '3201',
      province: '32',
      records,
      files: [file(`u${part}.parquet`, records), file(`u${part}.csv`, records, 'csv')],
      unit: { part, parts, ...range },
    }) satisfies SnapshotPart;
  const manifest = (parts: SnapshotPart[]) =>
    buildSnapshotManifest({ period: '2027-02', generatedAt: 'now', carriedForward: false, sourceProposals: [], parts });

  it('counts the regency once, its units summed, and lists every unit file', () => {
    const built = manifest([
      unit(1, 3, 40, { toNik: nik(90) }),
      unit(2, 3, 41, { fromNik: nik(90), toNik: nik(170) }),
      unit(3, 3, 45, { fromNik: nik(170) }),
      { regency: '3271', province: '32', records: 2, files: [file('bogor-kota.parquet', 2)] },
    ]);
    expect(built.totals).toEqual({ records: 128, byProvince: { '32': 128 }, byRegency: { '3201': 126, '3271': 2 } });
    expect(built.files).toHaveLength(7);
  });

  it('refuses units with a gap, an overlap, a unit missing or a unit twice', () => {
    const first = unit(1, 3, 40, { toNik: nik(90) });
    const last = unit(3, 3, 45, { fromNik: nik(170) });
    for (const parts of [
      [first, unit(2, 3, 41, { fromNik: nik(92), toNik: nik(170) }), last],
      [first, unit(2, 3, 41, { fromNik: nik(88), toNik: nik(170) }), last],
      [first, last],
      [first, first, unit(2, 3, 41, { fromNik: nik(90), toNik: nik(170) }), last],
      [{ ...first, unit: undefined }, unit(2, 3, 41, { fromNik: nik(90), toNik: nik(170) }), last],
    ]) {
      expect(() => manifest(parts)).toThrow(InconsistentSnapshotError);
    }
  });
});
