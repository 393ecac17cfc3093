/**
 * The integrity engine: every row of a proposal against the five data integrity criteria of
 * Permensos 3/2021 Pasal 8 ayat 3, producing the result codes of PROPOSAL_FORMAT.md.
 *
 * It streams in two passes over the rows (`openRows` is called twice):
 *  1. each row's own codes, and what needs the whole file: NIK occurrences, families, identity keys.
 *     This pass reads no port, so it can run while the ports are still loading (`dtks check` loads the
 *     reference extracts in a worker thread meanwhile);
 *  2. per batch, the registry/master/claims look-ups (batched through the ports), joined with the
 *     family and duplicate verdicts, handed to the sink in input order.
 * Memory grows with the reference data and with per-NIK/per-family state, never with whole rows.
 */
import { type AreaIndex, loadAreas, normaliseAreaCode } from './area.ts';
import { levelOf, RESULT_CODES, type ResultCode } from './codes.ts';
import { parseDate } from './dates.ts';
import { detach, hash53, identifierKey } from './fingerprint.ts';
import { parseKk } from './kk.ts';
import type { Lang } from './messages.ts';
import { identityKey, namesMatch } from './names.ts';
import { nikMatchesBirthDate, parseNik } from './nik.ts';
import { NumberIndex } from './number-index.ts';
import type { IntegrityPorts, MasterMember } from './ports.ts';
import {
  MARITAL_STATUSES,
  PROPOSAL_COLUMNS,
  type ProposalField,
  type ProposalRow,
  RELATIONSHIPS,
  REMOVAL_REASONS,
  REQUIRED_COLUMNS,
} from './proposal.ts';

export interface CheckOptions {
  /** The submitting regency: 4 digits, dotted form accepted (33.71). */
  submitter: string;
  /** The proposal being checked: its own NIK claims are not a conflict. */
  proposalId?: string;
  areas?: AreaIndex;
  /**
   * About how many rows the proposal has (`dtks check`: from the file's size), to size the file-wide indexes
   * once instead of growing them row by row; too low or too high costs time or memory, never a result.
   */
  expectedRows?: number;
  /** Called every few thousand rows of each pass. */
  onProgress?: (progress: { pass: 1 | 2; rows: number }) => void;
}

/** What the return report shows of a row (core/report.ts): its line and the identifiers as written. */
export type ReportedRow = Pick<ProposalRow, 'line' | 'nik' | 'noKk' | 'nama'>;

export interface CheckedRow<Row extends ReportedRow = ProposalRow> {
  row: Row;
  /** Every code of the row, errors and warnings, sorted; empty when the row is clean. */
  codes: readonly ResultCode[];
  /** No error code: the row goes on to approval (warnings do not return a row). */
  accepted: boolean;
}

export interface CheckSummary {
  rows: number;
  accepted: number;
  returned: number;
  withWarnings: number;
  codes: Partial<Record<ResultCode, number>>;
}

export type CheckSink = (batch: CheckedRow[]) => void | Promise<void>;

/**
 * The port codes of a batch of pass 2 (ProposalChecker.portBits), by position: the default looks them up
 * in this thread; `dtks check` has them computed beside it, in the thread that holds the extracts.
 */
export type PortBitsSource<Row = ProposalRow> = (rows: readonly Row[]) => Uint32Array | Promise<Uint32Array>;

/**
 * What pass 2's look-ups read of a row whose NIK the registry and the master can answer for (16 digits of a
 * real region and date), as pass 1 derived it: ProposalChecker.portBitsOf answers from these alone, so the
 * look-ups can run without the row (`dtks check` hands them to the thread that holds the extracts).
 */
export interface PortQuery {
  nik: string;
  noKk: string;
  nama: string;
  action: ActionCode;
  /** A HAPUS for the reason MENINGGAL: the registry's death is what the row reports, not a defect. */
  removesDeceased: boolean;
  /** The village code when it is one of the official list, else ''. */
  village: string;
  /** The birth date (ISO) of a row that takes part in the identity checks (POSSIBLE_DUPLICATE_PERSON), else undefined. */
  identityBirthIso: string | undefined;
}

