/**
 * The population registry delta extract (PROPOSAL_FORMAT.md, "Reference extracts"): Dukcapil's daily
 * changes, one line per change: the population columns plus `perubahan`. Each change names the fields
 * it moves, so a line whose other columns are older than the stored person does not undo another change:
 *
 * | perubahan   | what it changes                                                                    |
 * |-------------|------------------------------------------------------------------------------------|
 * | `LAHIR`     | a new person: the line as written (a known NIK: its identity fields, as `UBAH`)     |
 * | `MENINGGAL` | `status_hidup` becomes MENINGGAL                                                    |
 * | `PINDAH`    | the domicile: `kode_desa` (the new village) and `alamat`                            |
 * | `NONAKTIF`  | `status_nik` becomes NONAKTIF (Dukcapil deactivated the NIK; reversible)            |
 * | `AKTIF`     | `status_nik` becomes AKTIF (reactivated)                                            |
 * | `UBAH`      | every other field: No. KK, name, sex, place and date of birth, village and address  |
 *
 * `status_hidup` and `status_nik` move only by their own changes; any change but `LAHIR` of a NIK the
 * registry lacks is skipped.
 *
 * Files are applied in their order, named by the file: `<YYYY-MM-DD>-<seq>.csv` (the day of the changes
 * and that day's sequence). A person keeps the stamp of the last line that touched them (file order and
 * line), so a re-delivered file, or a line already applied before a retry, finds its own stamp and
 * changes nothing, and an older file arriving after a newer one finds a later stamp and is superseded
 * for that person.
 */
import type { PopulationPerson } from './proposal.ts';

export const PERUBAHAN = ['LAHIR', 'MENINGGAL', 'PINDAH', 'NONAKTIF', 'AKTIF', 'UBAH'] as const;
export type Perubahan = (typeof PERUBAHAN)[number];

export function isPerubahan(value: string): value is Perubahan {
  return (PERUBAHAN as readonly string[]).includes(value);
}

/** One line of a delta extract: the change and the person as the line writes them. */
export interface PopulationChange {
  /** 1-based data line (header and empty lines not counted). */
  line: number;
  perubahan: Perubahan;
  person: PopulationPerson;
}

/** What one change does to the stored person (undefined: the registry lacks the NIK). */
export type ChangeOutcome =
  | { outcome: 'APPLIED'; person: PopulationPerson }
  | { outcome: 'UNCHANGED' }
  | { outcome: 'UNKNOWN_NIK' };

const IDENTITY_FIELDS = ['noKk', 'nama', 'jenisKelamin', 'tempatLahir', 'tanggalLahir', 'kodeDesa', 'alamat'] as const;

function changed(current: PopulationPerson, next: PopulationPerson): ChangeOutcome {
  const same = (Object.keys(next) as (keyof PopulationPerson)[]).every((field) => current[field] === next[field]);
  return same ? { outcome: 'UNCHANGED' } : { outcome: 'APPLIED', person: next };
}

function withIdentityOf(current: PopulationPerson, line: PopulationPerson): PopulationPerson {
  const next = { ...current };
  for (const field of IDENTITY_FIELDS) next[field] = line[field];
  return next;
}

/** Applies one change to the stored person (undefined when the registry lacks the NIK). */
export function applyPopulationChange(current: PopulationPerson | undefined, change: PopulationChange): ChangeOutcome {
  const line = change.person;
  if (current === undefined) {
    return change.perubahan === 'LAHIR' ? { outcome: 'APPLIED', person: { ...line } } : { outcome: 'UNKNOWN_NIK' };
  }
  // The stored person keeps only the population fields; anything else an adapter stored is not ours to change.
  const base: PopulationPerson = {
    nik: current.nik,
    noKk: current.noKk,
    nama: current.nama,
    jenisKelamin: current.jenisKelamin,
    tempatLahir: current.tempatLahir,
    tanggalLahir: current.tanggalLahir,
    kodeDesa: current.kodeDesa,
    alamat: current.alamat,
    statusHidup: current.statusHidup,
    // A person stored before status_nik existed is active (core/proposal.ts).
    statusNik: current.statusNik ?? 'AKTIF',
  };
  switch (change.perubahan) {
    case 'LAHIR':
    case 'UBAH':
      return changed(base, withIdentityOf(base, line));
    case 'MENINGGAL':
      return changed(base, { ...base, statusHidup: 'MENINGGAL' });
    case 'PINDAH':
      return changed(base, { ...base, kodeDesa: line.kodeDesa, alamat: line.alamat });
    case 'NONAKTIF':
      return changed(base, { ...base, statusNik: 'NONAKTIF' });
    case 'AKTIF':
      return changed(base, { ...base, statusNik: 'AKTIF' });
  }
}

