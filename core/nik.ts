/**
 * NIK (Nomor Induk Kependudukan, UU 23/2006 Adminduk): 16 digits `PP RR DD ddmmyy ssss` — province, regency and
 * district codes of first registration, birth day (women: day + 40), month, two-digit year, serial 0001–9999.
 *
 * Only the province is checked against the area list: regencies and districts split and renumber (pemekaran, the
 * Papua renumbering of 2022) and a NIK keeps the code of first registration, so a valid NIK may carry a regency
 * code that no longer exists. parseNik runs once per row on files of a million rows: char-code arithmetic, no
 * regular expressions, three short substrings for the parts.
 */
import type { AreaIndex } from './area.ts';
import { dateExists, daysInMonth, twoDigits } from './dates.ts';

export interface NikParts {
  province: string;
  regency: string;
  /** 6 digits: province + regency + district. */
  district: string;
  /** Real day of birth 1–31 (the +40 for women removed). */
  day: number;
  month: number;
  year2: number;
  sex: 'L' | 'P';
  serial: number;
}

export type NikProblem = 'LENGTH' | 'NOT_DIGITS' | 'UNKNOWN_PROVINCE' | 'IMPOSSIBLE_DATE' | 'SERIAL_ZERO';

export type NikResult = { ok: true; parts: NikParts } | { ok: false; problem: NikProblem };

const FAILURES: Readonly<Record<NikProblem, NikResult>> = {
  LENGTH: Object.freeze({ ok: false, problem: 'LENGTH' }),
  NOT_DIGITS: Object.freeze({ ok: false, problem: 'NOT_DIGITS' }),
  UNKNOWN_PROVINCE: Object.freeze({ ok: false, problem: 'UNKNOWN_PROVINCE' }),
  IMPOSSIBLE_DATE: Object.freeze({ ok: false, problem: 'IMPOSSIBLE_DATE' }),
  SERIAL_ZERO: Object.freeze({ ok: false, problem: 'SERIAL_ZERO' }),
};

/** '00'..'99', so that the province look-up and the parts share strings instead of allocating one per row. */
export const TWO_DIGIT_STRINGS: readonly string[] = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

let tableAreas: AreaIndex | undefined;
let table = new Uint8Array(100);

/**
 * 1 at index n when the two-digit prefix n may start a NIK or No. KK, for the index last used: parsing a file
 * uses one index for a million rows, so the look-up is an array read instead of a call per row.
 */
export function nikProvinceTable(areas: AreaIndex): Uint8Array {
  if (areas !== tableAreas) {
    const next = new Uint8Array(100);
    for (let n = 0; n < 100; n++) next[n] = areas.isNikProvince(TWO_DIGIT_STRINGS[n]!) ? 1 : 0;
    table = next;
    tableAreas = areas;
  }
  return table;
}

/** True when text[from, to) holds only ASCII digits. */
export function allDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * A day-month-two-digit-year that exists in 19yy or in 20yy. Outside 00 both centuries agree on leap years;
 * for 00, 29 February exists in 2000 (not in 1900), so it is accepted.
 */
export function twoDigitYearDateExists(year2: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(2000 + year2, month);
}

export function parseNik(nik: string, areas: AreaIndex): NikResult {
  if (nik.length !== 16) return FAILURES.LENGTH;
  if (!allDigits(nik, 0, 16)) return FAILURES.NOT_DIGITS;
  const prefix = (nik.charCodeAt(0) - 48) * 10 + nik.charCodeAt(1) - 48;
  if (nikProvinceTable(areas)[prefix] !== 1) return FAILURES.UNKNOWN_PROVINCE;
  const province = TWO_DIGIT_STRINGS[prefix]!;
  let day = twoDigits(nik, 6);
  const month = twoDigits(nik, 8);
  const year2 = twoDigits(nik, 10);
  let sex: 'L' | 'P' = 'L';
  if (day > 40) {
    day -= 40;
    sex = 'P';
  }
  if (day > 31 || !twoDigitYearDateExists(year2, month, day)) return FAILURES.IMPOSSIBLE_DATE;
  const serial =
    (nik.charCodeAt(12) - 48) * 1000 +
    (nik.charCodeAt(13) - 48) * 100 +
    (nik.charCodeAt(14) - 48) * 10 +
    (nik.charCodeAt(15) - 48);
  if (serial === 0) return FAILURES.SERIAL_ZERO;
  return {
    ok: true,
    parts: { province, regency: nik.slice(0, 4), district: nik.slice(0, 6), day, month, year2, sex, serial },
  };
}

/** The NIK's day, month and two-digit year equal those of an ISO `YYYY-MM-DD` date; false for a malformed date. */
export function nikMatchesBirthDate(parts: NikParts, isoDate: string): boolean {
  if (isoDate.length !== 10 || isoDate.charCodeAt(4) !== 45 || isoDate.charCodeAt(7) !== 45) return false;
  return (
    twoDigits(isoDate, 8) === parts.day &&
    twoDigits(isoDate, 5) === parts.month &&
    twoDigits(isoDate, 2) === parts.year2
  );
}

/**
 * Builds a NIK (tests and the data generator). Serial 0 is allowed so that a generator can make the
 * SERIAL_ZERO case on purpose; the district is not checked against the area list for the same reason.
 */
export function encodeNik(input: { district: string; birthDate: string; sex: 'L' | 'P'; serial: number }): string {
  const district = input.district.replaceAll('.', '');
  if (district.length !== 6 || !allDigits(district, 0, 6)) {
    throw new RangeError(`encodeNik: district must be 6 digits, got '${input.district}'`);
  }
  const { birthDate } = input;
  const year = Number(birthDate.slice(0, 4));
  const month = twoDigits(birthDate, 5);
  const day = twoDigits(birthDate, 8);
  if (
    birthDate.length !== 10 ||
    birthDate[4] !== '-' ||
    birthDate[7] !== '-' ||
    !allDigits(birthDate, 0, 4) ||
    !dateExists(year, month, day)
  ) {
    throw new RangeError(`encodeNik: birthDate must be an existing ISO date, got '${birthDate}'`);
  }
  if (!Number.isInteger(input.serial) || input.serial < 0 || input.serial > 9999) {
    throw new RangeError(`encodeNik: serial must be 0–9999, got ${input.serial}`);
  }
  const encodedDay = input.sex === 'P' ? day + 40 : day;
  return `${district}${TWO_DIGIT_STRINGS[encodedDay]}${birthDate.slice(5, 7)}${birthDate.slice(2, 4)}${String(input.serial).padStart(4, '0')}`;
}
