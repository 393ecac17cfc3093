/**
 * In-memory implementations of the integrity ports, loaded from the CSV extracts of
 * PROPOSAL_FORMAT.md ("Reference extracts"). Used by `dtks check` and the tests.
 *
 * They hold a regency's whole world (millions of people) in a few hundred megabytes at most: each
 * keeps only what the checks read, in typed-array columns indexed by row, found through open-addressing
 * hash tables of row numbers keyed by numeric identifiers (see identifierKey). No per-person JS object
 * or string is kept, so loading costs no garbage collection, and the columns can be built in a worker
 * thread and handed over without copying (adapters/extracts/loader.ts).
 */

import { Buffer } from 'node:buffer';
import { normaliseAreaCode } from '#core/area.ts';
import { parseDate } from '#core/dates.ts';
import { hash53, hash53Joined, identifierKey } from '#core/fingerprint.ts';
import { normaliseName } from '#core/names.ts';
import type {
  ClaimRegistry,
  DtksMaster,
  IntegrityPorts,
  MasterMember,
  NikClaim,
  PopulationRegistry,
  RegistryPerson,
} from '#core/ports.ts';
import { type MasterPerson, type PopulationPerson, RELATIONSHIPS } from '#core/proposal.ts';

const INITIAL_ROWS = 1 << 12;

type Column = Float64Array | Int32Array | Uint32Array | Uint8Array;
type ColumnType<T extends Column> = {
  new (length: number): T;
  new (buffer: SharedArrayBuffer): T;
  BYTES_PER_ELEMENT: number;
};

/**
 * A new column of `length` elements, in a SharedArrayBuffer when `shared`: the check worker loads the
 * extracts into shared memory, which the main thread then reads too (adapters/extracts/check-worker.ts).
 */
function column<T extends Column>(type: ColumnType<T>, length: number, shared: boolean): T {
  return shared ? new type(new SharedArrayBuffer(length * type.BYTES_PER_ELEMENT)) : new type(length);
}

/** `old` copied into a longer column, shared where `old` is. */
function grown<T extends Column>(old: T, length: number): T {
  const next = column(old.constructor as ColumnType<T>, length, old.buffer instanceof SharedArrayBuffer);
  next.set(old);
  return next;
}