/** The submitter is not a regency/city of the official area list. */
export class UnknownRegencyError extends Error {
  override readonly name = 'UnknownRegencyError';
  constructor(readonly regency: string) {
    super('');
    this.message = this.messageIn('id');
  }

  /** The message in Bahasa Indonesia (the default) or English. */
  messageIn(lang: Lang): string {
    return lang === 'id'
      ? `Kode kabupaten/kota pengusul '${this.regency}' tidak dikenal (contoh yang benar: 3371 atau 33.71)`
      : `The submitting regency/city code '${this.regency}' is unknown (correct examples: 3371 or 33.71)`;
  }
}

const BIT = Object.fromEntries(RESULT_CODES.map((code, i) => [code, 1 << i])) as Record<ResultCode, number>;
const ERROR_MASK = RESULT_CODES.reduce((mask, code) => (levelOf(code) === 'error' ? mask | BIT[code] : mask), 0);
const CODES_ALPHABETICAL = [...RESULT_CODES].sort();

/** Criterion 5: values every row must have (`alasan` only for HAPUS). */
const REQUIRED_FIELDS: readonly ProposalField[] = REQUIRED_COLUMNS.map((column) => PROPOSAL_COLUMNS[column]!);

const RELATIONSHIP_SET: ReadonlySet<string> = new Set(RELATIONSHIPS);
const MARITAL_SET: ReadonlySet<string> = new Set(MARITAL_STATUSES);
const REASON_SET: ReadonlySet<string> = new Set(REMOVAL_REASONS);
const HEAD = 'KEPALA_KELUARGA';
/** Distinct kode_desa values remembered (the country has about 84,000 villages). */
const VILLAGE_CACHE_LIMIT = 100_000;

const ACTION_NONE = 0;
const ACTION_TAMBAH = 1;
const ACTION_UBAH = 2;
const ACTION_HAPUS = 3;
/** A row's aksi: 0 none of the three (or empty), 1 TAMBAH, 2 UBAH, 3 HAPUS. */
export type ActionCode = 0 | 1 | 2 | 3;

function actionCode(aksi: string): ActionCode {
  if (aksi === 'TAMBAH') return ACTION_TAMBAH;
  if (aksi === 'UBAH') return ACTION_UBAH;
  if (aksi === 'HAPUS') return ACTION_HAPUS;
  return ACTION_NONE;
}

/** A No. KK of the file: its rows are chained through `LineTable.nextInFamily`. */
interface FamilyState {
  noKk: string;
  firstLine: number;
  lastLine: number;
  bits: number;
}

/**
 * What pass 1 keeps per data row, indexed by line: typed arrays, so a million-row file costs a few
 * tens of megabytes and no garbage-collected objects.
 */
class LineTable {
  size: number;
  bits: Uint32Array;
  family: Int32Array;
  nextInFamily: Int32Array;
  action: Uint8Array;
  head: Uint8Array;
  /** The NIK as identifierKey when numeric; NaN otherwise (see PassOne.otherNiks). */
  nik: Float64Array;

  constructor(expected: number) {
    this.size = Math.max(1 << 14, expected + 1);
    this.bits = new Uint32Array(this.size);
    this.family = new Int32Array(this.size).fill(-1);
    this.nextInFamily = new Int32Array(this.size);
    this.action = new Uint8Array(this.size);
    this.head = new Uint8Array(this.size);
    this.nik = new Float64Array(this.size).fill(Number.NaN);
  }

