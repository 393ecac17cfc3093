import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAreas } from '#core/area.ts';
import { dateExists } from '#core/dates.ts';
import { encodeKk, type KkParts, parseKk } from '#core/kk.ts';

const areas = loadAreas();

const ALL_DISTRICTS: string[] = [];
for (let p = 11; p <= 99; p++) {
  for (const regency of areas.regenciesOf(String(p))) ALL_DISTRICTS.push(...areas.districtsOf(regency));
}

function problemOf(kk: string): string | undefined {
  const result = parseKk(kk, areas);
  return result.ok ? undefined : result.problem;
}

function partsOf(kk: string): KkParts {
  const result = parseKk(kk, areas);
  if (!result.ok) throw new Error(`expected a valid No. KK, got ${result.problem}`);
  return result.parts;
}

describe('parseKk', () => {
  it('reads district, issue date and serial', () => {
    expect(partsOf('3371010103150007')).toEqual({
      province: '33',
      district: '337101',
      issueDay: 1,
      issueMonth: 3,
      issueYear2: 15,
      serial: 7,
    });
  });

  it('returns LENGTH when the number is not 16 characters', () => {
    expect(problemOf('337101010315000')).toBe('LENGTH');
    expect(problemOf('33710101031500071')).toBe('LENGTH');
  });

  it('returns NOT_DIGITS for 16 characters that are not all digits', () => {
    expect(problemOf('337101010315000A')).toBe('NOT_DIGITS');
    expect(problemOf('33.71.01.0103150')).toBe('NOT_DIGITS');
  });

  it('returns UNKNOWN_PROVINCE for a prefix that is no current or former province', () => {
    expect(problemOf('5401010103150007')).toBe('UNKNOWN_PROVINCE');
    expect(problemOf('1001010103150007')).toBe('UNKNOWN_PROVINCE');
  });

  it('accepts a former Papua prefix (94.71, Kota Jayapura before 2022)', () => {
    expect(partsOf('9471010103150007').district).toBe('947101');
  });

  it('returns IMPOSSIBLE_DATE for an issue date that does not exist, with no +40 rule', () => {
    expect(problemOf('3371010013150007')).toBe('IMPOSSIBLE_DATE'); // day 00
    expect(problemOf('3371014103150007')).toBe('IMPOSSIBLE_DATE'); // day 41: a family card has no sex
    expect(problemOf('3371013104150007')).toBe('IMPOSSIBLE_DATE'); // 31 April
    expect(problemOf('3371010113150007')).toBe('IMPOSSIBLE_DATE'); // month 13
    expect(problemOf('3371012902150007')).toBe('IMPOSSIBLE_DATE'); // 2015 is no leap year
  });

  it('accepts 29 February of year 00, which exists in 2000', () => {
    expect(partsOf('3371012902000007')).toMatchObject({ issueDay: 29, issueMonth: 2, issueYear2: 0 });
  });

  it('accepts serial 0000', () => {
    expect(partsOf('3371010103150000').serial).toBe(0);
  });
});

describe('encodeKk', () => {
  it('writes district, ddmmyy and a zero-padded serial; a dotted district is accepted', () => {
    expect(encodeKk({ district: '33.71.01', issueDate: '2015-03-01', serial: 7 })).toBe('3371010103150007');
  });

  it('refuses an impossible issue date, a malformed district and a serial outside 0–9999', () => {
    expect(() => encodeKk({ district: '337101', issueDate: '2015-02-29', serial: 1 })).toThrow(RangeError);
    expect(() => encodeKk({ district: '3371011', issueDate: '2015-02-28', serial: 1 })).toThrow(RangeError);
    expect(() => encodeKk({ district: '337101', issueDate: '2015-02-28', serial: -1 })).toThrow(RangeError);
  });

  it('round-trips through parseKk for any real district, issue date and serial', () => {
    const issue = fc
      .record({
        year: fc.integer({ min: 1900, max: 2099 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
      })
      .filter(({ year, month, day }) => dateExists(year, month, day));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ALL_DISTRICTS.length - 1 }).map((i) => ALL_DISTRICTS[i]!),
        issue,
        fc.integer({ min: 0, max: 9999 }),
        (district, date, serial) => {
          const issueDate = `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
          expect(partsOf(encodeKk({ district, issueDate, serial }))).toEqual({
            province: district.slice(0, 2),
            district,
            issueDay: date.day,
            issueMonth: date.month,
            issueYear2: date.year % 100,
            serial,
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
