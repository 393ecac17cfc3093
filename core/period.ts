/**
 * The period (bulan penetapan) of the DTKS: a calendar month written YYYY-MM. The Minister stipulates
 * each month once; proposals are uploaded for a month, snapshots are exported per month. Months are
 * counted in Asia/Jakarta (WIB), where the stipulation schedule runs: UTC+07:00 all year, no daylight
 * saving since 1964, so a fixed offset is exact.
 */

/** YYYY-MM with a month 01–12. Unanchored, to be embedded in other patterns (an upload key). */
export const PERIOD_SOURCE = String.raw`\d{4}-(?:0[1-9]|1[0-2])`;
/** A whole string that is a period. */
export const PERIOD_PATTERN = new RegExp(`^${PERIOD_SOURCE}$`);

/** Asia/Jakarta's offset from UTC, in milliseconds. */
export const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;

export type Period = string;

/** True when `value` is a YYYY-MM month. */
export function isPeriod(value: unknown): value is Period {
  return typeof value === 'string' && PERIOD_PATTERN.test(value);
}

/** The year and month (1–12) of a period; throws on anything that is not one. */
export function parsePeriod(value: string): { year: number; month: number } {
  if (!isPeriod(value)) throw new RangeError(`Periode harus berbentuk YYYY-MM, bukan "${value}"`);
  return { year: Number(value.slice(0, 4)), month: Number(value.slice(5, 7)) };
}

/** The period of a year and a month (1–12; 0 and 13 roll into the neighbouring years). */
export function periodOf(year: number, month: number): Period {
  const first = new Date(Date.UTC(year, month - 1, 1));
  return `${String(first.getUTCFullYear()).padStart(4, '0')}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month `months` after `period` (negative: before). */
export function addMonths(period: Period, months: number): Period {
  const { year, month } = parsePeriod(period);
  return periodOf(year, month + months);
}

export const nextPeriod = (period: Period): Period => addMonths(period, 1);
export const previousPeriod = (period: Period): Period => addMonths(period, -1);

/** The month that `at` falls in, in Asia/Jakarta: 23:59 WIB on the 31st is still that month. */
export function periodAt(at: Date): Period {
  if (Number.isNaN(at.getTime())) throw new RangeError('Waktu tidak valid');
  const jakarta = new Date(at.getTime() + JAKARTA_OFFSET_MS);
  return periodOf(jakarta.getUTCFullYear(), jakarta.getUTCMonth() + 1);
}

/**
 * The period a stipulation run started at `at` closes: the calendar month before the run's month in
 * Asia/Jakarta. The stipulation workflow's DetermineClosingPeriod computes the same in JSONata (tested
 * against this function in test/state-machines).
 */
export function closingPeriod(at: Date): Period {
  return previousPeriod(periodAt(at));
}

/** The instant a period begins: the 1st of the month, 00:00 WIB. */
export function periodStart(period: Period): Date {
  const { year, month } = parsePeriod(period);
  return new Date(Date.UTC(year, month - 1, 1) - JAKARTA_OFFSET_MS);
}
