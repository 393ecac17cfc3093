/**
 * Kemendagri area codes (kode wilayah) from the official lists shipped by the npm package `idn-area-data`:
 * province `33`, regency/city `3371` (33.71), district `337101` (33.71.01), village `3371011001` (33.71.01.1001).
 * The index hands out plain digit strings and accepts the dotted form in every query; inside, codes are numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The area lists cannot be found or read: the deployment is missing the reference data. */
export class AreaDataError extends Error {
  override readonly name = 'AreaDataError';
  readonly searched: readonly string[];

  constructor(searched: readonly string[], options?: { cause?: unknown }) {
    super(
      `Data kode wilayah Kemendagri (idn-area-data) tidak ditemukan / area code data not found. Looked in: ${searched.join(', ')}`,
      options,
    );
    this.searched = searched;
  }
}

/**
 * Province codes a NIK may still carry although they no longer name the same province, because a NIK keeps the
 * area code of first registration (UU 23/2006 Adminduk) while provinces split and renumber.
 * - `91` was PAPUA BARAT and `94` was PAPUA until the 2022 renumbering (Kepmendagri 100.1.1-6117/2022) that
 *   came with the new provinces Papua Selatan (93), Papua Tengah (94), Papua Pegunungan (95) and Papua Barat
 *   Daya (96) and gave Papua 91, Papua Barat 92. Both codes are still current, so the official list accepts them
 *   today; they are listed so that a NIK starting with them stays valid whatever list is deployed, and so that
 *   callers know the regency part of such a NIK (94.71, old Kota Jayapura, now 91.71) need not exist any more.
 * Not accepted: `54` (Timor Timur, until 1999) — it left before the national NIK (2006) was issued.
 * Every other province created since 1999 (19, 21, 36, 65, 75, 76, 82) got a new code that is still current.
 */
export const FORMER_NIK_PROVINCES: ReadonlyMap<string, string> = new Map([
  ['91', 'PAPUA BARAT (sebelum 2022)'],
  ['94', 'PAPUA (sebelum 2022)'],
]);

export interface AreaIndex {
  /** 2 digits, one of the current provinces. */
  isProvince(code: string): boolean;
  /** Current or former province code (see FORMER_NIK_PROVINCES): what a NIK or No. KK may start with. */
  isNikProvince(code: string): boolean;
  /** 4 digits (dotted accepted). */
  isRegency(code: string): boolean;
  /** 6 digits. */
  isDistrict(code: string): boolean;
  /** 10 digits. */
  isVillage(code: string): boolean;
  provinceName(code: string): string | undefined;
  regencyName(code: string): string | undefined;
  villageName(code: string): string | undefined;
  /** 4-digit codes, in list order. */
  regenciesOf(province: string): string[];
  /** 6-digit codes, in list order. */
  districtsOf(regency: string): string[];
  /** 10-digit codes, in list order. */
  villagesOf(district: string): string[];
}

/** Strips dots and spaces: '33.71' -> '3371', ' 33.71.01.1001 ' -> '3371011001'. Other characters are kept. */
export function normaliseAreaCode(input: string): string {
  const length = input.length;
  let i = 0;
  while (i < length) {
    const c = input.charCodeAt(i);
    if (c === 46 || c === 32 || c === 9 || c === 160) break;
    i++;
  }
  if (i === length) return input; // already plain: no allocation on the hot path
  let out = input.slice(0, i);
  for (; i < length; i++) {
    const c = input.charCodeAt(i);
    if (c === 46 || c === 32 || c === 9 || c === 160) continue;
    out += input[i];
  }
  return out;
}

/**
 * A level of the list as sorted numeric codes (the digits of the code; no code starts with 0, so String(n) gives
 * it back) with the offset of each name in the file. Look-ups are binary searches and the children of a code
 * are the run of codes that extend it, so loading builds no hash maps (84,000 village entries would cost more
 * than the whole parse) and no name strings until one is asked for.
 */
interface Level {
  /** The file's bytes: codes are ASCII, so they are read without decoding 3 MB of text; names decode on demand. */
  bytes: Buffer;
  codes: Float64Array;
  nameOffsets: Int32Array;
}

