import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateExists, parseDate } from '#core/dates.ts';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('parseDate', () => {
  it('returns ISO dates unchanged', () => {
    expect(parseDate('1985-07-17')).toBe('1985-07-17');
  });

  it('converts DD-MM-YYYY and DD/MM/YYYY to ISO', () => {
    expect(parseDate('17-07-1985')).toBe('1985-07-17');
    expect(parseDate('17/07/1985')).toBe('1985-07-17');
  });

  it('accepts 29 February in leap years only (2000 yes, 1900 and 2023 no)', () => {
    expect(parseDate('2000-02-29')).toBe('2000-02-29');
    expect(parseDate('29/02/2024')).toBe('2024-02-29');
    expect(parseDate('1900-02-29')).toBeUndefined();
    expect(parseDate('29-02-2023')).toBeUndefined();
  });

  it('rejects dates that do not exist', () => {
    for (const text of ['1985-04-31', '1985-13-01', '1985-00-10', '1985-01-00', '32/01/1985', '0000-01-01']) {
      expect(parseDate(text), text).toBeUndefined();
    }
  });

  it('rejects other layouts: mixed separators, single digits, slashes in ISO order, spaces, times', () => {
    for (const text of [
      '17-07/1985',
      '1985/07/17',
      '7/7/1985',
      ' 1985-07-17',
      '1985-07-17T00:00',
      '19850717',
      '',
      'abcd-ef-gh',
    ]) {
      expect(parseDate(text), text).toBeUndefined();
    }
  });

  it('gives the same ISO date for all three formats of any existing date', () => {
    const existing = fc
      .record({
        year: fc.integer({ min: 1, max: 9999 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
      })
      .filter(({ year, month, day }) => dateExists(year, month, day));
    fc.assert(
      fc.property(existing, ({ year, month, day }) => {
        const iso = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
        expect(parseDate(iso)).toBe(iso);
        expect(parseDate(`${pad(day, 2)}-${pad(month, 2)}-${pad(year, 4)}`)).toBe(iso);
        expect(parseDate(`${pad(day, 2)}/${pad(month, 2)}/${pad(year, 4)}`)).toBe(iso);
      }),
    );
  });

  it('agrees with the JavaScript calendar on which dates exist', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const date = new Date(Date.UTC(y, m - 1, d));
          const real = date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
          expect(parseDate(`${y}-${pad(m, 2)}-${pad(d, 2)}`) !== undefined).toBe(real);
        },
      ),
    );
  });
});

describe('dateExists', () => {
  it('knows month lengths and the Gregorian leap rule', () => {
    expect(dateExists(2024, 2, 29)).toBe(true);
    expect(dateExists(2100, 2, 29)).toBe(false);
    expect(dateExists(2023, 11, 31)).toBe(false);
    expect(dateExists(2023, 12, 31)).toBe(true);
  });

  it('rejects non-integers and out-of-range parts', () => {
    expect(dateExists(2023, 1.5, 1)).toBe(false);
    expect(dateExists(0, 1, 1)).toBe(false);
    expect(dateExists(2023, 0, 1)).toBe(false);
    expect(dateExists(2023, 1, 0)).toBe(false);
  });
});
