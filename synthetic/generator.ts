/**
 * A deterministic synthetic world for one regency, for tests, benchmarks and demos: the population registry
 * (Dukcapil) extract, the DTKS master extract, a proposal (usulan) and the truth — the result codes of
 * PROPOSAL_FORMAT.md each proposal row must get.
 *
 * Pure (no fs): the caller passes the area index. Streaming: the world is produced unit by unit (one master family,
 * then one proposal unit that may touch it, sometimes one family only the registry knows), so a million-row
 * proposal is never held in memory. What is kept grows with the row count only as typed arrays: the truth bits per
 * proposal row, and identity-key hashes for POSSIBLE_DUPLICATE_PERSON (which can only be decided once the whole
 * master and the whole file are known).
 *
 * Readings of the contract the truth follows (the engine must agree):
 * - Family checks use the family as it would be after the proposal is applied to the master; every row of the file
 *   counts as proposed, even a row with other errors; FAMILY_NO_HEAD / FAMILY_MULTIPLE_HEADS flag every row of that
 *   No. KK. A family left with no member at all (a whole family removed) has no head problem.
 * - A TAMBAH of a person the master holds is ALREADY_IN_DTKS, plus FAMILY_OVERLAP when the master holds them in
 *   another family. The same NIK in rows of two families: every such row gets DUPLICATE_NIK and FAMILY_OVERLAP.
 * - POSSIBLE_DUPLICATE_PERSON: a TAMBAH/UBAH row with a well-formed NIK, a date, a village and a name, when another
 *   NIK (active in the master, or on another such row) has the same identityKey. HAPUS rows are not compared: a
 *   removal does not create a record.
 * - A registry village in another regency than the row's is MOVED_DOMICILE, not ADDRESS_MISMATCH.
 * - REGION_OUTSIDE_SUBMITTER is generated as a whole family that lives (registry and proposal alike) in a
 *   neighbouring regency, so that it carries no address code.
 */
import type { AreaIndex } from '#core/area.ts';
import { normaliseAreaCode } from '#core/area.ts';
import { RESULT_CODES, type ResultCode } from '#core/codes.ts';
import { parseDate } from '#core/dates.ts';
import { hash53, identifierKey } from '#core/fingerprint.ts';
import { encodeKk } from '#core/kk.ts';
import { identityKey, namesMatch } from '#core/names.ts';
import { encodeNik } from '#core/nik.ts';
import {
  MASTER_EXTRACT_COLUMNS,
  type MasterPerson,
  POPULATION_EXTRACT_COLUMNS,
  POPULATION_EXTRACT_OPTIONAL_COLUMNS,
  type PopulationPerson,
  type ProposalRow,
} from '#core/proposal.ts';
import type { FindingKind } from '#core/quality-control.ts';

export interface WorldOptions {
  /** The regency/city the world is for, 4 digits (33.71 accepted); it is also the proposal's submitter. */
  regency: string;
  /** Number of proposal units (mostly new families); the master holds about as many families. */
  families: number;
  /** Share of units that carry one injected defect, 0..1. @default 0.05 */
  defectRate?: number;
  /** @default 1 */
  seed?: number;
  areas: AreaIndex;
  /**
   * Share of master families, 0..1, that the registry has moved on from since their stipulation, for the
   * quality control: one member deceased, deactivated or unknown to the registry, renamed, or the whole family
   * moved to a neighbouring regency or on a new family card. Only families no proposal row touches, so the
   * proposal's truth is the same. `qualityControlTruth()` lists them. @default 0 (draws nothing: a seed's
   * world is the same as without the option)
   */
  registryDrift?: number;
}

/** What the registry says of a master person that the quality control must find (core/quality-control.ts). */
export interface DriftTruth {
  nik: string;
  kind: FindingKind;
  /** PINDAH_DOMISILI: the regency the registry now places them in. */
  destinationRegency?: string;
}

export interface WorldBatch {
  population: PopulationPerson[];
  master: MasterPerson[];
  proposal: ProposalRow[];
}

export interface TruthRow {
  line: number;
  /** Sorted alphabetically, as the return report writes them. */
  codes: readonly ResultCode[];
}

/** What can be injected into a unit; each names the code it exists to produce (and variants of its cause). */
export const DEFECTS = RESULT_CODES;
export type Defect = (typeof DEFECTS)[number];

export class UnknownWorldRegencyError extends Error {
  override readonly name = 'UnknownWorldRegencyError';
  constructor(readonly regency: string) {
    super(`Kode kabupaten/kota '${regency}' tidak ada dalam daftar Kemendagri (contoh: 3371 atau 33.71)`);
  }
}

/** Column orders of the files (PROPOSAL_FORMAT.md). */
export const POPULATION_COLUMNS = [...POPULATION_EXTRACT_COLUMNS, ...POPULATION_EXTRACT_OPTIONAL_COLUMNS] as const;
export const MASTER_COLUMNS = MASTER_EXTRACT_COLUMNS;
export const PROPOSAL_FILE_COLUMNS = ['aksi', 'alasan', ...MASTER_COLUMNS] as const;

export function populationCells(p: PopulationPerson): string[] {
  return [
    p.nik,
    p.noKk,
    p.nama,
    p.jenisKelamin,
    p.tempatLahir,
    p.tanggalLahir,
    p.kodeDesa,
    p.alamat,
    p.statusHidup,
    p.statusNik,
  ];
}

export function masterCells(p: MasterPerson): string[] {
  return [
    p.nik,
    p.noKk,
    p.nama,
    p.jenisKelamin,
    p.tempatLahir,
    p.tanggalLahir,
    p.namaIbuKandung,
    p.hubunganKeluarga,
    p.statusPerkawinan,
    p.alamat,
    p.rt,
    p.rw,
    p.kodeDesa,
    p.pekerjaan,
    p.penghasilanBulanan,
    p.desil,
  ];
}

export function proposalCells(row: ProposalRow): string[] {
  return [row.aksi, row.alasan, ...masterCells(row)];
}

// ---------------------------------------------------------------------------------------------------------------
// Randomness: sfc32, seeded through splitmix32; never Math.random, so a seed always gives the same world.

class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Index by weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Names: what registries in Central Java and West Java actually hold.

type Culture = 'JAWA' | 'SUNDA' | 'ARAB' | 'KRISTEN';
const CULTURES: readonly Culture[] = ['JAWA', 'SUNDA', 'ARAB', 'KRISTEN'];
const CULTURE_WEIGHTS = [45, 20, 28, 7];

