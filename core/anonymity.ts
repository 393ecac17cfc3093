/**
 * k-anonymity of the pseudonymised snapshot tier. Pure: no I/O, no AWS.
 *
 * Hashing NIK and No. KK is not enough: an analyst who knows a neighbour's village, birth year, sex and
 * occupation could single them out (6,488 of 41,684 rows of one trial export were unique on those four)
 * and read their income, decile and family. So the tier publishes the quasi-identifiers (what someone
 * who knows a person can know about them) only in a generalised form, and only where at least k persons
 * of the release share them:
 *
 * 1. Generalise: the district (kode_kecamatan) instead of the village; the decade of birth
 *    (kelompok_tahun_lahir, e.g. `1980-1989`) instead of the birth year; a broad occupation group
 *    (kelompok_pekerjaan) instead of the free-text occupation, whose rare values (a regent, a pilot)
 *    identify by themselves. A band of birth years, not of ages: an age band computed per period would
 *    change in the month a person's birthday crosses it, and the stable nik_hash lets an analyst follow a
 *    person across periods, which would give the birth year back.
 * 2. Count the persons of each equivalence class (one combination of the quasi-identifiers).
 * 3. Suppress: a person whose class has fewer than k members keeps the row (counts stay right) with every
 *    quasi-identifier blanked. The blanked rows form a class of their own, so it must hold k persons too:
 *    while it holds 1..k-1, the smallest published class is suppressed as well. A file of fewer than k
 *    persons in all cannot hide anyone: its rows are withheld (left out), and counted in the manifest.
 *
 * Why a regency file is enough to guarantee k for the whole release (a period): the district code names
 * its regency, so no class spans two regencies, and a class counted within one regency's file is the
 * class of the release. Why k = 5: the threshold statistical offices commonly publish at for microdata
 * (no cell smaller than 5), and the trial data shows it costs a few percent of rows; it is a setting
 * (ANONYMITY_K) for a ministry that wants more.
 *
 * The source of the person's last change (sumber: MUSDES, KEMENSOS, MANDIRI) is a quasi-identifier too,
 * published as it is (three values leave nothing to generalise): a village deliberation is held in
 * public and a neighbour may know that someone registered themselves, and the rarer sources are exactly
 * the values that would split a class of five into one a neighbour can pick a person out of. Counting it
 * costs suppression only where a source is rare in a district and decade.
 *
 * What is not a quasi-identifier here, and why: hubungan_keluarga and status_perkawinan follow mostly from
 * age and sex; income and decile are what the tier exists to publish (the sensitive attributes). Linking
 * across periods by nik_hash, and family composition through no_kk_hash, are not covered by a per-release
 * k: they are the price of the longitudinal pseudonym, and a reason the tier is still for named analysts.
 */

/** The k of the pseudonymised tier when nothing else is configured. */
export const DEFAULT_ANONYMITY_K = 5;

/** The quasi-identifier columns of the pseudonymised tier, as generalised. */
export const QUASI_IDENTIFIERS = [
  'kode_kecamatan',
  'kelompok_tahun_lahir',
  'jenis_kelamin',
  'kelompok_pekerjaan',
  'sumber',
] as const;
export type QuasiIdentifier = (typeof QUASI_IDENTIFIERS)[number];
export type QuasiIdentifierValues = Record<QuasiIdentifier, string | null>;

/** Kemendagri district code (6 digits) of a village code (10 digits). */
export function districtOfVillage(village: string): string {
  return village.slice(0, 6);
}

/** The decade of a birth year as `YYY0-YYY9`, or null when the year is unknown. */
export function birthYearBand(year: number | null): string | null {
  if (year === null || !Number.isInteger(year)) return null;
  const start = year - (year % 10);
  return `${start}-${start + 9}`;
}

/** The broad occupation groups of the pseudonymised tier, each with the Dukcapil occupations it holds. */
export const OCCUPATION_GROUPS = {
  'BELUM/TIDAK BEKERJA': ['BELUM/TIDAK BEKERJA', 'BELUM BEKERJA', 'TIDAK BEKERJA'],
  'MENGURUS RUMAH TANGGA': ['MENGURUS RUMAH TANGGA'],
  'PELAJAR/MAHASISWA': ['PELAJAR/MAHASISWA', 'PELAJAR', 'MAHASISWA'],
  PENSIUNAN: ['PENSIUNAN'],
  'PERTANIAN/PERIKANAN': [
    'PETANI/PEKEBUN',
    'PETANI',
    'PEKEBUN',
    'PETERNAK',
    'NELAYAN/PERIKANAN',
    'NELAYAN',
    'BURUH TANI/PERKEBUNAN',
    'BURUH NELAYAN/PERIKANAN',
    'BURUH PETERNAKAN',
  ],
  'BURUH/JASA': [
    'BURUH HARIAN LEPAS',
    'PEMBANTU RUMAH TANGGA',
    'SOPIR',
    'MEKANIK',
    'JURU MASAK',
    'KONSTRUKSI',
    'TRANSPORTASI',
    'INDUSTRI',
  ],
  'PEDAGANG/WIRASWASTA': ['PEDAGANG', 'PERDAGANGAN', 'WIRASWASTA'],
  KARYAWAN: ['KARYAWAN SWASTA', 'KARYAWAN BUMN', 'KARYAWAN BUMD', 'KARYAWAN HONORER'],
  'APARATUR/PROFESIONAL': [
    'PEGAWAI NEGERI SIPIL',
    'TENTARA NASIONAL INDONESIA',
    'KEPOLISIAN RI',
    'GURU',
    'DOSEN',
    'DOKTER',
    'BIDAN',
    'PERAWAT',
    'APOTEKER',
    'PERANGKAT DESA',
  ],
} as const;
/** Every occupation outside the list: free text and rare occupations are not published as they are. */
export const OTHER_OCCUPATION_GROUP = 'LAINNYA';