/** Index of `key` in the level, or -1. */
function find(level: Level, key: number): number {
  if (key < 0) return -1;
  const index = lowerBound(level.codes, key);
  return index < level.codes.length && level.codes[index] === key ? index : -1;
}

function lowerBound(codes: Float64Array, key: number): number {
  let low = 0;
  let high = codes.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (codes[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Codes of the level that extend `parent` by `width` digits (regencies of a province: width 2), as strings. */
function childrenOf(level: Level, parent: number, width: number): string[] {
  if (parent < 0) return [];
  const factor = 10 ** width;
  const codes = level.codes;
  const out: string[] = [];
  for (let i = lowerBound(codes, parent * factor); i < codes.length && codes[i]! < (parent + 1) * factor; i++) {
    out.push(String(codes[i]));
  }
  return out;
}

function nameAt(level: Level, key: number): string | undefined {
  const index = find(level, key);
  if (index < 0) return undefined;
  const { bytes } = level;
  const start = level.nameOffsets[index]!;
  let end = bytes.indexOf(10, start);
  if (end === -1) end = bytes.length;
  if (end > start && bytes[end - 1] === 13) end--;
  const name = bytes.toString('utf8', start, end);
  return name.length >= 2 && name.startsWith('"') && name.endsWith('"')
    ? name.slice(1, -1).replaceAll('""', '"')
    : name;
}

/** The key of a queried code, or -1 when it is not `digits` digits long (dots and spaces ignored). */
function queryKey(code: string, digits: number): number {
  let n = 0;
  let count = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (count === 0 && c === 48) return -1; // no official code starts with 0
      n = n * 10 + (c - 48);
      count++;
    } else if (c !== 46 && c !== 32 && c !== 9 && c !== 160) {
      return -1;
    }
  }
  return count === digits ? n : -1;
}

/**
 * Reads `code,parent_code,name` (or `code,name` for provinces). The package writes names unquoted, some with a
 * stray `"` inside (Soka"an), never with a comma, so the name is everything after the last structural comma.
 * The parent column is implied by the code itself (33.71.01 is in 33.71) and not read.
 */
function readLevel(file: string, hasParent: boolean): Level {
  const bytes = readFileSync(file);
  const codes: number[] = [];
  const offsets: number[] = [];
  let sorted = true;
  // Latin-1 maps each byte to one char, so string offsets are byte offsets, and the scan can use the fast native
  // string indexOf; names are decoded as UTF-8 from the bytes when asked for.
  const text = bytes.toString('latin1');
  const length = text.length;
  let i = text.indexOf('\n') + 1; // skip the header
  if (i === 0) i = length;
  while (i < length) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd === -1) lineEnd = length;
    let code = 0;
    let valid = true;
    let c = text.charCodeAt(i);
    while (c !== 44 && i < lineEnd) {
      if (c >= 48 && c <= 57) code = code * 10 + (c - 48);
      else if (c !== 46 && c !== 32) valid = false;
      c = text.charCodeAt(++i);
    }
    const nameStart = hasParent ? text.indexOf(',', i + 1) + 1 : i + 1;
    if (valid && code > 0 && i < lineEnd && nameStart > 0 && nameStart <= lineEnd) {
      if (codes.length > 0 && code <= codes[codes.length - 1]!) sorted = false;
      codes.push(code);
      offsets.push(nameStart);
    }
    i = lineEnd + 1;
  }
  if (!sorted) {
    // The package's lists are sorted by code; another data folder may not be.
    const order = codes.map((_, k) => k).sort((x, y) => codes[x]! - codes[y]!);
    return {
      bytes,
      codes: Float64Array.from(order, (k) => codes[k]!),
      nameOffsets: Int32Array.from(order, (k) => offsets[k]!),
    };
  }
  return { bytes, codes: Float64Array.from(codes), nameOffsets: Int32Array.from(offsets) };
}

class LoadedAreaIndex implements AreaIndex {
  private readonly nikProvinces: ReadonlySet<number>;