const GIVEN: Record<Culture, { L: readonly string[]; P: readonly string[] }> = {
  JAWA: {
    L: [
      'SUPARNO',
      'SUTRISNO',
      'BAMBANG',
      'SLAMET',
      'SUGENG',
      'WAHYU',
      'JOKO',
      'BUDI',
      'AGUS',
      'EKO',
      'HERU',
      'SUYONO',
      'SUKIRMAN',
      'PRAYITNO',
      'WIDODO',
      'SUMARNO',
      'TEGUH',
      'PARJO',
      'RUDI',
      'DWI',
      'TRI',
      'SETYO',
      'PURWANTO',
      'DARMANTO',
    ],
    P: [
      'SRI',
      'WAHYUNI',
      'SUPARMI',
      'SUMIATI',
      'SITI',
      'TUMINAH',
      'SULASTRI',
      'ENDANG',
      'SUKARSIH',
      'RATNA',
      'DWI',
      'TRI',
      'PARTINI',
      'SUWARNI',
      'KASMINI',
      'LESTARI',
      'MULYANI',
      'WINARSIH',
      'YULI',
      'NINGSIH',
    ],
  },
  SUNDA: {
    L: [
      'ASEP',
      'UJANG',
      'DEDEN',
      'CECEP',
      'DADANG',
      'ENDANG',
      'JAJANG',
      'AAN',
      'YAYAN',
      'DEDI',
      'ENCEP',
      'UCUP',
      'IWAN',
    ],
    P: ['NENG', 'ENENG', 'EUIS', 'IMAS', 'CUCU', 'ENOK', 'IIS', 'NINING', 'YAYAH', 'TITIN', 'ROSITA', 'LILIS', 'YENI'],
  },
  ARAB: {
    L: [
      'MUHAMMAD',
      'AHMAD',
      'ABDUL',
      'ABDULLAH',
      'HASAN',
      'HUSEIN',
      'IBRAHIM',
      'YUSUF',
      'RIDWAN',
      'ZAINAL',
      'SAIFUL',
      'FAUZI',
      'ARIF',
      'RAHMAT',
      'HIDAYAT',
      'NUR',
      'IMAM',
      'MAHMUD',
    ],
    P: [
      'SITI',
      'NUR',
      'FATIMAH',
      'AISYAH',
      'KHADIJAH',
      'AMINAH',
      'ZAINAB',
      'MAESAROH',
      'ROHMAH',
      'NURHAYATI',
      'HALIMAH',
      'SALMA',
      'RAHMAWATI',
      'UMI',
      'MUSLIMAH',
    ],
  },
  KRISTEN: {
    L: ['YOHANES', 'PETRUS', 'STEFANUS', 'ANTONIUS', 'PAULUS', 'MARKUS', 'YOSEF', 'ANDREAS', 'FRANSISKUS', 'DANIEL'],
    P: ['MARIA', 'AGNES', 'THERESIA', 'MAGDALENA', 'ELISABETH', 'KRISTINA', 'VERONIKA', 'YOHANA', 'MARTA', 'RUTH'],
  },
};

const SECOND: Record<Culture, { L: readonly string[]; P: readonly string[] }> = {
  JAWA: {
    L: ['SANTOSO', 'WIBOWO', 'SUSANTO', 'PRASETYO', 'SETIAWAN', 'KURNIAWAN', 'NUGROHO', 'HARTONO', 'SAPUTRA', 'HADI'],
    P: ['LESTARI', 'RAHAYU', 'WULANDARI', 'HANDAYANI', 'PURWANINGSIH', 'ASTUTI', 'SAPUTRI', 'UTAMI', 'WIDAYATI'],
  },
  SUNDA: {
    L: ['SUPRIATNA', 'HERMAWAN', 'SOLIHIN', 'SETIADI', 'SUHERMAN', 'RUSMANA', 'KOSASIH', 'SUNARYA'],
    P: ['NURJANAH', 'KARTIKA', 'SUMIATI', 'ROHAENI', 'KURNIASIH', 'MARYAMAH', 'HERLINA'],
  },
  ARAB: {
    L: ['FAUZI', 'RIDWAN', 'HIDAYAT', 'SYAHRONI', 'MUSTOFA', 'ROSYID', 'ANWAR', 'ZULKIFLI', 'HAKIM', 'MAULANA'],
    P: ['FITRIANI', 'HIDAYAH', 'AZIZAH', 'ZAHRA', 'KHOIRIYAH', 'MUNAWAROH', 'SOLIHAH', 'NAFISAH'],
  },
  KRISTEN: {
    L: ['SIMANJUNTAK', 'SIREGAR', 'NAINGGOLAN', 'SITUMORANG', 'PANJAITAN', 'HUTAPEA', 'LUMBANTOBING', 'TAMBUNAN'],
    P: ['SIMANJUNTAK', 'SIREGAR', 'NAINGGOLAN', 'SITUMORANG', 'PANJAITAN', 'HUTAPEA', 'LUMBANTOBING', 'TAMBUNAN'],
  },
};

/** Given names that are their own Muhammad spelling variants (a non-defect the registry comparison must accept). */
const SPELLING_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  MUHAMMAD: ['MUHAMAD', 'MOHAMMAD', 'MOCH.', 'M.'],
  SITI: ['SITY'],
  NURHAYATI: ['NURHAYATY'],
  SUYONO: ['SOEJONO'],
  JOKO: ['DJOKO'],
  SUKARSIH: ['SOEKARSIH'],
  AHMAD: ['ACHMAD'],
  YUSUF: ['JUSUF'],
};

const TITLES_BEFORE: Record<'L' | 'P', readonly string[]> = { L: ['H.', 'DRS.', 'IR.'], P: ['HJ.', 'DRA.'] };
const TITLES_AFTER: readonly string[] = ['S.PD', 'S.PD.I', 'S.E.', 'S.KOM', 'S.H.', 'A.MD'];

const OCCUPATIONS_ADULT = [
  'PETANI/PEKEBUN',
  'BURUH HARIAN LEPAS',
  'WIRASWASTA',
  'PEDAGANG',
  'KARYAWAN SWASTA',
  'BURUH TANI/PERKEBUNAN',
  'SOPIR',
  'TUKANG BATU',
  'NELAYAN/PERIKANAN',
  'GURU',
] as const;
const STREETS = ['MELATI', 'MAWAR', 'KENANGA', 'DIPONEGORO', 'SUDIRMAN', 'KARTINI', 'PEMUDA', 'MERDEKA', 'FLAMBOYAN'];
const HAMLETS = ['KRAJAN', 'SUKAMAJU', 'KIDUL', 'LOR', 'WETAN', 'KULON', 'TENGAH', 'SUKAMULYA', 'MEKARSARI'];

// ---------------------------------------------------------------------------------------------------------------

/** The world is dated: ages and the latest birth are fixed so that a seed gives the same files every year. */
const REFERENCE_YEAR = 2025;
const COUNTER_DAYS = 48_000; // 1900..2031

interface Person {
  nik: string;
  noKk: string;
  /** Name as the registry holds it. */
  nama: string;
  /** The name's tokens without titles, for variants. */
  tokens: string[];
  sex: 'L' | 'P';
  culture: Culture;
  birth: string;
  birthPlace: string;
  mother: string;
  rel: string;
  marital: string;
  alamat: string;
  rt: string;
  rw: string;
  village: string;
  job: string;
  income: string;
  desil: string;
}

interface Family {
  noKk: string;
  village: string;
  members: Person[];
}

/** A row under construction with the truth the generator knows for it. */
interface Draft {
  row: ProposalRow;
  bits: number;
  /** False when the NIK was made malformed on purpose: registry look-ups are skipped. */
  nikWellFormed: boolean;
}

const BIT = Object.fromEntries(RESULT_CODES.map((code, i) => [code, 1 << i])) as Record<ResultCode, number>;
const CODES_ALPHABETICAL = [...RESULT_CODES].sort();
const SIZE_WEIGHTS = [6, 13, 21, 23, 17, 11, 6, 3]; // sizes 1..8, mean ≈ 4.0

type UnitKind = 'NEW_FAMILY' | 'UBAH' | 'HAPUS' | 'HAPUS_FAMILY' | 'ADD_MEMBER' | 'MOVE';
const UNIT_KINDS: readonly UnitKind[] = ['NEW_FAMILY', 'UBAH', 'HAPUS', 'HAPUS_FAMILY', 'ADD_MEMBER', 'MOVE'];
const UNIT_WEIGHTS = [860, 80, 35, 5, 15, 5];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function iso(year: number, month: number, day: number): string {
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const MONTH_START = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1]!;
}

