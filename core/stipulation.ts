/**
 * Stipulation (penetapan, Permensos 3/2021): the month's approved proposals become changes to the DTKS
 * master. Pure rules, no I/O:
 *  - the change model, built from the accepted rows of a proposal;
 *  - conflict resolution across proposals: one person, one change per period, and the earlier approval
 *    wins (Pasal 8 ayat 3 huruf a and d: one person, one record, one family);
 *  - the approvers' exclusions (a person by NIK, or a whole family by No. KK);
 *  - the NIK shard of a person, by which the change set is resolved and applied in parallel;
 *  - the merge rule that turns a master record and a change into the new record, idempotently: a change
 *    already applied, or one older than the record's last stipulation, changes nothing.
 * Records are never erased: HAPUS deactivates ("ditidurkan") with the reason and the period.
 */
import { normaliseAreaCode } from './area.ts';
import { parseDate } from './dates.ts';
import { identifierKey } from './fingerprint.ts';
import { identityKey } from './names.ts';
import { MASTER_EXTRACT_COLUMNS, type MasterPerson, PROPOSAL_COLUMNS, type ProposalRow } from './proposal.ts';
import { DEFAULT_SOURCE, type ProposalSource, sourceOf } from './source.ts';

export type ChangeKind = 'UPSERT' | 'DEACTIVATE';

/** One change to the master, a line of the period's change set (NDJSON). */
export interface StipulationChange {
  nik: string;
  kind: ChangeKind;
  /** The row's action: TAMBAH and UBAH upsert, HAPUS deactivates. */
  action: string;
  /** `alasan` of a HAPUS (MENINGGAL, PINDAH, ...); '' otherwise. */
  reason: string;
  /** The person as proposed, normalised (ISO birth date, undotted village code). */
  person: MasterPerson;
  proposalId: string;
  /**
   * The proposal's source (core/source.ts), kept on the record it writes. Optional for a change set line
   * written before sources were kept, read as MUSDES.
   */
  source?: ProposalSource;
  /** `baris` of the row in its proposal. */
  line: number;
  period: string;
}

export type MasterStatus = 'ACTIVE' | 'INACTIVE';

/**
 * A person of the DTKS master as stored: the master extract's fields plus the bookkeeping of stipulation.
 * The `active*` attributes exist only while the person is active: they key the sparse indexes (family,
 * regency for exports, identity for possible duplicates).
 */
export interface MasterRecord extends MasterPerson {
  status: MasterStatus;
  /** Regency (4 digits) and province (2 digits) of the person's village. */
  regency: string;
  province: string;
  activeNoKk?: string;
  activeRegency?: string;
  activeIdentity?: string;
  /** Why and when the person was deactivated (HAPUS), while INACTIVE. */
  deactivatedReason?: string;
  deactivatedPeriod?: string;
  /** The deactivation this record came back from (a later TAMBAH of a deactivated NIK), for the audit. */
  reactivatedFrom?: string;
  firstPeriod: string;
  updatedPeriod: string;
  /** `<period>#<proposalId>#<line>` of the change that last wrote the record: the idempotency key. */
  lastChange: string;
  sourceProposalId: string;
  /**
   * `sumber`: the source of the proposal of that last change (MUSDES, KEMENSOS, MANDIRI); absent on a
   * record written before sources were kept, which exports read as MUSDES (sourceOf).
   */
  source?: ProposalSource;
}

/** The fields of a master person, in the master extract's order. */
export const MASTER_PERSON_FIELDS: readonly (keyof MasterPerson)[] = MASTER_EXTRACT_COLUMNS.map(
  (column) => PROPOSAL_COLUMNS[column] as keyof MasterPerson,
);

export function changeId(change: Pick<StipulationChange, 'period' | 'proposalId' | 'line'>): string {
  return `${change.period}#${change.proposalId}#${change.line}`;
}

/** The change an accepted row of a proposal of `source` asks for. */
export function changeFromRow(
  row: ProposalRow,
  proposalId: string,
  period: string,
  source: ProposalSource = DEFAULT_SOURCE,
): StipulationChange {
  const person = {} as MasterPerson;
  for (const field of MASTER_PERSON_FIELDS) person[field] = row[field];
  person.tanggalLahir = parseDate(row.tanggalLahir) ?? row.tanggalLahir;
  person.kodeDesa = normaliseAreaCode(row.kodeDesa);
  return {
    nik: row.nik,
    kind: row.aksi === 'HAPUS' ? 'DEACTIVATE' : 'UPSERT',
    action: row.aksi,
    reason: row.aksi === 'HAPUS' ? row.alasan : '',
    person,
    proposalId,
    source,
    line: row.line,
    period,
  };
}

export type ChangeVerdict =
  | { admitted: true }
  | { admitted: false; because: 'EXCLUDED'; exclusion: string }
  | { admitted: false; because: 'CONFLICT'; winner: string };