const GROUP_OF = new Map<string, string>(
  Object.entries(OCCUPATION_GROUPS).flatMap(([group, occupations]) =>
    occupations.map((occupation): [string, string] => [occupation, group]),
  ),
);

/** The group of an occupation as the master holds it; null when the occupation is empty. */
export function occupationGroup(occupation: string | null | undefined): string | null {
  const normalised = occupation?.trim().toUpperCase().replace(/\s+/g, ' ') ?? '';
  if (!normalised) return null;
  const group = GROUP_OF.get(normalised);
  if (group) return group;
  // Dukcapil's crafts (TUKANG BATU, TUKANG KAYU, …), labourers and employees of any kind.
  if (normalised.startsWith('TUKANG ') || normalised.startsWith('BURUH ')) return 'BURUH/JASA';
  if (normalised.startsWith('KARYAWAN ')) return 'KARYAWAN';
  return OTHER_OCCUPATION_GROUP;
}

// A separator and a null marker that no value contains (codes, bands, groups and sexes are printable).
const SEPARATOR = '\u001f';
const NULL = '\u0000';

/** The key of a row's equivalence class. */
export function equivalenceClassOf(row: QuasiIdentifierValues): string {
  let key = '';
  for (const column of QUASI_IDENTIFIERS) key += (row[column] ?? NULL) + SEPARATOR;
  return key;
}

/** Persons per equivalence class: classes are few (districts × decades × sexes × groups), persons many. */
export class EquivalenceClassCounts {
  private readonly counts = new Map<string, number>();
  persons = 0;

  add(row: QuasiIdentifierValues): void {
    const key = equivalenceClassOf(row);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.persons++;
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Same classes with the same sizes: what was planned is what was written. */
  equals(other: EquivalenceClassCounts): boolean {
    if (other.persons !== this.persons || other.counts.size !== this.counts.size) return false;
    for (const [key, count] of this.counts) if (other.counts.get(key) !== count) return false;
    return true;
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }
}

/** What the plan does with a row: publish it, blank its quasi-identifiers, or leave it out. */
export type AnonymityAction = 'publish' | 'suppress' | 'withhold';

/**
 * The suppression plan of one file from the class counts of its persons: which classes are published,
 * which suppressed (see the module comment), or, when the file has fewer than k persons, that every row
 * is withheld.
 */
export class AnonymityPlan {
  private readonly suppressedClasses = new Set<string>();
  private readonly withholdAll: boolean;
  /** Persons whose quasi-identifiers are blanked. */
  readonly suppressed: number;
  /** Persons left out of the file. */
  readonly withheld: number;

  constructor(
    readonly counts: EquivalenceClassCounts,
    readonly k: number,
  ) {
    if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer of at least 2, got ${k}`);
    this.withholdAll = counts.persons > 0 && counts.persons < k;
    if (this.withholdAll) {
      this.suppressed = 0;
      this.withheld = counts.persons;
      return;
    }
    let suppressed = 0;
    const published: [string, number][] = [];
    for (const [key, count] of counts.entries()) {
      if (count < k) {
        this.suppressedClasses.add(key);
        suppressed += count;
      } else published.push([key, count]);
    }
    // The blanked rows are a class too: fill it up to k with the smallest published classes (ties by key,
    // so that a rerun over the same master makes the same choice and writes the same bytes).
    published.sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, count] of published) {
      if (suppressed === 0 || suppressed >= k) break;
      this.suppressedClasses.add(key);
      suppressed += count;
    }
    this.suppressed = suppressed;
    this.withheld = 0;
  }

  actionFor(row: QuasiIdentifierValues): AnonymityAction {
    if (this.withholdAll) return 'withhold';
    return this.suppressedClasses.has(equivalenceClassOf(row)) ? 'suppress' : 'publish';
  }
}

/** The row with its quasi-identifiers blanked (a suppressed row). */
export function suppressQuasiIdentifiers<Row extends QuasiIdentifierValues>(row: Row): Row {
  // Every one of QUASI_IDENTIFIERS, so a quasi-identifier added to the list is blanked with the others.
  const blanked: Row = { ...row };
  for (const column of QUASI_IDENTIFIERS) blanked[column] = null as Row[typeof column];
  return blanked;
}