/** Days since 1900-01-01 of an ISO date: the index into the serial counters. */
function dayNumber(isoDate: string): number {
  const year = Number(isoDate.slice(0, 4));
  const month = Number(isoDate.slice(5, 7));
  const y = year - 1900;
  const leapDays = Math.floor((y - 1) / 4) - Math.floor((y - 1) / 100) + Math.floor((y + 299) / 400);
  return (
    y * 365 +
    leapDays +
    MONTH_START[month - 1]! +
    (month > 2 && isLeap(year) ? 1 : 0) +
    Number(isoDate.slice(8, 10)) -
    1
  );
}

/** Generates the world. Iterate `batches()` to the end first; `truth()` and `counts` are final after that. */
export class SyntheticWorld {
  readonly regency: string;
  readonly families: number;
  readonly defectRate: number;
  readonly seed: number;
  /** Units that received each defect. */
  readonly defectsInjected: Partial<Record<Defect, number>> = {};

  private readonly areas: AreaIndex;
  private readonly rng: Random;
  private readonly districts: string[];
  private readonly villagesByDistrict: string[][];
  private readonly allVillages: string[];
  private readonly neighbourVillages: string[];
  private readonly foreignDistricts: string[];
  private readonly placeNames = new Map<string, string>();
  private readonly nikCounters = new Map<string, Uint16Array>();
  private readonly kkCounters = new Map<string, Uint16Array>();
  private readonly malformed = new Set<string>();

  private truthBits = new Uint32Array(1 << 16);
  /** Per proposal line: hash53 of its identity key and its NIK as a number, NaN when not compared. */
  private lineIdentity = new Float64Array(1 << 16);
  private lineNik = new Float64Array(1 << 16);
  /** Master identity hash → its NIK key, NaN once two NIKs share it. */
  private readonly masterIdentities = new IdentityTable();
  private lines = 0;
  private finished = false;
  private lastUntouchedMaster: Family | undefined;
  private readonly registryDrift: number;
  private readonly drift: DriftTruth[] = [];

  private population: PopulationPerson[] = [];
  private master: MasterPerson[] = [];
  private proposal: ProposalRow[] = [];

  constructor(options: WorldOptions) {
    this.areas = options.areas;
    this.regency = normaliseAreaCode(options.regency);
    if (!this.areas.isRegency(this.regency)) throw new UnknownWorldRegencyError(options.regency);
    if (!Number.isInteger(options.families) || options.families < 1) {
      throw new RangeError(`families must be a positive integer, got ${options.families}`);
    }
    this.families = options.families;
    this.defectRate = options.defectRate ?? 0.05;
    if (!(this.defectRate >= 0 && this.defectRate <= 1)) {
      throw new RangeError(`defectRate must be within 0..1, got ${this.defectRate}`);
    }
    this.seed = options.seed ?? 1;
    this.registryDrift = options.registryDrift ?? 0;
    if (!(this.registryDrift >= 0 && this.registryDrift <= 1)) {
      throw new RangeError(`registryDrift must be within 0..1, got ${this.registryDrift}`);
    }
    this.rng = new Random(this.seed);

    this.districts = [];
    this.villagesByDistrict = [];
    for (const district of this.areas.districtsOf(this.regency)) {
      const villages = this.areas.villagesOf(district);
      if (villages.length === 0) continue;
      this.districts.push(district);
      this.villagesByDistrict.push(villages);
    }
    this.allVillages = this.villagesByDistrict.flat();
    if (this.allVillages.length === 0) throw new UnknownWorldRegencyError(options.regency);

    const province = this.regency.slice(0, 2);
    const neighbours = [
      ...this.areas.regenciesOf(province),
      ...this.areas.regenciesOf(province === '33' ? '34' : '33'),
    ].filter((r) => r !== this.regency);
    this.neighbourVillages = [];
    for (const neighbour of neighbours) {
      for (const district of this.areas.districtsOf(neighbour))
        this.neighbourVillages.push(...this.areas.villagesOf(district));
      if (this.neighbourVillages.length > 0) break;
    }
    // People born elsewhere: NIKs of first registration in other provinces.
    this.foreignDistricts = [];
    for (let p = 11; p <= 96; p++) {
      const code = String(p);
      if (code === province || !this.areas.isProvince(code)) continue;
      const regency = this.areas.regenciesOf(code)[0];
      const district = regency === undefined ? undefined : this.areas.districtsOf(regency)[0];
      if (district) this.foreignDistricts.push(district);
    }
  }

  get proposalRows(): number {
    return this.lines;
  }

  /** The world in batches of `unitsPerBatch` units: each batch's rows of the three files. */
  *batches(unitsPerBatch = 512): Generator<WorldBatch> {
    if (this.finished || this.lines > 0) throw new Error('a SyntheticWorld can be iterated once');
    for (let unit = 0; unit < this.families; unit++) {
      this.unit();
      if ((unit + 1) % unitsPerBatch === 0 || unit === this.families - 1) {
        const batch = { population: this.population, master: this.master, proposal: this.proposal };
        this.population = [];
        this.master = [];
        this.proposal = [];
        yield batch;
      }
    }
    this.resolveIdentities();
    this.finished = true;
  }