/**
 * Decides which changes of a period go ahead. Feed the proposals in approval order (earliest first);
 * the first proposal to change a person keeps the change, a later proposal's change of the same person
 * is returned to its region. Memory grows with the number of distinct persons changed in the period.
 */
export class ConflictResolver {
  private readonly owners = new Map<number | string, string>();

  /** Decides one change; `excluded` is the approvers' exclusion that removes it, if any. */
  admit(change: StipulationChange, excluded?: string): ChangeVerdict {
    if (excluded !== undefined) return { admitted: false, because: 'EXCLUDED', exclusion: excluded };
    const key = identifierKey(change.nik);
    const owner = this.owners.get(key);
    if (owner !== undefined && owner !== change.proposalId)
      return { admitted: false, because: 'CONFLICT', winner: owner };
    this.owners.set(key, change.proposalId);
    return { admitted: true };
  }
}

/**
 * The NIK shard of a person, 0 to `shards` - 1: FNV-1a (32-bit) of the NIK's characters modulo `shards`.
 * The stipulation resolves and applies its change set by shard (Resolve's and Apply's distributed Maps), so
 * a person falls in the same shard at every step and each shard holds about 1/shards of the month's changes.
 * The ConflictResolver keys a person by identifierKey, which is equal exactly when the NIK strings are equal:
 * every row that can conflict over a person lands in the same shard.
 */
export function shardOf(nik: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < nik.length; i++) hash = Math.imul(hash ^ nik.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** The approvers' exclusions of one proposal, as a look-up: by NIK, or a whole family by No. KK. */
export class ExclusionList {
  private readonly niks = new Map<string, string>();
  private readonly families = new Map<string, string>();

  constructor(exclusions: readonly { kind: 'NIK' | 'KK'; id: string; reason: string }[]) {
    for (const exclusion of exclusions) {
      (exclusion.kind === 'NIK' ? this.niks : this.families).set(exclusion.id, exclusion.reason);
    }
  }

  /** The exclusion that removes this person (described for the region), or undefined. */
  match(person: Pick<MasterPerson, 'nik' | 'noKk'>): string | undefined {
    const byNik = this.niks.get(person.nik);
    if (byNik !== undefined) return `NIK ${person.nik}: ${byNik}`;
    const byFamily = this.families.get(person.noKk);
    if (byFamily !== undefined) return `No. KK ${person.noKk}: ${byFamily}`;
    return undefined;
  }
}

/** The sparse index attributes of an active person. */
function activeAttributes(person: MasterPerson): Pick<MasterRecord, 'activeNoKk' | 'activeRegency' | 'activeIdentity'> {
  return {
    activeNoKk: person.noKk,
    activeRegency: person.kodeDesa.slice(0, 4),
    activeIdentity: identityKey(person.nama, person.tanggalLahir, person.kodeDesa),
  };
}

function samePerson(record: MasterRecord, person: MasterPerson): boolean {
  return MASTER_PERSON_FIELDS.every((field) => (record[field] ?? '') === (person[field] ?? ''));
}

/**
 * The merge rule: the master record after `change`, or 'UNCHANGED' when the change must not or need not
 * write (already applied, superseded by a later period, deactivating an absent or inactive person, or an
 * update that changes no field of an active person).
 */
export function applyChange(existing: MasterRecord | undefined, change: StipulationChange): MasterRecord | 'UNCHANGED' {
  const id = changeId(change);
  if (existing) {
    if (existing.lastChange === id) return 'UNCHANGED';
    // Re-running an older period after a later one must not roll a person back.
    if (existing.updatedPeriod > change.period) return 'UNCHANGED';
  }
  const bookkeeping = {
    updatedPeriod: change.period,
    lastChange: id,
    sourceProposalId: change.proposalId,
    source: sourceOf(change),
  };
  if (change.kind === 'DEACTIVATE') {
    if (!existing || existing.status === 'INACTIVE') return 'UNCHANGED';
    const { activeNoKk: _kk, activeRegency: _regency, activeIdentity: _identity, ...kept } = existing;
    return {
      ...kept,
      ...bookkeeping,
      status: 'INACTIVE',
      deactivatedReason: change.reason,
      deactivatedPeriod: change.period,
    };
  }
  if (existing?.status === 'ACTIVE' && samePerson(existing, change.person)) return 'UNCHANGED';
  const regency = change.person.kodeDesa.slice(0, 4);
  const record: MasterRecord = {
    ...change.person,
    status: 'ACTIVE',
    regency,
    province: regency.slice(0, 2),
    ...activeAttributes(change.person),
    firstPeriod: existing?.firstPeriod ?? change.period,
    ...bookkeeping,
  };
  if (existing?.status === 'INACTIVE') {
    record.reactivatedFrom = `${existing.deactivatedReason ?? ''}@${existing.deactivatedPeriod ?? ''}`;
  } else if (existing?.reactivatedFrom) {
    record.reactivatedFrom = existing.reactivatedFrom;
  }
  return record;
}