/** A well-mixed 32-bit hash of an integer-valued number (up to 2^53 in magnitude). */
function mix(key: number): number {
  let h = Math.imul((key | 0) ^ Math.imul((key / 4294967296) | 0, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 13);
}

/** A slot holds row + 1 in its low ROW_BITS bits (0: empty) and the high bits of the key's hash as a tag. */
const ROW_BITS = 25;
const ROW_MASK = (1 << ROW_BITS) - 1;
const TAG_MASK = ~ROW_MASK;
/** The most rows a RowTable can refer to (a regency has a few million people). */
export const MAX_TABLE_ROWS = ROW_MASK - 1;

/** An extract with more rows than MAX_TABLE_ROWS: the loaders name it as ExtractFormatError TOO_MANY_ROWS. */
export class TableFullError extends RangeError {
  override readonly name = 'TableFullError';
  constructor() {
    super(`an in-memory extract holds at most ${MAX_TABLE_ROWS} rows`);
  }
}

/**
 * Open-addressing hash table from a number key to a row; the keys live in the owner's column
 * (`keys[row]`), the table only holds row + 1 and a tag of the key's hash, so it costs 4-8 bytes per row.
 * The tag spares the look-up of `keys[row]` (a cache miss: the keys are a column of megabytes) at nearly
 * every slot that holds another key; most of a load's time in the table was those misses.
 */
export class RowTable {
  slots: Int32Array;
  private mask: number;
  private count: number;

  constructor(slots: Int32Array = new Int32Array(INITIAL_ROWS * 2), count = 0) {
    this.slots = slots;
    this.mask = slots.length - 1;
    this.count = count;
  }

  get size(): number {
    return this.count;
  }

  /** The row holding `key`, or -1. */
  get(key: number, keys: Float64Array): number {
    return (this.slots[this.slotOf(key, keys)]! & ROW_MASK) - 1;
  }

  /** Makes `row` the entry of its key (`keys[row]`); returns the row it replaced, or -1. */
  put(row: number, keys: Float64Array): number {
    const key = keys[row]!;
    const at = this.slotOf(key, keys);
    const held = this.slots[at]!;
    this.slots[at] = entry(key, row);
    if (held !== 0) return (held & ROW_MASK) - 1;
    this.counted(keys);
    return -1;
  }

  /** Adds `row` under its key (`keys[row]`) unless the key is there: then returns the row holding it, else -1. */
  add(row: number, keys: Float64Array): number {
    const key = keys[row]!;
    const at = this.slotOf(key, keys);
    const held = this.slots[at]!;
    if (held !== 0) return (held & ROW_MASK) - 1;
    this.slots[at] = entry(key, row);
    this.counted(keys);
    return -1;
  }

  /** Room for `count` keys without rehashing. */
  reserve(count: number, keys: Float64Array): void {
    let length = this.slots.length;
    while (count * 4 > length * 3) length *= 2;
    if (length > this.slots.length) this.rehash(keys, length);
  }

  /**
   * Reads the slot of each of `count` keys, without using it: a loader calls it for a batch of rows before it
   * adds them one by one, so that the batch's cache misses (a random slot of a table of megabytes each) overlap
   * in this tight loop instead of stalling one by one between the parsing of the rows.
   */
  touch(keys: Float64Array, count: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let sum = 0;
    for (let i = 0; i < count; i++) sum ^= slots[mix(keys[i]!) & mask]!;
    this.touched = sum;
  }

  /** What touch read, kept (and public) so that the compiler cannot drop the reads. */
  touched = 0;

  /** The slot of `key`: the one holding it, or the empty one where it goes. */
  private slotOf(key: number, keys: Float64Array): number {
    const slots = this.slots;
    const mask = this.mask;
    const h = mix(key);
    const tag = h & TAG_MASK;
    let at = h & mask;
    for (;;) {
      const held = slots[at]!;
      if (held === 0 || ((held & TAG_MASK) === tag && keys[(held & ROW_MASK) - 1] === key)) return at;
      at = (at + 1) & mask;
    }
  }

  /** One more key: grows the table past half full. */
  private counted(keys: Float64Array): void {
    if (++this.count * 4 > this.slots.length * 3) this.rehash(keys, this.slots.length * 2);
  }

  private rehash(keys: Float64Array, length: number): void {
    const old = this.slots;
    const slots = column(Int32Array, length, old.buffer instanceof SharedArrayBuffer);
    const mask = slots.length - 1;
    for (let i = 0; i < old.length; i++) {
      const held = old[i]!;
      if (held === 0) continue;
      let at = mix(keys[(held & ROW_MASK) - 1]!) & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = held;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** The slot value of `row` under `key`. */
function entry(key: number, row: number): number {
  if (row >= MAX_TABLE_ROWS) throw new TableFullError();
  return (mix(key) & TAG_MASK) | (row + 1);
}

/** The inverse of identifierKey for its numeric keys. */
export function identifierText(key: number): string {
  return key >= 0 ? String(key).padStart(16, '0') : `9${String(-key - 1).padStart(15, '0')}`;
}

const encoder = new TextEncoder();

/** Everything a MemoryPopulationRegistry holds: typed arrays (transferable) and small side tables. */
export interface PopulationState {
  size: number;
  keys: Float64Array;
  /**
   * Per row, side by side so that a look-up touches one cache line: village index * 4, + 2 when Dukcapil
   * has deactivated the NIK (status_nik NONAKTIF), + 1 when deceased; then the name's start and length in
   * `names`. (A country has about 84,000 villages: the index has bits to spare.)
   */
  records: Int32Array;
  names: Uint8Array;
  namesUsed: number;
  /** Village codes as written (a regency has a few hundred): one shared string per village in the answers. */
  villages: string[];
  table: Int32Array;
  tableCount: number;
  /** Rows whose NIK is not 16 digits, by the NIK as written. */
  otherNiks: Map<string, number>;
}

const RECORD = 3;
const DECEASED = 1;
const INACTIVE = 2;
/** records[row * RECORD] >> VILLAGE_SHIFT is the village index. */
const VILLAGE_SHIFT = 2;

export class MemoryPopulationRegistry implements PopulationRegistry {
  private s: PopulationState;
  private readonly table: RowTable;
  private readonly villageIndex = new Map<string, number>();
  private lastVillage: string | undefined;
  private lastVillageIndex = 0;
  private namesView: Buffer | undefined;

  /** `shared`: an empty registry whose columns grow in shared memory. */
  constructor(state?: PopulationState, { shared = false } = {}) {
    this.s = state ?? {
      size: 0,
      keys: column(Float64Array, INITIAL_ROWS, shared),
      records: column(Int32Array, INITIAL_ROWS * RECORD, shared),
      names: column(Uint8Array, INITIAL_ROWS * 16, shared),
      namesUsed: 0,
      villages: [],
      table: column(Int32Array, INITIAL_ROWS * 2, shared),
      tableCount: 0,
      otherNiks: new Map(),
    };
    for (const [i, code] of this.s.villages.entries()) this.villageIndex.set(code, i);
    this.table = new RowTable(this.s.table, this.s.tableCount);
  }

  static async fromExtract(batches: AsyncIterable<PopulationPerson[]>): Promise<MemoryPopulationRegistry> {
    const registry = new MemoryPopulationRegistry();
    for await (const batch of batches) for (const person of batch) registry.add(person);
    return registry;
  }

  /** The columns, for a transfer from a worker thread (the registry must not be used afterwards). */
  state(): PopulationState {
    this.s.table = this.table.slots;
    this.s.tableCount = this.table.size;
    return this.s;
  }

  get size(): number {
    return this.s.size;
  }

  add(person: RegistryPerson): void {
    const name = encoder.encode(person.nama);
    this.addRow(
      identifierKey(person.nik),
      name,
      0,
      name.length,
      person.kodeDesa,
      person.statusHidup === 'MENINGGAL',
      person.statusNik === 'NONAKTIF',
    );
  }

  /**
   * Adds (or, for a NIK already present, replaces: the registry's latest record counts) a person whose
   * name is the UTF-8 bytes `bytes[start, end)`, with the village code as written; `inactive`: Dukcapil
   * has deactivated the NIK.
   */
  addRow(
    key: number | string,
    bytes: Uint8Array,
    start: number,
    end: number,
    village: string,
    deceased: boolean,
    inactive: boolean,
  ): void {
    const s = this.s;
    let row: number;
    if (typeof key === 'number') {
      this.reserve(s.size + 1);
      s.keys[s.size] = key;
      const found = this.table.add(s.size, s.keys);
      row = found >= 0 ? found : s.size++;
    } else {
      const found = s.otherNiks.get(key);
      if (found !== undefined) row = found;
      else {
        this.reserve(s.size + 1);
        row = s.size++;
        s.keys[row] = Number.NaN;
        s.otherNiks.set(key, row);
      }
    }
    const length = end - start;
    if (s.namesUsed + length > s.names.length) {
      s.names = grown(s.names, Math.max(s.names.length * 2, s.namesUsed + length));
    }
    const names = s.names;
    let at = s.namesUsed;
    // Names are short: a loop beats a subarray + set.
    for (let i = start; i < end; i++) names[at++] = bytes[i]!;
    // Members of a family follow each other in an extract: most rows name the village of the row before.
    let v = village === this.lastVillage ? this.lastVillageIndex : this.villageIndex.get(village);
    if (v === undefined) {
      v = s.villages.length;
      s.villages.push(village);
      this.villageIndex.set(village, v);
    }
    this.lastVillage = village;
    this.lastVillageIndex = v;
    const r = row * RECORD;
    s.records[r] = (v << VILLAGE_SHIFT) | (inactive ? INACTIVE : 0) | (deceased ? DECEASED : 0);
    s.records[r + 1] = s.namesUsed;
    s.records[r + 2] = length;
    s.namesUsed = at;
  }

  /** Room for `rows` people without growing (a hint from the loader, which knows the file size). */
  reserve(rows: number): void {
    const s = this.s;
    if (rows <= s.keys.length) return;
    const length = Math.max(s.keys.length * 2, rows);
    this.table.reserve(rows, s.keys);
    s.keys = grown(s.keys, length);
    s.records = grown(s.records, length * RECORD);
  }

  /** Brings the table slots of the next `count` NIK keys into the cache (RowTable.touch): a loader's batch. */
  prefetch(keys: Float64Array, count: number): void {
    this.table.touch(keys, count);
  }

  async findByNik(niks: readonly string[]): Promise<Map<string, RegistryPerson>> {
    const s = this.s;
    if (this.namesView?.buffer !== s.names.buffer) {
      this.namesView = Buffer.from(s.names.buffer, s.names.byteOffset, s.names.length);
    }
    const names = this.namesView;
    const records = s.records;
    const found = new Map<string, RegistryPerson>();
    for (const nik of niks) {
      const key = identifierKey(nik);
      const i = typeof key === 'number' ? this.table.get(key, s.keys) : (s.otherNiks.get(key) ?? -1);
      if (i < 0) continue;
      const r = i * RECORD;
      const village = records[r]!;
      const start = records[r + 1]!;
      found.set(nik, {
        nik,
        nama: names.toString('utf8', start, start + records[r + 2]!),
        kodeDesa: s.villages[village >> VILLAGE_SHIFT]!,
        statusHidup: village & DECEASED ? 'MENINGGAL' : 'HIDUP',
        statusNik: village & INACTIVE ? 'NONAKTIF' : 'AKTIF',
      });
    }
    return found;
  }
}

const RELATIONSHIP_INDEX = new Map<string, number>(RELATIONSHIPS.map((r, i) => [r, i]));
/** Relationship column value of a value outside RELATIONSHIPS (kept as written in a side map). */
const OTHER = 255;
const NONE = -1;

/**
 * hash53 of the identity key the engine computes for a person (core/names.ts identityKey over the ISO birth
 * date and the village code without dots or spaces); NaN when the person has no name, valid date or village.
 */
export function identityHash(nama: string, tanggalLahir: string, kodeDesa: string): number {
  return identityHashOfIso(nama, parseDate(tanggalLahir), kodeDesa);
}

/** identityHash with the birth date already through parseDate (the loader parses each distinct date once). */
export function identityHashOfIso(nama: string, birthIso: string | undefined, kodeDesa: string): number {
  if (birthIso === undefined || nama === '' || kodeDesa === '') return Number.NaN;
  // identityKey's `name|birth|village`, hashed without building it.
  return hash53Joined(normaliseName(nama), birthIso, normaliseAreaCode(kodeDesa));
}

/** Everything a MemoryDtksMaster holds: typed arrays (transferable) and small side maps. */
export interface MasterState {
  size: number;
  keys: Float64Array;
  /** No. KK as identifierKey, NaN when malformed (then in otherNoKks). */
  noKks: Float64Array;
  relationships: Uint8Array;
  /** Previous member of the same family (-1: none); the families table points at the last member. */
  familyPrevious: Int32Array;
  /** hash53 of the identity key, NaN when the person has none (no name, date or village). */
  identities: Float64Array;
  identityPrevious: Int32Array;
  table: Int32Array;
  tableCount: number;
  familyTable: Int32Array;
  familyCount: number;
  identityTable: Int32Array;
  identityCount: number;
  otherNiks: Map<string, number>;
  otherNikText: Map<number, string>;
  otherNoKks: Map<number, string>;
  /** Last member of each family whose No. KK is malformed. */
  otherFamilies: Map<string, number>;
  otherRelationships: Map<number, string>;
}

/** The fields the master keeps of a person. */
export type MasterRecord = Pick<
  MasterPerson,
  'nik' | 'noKk' | 'nama' | 'tanggalLahir' | 'kodeDesa' | 'hubunganKeluarga'
>;

export class MemoryDtksMaster implements DtksMaster {
  private s: MasterState;
  private readonly table: RowTable;
  private readonly familyTable: RowTable;
  private readonly identityTable: RowTable;

  /** `shared`: an empty master whose columns grow in shared memory. */
  constructor(state?: MasterState, { shared = false } = {}) {
    this.s = state ?? {
      size: 0,
      keys: column(Float64Array, INITIAL_ROWS, shared),
      noKks: column(Float64Array, INITIAL_ROWS, shared),
      relationships: column(Uint8Array, INITIAL_ROWS, shared),
      familyPrevious: column(Int32Array, INITIAL_ROWS, shared),
      identities: column(Float64Array, INITIAL_ROWS, shared),
      identityPrevious: column(Int32Array, INITIAL_ROWS, shared),
      table: column(Int32Array, INITIAL_ROWS * 2, shared),
      tableCount: 0,
      familyTable: column(Int32Array, INITIAL_ROWS * 2, shared),
      familyCount: 0,
      identityTable: column(Int32Array, INITIAL_ROWS * 2, shared),
      identityCount: 0,
      otherNiks: new Map(),
      otherNikText: new Map(),
      otherNoKks: new Map(),
      otherFamilies: new Map(),
      otherRelationships: new Map(),
    };
    this.table = new RowTable(this.s.table, this.s.tableCount);
    this.familyTable = new RowTable(this.s.familyTable, this.s.familyCount);
    this.identityTable = new RowTable(this.s.identityTable, this.s.identityCount);
  }

  static async fromExtract(batches: AsyncIterable<MasterPerson[]>): Promise<MemoryDtksMaster> {
    const master = new MemoryDtksMaster();
    for await (const batch of batches) for (const person of batch) master.add(person);
    return master;
  }

  /** The columns, for a transfer from a worker thread (the master must not be used afterwards). */
  state(): MasterState {
    const s = this.s;
    s.table = this.table.slots;
    s.tableCount = this.table.size;
    s.familyTable = this.familyTable.slots;
    s.familyCount = this.familyTable.size;
    s.identityTable = this.identityTable.slots;
    s.identityCount = this.identityTable.size;
    return s;
  }

  get size(): number {
    return this.s.size;
  }

  /** Adds an active person; a NIK listed twice keeps its first record (the extract should not repeat). */
  add(person: MasterRecord): void {
    this.addRow(
      identifierKey(person.nik),
      identifierKey(person.noKk),
      person.hubunganKeluarga,
      identityHash(person.nama, person.tanggalLahir, person.kodeDesa),
    );
  }

  /**
   * Adds a person by identifierKey of the NIK and No. KK, the relationship as written and identityHash
   * (NaN: none); false when the NIK is already there (its first record counts).
   */
  addRow(key: number | string, noKk: number | string, relationship: string, identity: number): boolean {
    const s = this.s;
    this.reserve(s.size + 1);
    const row = s.size;
    if (typeof key === 'number') {
      s.keys[row] = key;
      if (this.table.add(row, s.keys) >= 0) return false;
    } else {
      if (s.otherNiks.has(key)) return false;
      s.keys[row] = Number.NaN;
      s.otherNiks.set(key, row);
      s.otherNikText.set(row, key);
    }
    s.size++;

    if (typeof noKk === 'number') {
      s.noKks[row] = noKk;
      s.familyPrevious[row] = this.familyTable.put(row, s.noKks);
    } else {
      s.noKks[row] = Number.NaN;
      s.otherNoKks.set(row, noKk);
      s.familyPrevious[row] = s.otherFamilies.get(noKk) ?? NONE;
      s.otherFamilies.set(noKk, row);
    }

    const index = RELATIONSHIP_INDEX.get(relationship);
    if (index === undefined) {
      s.relationships[row] = OTHER;
      s.otherRelationships.set(row, relationship);
    } else s.relationships[row] = index;

    s.identities[row] = identity;
    s.identityPrevious[row] = Number.isNaN(identity) ? NONE : this.identityTable.put(row, s.identities);
    return true;
  }

  /** Room for `rows` people without growing (a hint from the loader, which knows the file size). */
  reserve(rows: number): void {
    const s = this.s;
    if (rows <= s.keys.length) return;
    const length = Math.max(s.keys.length * 2, rows);
    this.table.reserve(rows, s.keys);
    // Families for a third of the rows (DTSEN: 289 million people in 95 million families), not for every row:
    // a table for rows would spread the families over megabytes, a cache miss for each; more families grow it.
    this.familyTable.reserve(Math.ceil(rows / 3), s.noKks);
    this.identityTable.reserve(rows, s.identities);
    s.keys = grown(s.keys, length);
    s.noKks = grown(s.noKks, length);
    s.relationships = grown(s.relationships, length);
    s.familyPrevious = grown(s.familyPrevious, length);
    s.identities = grown(s.identities, length);
    s.identityPrevious = grown(s.identityPrevious, length);
  }

  /** RowTable.touch for the next `count` rows the loader adds: their NIK keys, No. KK keys and identities. */
  prefetch(keys: Float64Array, noKks: Float64Array, identities: Float64Array, count: number): void {
    this.table.touch(keys, count);
    this.familyTable.touch(noKks, count);
    this.identityTable.touch(identities, count);
  }

  private nikOf(i: number): string {
    const key = this.s.keys[i]!;
    return Number.isNaN(key) ? (this.s.otherNikText.get(i) ?? '') : identifierText(key);
  }

  private member(i: number): MasterMember {
    const s = this.s;
    const relationship = s.relationships[i]!;
    const noKk = s.noKks[i]!;
    return {
      nik: this.nikOf(i),
      noKk: Number.isNaN(noKk) ? (s.otherNoKks.get(i) ?? '') : identifierText(noKk),
      hubunganKeluarga: relationship === OTHER ? (s.otherRelationships.get(i) ?? '') : RELATIONSHIPS[relationship]!,
    };
  }

  async findByNik(niks: readonly string[]): Promise<Map<string, MasterMember>> {
    const s = this.s;
    const found = new Map<string, MasterMember>();
    for (const nik of niks) {
      const key = identifierKey(nik);
      const i = typeof key === 'number' ? this.table.get(key, s.keys) : (s.otherNiks.get(key) ?? -1);
      if (i >= 0) found.set(nik, this.member(i));
    }
    return found;
  }

  async findFamilies(noKks: readonly string[]): Promise<Map<string, MasterMember[]>> {
    const s = this.s;
    const found = new Map<string, MasterMember[]>();
    for (const noKk of noKks) {
      const key = identifierKey(noKk);
      let i = typeof key === 'number' ? this.familyTable.get(key, s.noKks) : (s.otherFamilies.get(key) ?? -1);
      if (i < 0) continue;
      const members: MasterMember[] = [];
      for (; i >= 0; i = s.familyPrevious[i]!) members.push(this.member(i));
      found.set(noKk, members.reverse());
    }
    return found;
  }

  async findByIdentity(keys: readonly string[]): Promise<Map<string, string[]>> {
    const s = this.s;
    const found = new Map<string, string[]>();
    for (const key of keys) {
      let i = this.identityTable.get(hash53(key), s.identities);
      if (i < 0) continue;
      const niks: string[] = [];
      for (; i >= 0; i = s.identityPrevious[i]!) niks.push(this.nikOf(i));
      found.set(key, niks.reverse());
    }
    return found;
  }
}

/** Claims of other pending proposals; the offline check has none unless a test adds them. */
export class MemoryClaimRegistry implements ClaimRegistry {
  private readonly claims = new Map<string, NikClaim>();

  add(claim: NikClaim): void {
    this.claims.set(claim.nik, claim);
  }

  async findClaims(niks: readonly string[], ownProposalId: string): Promise<Map<string, NikClaim>> {
    const found = new Map<string, NikClaim>();
    for (const nik of niks) {
      const claim = this.claims.get(nik);
      if (claim && claim.proposalId !== ownProposalId) found.set(nik, claim);
    }
    return found;
  }
}

export interface MemoryPorts extends IntegrityPorts {
  population: MemoryPopulationRegistry;
  master: MemoryDtksMaster;
  claims: MemoryClaimRegistry;
}

/** Loads both extracts (the master is optional: an empty DTKS) into in-memory ports. */
export async function loadMemoryPorts(extracts: {
  population: AsyncIterable<PopulationPerson[]>;
  master?: AsyncIterable<MasterPerson[]>;
}): Promise<MemoryPorts> {
  const [population, master] = await Promise.all([
    MemoryPopulationRegistry.fromExtract(extracts.population),
    extracts.master ? MemoryDtksMaster.fromExtract(extracts.master) : Promise.resolve(new MemoryDtksMaster()),
  ]);
  return { population, master, claims: new MemoryClaimRegistry() };
}