  ensure(line: number): void {
    if (line < this.size) return;
    let size = this.size * 2;
    while (size <= line) size *= 2;
    const grow = <T extends Uint32Array | Int32Array | Uint8Array | Float64Array>(
      old: T,
      make: (n: number) => T,
      fill?: number,
    ) => {
      const grown = make(size);
      if (fill !== undefined) grown.fill(fill);
      grown.set(old);
      return grown;
    };
    this.bits = grow(this.bits, (n) => new Uint32Array(n));
    this.family = grow(this.family, (n) => new Int32Array(n), -1);
    this.nextInFamily = grow(this.nextInFamily, (n) => new Int32Array(n));
    this.action = grow(this.action, (n) => new Uint8Array(n));
    this.head = grow(this.head, (n) => new Uint8Array(n));
    this.nik = grow(this.nik, (n) => new Float64Array(n), Number.NaN);
    this.size = size;
  }
}

/** A NumberIndex for identifierKey values, with a Map for the rare malformed (string) identifiers. */
class KeyIndex {
  private readonly numbers: NumberIndex;
  private readonly others = new Map<string, number>();

  constructor(expected: number) {
    this.numbers = new NumberIndex(expected);
  }

  get(key: number | string): number {
    return typeof key === 'number' ? this.numbers.get(key) : (this.others.get(key) ?? -1);
  }

  set(key: number | string, value: number): void {
    if (typeof key === 'number') this.numbers.set(key, value);
    else this.others.set(key, value);
  }
}

/** What both passes derive from a row's own values. */
interface RowContext {
  action: ActionCode;
  /** The village code when it is one of the official list ('' otherwise). */
  village: string;
  birthIso: string | undefined;
}

/**
 * Checks a proposal and hands every row with its codes to `sink`, in input order.
 * `openRows` must yield the same rows each time it is called (it is called twice). `ports` may still
 * be loading: the first pass does not wait for them, and a failure to load ends the check at once.
 */
export async function checkProposal(
  openRows: () => AsyncIterable<ProposalRow[]>,
  ports: IntegrityPorts | Promise<IntegrityPorts>,
  options: CheckOptions,
  sink: CheckSink,
): Promise<CheckSummary> {
  const checker = new ProposalChecker(ports, options);
  for await (const batch of openRows()) checker.addBatch(batch);
  await checker.finish();
  return checker.emit(openRows(), sink);
}

/** The two passes of `checkProposal`, usable on their own when the rows come from elsewhere. */
export class ProposalChecker {
  private readonly areas: AreaIndex;
  private readonly submitter: string;
  private readonly ownProposalId: string;
  private readonly lines: LineTable;
  /** NIK (as identifierKey) → the first line that names it; malformed NIKs in a Map of their own. */
  private readonly nikFirst: KeyIndex;
  /** The lines of NIKs named more than once (rare), by NIK. */
  private readonly repeatedNiks = new Map<number | string, number[]>();
  /** The NIK of a line whose NIK is not 16 digits (LineTable.nik holds the others). */
  private readonly otherNiks = new Map<number, string>();
  /** identifierKey(No. KK) → index into familyList. */
  private readonly families: KeyIndex;
  private readonly familyList: FamilyState[] = [];
  /** Identity hash → index into the identity tables below. */
  private readonly identities: NumberIndex;
  private identityFirstLine: number[] = [];
  private identityShared: boolean[] = [];
  /** Lines that repeat the first NIK of an identity (rare: they are duplicates already). */
  private readonly identityRepeats = new Map<number, number[]>();
  private rowsSeen = 0;
  /** kode_desa as written → its official village code or '' (see villageOf). */
  private readonly villages = new Map<string, string>();
  private readonly portsReady: Promise<IntegrityPorts>;
  private portsFailure: { error: unknown } | undefined;

