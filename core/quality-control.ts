/**
 * The monthly quality control (pengendalian kualitas, Permensos 3/2021: the stage before the
 * stipulation; BPK's recommendation: screen the active master against the registry every month). Pure
 * rules, no I/O:
 *  - screenPerson: what the current registry says about one active master person — deceased, NIK
 *    deactivated, NIK unknown, domicile now in another regency, name or family card changed;
 *  - the suggested action of each finding (`HAPUS MENINGGAL`, `HAPUS PINDAH`, or verification);
 *  - TrackingReconciler: this month's findings against the tracking list (daftar pelacakan) of earlier
 *    months: new, still open (since the period first seen), or resolved (no longer found);
 *  - the moved family (KPM pindah): one task for the origin regency and one notice for the destination.
 *
 * A finding never deactivates anyone: the regency decides, through a proposal (accountability).
 */
import { namesMatch } from './names.ts';
import type { PopulationPerson } from './proposal.ts';

export const FINDING_KINDS = [
  'MENINGGAL',
  'NIK_NONAKTIF',
  'NIK_TIDAK_DIKENAL',
  'PINDAH_DOMISILI',
  'NAMA_BERUBAH',
  'KK_BERUBAH',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** What the regency is advised to do: a proposal row (aksi and alasan) or a field check. */
export type SuggestedAction = 'HAPUS MENINGGAL' | 'HAPUS PINDAH' | 'VERIFIKASI';

export const SUGGESTED_ACTIONS: Readonly<Record<FindingKind, SuggestedAction>> = {
  MENINGGAL: 'HAPUS MENINGGAL',
  PINDAH_DOMISILI: 'HAPUS PINDAH',
  // Dukcapil deactivates NIKs reversibly (DOMAIN.md): a deactivated NIK is checked, not removed.
  NIK_NONAKTIF: 'VERIFIKASI',
  NIK_TIDAK_DIKENAL: 'VERIFIKASI',
  NAMA_BERUBAH: 'VERIFIKASI',
  KK_BERUBAH: 'VERIFIKASI',
};

export const FINDING_NAMES: Readonly<Record<FindingKind, { id: string; en: string }>> = {
  MENINGGAL: { id: 'Meninggal menurut Dukcapil', en: 'Deceased according to Dukcapil' },
  NIK_NONAKTIF: { id: 'NIK dinonaktifkan Dukcapil', en: 'NIK deactivated by Dukcapil' },
  NIK_TIDAK_DIKENAL: { id: 'NIK tidak terdaftar di Dukcapil', en: 'NIK unknown to Dukcapil' },
  PINDAH_DOMISILI: { id: 'Domisili pindah ke kabupaten/kota lain', en: 'Domicile moved to another regency' },
  NAMA_BERUBAH: { id: 'Nama berbeda dengan Dukcapil', en: 'Name differs from Dukcapil' },
  KK_BERUBAH: { id: 'No. KK berbeda dengan Dukcapil', en: 'Family card number differs from Dukcapil' },
};

/** What the screening reads of an active master person. */
export interface ScreenedPerson {
  nik: string;
  noKk: string;
  nama: string;
  kodeDesa: string;
  /** The regency (4 digits) whose master holds the person: the one screening them. */
  regency: string;
}

/** What the screening reads of the registry person (the population table's item). */
export type RegistryRecord = Pick<PopulationPerson, 'nik' | 'noKk' | 'nama' | 'kodeDesa' | 'statusHidup' | 'statusNik'>;

export interface Finding {
  nik: string;
  kind: FindingKind;
  /** What the registry now says, for the regency to check: the new village, the new No. KK, the registry's name. */
  detail: string;
  /** PINDAH_DOMISILI: the regency of the registry's village. */
  destinationRegency?: string;
}

/**
 * The findings on one active master person (none for a clean one). A deceased person is only that: the
 * rest of a dead person's record no longer matters. A NIK the registry lacks has nothing to compare.
 */
export function screenPerson(person: ScreenedPerson, registry: RegistryRecord | undefined): Finding[] {
  const { nik } = person;
  if (!registry) return [{ nik, kind: 'NIK_TIDAK_DIKENAL', detail: '' }];
  if (registry.statusHidup === 'MENINGGAL') return [{ nik, kind: 'MENINGGAL', detail: '' }];
  const findings: Finding[] = [];
  if (registry.statusNik === 'NONAKTIF') findings.push({ nik, kind: 'NIK_NONAKTIF', detail: '' });
  const registryRegency = registry.kodeDesa.slice(0, 4);
  if (registryRegency !== person.regency) {
    findings.push({
      nik,
      kind: 'PINDAH_DOMISILI',
      detail: registry.kodeDesa,
      destinationRegency: registryRegency,
    });
  }
  // The integrity check's own name rule (criterion 2): a spelling variant is no finding.
  if (!namesMatch(person.nama, registry.nama)) findings.push({ nik, kind: 'NAMA_BERUBAH', detail: registry.nama });
  if (registry.noKk !== person.noKk) findings.push({ nik, kind: 'KK_BERUBAH', detail: registry.noKk });
  return findings;
}

/** The state of a line of the tracking list in a period's list. */
export type TrackingState = 'BARU' | 'MASIH_TERBUKA' | 'SELESAI';

export const TRACKING_STATE_NAMES: Readonly<Record<TrackingState, { id: string; en: string }>> = {
  BARU: { id: 'baru', en: 'new' },
  MASIH_TERBUKA: { id: 'masih terbuka', en: 'still open' },
  SELESAI: { id: 'selesai', en: 'resolved' },
};

/** What the tracking list keeps of an entry between months (the repository stores more beside it). */
export interface TrackedEntry {
  /** The entry's key within its regency (trackingKey). */
  key: string;
  status: 'OPEN' | 'RESOLVED';
  /** The first period in which it was found (since when it is open). */
  sincePeriod: string;
  resolvedPeriod?: string;
  detail: string;
}

/** One entry's place in this period's list, and the write it needs (none for an entry carried unchanged). */
export interface TrackingOutcome<T extends TrackedEntry> {
  state: TrackingState;
  entry: T;
  write: 'CREATE' | 'UPDATE' | 'RESOLVE' | undefined;
}

export function trackingKey(nik: string, kind: FindingKind): string {
  return `${kind}#${nik}`;
}

/**
 * This period's findings (or tasks) against the open entries of earlier runs, for one regency. An entry
 * seen again stays open with the period it was first seen (MASIH_TERBUKA; BARU when that is this very
 * period, as on a rerun); one no longer seen is resolved in this period; a resolved entry seen again opens
 * anew. Only what changed is written, so a month with the same findings rewrites nothing but the files.
 * Entries first seen after this period (a backfill of an older period) are left as they are.
 */
export class TrackingReconciler<T extends TrackedEntry> {
  private readonly seen = new Set<string>();

  constructor(
    private readonly period: string,
    private readonly previous: ReadonlyMap<string, T>,
  ) {}

  /** A finding of this period; `fresh` builds the entry when there is none open. */
  observe(key: string, detail: string, fresh: (sincePeriod: string) => T): TrackingOutcome<T> {
    this.seen.add(key);
    const before = this.previous.get(key);
    if (!before || before.status === 'RESOLVED') {
      return { state: 'BARU', entry: fresh(this.period), write: 'CREATE' };
    }
    const state: TrackingState = before.sincePeriod === this.period ? 'BARU' : 'MASIH_TERBUKA';
    if (before.detail === detail) return { state, entry: before, write: undefined };
    return { state, entry: { ...before, detail }, write: 'UPDATE' };
  }

  /** After the last finding: the open entries not seen (resolved now), and those this period resolved before. */
  *unseen(): Generator<TrackingOutcome<T>> {
    for (const [key, entry] of this.previous) {
      if (this.seen.has(key)) continue;
      if (entry.status === 'RESOLVED') {
        // A rerun of the period lists again what its first run resolved.
        if (entry.resolvedPeriod === this.period) yield { state: 'SELESAI', entry, write: undefined };
        continue;
      }
      if (entry.sincePeriod > this.period) continue;
      yield {
        state: 'SELESAI',
        entry: { ...entry, status: 'RESOLVED', resolvedPeriod: this.period },
        write: 'RESOLVE',
      };
    }
  }
}

/** The moved family (KPM pindah): members of one master family whose registry domicile is in one other regency. */
export interface MovedFamily {
  noKk: string;
  originRegency: string;
  destinationRegency: string;
  members: { nik: string; nama: string; kodeDesa: string }[];
}

export function movedFamilyKey(noKk: string, destinationRegency: string): string {
  return `PINDAH#${noKk}#${destinationRegency}`;
}

/** Groups the PINDAH_DOMISILI findings of a regency into families by (No. KK, destination). */
export class MovedFamilies {
  private readonly families = new Map<string, MovedFamily>();

  constructor(private readonly originRegency: string) {}

  add(person: ScreenedPerson, finding: Finding): void {
    if (finding.kind !== 'PINDAH_DOMISILI' || !finding.destinationRegency) return;
    const key = movedFamilyKey(person.noKk, finding.destinationRegency);
    let family = this.families.get(key);
    if (!family) {
      family = {
        noKk: person.noKk,
        originRegency: this.originRegency,
        destinationRegency: finding.destinationRegency,
        members: [],
      };
      this.families.set(key, family);
    }
    family.members.push({ nik: person.nik, nama: person.nama, kodeDesa: finding.detail });
  }

  entries(): [string, MovedFamily][] {
    return [...this.families].map(([key, family]) => [
      key,
      { ...family, members: [...family.members].sort((a, b) => a.nik.localeCompare(b.nik)) },
    ]);
  }
}

/** The detail a moved family is compared by from month to month: its members and where they live now. */
export function movedFamilyDetail(family: MovedFamily): string {
  return family.members.map((member) => `${member.nik}@${member.kodeDesa}`).join(',');
}

/** The answers to a moved family's task: the origin confirms the removal or disputes the registry; the destination proposes or cannot find them. */
export const TASK_ANSWERS = {
  ORIGIN: ['KONFIRMASI_HAPUS', 'DUKCAPIL_KELIRU'],
  DESTINATION: ['AKAN_DIUSULKAN', 'TIDAK_DITEMUKAN'],
} as const;
export type TaskRole = keyof typeof TASK_ANSWERS;
export type TaskAnswerKind = (typeof TASK_ANSWERS)[TaskRole][number];

export const TASK_ANSWER_NAMES: Readonly<Record<TaskAnswerKind, { id: string; en: string }>> = {
  KONFIRMASI_HAPUS: { id: 'pindah dikonfirmasi; HAPUS PINDAH diusulkan', en: 'move confirmed; HAPUS PINDAH proposed' },
  DUKCAPIL_KELIRU: { id: 'data Dukcapil keliru; keluarga masih di sini', en: 'registry wrong; family still here' },
  AKAN_DIUSULKAN: { id: 'keluarga akan diusulkan (TAMBAH)', en: 'family will be proposed (TAMBAH)' },
  TIDAK_DITEMUKAN: { id: 'keluarga tidak ditemukan di sini', en: 'family not found here' },
};

/** Counts of one regency's (or the nation's) list: the open findings by kind, what is new and what was resolved. */
export interface QualityControlCounts {
  screened: number;
  /** Open findings (BARU and MASIH_TERBUKA) by kind. */
  open: Partial<Record<FindingKind, number>>;
  openTotal: number;
  new: number;
  resolved: number;
  /** Moved families: open origin tasks, and open notices received as destination. */
  movedFamilies: number;
  incomingFamilies: number;
}

export function emptyCounts(): QualityControlCounts {
  return { screened: 0, open: {}, openTotal: 0, new: 0, resolved: 0, movedFamilies: 0, incomingFamilies: 0 };
}

/** Adds one person-level finding's state to the counts. */
export function countFinding(counts: QualityControlCounts, kind: FindingKind, state: TrackingState): void {
  if (state === 'SELESAI') {
    counts.resolved++;
    return;
  }
  counts.open[kind] = (counts.open[kind] ?? 0) + 1;
  counts.openTotal++;
  if (state === 'BARU') counts.new++;
}

export function addCounts(into: QualityControlCounts, from: QualityControlCounts): QualityControlCounts {
  into.screened += from.screened;
  for (const kind of FINDING_KINDS) {
    const n = from.open[kind];
    if (n) into.open[kind] = (into.open[kind] ?? 0) + n;
  }
  into.openTotal += from.openTotal;
  into.new += from.new;
  into.resolved += from.resolved;
  into.movedFamilies += from.movedFamilies;
  into.incomingFamilies += from.incomingFamilies;
  return into;
}

/** The columns of the tracking list CSV (the Dinas Sosial's file and the full tier of the analyst export). */
export const TRACKING_LIST_COLUMNS = [
  'nik',
  'no_kk',
  'nama',
  'temuan',
  'keterangan',
  'keterangan_dukcapil',
  'sejak_periode',
  'tindakan_disarankan',
  'status',
  'kabupaten_kota_terkait',
  'id_tugas',
] as const;

/** An incoming moved family, as a line of the destination's list: the suggestion is to propose adding them. */
export const INCOMING = 'PINDAH_MASUK';

/** One line of the tracking list. */
export interface TrackingListLine {
  nik: string;
  noKk: string;
  nama: string;
  finding: FindingKind | typeof INCOMING;
  /** What the registry says now (village, No. KK, name), '' when the finding itself says it. */
  detail: string;
  sincePeriod: string;
  state: TrackingState;
  /** The destination of a move, or the origin of an incoming family. */
  relatedRegency: string;
  /** The moved family's task (origin) or notice (destination). */
  taskId: string;
}

export function suggestedActionOf(finding: TrackingListLine['finding']): SuggestedAction | 'TAMBAH' {
  return finding === INCOMING ? 'TAMBAH' : SUGGESTED_ACTIONS[finding];
}

/** The line's cells in TRACKING_LIST_COLUMNS order, in Bahasa Indonesia. */
export function trackingListCells(line: TrackingListLine): string[] {
  const name =
    line.finding === INCOMING ? 'Keluarga pindah masuk dari kabupaten/kota lain' : FINDING_NAMES[line.finding].id;
  return [
    line.nik,
    line.noKk,
    line.nama,
    line.finding,
    name,
    line.detail,
    line.sincePeriod,
    suggestedActionOf(line.finding),
    TRACKING_STATE_NAMES[line.state].id,
    line.relatedRegency,
    line.taskId,
  ];
}
