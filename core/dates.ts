/**
 * Calendar dates as proposals write them. Parsing runs once per row on files of a million rows, so it works on
 * char codes: no regular expression, no intermediate strings.
 */

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Gregorian leap year: every 4th year, except centuries not divisible by 400 (1900 no, 2000 yes). */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return DAYS_IN_MONTH[month] ?? 0;
}

/** True when the Gregorian date exists (year 1–9999). */
export function dateExists(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

/** Two ASCII digits at `at` as a number, or -1. */
export function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function fourDigits(text: string, at: number): number {
  const high = twoDigits(text, at);
  const low = twoDigits(text, at + 2);
  return high < 0 || low < 0 ? -1 : high * 100 + low;
}

/**
 * `YYYY-MM-DD`, `DD-MM-YYYY` or `DD/MM/YYYY` (PROPOSAL_FORMAT.md, tanggal_lahir) -> ISO `YYYY-MM-DD` when the
 * date exists, else undefined. Exactly two-digit day and month; anything else (other separators, a time part,
 * surrounding spaces) is not a date here.
 */
export function parseDate(text: string): string | undefined {
  if (text.length !== 10) return undefined;
  const c2 = text.charCodeAt(2);
  const c4 = text.charCodeAt(4);
  if (c4 === 45 && text.charCodeAt(7) === 45) {
    // YYYY-MM-DD: the input is already the ISO form, so return it without building a new string.
    const year = fourDigits(text, 0);
    const month = twoDigits(text, 5);
    const day = twoDigits(text, 8);
    return year >= 0 && month >= 0 && day >= 0 && dateExists(year, month, day) ? text : undefined;
  }
  if ((c2 === 45 || c2 === 47) && text.charCodeAt(5) === c2) {
    const day = twoDigits(text, 0);
    const month = twoDigits(text, 3);
    const year = fourDigits(text, 6);
    if (year < 0 || month < 0 || day < 0 || !dateExists(year, month, day)) return undefined;
    return `${text.slice(6, 10)}-${text.slice(3, 5)}-${text.slice(0, 2)}`;
  }
  return undefined;
}