  constructor(
    ports: IntegrityPorts | Promise<IntegrityPorts>,
    private readonly options: CheckOptions,
  ) {
    this.areas = options.areas ?? loadAreas();
    this.submitter = normaliseAreaCode(options.submitter);
    if (!this.areas.isRegency(this.submitter)) throw new UnknownRegencyError(options.submitter);
    this.ownProposalId = options.proposalId ?? '';
    const rows = options.expectedRows ?? 0;
    this.lines = new LineTable(rows);
    this.nikFirst = new KeyIndex(Math.max(1 << 16, rows));
    // A family has three to four rows of a proposal, most of them: a third of the rows is plenty.
    this.families = new KeyIndex(Math.max(1 << 16, Math.ceil(rows / 3)));
    this.identities = new NumberIndex(Math.max(1 << 16, rows));
    this.portsReady = Promise.resolve(ports);
    // Noted (not left unhandled) while pass 1 runs; addBatch and finish rethrow it.
    this.portsReady.catch((error: unknown) => {
      this.portsFailure = { error };
    });
  }

  /**
   * Pass 1 for one batch of rows: reads no port. With `queries`, each row's PortQuery (undefined for a row
   * whose NIK no port can answer for) is appended to it, so pass 2 may look the rows up without them.
   */
  addBatch(rows: readonly ProposalRow[], queries?: (PortQuery | undefined)[]): void {
    if (this.portsFailure) throw this.portsFailure.error;
    for (const row of rows) {
      const context = this.context(row);
      const nikValid = row.nik !== '' && (this.checkRowAlone(row, context) & BIT.NIK_FORMAT) === 0;
      this.collectFamilyAndNik(row, context.action);
      const identity = this.hasIdentity(row, context, nikValid);
      if (identity) this.collectIdentity(hash53(identityKey(row.nama, context.birthIso!, context.village)), row);
      queries?.push(nikValid ? portQuery(row, context, identity) : undefined);
    }
    this.rowsSeen += rows.length;
    this.options.onProgress?.({ pass: 1, rows: this.rowsSeen });
  }

  /** Ends pass 1: the family verdicts need every row of the file and the master's families. */
  async finish(): Promise<void> {
    const ports = await this.portsReady;
    for (const lines of this.repeatedNiks.values()) {
      // Criterion 1: every occurrence is a duplicate; criterion 4: under two No. KK, every occurrence overlaps.
      const family = this.lines.family[lines[0]!];
      const overlap = lines.some((line) => this.lines.family[line] !== family);
      for (const line of lines) this.mark(line, BIT.DUPLICATE_NIK | (overlap ? BIT.FAMILY_OVERLAP : 0));
    }
    const chunk = 500;
    for (let start = 0; start < this.familyList.length; start += chunk) {
      const slice = this.familyList.slice(start, start + chunk);
      const masterFamilies = await ports.master.findFamilies(slice.map((f) => f.noKk));
      for (const family of slice) family.bits = this.familyVerdict(family, masterFamilies.get(family.noKk) ?? []);
    }
  }