  /** Expected codes of every proposal row, in line order (after `batches()` has been iterated to the end). */
  *truth(batchSize = 4096): Generator<TruthRow[]> {
    if (!this.finished) throw new Error('iterate batches() to the end before reading the truth');
    const cache = new Map<number, readonly ResultCode[]>();
    let batch: TruthRow[] = [];
    for (let line = 1; line <= this.lines; line++) {
      const bits = this.truthBits[line]!;
      let codes = cache.get(bits);
      if (!codes) {
        codes = CODES_ALPHABETICAL.filter((code) => bits & BIT[code]);
        cache.set(bits, codes);
      }
      batch.push({ line, codes });
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  /** Rows of the truth carrying each code. */
  codeCounts(): Partial<Record<ResultCode, number>> {
    if (!this.finished) throw new Error('iterate batches() to the end before counting the truth');
    const counts: Partial<Record<ResultCode, number>> = {};
    for (let line = 1; line <= this.lines; line++) {
      const bits = this.truthBits[line]!;
      if (!bits) continue;
      RESULT_CODES.forEach((code, c) => {
        if (bits & (1 << c)) counts[code] = (counts[code] ?? 0) + 1;
      });
    }
    return counts;
  }

  // -------------------------------------------------------------------------------------------------------------
  // One unit: a master family, the proposal's change (often unrelated to it), sometimes a registry-only family.

  private unit(): void {
    const r = this.rng;
    const masterFamily = this.family(this.pickVillage());
    for (const person of masterFamily.members) this.addMaster(person);

    const defect: Defect | undefined = r.chance(this.defectRate) ? r.pick(DEFECTS) : undefined;
    const kind = defect ? undefined : UNIT_KINDS[r.weighted(UNIT_WEIGHTS)]!;
    let touched = true;
    const deadInRegistry = new Set<Person>();
    if (defect) {
      const done = this.defectUnit(defect, masterFamily, deadInRegistry);
      if (done === 'untouched') touched = false;
      this.defectsInjected[defect] = (this.defectsInjected[defect] ?? 0) + 1;
    } else if (kind === 'NEW_FAMILY' || !this.normalUnit(kind!, masterFamily, deadInRegistry)) {
      this.newFamilyUnit();
      touched = false;
    }
    // A person the registry says died while a HAPUS MENINGGAL is still only proposed: the master has them active.
    for (const person of deadInRegistry) this.drift.push({ nik: person.nik, kind: 'MENINGGAL' });
    const drifted = !touched && this.registryDrift > 0 && r.chance(this.registryDrift);
    if (drifted) this.driftRegistry(masterFamily);
    else {
      for (const person of masterFamily.members) this.addPopulation(person, { dead: deadInRegistry.has(person) });
    }
    if (!touched && !drifted) this.lastUntouchedMaster = masterFamily;

    // Residents only the registry knows (not in the DTKS, not proposed); now and then a deactivated NIK among
    // them, which no row names, so nothing flags it.
    if (r.chance(0.03)) {
      const inactive = r.chance(0.2);
      for (const person of this.family(this.pickVillage()).members) this.addPopulation(person, { inactive });
    }
  }

  /**
   * The registry rows of a master family that the registry has moved on from (registryDrift): one change, of
   * one member or of the whole family, recorded in the quality control's truth.
   */
  private driftRegistry(family: Family): void {
    const r = this.rng;
    const kinds: FindingKind[] = ['MENINGGAL', 'NIK_NONAKTIF', 'NIK_TIDAK_DIKENAL', 'NAMA_BERUBAH', 'KK_BERUBAH'];
    if (this.neighbourVillages.length > 0) kinds.push('PINDAH_DOMISILI');
    const kind = r.pick(kinds);
    const one = r.pick(family.members);
    if (kind === 'PINDAH_DOMISILI') {
      // The KPM moved: the whole family lives in one village of a neighbouring regency now.
      const village = r.pick(this.neighbourVillages);
      const alamat = `JL. ${r.pick(STREETS)} NO. ${r.int(1, 150)}`;
      for (const person of family.members) {
        this.population.push(this.populationOf({ ...person, village, alamat }));
        this.drift.push({ nik: person.nik, kind, destinationRegency: village.slice(0, 4) });
      }
      return;
    }
    const newKk = kind === 'KK_BERUBAH' ? this.allocKk(family.village.slice(0, 6), this.birthIn(2025, 2025)) : '';
    for (const person of family.members) {
      if (kind === 'KK_BERUBAH') {
        this.population.push(this.populationOf({ ...person, noKk: newKk }));
        this.drift.push({ nik: person.nik, kind });
        continue;
      }
      if (person !== one) {
        this.addPopulation(person);
        continue;
      }
      this.drift.push({ nik: person.nik, kind });
      if (kind === 'NIK_TIDAK_DIKENAL') continue;
      if (kind === 'NAMA_BERUBAH') {
        // A name of one token more never matches (core/names.ts compares names of as many tokens).
        const added = r.pick(GIVEN[person.culture][person.sex].filter((token) => !person.tokens.includes(token)));
        this.population.push(this.populationOf({ ...person, nama: `${person.nama} ${added}` }));
        continue;
      }
      this.addPopulation(person, { dead: kind === 'MENINGGAL', inactive: kind === 'NIK_NONAKTIF' });
    }
  }

  /** The quality control's truth: every master person the registry has moved on from, and how. */
  qualityControlTruth(): readonly DriftTruth[] {
    if (!this.finished) throw new Error('iterate batches() to the end before reading the truth');
    return this.drift;
  }

  /** The usual changes a Dinas Sosial sends: all clean. Returns false when the master family cannot take it. */
  private normalUnit(kind: UnitKind, master: Family, deadInRegistry: Set<Person>): boolean {
    const r = this.rng;
    const nonHeads = master.members.slice(1);
    switch (kind) {
      case 'UBAH': {
        // One member's data changes; the proposal rows have no head, the master has one: clean.
        const person = r.chance(0.25) || nonHeads.length === 0 ? master.members[0]! : r.pick(nonHeads);
        const draft = this.draft(person, 'UBAH');
        if (r.chance(0.5)) draft.row.pekerjaan = r.pick(OCCUPATIONS_ADULT);
        if (r.chance(0.5)) draft.row.penghasilanBulanan = String(r.int(3, 40) * 100_000);
        if (r.chance(0.3)) draft.row.desil = String(r.int(1, 10));
        this.emit(draft);
        return true;
      }
      case 'HAPUS': {
        if (nonHeads.length === 0) return false;
        const person = r.pick(nonHeads);
        const alasan = r.pick(['MENINGGAL', 'PINDAH', 'TIDAK_LAYAK', 'GANDA', 'MAMPU'] as const);
        // Removing a person the registry says died is exactly what alasan MENINGGAL is for: clean, not DECEASED.
        if (alasan === 'MENINGGAL') deadInRegistry.add(person);
        this.emit(this.draft(person, 'HAPUS', alasan));
        return true;
      }
      case 'HAPUS_FAMILY': {
        const alasan = r.pick(['MAMPU', 'TIDAK_LAYAK', 'PINDAH'] as const);
        for (const person of master.members) this.emit(this.draft(person, 'HAPUS', alasan));
        return true;
      }
      case 'ADD_MEMBER': {
        const baby = this.newborn(master);
        this.addPopulation(baby);
        this.emit(this.draft(baby, 'TAMBAH'));
        return true;
      }
      case 'MOVE': {
        // An UBAH that moves a member into another master family: the same person, one family: not FAMILY_OVERLAP.
        const destination = this.lastUntouchedMaster;
        if (nonHeads.length === 0 || destination === undefined) return false;
        this.lastUntouchedMaster = undefined;
        const person = r.pick(nonHeads);
        const draft = this.draft(person, 'UBAH');
        draft.row.noKk = destination.noKk;
        draft.row.hubunganKeluarga = 'FAMILI_LAIN';
        this.emit(draft);
        return true;
      }
      default:
        return false;
    }
  }

  /** A new family proposed whole (TAMBAH of every member): the bulk of a proposal. */
  private newFamilyUnit(): Family {
    const family = this.family(this.pickVillage());
    for (const person of family.members) {
      this.addPopulation(person);
      this.emit(this.draft(person, 'TAMBAH'));
    }
    return family;
  }

  /**
   * One defect from its real cause. Returns 'untouched' when the master family was left alone (it may then
   * receive a moved member later).
   */
  private defectUnit(defect: Defect, master: Family, deadInRegistry: Set<Person>): 'touched' | 'untouched' {
    const r = this.rng;
    const masterNonHeads = master.members.slice(1);
    const family = this.family(this.pickVillage(), defect === 'FAMILY_MULTIPLE_HEADS' ? 2 : 1);
    const members = family.members;
    const drafts = members.map((person) => this.draft(person, 'TAMBAH'));
    /** A member that is not the head when there is one, else the head. */
    const pickIndex = () => (members.length > 1 ? r.int(1, members.length - 1) : 0);
    let touched: 'touched' | 'untouched' = 'untouched';
    /** Members the registry must not know (or knows elsewhere: written by the defect itself). */
    const unregistered = new Set<Person>();
    /** Members whose NIK Dukcapil has deactivated. */
    const inactive = new Set<Person>();
    const flagAll = (code: ResultCode) => {
      for (const d of drafts) d.bits |= BIT[code];
    };

    switch (defect) {
      case 'NIK_FORMAT': {
        const d = drafts[pickIndex()]!;
        d.row.nik = this.malformedNik(d.row.nik, members[drafts.indexOf(d)]!.sex);
        d.nikWellFormed = false;
        d.bits |= BIT.NIK_FORMAT; // look-ups skipped: no registry, master or birth/sex codes
        break;
      }
      case 'NIK_BIRTHDATE_MISMATCH': {
        const i = pickIndex();
        const d = drafts[i]!;
        const [y, m, day] = members[i]!.birth.split('-').map(Number) as [number, number, number];
        const year = y + (y >= REFERENCE_YEAR - 1 ? -1 : 1);
        d.row.tanggalLahir = iso(year, m, Math.min(day, daysIn(year, m)));
        d.bits |= BIT.NIK_BIRTHDATE_MISMATCH;
        break;
      }
      case 'NIK_SEX_MISMATCH': {
        const d = drafts[pickIndex()]!;
        d.row.jenisKelamin = d.row.jenisKelamin === 'L' ? 'P' : 'L';
        d.bits |= BIT.NIK_SEX_MISMATCH;
        break;
      }
      case 'KK_FORMAT': {
        const bad = this.malformedKk(family.noKk);
        for (const d of drafts) d.row.noKk = bad;
        flagAll('KK_FORMAT');
        break;
      }
      case 'DUPLICATE_NIK': {
        // The same row typed twice: both occurrences are flagged; one family, so no overlap.
        const d = drafts[pickIndex()]!;
        const copy: Draft = { row: { ...d.row }, bits: d.bits, nikWellFormed: true };
        drafts.splice(drafts.indexOf(d) + 1, 0, copy);
        d.bits |= BIT.DUPLICATE_NIK;
        copy.bits |= BIT.DUPLICATE_NIK;
        break;
      }
      case 'NIK_NOT_FOUND': {
        const i = pickIndex();
        unregistered.add(members[i]!); // a valid NIK the registry does not know
        drafts[i]!.bits |= BIT.NIK_NOT_FOUND;
        break;
      }
      case 'NIK_INACTIVE': {
        // A NIK the registry knows but Dukcapil has deactivated: the person matches in every other way.
        const i = pickIndex();
        inactive.add(members[i]!);
        drafts[i]!.bits |= BIT.NIK_INACTIVE;
        break;
      }
      case 'NAME_MISMATCH': {
        const i = pickIndex();
        const person = members[i]!;
        const d = drafts[i]!;
        const given = GIVEN[person.culture][person.sex];
        for (let attempt = 0; attempt < 20; attempt++) {
          const other = [r.pick(given), ...person.tokens.slice(1)].join(' ');
          if (!namesMatch(other, person.nama)) {
            d.row.nama = other;
            break;
          }
        }
        if (d.row.nama === person.nama || namesMatch(d.row.nama, person.nama)) d.row.nama = `SURYA ${person.nama}`;
        d.bits |= BIT.NAME_MISMATCH;
        break;
      }
      case 'ADDRESS_MISMATCH': {
        const d = drafts[pickIndex()]!;
        const other = this.otherVillage(d.row.kodeDesa);
        if (other === undefined) return this.fallbackNewFamily(members, drafts);
        d.row.kodeDesa = other;
        d.bits |= BIT.ADDRESS_MISMATCH;
        break;
      }
      case 'DECEASED': {
        const i = pickIndex();
        deadInRegistry.add(members[i]!);
        drafts[i]!.bits |= BIT.DECEASED;
        break;
      }
      case 'FAMILY_NO_HEAD': {
        const variant = r.int(0, 2);
        if (variant === 2 && masterNonHeads.length > 0) {
          // The master's head removed with no new head: the family left behind has none.
          const head = master.members[0]!;
          deadInRegistry.add(head);
          const d = this.draft(head, 'HAPUS', 'MENINGGAL');
          d.bits |= BIT.FAMILY_NO_HEAD;
          this.emit(d);
          return 'touched';
        }
        if (variant === 1 && members.length > 1) {
          drafts.shift(); // the head's row left out of the file (the registry still knows the head)
          flagAll('FAMILY_NO_HEAD');
          break;
        }
        drafts[0]!.row.hubunganKeluarga = members[0]!.sex === 'L' ? 'SUAMI' : 'FAMILI_LAIN';
        flagAll('FAMILY_NO_HEAD');
        break;
      }
      case 'FAMILY_MULTIPLE_HEADS': {
        if (r.chance(0.3)) {
          // A new member written as head of a master family that has one.
          const newcomer = this.newborn(master);
          this.addPopulation(newcomer);
          const d = this.draft(newcomer, 'TAMBAH');
          d.row.hubunganKeluarga = 'KEPALA_KELUARGA';
          d.bits |= BIT.FAMILY_MULTIPLE_HEADS;
          this.emit(d);
          return 'touched';
        }
        drafts[pickIndex()]!.row.hubunganKeluarga = 'KEPALA_KELUARGA';
        flagAll('FAMILY_MULTIPLE_HEADS');
        break;
      }
      case 'FAMILY_OVERLAP': {
        if (masterNonHeads.length > 0 && r.chance(0.5)) {
          // A person the master holds in another family, added to this new family.
          const person = r.pick(masterNonHeads);
          const d = this.draft(person, 'TAMBAH');
          d.row.noKk = family.noKk;
          d.row.hubunganKeluarga = 'FAMILI_LAIN';
          d.bits |= BIT.FAMILY_OVERLAP | BIT.ALREADY_IN_DTKS;
          drafts.push(d);
        } else {
          // The same person proposed into two families in one file: the new one and a master family.
          const i = pickIndex();
          const d = drafts[i]!;
          const again: Draft = {
            row: { ...d.row, noKk: master.noKk, hubunganKeluarga: 'FAMILI_LAIN' },
            bits: 0,
            nikWellFormed: true,
          };
          d.bits |= BIT.DUPLICATE_NIK | BIT.FAMILY_OVERLAP;
          again.bits |= BIT.DUPLICATE_NIK | BIT.FAMILY_OVERLAP;
          drafts.push(again);
        }
        touched = 'touched';
        break;
      }
      case 'MISSING_ATTRIBUTE': {
        const variant = r.int(0, 5);
        if (variant === 5 && masterNonHeads.length > 0) {
          const d = this.draft(r.pick(masterNonHeads), 'HAPUS', '');
          d.bits |= BIT.MISSING_ATTRIBUTE;
          this.emit(d);
          return 'touched';
        }
        const d = drafts[pickIndex()]!;
        const field = (['tempatLahir', 'namaIbuKandung', 'alamat', 'rt', 'statusPerkawinan'] as const)[variant % 5]!;
        d.row[field] = '';
        d.bits |= BIT.MISSING_ATTRIBUTE;
        break;
      }
      case 'INVALID_ATTRIBUTE': {
        const variant = r.int(0, 4);
        if (variant === 4 && masterNonHeads.length > 0) {
          const d = this.draft(r.pick(masterNonHeads), 'HAPUS', 'BOSAN');
          d.bits |= BIT.INVALID_ATTRIBUTE;
          this.emit(d);
          return 'touched';
        }
        const i = pickIndex();
        const d = drafts[i]!;
        if (variant === 0) d.row.rt = '12345';
        else if (variant === 1 && i > 0) d.row.hubunganKeluarga = 'SEPUPU';
        else if (variant === 2 || variant === 1) d.row.penghasilanBulanan = '1.500.000';
        else d.row.tanggalLahir = '2020-02-30'; // not a date: no birth-date comparison with the NIK
        d.bits |= BIT.INVALID_ATTRIBUTE;
        break;
      }
      case 'REGION_OUTSIDE_SUBMITTER': {
        if (this.neighbourVillages.length === 0) return this.fallbackNewFamily(members, drafts);
        // A family of the neighbouring regency, proposed by this one.
        const outside = this.family(this.rng.pick(this.neighbourVillages));
        for (const person of outside.members) {
          this.addPopulation(person);
          const d = this.draft(person, 'TAMBAH');
          d.bits |= BIT.REGION_OUTSIDE_SUBMITTER;
          this.emit(d);
        }
        return touched;
      }
      case 'NOT_IN_DTKS': {
        // A family the DTKS does not hold, sent as UBAH, or removed with HAPUS (then no family remains).
        const hapus = r.chance(0.4);
        for (const d of drafts) {
          d.row.aksi = hapus ? 'HAPUS' : 'UBAH';
          if (hapus) d.row.alasan = 'PINDAH';
        }
        flagAll('NOT_IN_DTKS');
        break;
      }
      case 'ALREADY_IN_DTKS': {
        if (masterNonHeads.length === 0) return this.fallbackNewFamily(members, drafts);
        const d = this.draft(r.pick(masterNonHeads), 'TAMBAH');
        d.bits |= BIT.ALREADY_IN_DTKS;
        this.emit(d);
        return 'touched';
      }
      case 'POSSIBLE_DUPLICATE_PERSON': {
        // The same person registered twice in Dukcapil under two NIKs: a twin record of a master person, or of a
        // member of this family. The truth for it comes from the identity comparison at the end.
        const original = masterNonHeads.length > 0 && r.chance(0.5) ? r.pick(masterNonHeads) : members[pickIndex()]!;
        const twin: Person = {
          ...original,
          nik: this.allocNik(this.birthDistrict(original.village, true), original.birth, original.sex),
          noKk: family.noKk,
          rel: 'FAMILI_LAIN',
        };
        this.addPopulation(twin);
        const twinDraft = this.draft(twin, 'TAMBAH');
        // Both records exactly as the registry writes them, so that the identity keys meet.
        twinDraft.row.nama = original.nama;
        const originalDraft = drafts[members.indexOf(original)];
        if (originalDraft) originalDraft.row.nama = original.nama;
        drafts.push(twinDraft);
        touched = 'touched';
        break;
      }
      case 'MOVED_DOMICILE': {
        if (this.neighbourVillages.length === 0) return this.fallbackNewFamily(members, drafts);
        const i = pickIndex();
        const person = members[i]!;
        // Dukcapil still has the old address in the neighbouring regency.
        this.population.push(this.populationOf({ ...person, village: this.rng.pick(this.neighbourVillages) }));
        unregistered.add(person);
        drafts[i]!.bits |= BIT.MOVED_DOMICILE;
        break;
      }
    }

    for (const person of members) {
      if (!unregistered.has(person)) {
        this.addPopulation(person, { dead: deadInRegistry.has(person), inactive: inactive.has(person) });
      }
    }
    for (const d of drafts) this.emit(d);
    return touched;
  }

  /** The defect cannot be made in this regency (one village, no neighbour): the family goes in clean. */
  private fallbackNewFamily(members: readonly Person[], drafts: readonly Draft[]): 'untouched' {
    for (const person of members) this.addPopulation(person);
    for (const d of drafts) this.emit(d);
    return 'untouched';
  }

  // -------------------------------------------------------------------------------------------------------------
  // Rows.

  private draft(person: Person, aksi: 'TAMBAH' | 'UBAH' | 'HAPUS', alasan = ''): Draft {
    const r = this.rng;
    let nama = person.nama;
    const variant = r.next();
    if (variant < 0.12) nama = this.nameVariant(person);
    let tanggal = person.birth;
    const dateVariant = r.next();
    if (dateVariant < 0.06) tanggal = `${tanggal.slice(8, 10)}-${tanggal.slice(5, 7)}-${tanggal.slice(0, 4)}`;
    else if (dateVariant < 0.12) tanggal = `${tanggal.slice(8, 10)}/${tanggal.slice(5, 7)}/${tanggal.slice(0, 4)}`;
    return {
      row: {
        line: 0,
        aksi,
        alasan,
        nik: person.nik,
        noKk: person.noKk,
        nama,
        jenisKelamin: person.sex,
        tempatLahir: person.birthPlace,
        tanggalLahir: tanggal,
        namaIbuKandung: person.mother,
        hubunganKeluarga: person.rel,
        statusPerkawinan: person.marital,
        alamat: person.alamat,
        rt: person.rt,
        rw: person.rw,
        kodeDesa: person.village,
        pekerjaan: person.job,
        penghasilanBulanan: person.income,
        desil: person.desil,
      },
      bits: 0,
      nikWellFormed: true,
    };
  }

  /**
   * A spelling of the registry name a region may type that the contract tolerates: a title on either side, case
   * and spacing, an old or one-letter spelling (MUHAMAD / MUHAMMAD). Checked against the matching rule, so a
   * variant that rule would reject is never produced as a non-defect.
   */
  private nameVariant(person: Person): string {
    const r = this.rng;
    const tokens = [...person.tokens];
    const kind = r.int(0, 3);
    let variant: string;
    if (kind === 0) {
      variant = r.chance(0.5)
        ? `${r.pick(TITLES_BEFORE[person.sex])} ${tokens.join(' ')}`
        : `${tokens.join(' ')}, ${r.pick(TITLES_AFTER)}`;
    } else if (kind === 1) {
      const lower = tokens.map((t) => t[0] + t.slice(1).toLowerCase()).join(r.chance(0.5) ? ' ' : '  ');
      variant = r.chance(0.5) ? lower : ` ${lower.toLowerCase()} `.trim();
    } else {
      const i = tokens.findIndex((t) => SPELLING_VARIANTS[t] !== undefined);
      if (i >= 0) tokens[i] = r.pick(SPELLING_VARIANTS[tokens[i]!]!);
      else {
        // One letter doubled in a long token (NURHAYATI / NURHAYATTI): one edit, tolerated for 4+ letters.
        const j = tokens.findIndex((t) => t.length >= 5);
        if (j >= 0) {
          const t = tokens[j]!;
          tokens[j] = `${t.slice(0, 3)}${t[2]}${t.slice(3)}`;
        }
      }
      variant = tokens.join(' ');
    }
    return namesMatch(variant, person.nama) ? variant : person.nama;
  }

  private emit(draft: Draft): void {
    const line = ++this.lines;
    draft.row.line = line;
    if (line >= this.truthBits.length) this.grow(line);
    this.truthBits[line] = draft.bits;
    const row = draft.row;
    let identity = Number.NaN;
    let nik = Number.NaN;
    if (
      draft.nikWellFormed &&
      (row.aksi === 'TAMBAH' || row.aksi === 'UBAH') &&
      row.nama !== '' &&
      row.kodeDesa !== ''
    ) {
      const birth = parseDate(row.tanggalLahir);
      if (birth !== undefined) {
        identity = hash53(identityKey(row.nama, birth, row.kodeDesa));
        nik = identifierKey(row.nik) as number;
      }
    }
    this.lineIdentity[line] = identity;
    this.lineNik[line] = nik;
    this.proposal.push(row);
  }

  private grow(line: number): void {
    let size = this.truthBits.length * 2;
    while (size <= line) size *= 2;
    const bits = new Uint32Array(size);
    bits.set(this.truthBits);
    this.truthBits = bits;
    const identity = new Float64Array(size);
    identity.set(this.lineIdentity);
    this.lineIdentity = identity;
    const nik = new Float64Array(size);
    nik.set(this.lineNik);
    this.lineNik = nik;
  }

  /** POSSIBLE_DUPLICATE_PERSON, accidental ones included: the master and the whole file are known now. */
  private resolveIdentities(): void {
    /** Identity → the first row's NIK; `marked` once another NIK shares the identity. */
    const inFile = new IdentityTable();
    for (let line = 1; line <= this.lines; line++) {
      const identity = this.lineIdentity[line]!;
      if (Number.isNaN(identity)) continue;
      const nik = this.lineNik[line]!;
      const slot = inFile.slot(identity);
      if (!inFile.has(slot)) inFile.put(slot, identity, nik);
      else if (inFile.value(slot) !== nik) inFile.mark(slot);
    }
    for (let line = 1; line <= this.lines; line++) {
      const identity = this.lineIdentity[line]!;
      if (Number.isNaN(identity)) continue;
      const inMaster = this.masterIdentities.slot(identity);
      if (
        inFile.marked(inFile.slot(identity)) ||
        (this.masterIdentities.has(inMaster) && this.masterIdentities.value(inMaster) !== this.lineNik[line])
      ) {
        this.truthBits[line]! |= BIT.POSSIBLE_DUPLICATE_PERSON;
      }
    }
  }

  private addMaster(person: Person): void {
    const row: MasterPerson = {
      nik: person.nik,
      noKk: person.noKk,
      nama: person.nama,
      jenisKelamin: person.sex,
      tempatLahir: person.birthPlace,
      tanggalLahir: person.birth,
      namaIbuKandung: person.mother,
      hubunganKeluarga: person.rel,
      statusPerkawinan: person.marital,
      alamat: person.alamat,
      rt: person.rt,
      rw: person.rw,
      kodeDesa: person.village,
      pekerjaan: person.job,
      penghasilanBulanan: person.income,
      desil: person.desil,
    };
    this.master.push(row);
    const identity = hash53(identityKey(person.nama, person.birth, person.village));
    const nik = identifierKey(person.nik) as number;
    const slot = this.masterIdentities.slot(identity);
    if (!this.masterIdentities.has(slot)) this.masterIdentities.put(slot, identity, nik);
    else if (this.masterIdentities.value(slot) !== nik) this.masterIdentities.put(slot, identity, Number.NaN);
  }

  private addPopulation(person: Person, options: { dead?: boolean; inactive?: boolean } = {}): void {
    this.population.push(this.populationOf(person, options.dead, options.inactive));
  }

  private populationOf(person: Person, dead = false, inactive = false): PopulationPerson {
    return {
      nik: person.nik,
      noKk: person.noKk,
      nama: person.nama,
      jenisKelamin: person.sex,
      tempatLahir: person.birthPlace,
      tanggalLahir: person.birth,
      kodeDesa: person.village,
      alamat: person.alamat,
      statusHidup: dead ? 'MENINGGAL' : 'HIDUP',
      statusNik: inactive ? 'NONAKTIF' : 'AKTIF',
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // People and families.

  private pickVillage(): string {
    const r = this.rng;
    return r.pick(this.villagesByDistrict[r.int(0, this.villagesByDistrict.length - 1)]!);
  }

  private otherVillage(village: string): string | undefined {
    if (this.allVillages.length < 2) return undefined;
    for (;;) {
      const other = this.rng.pick(this.allVillages);
      if (other !== village) return other;
    }
  }

  /** Where a person's NIK was first registered: mostly the regency, sometimes another province. */
  private birthDistrict(village: string, adult: boolean): string {
    const r = this.rng;
    if (adult && this.foreignDistricts.length > 0 && r.chance(0.08)) return r.pick(this.foreignDistricts);
    if (r.chance(0.8)) return village.slice(0, 6);
    return village.slice(0, 4) === this.regency ? r.pick(this.districts) : village.slice(0, 6);
  }

  private placeOf(district: string): string {
    const regency = district.slice(0, 4);
    let place = this.placeNames.get(regency);
    if (place === undefined) {
      place = (this.areas.regencyName(regency) ?? 'LAINNYA').replace(/^(KABUPATEN|KAB\.|KOTA ADM\.|KOTA)\s+/, '');
      this.placeNames.set(regency, place);
    }
    return place;
  }

  private allocNik(district: string, birth: string, sex: 'L' | 'P'): string {
    const serial = this.nextSerial(this.nikCounters, district, birth);
    return encodeNik({ district, birthDate: birth, sex, serial });
  }

  private allocKk(district: string, issue: string): string {
    return encodeKk({ district, issueDate: issue, serial: this.nextSerial(this.kkCounters, district, issue) });
  }

  /** Serials count up per district and date, so every generated NIK and No. KK is unique. */
  private nextSerial(counters: Map<string, Uint16Array>, district: string, date: string): number {
    let counter = counters.get(district);
    if (!counter) {
      counter = new Uint16Array(COUNTER_DAYS);
      counters.set(district, counter);
    }
    const day = dayNumber(date);
    const serial = counter[day]! + 1;
    if (serial > 9999) throw new RangeError(`more than 9999 identifiers for ${district} on ${date}`);
    counter[day] = serial;
    return serial;
  }

  private birthIn(fromYear: number, toYear: number): string {
    const r = this.rng;
    const year = r.int(Math.max(1930, fromYear), Math.min(REFERENCE_YEAR, Math.max(fromYear, toYear)));
    const month = r.int(1, 12);
    return iso(year, month, r.int(1, daysIn(year, month)));
  }

  private name(culture: Culture, sex: 'L' | 'P', familyName?: string): string[] {
    const r = this.rng;
    const given = r.pick(GIVEN[culture][sex]);
    const tokens = [given];
    if (culture === 'KRISTEN') {
      if (r.chance(0.3)) tokens.push(r.pick(GIVEN[culture][sex]));
      tokens.push(familyName ?? r.pick(SECOND.KRISTEN[sex]));
      return dedupe(tokens);
    }
    if (r.chance(0.75)) tokens.push(r.pick(SECOND[culture][sex]));
    if (r.chance(0.15)) tokens.push(r.pick(SECOND[culture][sex]));
    return dedupe(tokens);
  }

  /** A new family of `minSize` or more members living in `village`, with fresh NIKs and No. KK. */
  private family(village: string, minSize = 1): Family {
    const r = this.rng;
    const size = Math.max(minSize, r.weighted(SIZE_WEIGHTS) + 1);
    const culture = CULTURES[r.weighted(CULTURE_WEIGHTS)]!;
    const marga = culture === 'KRISTEN' ? r.pick(SECOND.KRISTEN.L) : undefined;
    const noKk = this.allocKk(village.slice(0, 6), this.birthIn(2005, REFERENCE_YEAR));
    const alamat = r.chance(0.5)
      ? `JL. ${r.pick(STREETS)} NO. ${r.int(1, 150)}`
      : r.chance(0.5)
        ? `DUSUN ${r.pick(HAMLETS)}`
        : `GG. ${r.pick(STREETS)} ${r.pick(['I', 'II', 'III', 'IV'])} NO. ${r.int(1, 60)}`;
    const rt = r.chance(0.6) ? `00${r.int(1, 9)}`.slice(-3) : String(r.int(1, 25));
    const rw = r.chance(0.6) ? `00${r.int(1, 9)}`.slice(-3) : String(r.int(1, 12));
    const desil = r.chance(0.6) ? String(r.int(1, 10)) : '';
    const base = { noKk, culture, alamat, rt, rw, village, desil };
    const members: Person[] = [];

    const headSex: 'L' | 'P' = size === 1 ? r.pick(['L', 'P'] as const) : r.chance(0.85) ? 'L' : 'P';
    const headAge = r.int(size > 4 ? 30 : 22, 75);
    const headBirth = this.birthIn(REFERENCE_YEAR - headAge, REFERENCE_YEAR - headAge);
    const withSpouse = size > 1 && headSex === 'L' && r.chance(0.92);
    const head = this.person(base, headSex, headBirth, 'KEPALA_KELUARGA', marga, true);
    head.marital = withSpouse
      ? 'KAWIN'
      : headSex === 'P'
        ? r.pick(['CERAI_MATI', 'CERAI_HIDUP'])
        : headAge < 30
          ? 'BELUM_KAWIN'
          : 'CERAI_MATI';
    members.push(head);
    let mother: Person | undefined;
    if (withSpouse) {
      const wifeYear = Math.min(REFERENCE_YEAR - 18, Number(headBirth.slice(0, 4)) + r.int(-2, 8));
      mother = this.person(base, 'P', this.birthIn(wifeYear, wifeYear), 'ISTRI', undefined, true);
      mother.marital = 'KAWIN';
      members.push(mother);
    } else if (headSex === 'P') {
      mother = head;
    }
    const parentYear = Number((mother ?? head).birth.slice(0, 4));
    let nextChildYear = parentYear + r.int(19, 26);
    while (members.length < size) {
      const slot = size - members.length;
      if (slot === 1 && headAge < 50 && r.chance(0.1) && parentYear - 25 >= 1930) {
        const parentSex = r.pick(['L', 'P'] as const);
        const elder = this.person(
          base,
          parentSex,
          this.birthIn(parentYear - 32, parentYear - 20),
          r.pick(['ORANG_TUA', 'MERTUA']),
          undefined,
          true,
        );
        elder.marital = 'CERAI_MATI';
        members.push(elder);
        continue;
      }
      if (nextChildYear <= REFERENCE_YEAR) {
        const sex = r.pick(['L', 'P'] as const);
        const child = this.person(base, sex, this.birthIn(nextChildYear, nextChildYear), 'ANAK', marga, false);
        child.mother = mother?.nama ?? child.mother;
        const age = REFERENCE_YEAR - nextChildYear;
        child.marital = age >= 24 && r.chance(0.3) ? 'CERAI_HIDUP' : 'BELUM_KAWIN';
        child.job = age < 6 ? '' : age < 22 ? 'PELAJAR/MAHASISWA' : r.pick(OCCUPATIONS_ADULT);
        child.income = age < 22 ? '' : child.income;
        members.push(child);
        nextChildYear += r.int(1, 4);
        continue;
      }
      const relative = this.person(
        base,
        r.pick(['L', 'P'] as const),
        this.birthIn(1950, 2015),
        'FAMILI_LAIN',
        undefined,
        false,
      );
      members.push(relative);
    }
    return { noKk, village, members };
  }

  private person(
    base: { noKk: string; culture: Culture; alamat: string; rt: string; rw: string; village: string; desil: string },
    sex: 'L' | 'P',
    birth: string,
    rel: string,
    familyName: string | undefined,
    adult: boolean,
  ): Person {
    const r = this.rng;
    const tokens = this.name(base.culture, sex, familyName);
    // Some registries hold a title as part of the name (KTP with H./Hj.); a region may leave it out.
    const nama =
      adult && base.culture === 'ARAB' && r.chance(0.05)
        ? `${sex === 'L' ? 'H.' : 'HJ.'} ${tokens.join(' ')}`
        : tokens.join(' ');
    const district = this.birthDistrict(base.village, adult);
    const job = adult ? (sex === 'P' && r.chance(0.5) ? 'MENGURUS RUMAH TANGGA' : r.pick(OCCUPATIONS_ADULT)) : '';
    return {
      nik: this.allocNik(district, birth, sex),
      noKk: base.noKk,
      nama,
      tokens,
      sex,
      culture: base.culture,
      birth,
      birthPlace: this.placeOf(district),
      mother: this.name(base.culture, 'P').slice(0, 2).join(' '),
      rel,
      marital: 'BELUM_KAWIN',
      alamat: base.alamat,
      rt: base.rt,
      rw: base.rw,
      village: base.village,
      job,
      income: job === '' || job === 'MENGURUS RUMAH TANGGA' ? '' : String(r.int(5, 60) * 100_000),
      desil: base.desil,
    };
  }

  /** A child born into a master family since its last stipulation. */
  private newborn(family: Family): Person {
    const head = family.members[0]!;
    const base = { ...head, culture: head.culture };
    const year = this.rng.int(REFERENCE_YEAR - 1, REFERENCE_YEAR);
    const sex = this.rng.pick(['L', 'P'] as const);
    const child = this.person(
      base,
      sex,
      this.birthIn(year, year),
      head.birth < '1975' ? 'CUCU' : 'ANAK',
      undefined,
      false,
    );
    child.mother = family.members.find((m) => m.rel === 'ISTRI')?.nama ?? child.mother;
    return child;
  }

  private malformedNik(nik: string, sex: 'L' | 'P'): string {
    const r = this.rng;
    const candidates = [
      nik.slice(0, 15), // one digit short
      `${nik.slice(0, 3)}O${nik.slice(4)}`, // letter O for a zero
      `${nik.slice(0, 6)}${sex === 'L' ? '32' : '72'}${nik.slice(8)}`, // day 32
      `${nik.slice(0, 8)}13${nik.slice(10)}`, // month 13
      `${nik.slice(0, 12)}0000`, // serial 0000
      `00${nik.slice(2)}`, // unknown province 00
    ];
    return this.unusedMalformed(r.pick(candidates), `${nik}1`);
  }

  private malformedKk(kk: string): string {
    const r = this.rng;
    const candidates = [`${kk}0`, `00${kk.slice(2)}`, `${kk.slice(0, 8)}13${kk.slice(10)}`, `${kk.slice(0, 15)}X`];
    return this.unusedMalformed(r.pick(candidates), `${kk}0`);
  }

  /** Malformed identifiers stay unique, so that a format defect never creates a duplicate or merges families. */
  private unusedMalformed(candidate: string, fallback: string): string {
    const value = this.malformed.has(candidate) ? fallback : candidate;
    this.malformed.add(value);
    return value;
  }
}

/**
 * hash53 identity → NIK (as identifierKey), open addressing over typed arrays: a Map with a million 53-bit keys
 * boxes every key as a heap number, which costs the generator more than everything else it does per person.
 * A slot is found once with `slot()`, then read or written; `put` may grow the table, so look the slot up again
 * after a `put` before using it.
 */
class IdentityTable {
  private keys = new Float64Array(1 << 16);
  private values = new Float64Array(1 << 16);
  /** 1 = used, 2 = used and marked. */
  private state = new Uint8Array(1 << 16);
  private size = 0;

  slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = ((key / 0x200000) ^ key) & mask;
    while (this.state[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  has(slot: number): boolean {
    return this.state[slot] !== 0;
  }

  value(slot: number): number {
    return this.values[slot]!;
  }

  marked(slot: number): boolean {
    return this.state[slot] === 2;
  }

  mark(slot: number): void {
    this.state[slot] = 2;
  }

  put(slot: number, key: number, value: number): void {
    if (this.state[slot] === 0) {
      this.state[slot] = 1;
      this.keys[slot] = key;
      this.size++;
    }
    this.values[slot] = value;
    if (this.size * 2 > this.keys.length) this.grow();
  }

  private grow(): void {
    const { keys, values, state } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Float64Array(keys.length * 2);
    this.state = new Uint8Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (state[i] === 0) continue;
      const slot = this.slot(keys[i]!);
      this.keys[slot] = keys[i]!;
      this.values[slot] = values[i]!;
      this.state[slot] = state[i]!;
    }
  }
}

function dedupe(tokens: string[]): string[] {
  return tokens.filter((t, i) => tokens.indexOf(t) === i);
}

export function generateWorld(options: WorldOptions): SyntheticWorld {
  return new SyntheticWorld(options);
}
