import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AreaIndex, loadAreas } from '#core/area.ts';
import { dateExists } from '#core/dates.ts';
import { encodeNik, type NikParts, nikMatchesBirthDate, parseNik } from '#core/nik.ts';

const areas = loadAreas();

const ALL_DISTRICTS: string[] = [];
for (let p = 11; p <= 99; p++) {
  for (const regency of areas.regenciesOf(String(p))) ALL_DISTRICTS.push(...areas.districtsOf(regency));
}

function problemOf(nik: string): string | undefined {
  const result = parseNik(nik, areas);
  return result.ok ? undefined : result.problem;
}

function partsOf(nik: string): NikParts {
  const result = parseNik(nik, areas);
  if (!result.ok) throw new Error(`expected a valid NIK, got ${result.problem}`);
  return result.parts;
}

describe('parseNik', () => {
  it('reads area codes, birth date, sex and serial of a man', () => {
    expect(partsOf('3371011707850003')).toEqual({
      province: '33',
      regency: '3371',
      district: '337101',
      day: 17,
      month: 7,
      year2: 85,
      sex: 'L',
      serial: 3,
    });
  });

  it('reads a woman from day + 40 and gives the real day', () => {
    const parts = partsOf('3371015707850003');
    expect(parts.sex).toBe('P');
    expect(parts.day).toBe(17);
    expect(partsOf('3371014101900001')).toMatchObject({ sex: 'P', day: 1 });
    expect(partsOf('3371017101900001')).toMatchObject({ sex: 'P', day: 31 });
  });

  it('returns LENGTH when the NIK is not 16 characters', () => {
    expect(problemOf('337101170785000')).toBe('LENGTH');
    expect(problemOf('33710117078500031')).toBe('LENGTH');
    expect(problemOf('')).toBe('LENGTH');
  });

  it('returns NOT_DIGITS for 16 characters that are not all digits', () => {
    expect(problemOf('33710117078500O3')).toBe('NOT_DIGITS');
    expect(problemOf('3.37101170785e15')).toBe('NOT_DIGITS');
    expect(problemOf(' 337101170785003')).toBe('NOT_DIGITS');
  });

  it('returns UNKNOWN_PROVINCE for a prefix that is no current or former province', () => {
    expect(problemOf('5401011707850003')).toBe('UNKNOWN_PROVINCE'); // Timor Timur
    expect(problemOf('0001011707850003')).toBe('UNKNOWN_PROVINCE');
    expect(problemOf('9901011707850003')).toBe('UNKNOWN_PROVINCE');
  });

  it('accepts a former Papua NIK whose regency code no longer exists (94.71, Kota Jayapura before 2022)', () => {
    expect(areas.isRegency('9471')).toBe(false);
    expect(partsOf('9471011707850003')).toMatchObject({ province: '94', regency: '9471' });
  });

  it('asks the index it is given, also when indexes alternate', () => {
    const onlyCentralJava: AreaIndex = Object.create(areas, {
      isNikProvince: { value: (code: string) => code === '33' },
    });
    expect(parseNik('1101011707850003', onlyCentralJava)).toEqual({ ok: false, problem: 'UNKNOWN_PROVINCE' });
    expect(parseNik('1101011707850003', areas).ok).toBe(true);
    expect(parseNik('3301011707850003', onlyCentralJava).ok).toBe(true);
    expect(parseNik('1101011707850003', onlyCentralJava).ok).toBe(false);
  });

  it('does not check regency or district against the current list', () => {
    expect(partsOf('3399991707850003').district).toBe('339999');
  });

  it('returns IMPOSSIBLE_DATE for days outside 01–31 and 41–71', () => {
    for (const day of ['00', '32', '35', '40', '72', '99']) {
      expect(problemOf(`337101${day}07850003`), day).toBe('IMPOSSIBLE_DATE');
    }
  });

  it('returns IMPOSSIBLE_DATE for months outside 01–12 and days the month lacks', () => {
    expect(problemOf('3371011700850003')).toBe('IMPOSSIBLE_DATE');
    expect(problemOf('3371011713850003')).toBe('IMPOSSIBLE_DATE');
    expect(problemOf('3371013104850003')).toBe('IMPOSSIBLE_DATE'); // 31 April
    expect(problemOf('3371017104850003')).toBe('IMPOSSIBLE_DATE'); // 31 April, woman
    expect(problemOf('3371013002850003')).toBe('IMPOSSIBLE_DATE');
  });

  it('accepts 29 February of year 00 (it exists in 2000, not in 1900) and of leap years, not of others', () => {
    expect(partsOf('3371012902000003')).toMatchObject({ day: 29, month: 2, year2: 0, sex: 'L' });
    expect(partsOf('3371016902000003')).toMatchObject({ day: 29, month: 2, year2: 0, sex: 'P' });
    expect(partsOf('3371012902960003').year2).toBe(96);
    expect(problemOf('3371012902010003')).toBe('IMPOSSIBLE_DATE');
    expect(problemOf('3371016902990003')).toBe('IMPOSSIBLE_DATE');
  });

  it('returns SERIAL_ZERO for serial 0000 and accepts 0001 and 9999', () => {
    expect(problemOf('3371011707850000')).toBe('SERIAL_ZERO');
    expect(partsOf('3371011707850001').serial).toBe(1);
    expect(partsOf('3371011707859999').serial).toBe(9999);
  });
});