  /**
   * Pass 2: each batch's look-ups in the ports, joined with the file-wide verdicts; hands the rows to the
   * sink in order. The rows may be any that carry what the report shows, given their port codes.
   */
  async emit(rows: AsyncIterable<ProposalRow[]>, sink: CheckSink, portBitsOf?: PortBitsSource): Promise<CheckSummary>;
  async emit<Row extends ReportedRow>(
    rows: AsyncIterable<Row[]> | Iterable<Row[]>,
    sink: (batch: CheckedRow<Row>[]) => void | Promise<void>,
    portBitsOf: PortBitsSource<Row>,
  ): Promise<CheckSummary>;
  async emit(
    rows: AsyncIterable<ProposalRow[]> | Iterable<ProposalRow[]>,
    sink: CheckSink,
    portBitsOf: PortBitsSource = (batch) => this.portBits(batch),
  ): Promise<CheckSummary> {
    await this.portsReady;
    const summary: CheckSummary = { rows: 0, accepted: 0, returned: 0, withWarnings: 0, codes: {} };
    const codeCounts = new Uint32Array(RESULT_CODES.length);
    const codesByBits = new Map<number, readonly ResultCode[]>();
    for await (const batch of rows) {
      const portBits = await portBitsOf(batch);
      const out: CheckedRow[] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i]!;
        const bits = this.finalBits(row.line) | portBits[i]!;
        let codes = codesByBits.get(bits);
        if (!codes) {
          codes = CODES_ALPHABETICAL.filter((code) => bits & BIT[code]);
          codesByBits.set(bits, codes);
        }
        for (let c = 0; c < RESULT_CODES.length; c++) if (bits & (1 << c)) codeCounts[c]!++;
        const accepted = (bits & ERROR_MASK) === 0;
        if (accepted) summary.accepted++;
        else summary.returned++;
        if (bits & ~ERROR_MASK) summary.withWarnings++;
        out[i] = { row, codes, accepted };
      }
      summary.rows += batch.length;
      await sink(out);
      this.options.onProgress?.({ pass: 2, rows: summary.rows });
    }
    RESULT_CODES.forEach((code, c) => {
      if (codeCounts[c]) summary.codes[code] = codeCounts[c];
    });
    return summary;
  }

  private finalBits(line: number): number {
    const family = this.lines.family[line] ?? -1;
    return (this.lines.bits[line] ?? 0) | (family >= 0 ? this.familyList[family]!.bits : 0);
  }

  private mark(line: number, bits: number): void {
    this.lines.ensure(line);
    this.lines.bits[line]! |= bits;
  }

  /** What the checks read of a row's action, village and birth date (both passes). */
  private context(row: ProposalRow): RowContext {
    return {
      action: actionCode(row.aksi),
      village: row.kodeDesa === '' ? '' : this.villageOf(row.kodeDesa),
      birthIso: row.tanggalLahir === '' ? undefined : parseDate(row.tanggalLahir),
    };
  }

  /**
   * The village code of a `kode_desa` value when it is one of the official list, else ''. A proposal
   * names a few hundred villages in a million rows, so the answers are kept by the value as written.
   */
  private villageOf(kodeDesa: string): string {
    let village = this.villages.get(kodeDesa);
    if (village === undefined) {
      const code = normaliseAreaCode(kodeDesa);
      village = isDigits(code, 10, 10) && this.areas.isVillage(code) ? detach(code) : '';
      if (this.villages.size < VILLAGE_CACHE_LIMIT) this.villages.set(detach(kodeDesa), village);
    }
    return village;
  }

  /**
   * A NIK the registry and master can answer for: 16 digits of a real region and a real date. Pass 2 reads
   * pass 1's verdict; a row pass 1 has not seen (portBits on rows of another reading) is parsed here.
   */
  private nikValid(row: ProposalRow): boolean {
    if (row.nik === '') return false;
    if (row.line > this.rowsSeen) return parseNik(row.nik, this.areas).ok;
    return ((this.lines.bits[row.line] ?? 0) & BIT.NIK_FORMAT) === 0;
  }

  /** Rows that take part in the identity checks (POSSIBLE_DUPLICATE_PERSON); `nikValid` as nikValid says. */
  private hasIdentity(row: ProposalRow, { action, birthIso, village }: RowContext, nikValid: boolean): boolean {
    if (birthIso === undefined || village === '' || row.nama === '') return false;
    return nikValid && (action === ACTION_TAMBAH || action === ACTION_UBAH);
  }

  /**
   * The codes a row earns on its own: criteria 1, 2 (identifier structure) and 5, and the submitter's region.
   * Marks them on the row's line and returns them.
   */
  private checkRowAlone(row: ProposalRow, { action, birthIso, village }: RowContext): number {
    let bits = 0;
    for (const field of REQUIRED_FIELDS) {
      if (row[field] === '') {
        bits |= BIT.MISSING_ATTRIBUTE;
        break;
      }
    }
    if (row.aksi !== '' && action === ACTION_NONE) bits |= BIT.INVALID_ATTRIBUTE;
    if (action === ACTION_HAPUS) {
      if (row.alasan === '') bits |= BIT.MISSING_ATTRIBUTE;
      else if (!REASON_SET.has(row.alasan)) bits |= BIT.INVALID_ATTRIBUTE;
    }
    if (row.jenisKelamin !== '' && row.jenisKelamin !== 'L' && row.jenisKelamin !== 'P') bits |= BIT.INVALID_ATTRIBUTE;
    if (row.tanggalLahir !== '' && birthIso === undefined) bits |= BIT.INVALID_ATTRIBUTE;
    if (row.hubunganKeluarga !== '' && !RELATIONSHIP_SET.has(row.hubunganKeluarga)) bits |= BIT.INVALID_ATTRIBUTE;
    if (row.statusPerkawinan !== '' && !MARITAL_SET.has(row.statusPerkawinan)) bits |= BIT.INVALID_ATTRIBUTE;
    if ((row.rt !== '' && !isDigits(row.rt, 1, 3)) || (row.rw !== '' && !isDigits(row.rw, 1, 3))) {
      bits |= BIT.INVALID_ATTRIBUTE;
    }
    if (row.penghasilanBulanan !== '' && !isDigits(row.penghasilanBulanan, 1, 15)) bits |= BIT.INVALID_ATTRIBUTE;
    if (row.desil !== '' && !isDecile(row.desil)) bits |= BIT.INVALID_ATTRIBUTE;

    if (row.kodeDesa !== '') {
      const code = village || normaliseAreaCode(row.kodeDesa);
      if (isDigits(code, 10, 10)) {
        // The region check reads the code's own regency digits, whether or not the village still exists.
        if (code.slice(0, 4) !== this.submitter) bits |= BIT.REGION_OUTSIDE_SUBMITTER;
        if (village === '') bits |= BIT.INVALID_ATTRIBUTE; // ten digits, but no village of the list
      } else {
        bits |= BIT.INVALID_ATTRIBUTE;
      }
    }

    if (row.nik !== '') {
      const nik = parseNik(row.nik, this.areas);
      if (nik.ok) {
        if (birthIso !== undefined && !nikMatchesBirthDate(nik.parts, birthIso)) bits |= BIT.NIK_BIRTHDATE_MISMATCH;
        if ((row.jenisKelamin === 'L' || row.jenisKelamin === 'P') && nik.parts.sex !== row.jenisKelamin) {
          bits |= BIT.NIK_SEX_MISMATCH;
        }
      } else {
        bits |= BIT.NIK_FORMAT;
      }
    }
    if (row.noKk !== '' && !parseKk(row.noKk, this.areas).ok) bits |= BIT.KK_FORMAT;

    if (bits) this.mark(row.line, bits);
    return bits;
  }

  /** Remembers the row's NIK (duplicates, criterion 1) and its family (criteria 3 and 4). */
  private collectFamilyAndNik(row: ProposalRow, action: ActionCode): void {
    const { line } = row;
    const lines = this.lines;
    lines.ensure(line);
    lines.action[line] = action;
    lines.head[line] = row.hubunganKeluarga === HEAD ? 1 : 0;
    if (row.noKk !== '') {
      const familyKey = keyOf(row.noKk);
      let index = this.families.get(familyKey);
      if (index < 0) {
        index = this.familyList.length;
        this.families.set(familyKey, index);
        // Detached: a slice of the reader's chunk would keep the whole chunk (and so the file) in memory.
        this.familyList.push({ noKk: detach(row.noKk), firstLine: line, lastLine: line, bits: 0 });
      } else {
        const family = this.familyList[index]!;
        lines.nextInFamily[family.lastLine] = line;
        family.lastLine = line;
      }
      lines.family[line] = index;
      lines.nextInFamily[line] = 0;
    }
    if (row.nik === '') return;
    const key = keyOf(row.nik);
    if (typeof key === 'number') lines.nik[line] = key;
    else this.otherNiks.set(line, key);
    const first = this.nikFirst.get(key);
    if (first < 0) {
      this.nikFirst.set(key, line);
      return;
    }
    const repeated = this.repeatedNiks.get(key);
    if (repeated) repeated.push(line);
    else this.repeatedNiks.set(key, [first, line]);
  }

  /**
   * Criteria 1, 2 and 4 of a batch against the population registry, the DTKS master and other pending
   * proposals: the codes of each row of the batch, by position (portBitsOf over the rows' queries). They
   * depend on nothing but the row and the ports; a row pass 1 has not seen has its NIK parsed (nikValid).
   */
  portBits(rows: readonly ProposalRow[]): Promise<Uint32Array> {
    const queries: (PortQuery | undefined)[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (!this.nikValid(row)) continue;
      const context = this.context(row);
      queries[i] = portQuery(row, context, this.hasIdentity(row, context, true));
    }
    return this.portBitsOf(queries);
  }

  /** portBits from the rows' PortQuery (pass 1's `queries`): undefined for a row no port can answer for. */
  async portBitsOf(queries: readonly (PortQuery | undefined)[]): Promise<Uint32Array> {
    const ports = await this.portsReady;
    const found = new Uint32Array(queries.length);
    const niks: string[] = [];
    const identityRows: number[] = [];
    const identityKeys: string[] = [];
    for (let i = 0; i < queries.length; i++) {
      const query = queries[i];
      if (!query) continue;
      niks.push(query.nik);
      if (query.identityBirthIso !== undefined) {
        identityRows.push(i);
        identityKeys.push(identityKey(query.nama, query.identityBirthIso, query.village));
      }
    }
    if (!niks.length) return found;
    const [registry, master, claims, masterIdentities] = await Promise.all([
      ports.population.findByNik(niks),
      ports.master.findByNik(niks),
      ports.claims.findClaims(niks, this.ownProposalId),
      identityKeys.length ? ports.master.findByIdentity(identityKeys) : new Map<string, string[]>(),
    ]);

    for (let i = 0; i < queries.length; i++) {
      const query = queries[i];
      if (!query) continue;
      const { action, village } = query;
      let bits = 0;
      const person = registry.get(query.nik);
      if (!person) {
        // An unknown NIK has no name, village or life status to compare: NIK_NOT_FOUND stands alone.
        bits |= BIT.NIK_NOT_FOUND;
      } else {
        // A deactivated NIK is still a person the registry knows (Dukcapil can reactivate it), so the
        // comparisons below still tell the region what else to fix; NIK_INACTIVE is added, never instead.
        if (person.statusNik === 'NONAKTIF') bits |= BIT.NIK_INACTIVE;
        if (person.statusHidup === 'MENINGGAL' && !query.removesDeceased) bits |= BIT.DECEASED;
        if (query.nama !== '' && !namesMatch(query.nama, person.nama)) bits |= BIT.NAME_MISMATCH;
        if (village !== '') {
          const registered = normaliseAreaCode(person.kodeDesa);
          if (registered !== village) {
            // A registry address in another regency is a beneficiary who moved: tracked, not returned.
            bits |= registered.slice(0, 4) === village.slice(0, 4) ? BIT.ADDRESS_MISMATCH : BIT.MOVED_DOMICILE;
          }
        }
      }
      const inMaster = master.get(query.nik);
      if (action === ACTION_TAMBAH) {
        if (inMaster) {
          bits |= BIT.ALREADY_IN_DTKS;
          if (query.noKk !== '' && inMaster.noKk !== query.noKk) bits |= BIT.FAMILY_OVERLAP;
        }
      } else if (action === ACTION_UBAH || action === ACTION_HAPUS) {
        if (!inMaster) bits |= BIT.NOT_IN_DTKS;
      }
      if (action === ACTION_TAMBAH || action === ACTION_UBAH) {
        const claim = claims.get(query.nik);
        if (claim && claim.noKk !== query.noKk) bits |= BIT.FAMILY_OVERLAP;
      }
      found[i] = bits;
    }

    for (let i = 0; i < identityRows.length; i++) {
      const query = queries[identityRows[i]!]!;
      const others = masterIdentities.get(identityKeys[i]!);
      if (others?.some((nik) => nik !== query.nik)) found[identityRows[i]!]! |= BIT.POSSIBLE_DUPLICATE_PERSON;
    }
    return found;
  }

  /** Criterion 1 within the file: another NIK with the same normalised name, birth date and village. */
  private collectIdentity(hash: number, row: ProposalRow): void {
    const index = this.identities.get(hash);
    if (index < 0) {
      this.identities.set(hash, this.identityFirstLine.length);
      this.identityFirstLine.push(row.line);
      this.identityShared.push(false);
      return;
    }
    const flag = BIT.POSSIBLE_DUPLICATE_PERSON;
    // Rows with an identity have a valid NIK, so LineTable.nik holds it as a number.
    const lines = this.lines;
    if (lines.nik[this.identityFirstLine[index]!] === lines.nik[row.line]) {
      if (this.identityShared[index]) this.mark(row.line, flag);
      else this.identityRepeats.set(index, [...(this.identityRepeats.get(index) ?? []), row.line]);
      return;
    }
    this.mark(row.line, flag);
    if (!this.identityShared[index]) {
      this.identityShared[index] = true;
      this.mark(this.identityFirstLine[index]!, flag);
      for (const line of this.identityRepeats.get(index) ?? []) this.mark(line, flag);
      this.identityRepeats.delete(index);
    }
  }

  /**
   * Criterion 3 on the family as it would be after the proposal is applied to the master: its master
   * members, less those the proposal removes or moves elsewhere, plus the proposal's adds and updates.
   */
  private familyVerdict(family: FamilyState, masterMembers: readonly MasterMember[]): number {
    const heads = new Map<number | string, boolean>();
    const lines = this.lines;
    for (const member of masterMembers) {
      const key = identifierKey(member.nik);
      const first = this.nikFirst.get(key);
      // A master member named by a row of the file takes that row's word for its family and role
      // (an UBAH may move them elsewhere, a HAPUS removes them); a row with an unknown aksi says nothing.
      if (first >= 0 && lines.action[first] !== ACTION_NONE) continue;
      heads.set(key, member.hubunganKeluarga === HEAD);
    }
    for (let line = family.firstLine; line > 0; line = lines.nextInFamily[line]!) {
      const nik = lines.nik[line]!;
      const key = Number.isNaN(nik) ? (this.otherNiks.get(line) ?? `#${line}`) : nik;
      const action = lines.action[line];
      if (action === ACTION_HAPUS) heads.delete(key);
      else if (action !== ACTION_NONE) heads.set(key, lines.head[line] === 1);
      if (line === family.lastLine) break;
    }
    let headCount = 0;
    for (const head of heads.values()) if (head) headCount++;
    if (heads.size === 0) return 0;
    if (headCount === 0) return BIT.FAMILY_NO_HEAD;
    if (headCount > 1) return BIT.FAMILY_MULTIPLE_HEADS;
    return 0;
  }
}

/** A row's PortQuery, from what pass 1 (or portBits) derived of it. */
function portQuery(row: ProposalRow, context: RowContext, identity: boolean): PortQuery {
  return {
    nik: row.nik,
    noKk: row.noKk,
    nama: row.nama,
    action: context.action,
    removesDeceased: context.action === ACTION_HAPUS && row.alasan === 'MENINGGAL',
    village: context.village,
    identityBirthIso: identity ? context.birthIso : undefined,
  };
}

/** identifierKey, with a malformed identifier detached from the reader's chunk (it is kept as a key). */
function keyOf(id: string): number | string {
  const key = identifierKey(id);
  return typeof key === 'number' ? key : detach(key);
}

function isDigits(text: string, min: number, max: number): boolean {
  if (text.length < min || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isDecile(text: string): boolean {
  return isDigits(text, 1, 2) && Number(text) >= 1 && Number(text) <= 10;
}
