import { describe, expect, it } from 'vitest';
import {
  addMonths,
  closingPeriod,
  isPeriod,
  nextPeriod,
  PERIOD_PATTERN,
  parsePeriod,
  periodAt,
  periodStart,
  previousPeriod,
} from '#core/period.ts';

describe('a period (YYYY-MM)', () => {
  it('accepts a month 01 to 12 and nothing else', () => {
    for (const period of ['2026-01', '2026-09', '2026-10', '2026-12', '0001-01']) expect(isPeriod(period)).toBe(true);
    for (const value of ['2026-00', '2026-13', '2026-1', '26-11', '2026-11-01', ' 2026-11', '2026/11', '', 202611]) {
      expect(isPeriod(value)).toBe(false);
    }
    expect(PERIOD_PATTERN.test('2026-11\n')).toBe(false);
  });

  it('parses into its year and month, and refuses invalid input in Bahasa Indonesia', () => {
    expect(parsePeriod('2026-11')).toEqual({ year: 2026, month: 11 });
    expect(() => parsePeriod('2026-13')).toThrow('Periode harus berbentuk YYYY-MM, bukan "2026-13"');
    expect(() => nextPeriod('november')).toThrow(RangeError);
  });

  it('steps to the next and previous month across the year boundary', () => {
    expect(nextPeriod('2026-11')).toBe('2026-12');
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(previousPeriod('2027-01')).toBe('2026-12');
    expect(previousPeriod('2026-03')).toBe('2026-02');
    expect(addMonths('2026-11', 14)).toBe('2028-01');
    expect(addMonths('2026-01', -13)).toBe('2024-12');
  });

  it('is counted in Asia/Jakarta: the month of an instant changes at midnight WIB, 17:00 UTC', () => {
    expect(periodAt(new Date('2026-11-30T16:59:59.999Z'))).toBe('2026-11');
    expect(periodAt(new Date('2026-11-30T17:00:00.000Z'))).toBe('2026-12');
    expect(periodStart('2026-12').toISOString()).toBe('2026-11-30T17:00:00.000Z');
    expect(() => periodAt(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('closes the month before the run, around midnight WIB on the 1st', () => {
    // 23:59 WIB on 30 November: still November in Jakarta, so the closing month is October.
    expect(closingPeriod(new Date('2026-11-30T16:59:00Z'))).toBe('2026-10');
    // 00:00 and 01:00 WIB on 1 December (the scheduled run): November closes.
    expect(closingPeriod(new Date('2026-11-30T17:00:00Z'))).toBe('2026-11');
    expect(closingPeriod(new Date('2026-11-30T18:00:00Z'))).toBe('2026-11');
  });

  it('closes December of the year before in January', () => {
    expect(closingPeriod(new Date('2026-12-31T18:00:00Z'))).toBe('2026-12');
    expect(closingPeriod(new Date('2027-01-15T00:00:00Z'))).toBe('2026-12');
    // 1 January 00:30 UTC is 07:30 WIB: January in both, December closes.
    expect(closingPeriod(new Date('2027-01-01T00:30:00Z'))).toBe('2026-12');
    // 31 December 16:00 UTC is 23:00 WIB: still December, November closes.
    expect(closingPeriod(new Date('2026-12-31T16:00:00Z'))).toBe('2026-11');
  });
});