describe('nikMatchesBirthDate', () => {
  const parts = partsOf('3371015707850003');

  it('matches the same day, month and two-digit year', () => {
    expect(nikMatchesBirthDate(parts, '1985-07-17')).toBe(true);
  });

  it('does not match another day, month or year', () => {
    expect(nikMatchesBirthDate(parts, '1985-07-18')).toBe(false);
    expect(nikMatchesBirthDate(parts, '1985-08-17')).toBe(false);
    expect(nikMatchesBirthDate(parts, '1986-07-17')).toBe(false);
  });

  it('does not match a date that is not ISO', () => {
    expect(nikMatchesBirthDate(parts, '17-07-1985')).toBe(false);
    expect(nikMatchesBirthDate(parts, '')).toBe(false);
  });
});

describe('encodeNik', () => {
  it('writes day + 40 for women and accepts a dotted district', () => {
    expect(encodeNik({ district: '33.71.01', birthDate: '1985-07-17', sex: 'P', serial: 3 })).toBe('3371015707850003');
  });

  it('refuses an impossible birth date, a malformed district and a serial outside 0–9999', () => {
    expect(() => encodeNik({ district: '337101', birthDate: '1985-02-30', sex: 'L', serial: 1 })).toThrow(RangeError);
    expect(() => encodeNik({ district: '33710', birthDate: '1985-02-03', sex: 'L', serial: 1 })).toThrow(RangeError);
    expect(() => encodeNik({ district: '337101', birthDate: '1985-02-03', sex: 'L', serial: 10000 })).toThrow(
      RangeError,
    );
  });

  it('round-trips through parseNik for any real district, birth date, sex and serial', () => {
    const birthDate = fc
      .record({
        year: fc.integer({ min: 1900, max: 2099 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
      })
      .filter(({ year, month, day }) => dateExists(year, month, day))
      .map(({ year, month, day }) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ALL_DISTRICTS.length - 1 }).map((i) => ALL_DISTRICTS[i]!),
        birthDate,
        fc.constantFrom<'L' | 'P'>('L', 'P'),
        fc.integer({ min: 1, max: 9999 }),
        (district, date, sex, serial) => {
          const parts = partsOf(encodeNik({ district, birthDate: date, sex, serial }));
          expect(parts.district).toBe(district);
          expect(parts.sex).toBe(sex);
          expect(parts.serial).toBe(serial);
          expect(nikMatchesBirthDate(parts, date)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