/** The order of a delta file, from its name `<YYYY-MM-DD>-<seq>.csv`. */
export interface DeltaFileOrder {
  date: string;
  seq: number;
  /** Sorts as the files are meant to be applied: `YYYY-MM-DD#<seq, 6 digits>`. */
  order: string;
}

const FILE_NAME = /^(\d{4})-(\d{2})-(\d{2})-(\d{1,6})\.csv$/i;

/** The order of a delta file by its name (the last part of the key), or undefined when the name has none. */
export function deltaFileOrder(fileName: string): DeltaFileOrder | undefined {
  const match = FILE_NAME.exec(fileName);
  if (!match) return undefined;
  const [, year = '', month = '', day = '', seq = ''] = match;
  const date = `${year}-${month}-${day}`;
  const instant = new Date(`${date}T00:00:00Z`);
  // 2026-02-30 is no day: Date rolls it over to March, which would file it out of order.
  if (Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 10) !== date) return undefined;
  return { date, seq: Number(seq), order: `${date}#${seq.padStart(6, '0')}` };
}

/** The stamp a person keeps for the line that last changed them: file order, then line (9 digits). */
export function changeStamp(file: DeltaFileOrder, line: number): string {
  return `${file.order}#${String(line).padStart(9, '0')}`;
}

/** What became of one delta line. */
export type LineOutcome = 'APPLIED' | 'UNCHANGED' | 'SUPERSEDED' | 'UNKNOWN_NIK';

/** The stored person of one NIK as read (undefined: absent) and the stamp it carries. */
export interface StoredState {
  person: PopulationPerson | undefined;
  deltaStamp: string | undefined;
}

/** One NIK's lines applied in file order: the item to write (if any) and each line's outcome. */
export interface PersonPlan {
  write: { person: PopulationPerson; deltaStamp: string } | undefined;
  lines: { line: number; perubahan: Perubahan; outcome: LineOutcome }[];
}

/**
 * Applies one NIK's lines of a file (in file order) to its stored state. A line whose stamp is not after
 * the stored one is not applied: UNCHANGED when the stored stamp is this file's own (a re-delivery, or a
 * retry after a partial load), SUPERSEDED when it is a later file's. A line that changes nothing still
 * moves the stamp: the person is as of that line, so an older file must not change them afterwards.
 */
export function planPersonChanges(
  stored: StoredState,
  changes: readonly PopulationChange[],
  file: DeltaFileOrder,
): PersonPlan {
  let person = stored.person;
  let stamp = stored.deltaStamp;
  let moved = false;
  const lines: PersonPlan['lines'] = [];
  for (const change of changes) {
    const own = changeStamp(file, change.line);
    const { line, perubahan } = change;
    if (stamp !== undefined && stamp >= own) {
      lines.push({ line, perubahan, outcome: stamp.startsWith(`${file.order}#`) ? 'UNCHANGED' : 'SUPERSEDED' });
      continue;
    }
    const result = applyPopulationChange(person, change);
    if (result.outcome === 'UNKNOWN_NIK') {
      lines.push({ line, perubahan, outcome: 'UNKNOWN_NIK' });
      continue;
    }
    if (result.outcome === 'APPLIED') person = result.person;
    stamp = own;
    moved = true;
    lines.push({ line, perubahan, outcome: result.outcome });
  }
  return { write: moved && person && stamp ? { person, deltaStamp: stamp } : undefined, lines };
}
