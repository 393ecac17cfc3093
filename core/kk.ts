/**
 * No. KK (Nomor Kartu Keluarga, the family card number): 16 digits — district code of issue (6),
 * issue date `ddmmyy` (6), serial (4). As with the NIK only the province is checked against the area list
 * (districts renumber; the number keeps the code it was issued under). The serial is not checked: 0000 is not
 * excluded by any rule we know of for No. KK.
 */
import type { AreaIndex } from './area.ts';
import { dateExists, twoDigits } from './dates.ts';
import { allDigits, nikProvinceTable, TWO_DIGIT_STRINGS, twoDigitYearDateExists } from './nik.ts';

export type KkProblem = 'LENGTH' | 'NOT_DIGITS' | 'UNKNOWN_PROVINCE' | 'IMPOSSIBLE_DATE';

export interface KkParts {
  province: string;
  /** 6 digits. */
  district: string;
  issueDay: number;
  issueMonth: number;
  issueYear2: number;
  serial: number;
}

export type KkResult = { ok: true; parts: KkParts } | { ok: false; problem: KkProblem };

const FAILURES: Readonly<Record<KkProblem, KkResult>> = {
  LENGTH: Object.freeze({ ok: false, problem: 'LENGTH' }),
  NOT_DIGITS: Object.freeze({ ok: false, problem: 'NOT_DIGITS' }),
  UNKNOWN_PROVINCE: Object.freeze({ ok: false, problem: 'UNKNOWN_PROVINCE' }),
  IMPOSSIBLE_DATE: Object.freeze({ ok: false, problem: 'IMPOSSIBLE_DATE' }),
};

export function parseKk(kk: string, areas: AreaIndex): KkResult {
  if (kk.length !== 16) return FAILURES.LENGTH;
  if (!allDigits(kk, 0, 16)) return FAILURES.NOT_DIGITS;
  const prefix = (kk.charCodeAt(0) - 48) * 10 + kk.charCodeAt(1) - 48;
  if (nikProvinceTable(areas)[prefix] !== 1) return FAILURES.UNKNOWN_PROVINCE;
  const province = TWO_DIGIT_STRINGS[prefix]!;
  const issueDay = twoDigits(kk, 6);
  const issueMonth = twoDigits(kk, 8);
  const issueYear2 = twoDigits(kk, 10);
  // The issue date has no +40: a family card has no sex. It must exist in 19yy or 20yy.
  if (!twoDigitYearDateExists(issueYear2, issueMonth, issueDay)) return FAILURES.IMPOSSIBLE_DATE;
  const serial =
    (kk.charCodeAt(12) - 48) * 1000 +
    (kk.charCodeAt(13) - 48) * 100 +
    (kk.charCodeAt(14) - 48) * 10 +
    kk.charCodeAt(15) -
    48;
  return { ok: true, parts: { province, district: kk.slice(0, 6), issueDay, issueMonth, issueYear2, serial } };
}

/** Builds a No. KK (tests and the data generator); the district is not checked against the area list. */
export function encodeKk(input: { district: string; issueDate: string; serial: number }): string {
  const district = input.district.replaceAll('.', '');
  if (district.length !== 6 || !allDigits(district, 0, 6)) {
    throw new RangeError(`encodeKk: district must be 6 digits, got '${input.district}'`);
  }
  const { issueDate } = input;
  const valid =
    issueDate.length === 10 &&
    issueDate[4] === '-' &&
    issueDate[7] === '-' &&
    allDigits(issueDate, 0, 4) &&
    dateExists(Number(issueDate.slice(0, 4)), twoDigits(issueDate, 5), twoDigits(issueDate, 8));
  if (!valid) throw new RangeError(`encodeKk: issueDate must be an existing ISO date, got '${issueDate}'`);
  if (!Number.isInteger(input.serial) || input.serial < 0 || input.serial > 9999) {
    throw new RangeError(`encodeKk: serial must be 0–9999, got ${input.serial}`);
  }
  return `${district}${issueDate.slice(8, 10)}${issueDate.slice(5, 7)}${issueDate.slice(2, 4)}${String(input.serial).padStart(4, '0')}`;
}