  constructor(
    private readonly provinces: Level,
    private readonly regencies: Level,
    private readonly districts: Level,
    private readonly villages: Level,
  ) {
    this.nikProvinces = new Set([...provinces.codes, ...[...FORMER_NIK_PROVINCES.keys()].map(Number)]);
  }

  isProvince(code: string): boolean {
    return find(this.provinces, queryKey(code, 2)) >= 0;
  }

  isNikProvince(code: string): boolean {
    return this.nikProvinces.has(queryKey(code, 2));
  }

  isRegency(code: string): boolean {
    return find(this.regencies, queryKey(code, 4)) >= 0;
  }

  isDistrict(code: string): boolean {
    return find(this.districts, queryKey(code, 6)) >= 0;
  }

  isVillage(code: string): boolean {
    return find(this.villages, queryKey(code, 10)) >= 0;
  }

  provinceName(code: string): string | undefined {
    return nameAt(this.provinces, queryKey(code, 2));
  }

  regencyName(code: string): string | undefined {
    return nameAt(this.regencies, queryKey(code, 4));
  }

  villageName(code: string): string | undefined {
    return nameAt(this.villages, queryKey(code, 10));
  }

  regenciesOf(province: string): string[] {
    return childrenOf(this.regencies, queryKey(province, 2), 2);
  }

  districtsOf(regency: string): string[] {
    return childrenOf(this.districts, queryKey(regency, 4), 2);
  }

  villagesOf(district: string): string[] {
    return childrenOf(this.villages, queryKey(district, 6), 4);
  }
}

const FILES = ['provinces.csv', 'regencies.csv', 'districts.csv', 'villages.csv'] as const;

function hasAreaFiles(dir: string): boolean {
  return FILES.every((file) => existsSync(join(dir, file)));
}

/**
 * Where the lists are: the explicit argument, else DTKS_AREA_DATA_DIR (both authoritative: a wrong setting fails
 * instead of silently using other data), else `idn-area-data/` next to this module (Lambda bundles ship the CSVs
 * beside the bundle), else the installed package.
 */
function resolveDataDir(dataDir: string | undefined): string {
  const configured = dataDir ?? process.env.DTKS_AREA_DATA_DIR;
  if (configured !== undefined && configured !== '') {
    const dir = resolve(configured);
    if (!hasAreaFiles(dir)) throw new AreaDataError([dir]);
    return dir;
  }
  const searched: string[] = [];
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'idn-area-data');
  searched.push(beside);
  if (hasAreaFiles(beside)) return beside;
  let cause: unknown;
  try {
    const installed = join(dirname(createRequire(import.meta.url).resolve('idn-area-data/package.json')), 'data');
    searched.push(installed);
    if (hasAreaFiles(installed)) return installed;
  } catch (error) {
    searched.push('the installed npm package idn-area-data');
    cause = error;
  }
  throw new AreaDataError(searched, { cause });
}

const loaded = new Map<string, AreaIndex>();
/** Index by the request (argument or environment value), so that repeated calls skip the file-system checks. */
const byRequest = new Map<string, AreaIndex>();

/** Loads the four lists once per folder (synchronously, ~65 ms cold for 84,000 villages) and memoises the index. */
export function loadAreas(dataDir?: string): AreaIndex {
  const request = dataDir ?? process.env.DTKS_AREA_DATA_DIR ?? '';
  const known = byRequest.get(request);
  if (known) return known;
  const dir = resolveDataDir(dataDir);
  let index = loaded.get(dir);
  if (index) {
    byRequest.set(request, index);
    return index;
  }
  try {
    index = new LoadedAreaIndex(
      readLevel(join(dir, 'provinces.csv'), false),
      readLevel(join(dir, 'regencies.csv'), true),
      readLevel(join(dir, 'districts.csv'), true),
      readLevel(join(dir, 'villages.csv'), true),
    );
  } catch (error) {
    throw new AreaDataError([dir], { cause: error });
  }
  loaded.set(dir, index);
  byRequest.set(request, index);
  return index;
}
