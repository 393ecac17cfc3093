import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AreaDataError, loadAreas, normaliseAreaCode } from '#core/area.ts';

const areas = loadAreas();

/** A tiny list without the Papua codes, to tell current from former NIK provinces apart. */
const fixtureDir = mkdtempSync(join(tmpdir(), 'dtks-area-'));
writeFileSync(join(fixtureDir, 'provinces.csv'), 'code,name\r\n33,JAWA TENGAH\r\n');
writeFileSync(
  join(fixtureDir, 'regencies.csv'),
  'code,province_code,name\r\n33.72,33,KOTA SURAKARTA\r\n33.71,33,KOTA MAGELANG\r\n\r\n',
);
writeFileSync(join(fixtureDir, 'districts.csv'), 'code,regency_code,name\r\n33.71.01,33.71,MAGELANG SELATAN\r\n');
writeFileSync(
  join(fixtureDir, 'villages.csv'),
  'code,district_code,name\r\n33.71.01.1003,33.71.01,"Rejowinangun ""Selatan"""\r\n',
);

afterAll(() => rmSync(fixtureDir, { recursive: true, force: true }));

afterEach(() => {
  delete process.env.DTKS_AREA_DATA_DIR;
});

function allProvinces(): string[] {
  const codes: string[] = [];
  for (let n = 10; n <= 99; n++) if (areas.isProvince(String(n))) codes.push(String(n));
  return codes;
}

describe('normaliseAreaCode', () => {
  it('strips dots and spaces from dotted codes', () => {
    expect(normaliseAreaCode('33.71')).toBe('3371');
    expect(normaliseAreaCode(' 33.71.01.1001 ')).toBe('3371011001');
    expect(normaliseAreaCode('3371011001')).toBe('3371011001');
  });

  it('keeps other characters so that they fail validation', () => {
    expect(normaliseAreaCode('33-71')).toBe('33-71');
  });
});

describe('loadAreas', () => {
  it('holds the official counts: 38 provinces, 514 regencies/cities, every district and village', () => {
    const provinces = allProvinces();
    expect(provinces).toHaveLength(38);
    const regencies = provinces.flatMap((p) => areas.regenciesOf(p));
    expect(regencies).toHaveLength(514);
    const districts = regencies.flatMap((r) => areas.districtsOf(r));
    expect(districts).toHaveLength(7277);
    expect(districts.every((d) => /^\d{6}$/.test(d) && areas.isDistrict(d))).toBe(true);
    const villages = districts.flatMap((d) => areas.villagesOf(d));
    expect(villages).toHaveLength(83763);
    expect(villages.every((v) => /^\d{10}$/.test(v))).toBe(true);
  });

  it('recognises codes of each level in plain and dotted form', () => {
    expect(areas.isProvince('33')).toBe(true);
    expect(areas.isRegency('3371')).toBe(true);
    expect(areas.isRegency('33.71')).toBe(true);
    expect(areas.isDistrict('33.71.01')).toBe(true);
    expect(areas.isVillage('33.71.01.1003')).toBe(true);
    expect(areas.isVillage('3371011003')).toBe(true);
  });

  it('rejects unknown codes and codes of the wrong level', () => {
    expect(areas.isProvince('54')).toBe(false); // Timor Timur, gone since 1999
    expect(areas.isProvince('3371')).toBe(false);
    expect(areas.isRegency('3399')).toBe(false);
    expect(areas.isRegency('33')).toBe(false);
    expect(areas.isDistrict('3371')).toBe(false);
    expect(areas.isVillage('3371011001')).toBe(false);
    expect(areas.isVillage('33710110030')).toBe(false);
    expect(areas.isVillage('')).toBe(false);
  });

  it('names provinces, regencies and villages', () => {
    expect(areas.provinceName('33')).toBe('JAWA TENGAH');
    expect(areas.regencyName('33.72')).toBe('KOTA SURAKARTA');
    expect(areas.villageName('3371011003')).toBe('Rejowinangun Selatan');
    expect(areas.villageName('3371019999')).toBe(undefined);
  });

  it('lists children in list order and hands out copies', () => {
    const regencies = areas.regenciesOf('33.');
    expect(regencies).toContain('3371');
    expect(regencies.every((r) => r.startsWith('33'))).toBe(true);
    regencies.length = 0;
    expect(areas.regenciesOf('33')).toContain('3371');
    expect(areas.districtsOf('33.71')[0]).toBe('337101');
    expect(areas.villagesOf('337101')).toContain('3371011003');
    expect(areas.villagesOf('999999')).toEqual([]);
  });

  it('accepts current and former NIK province codes but not Timor Timur', () => {
    expect(areas.isNikProvince('96')).toBe(true); // Papua Barat Daya, current
    expect(areas.isNikProvince('94')).toBe(true);
    expect(areas.isNikProvince('54')).toBe(false);
    expect(areas.isNikProvince('00')).toBe(false);
  });

  it('accepts the former Papua codes 91 and 94 even when the deployed list lacks them', () => {
    const small = loadAreas(fixtureDir);
    expect(small.isProvince('94')).toBe(false);
    expect(small.isNikProvince('94')).toBe(true);
    expect(small.isNikProvince('91')).toBe(true);
    expect(small.isNikProvince('92')).toBe(false);
  });

  it('reads quoted CSV names and CRLF line ends', () => {
    expect(loadAreas(fixtureDir).villageName('33.71.01.1003')).toBe('Rejowinangun "Selatan"');
  });

  it('reads a list that is not sorted by code and skips blank lines', () => {
    const small = loadAreas(fixtureDir);
    expect(small.regenciesOf('33')).toEqual(['3371', '3372']);
    expect(small.regencyName('3371')).toBe('KOTA MAGELANG');
    expect(small.regencyName('3372')).toBe('KOTA SURAKARTA');
  });

  it('memoises the index per folder', () => {
    expect(loadAreas()).toBe(areas);
    expect(loadAreas(fixtureDir)).toBe(loadAreas(fixtureDir));
    expect(loadAreas(fixtureDir)).not.toBe(areas);
  });

  it('takes the folder from DTKS_AREA_DATA_DIR when no argument is given', () => {
    process.env.DTKS_AREA_DATA_DIR = fixtureDir;
    expect(loadAreas().isProvince('11')).toBe(false);
  });

  it('throws AreaDataError naming the folder when the configured one has no lists', () => {
    const missing = join(fixtureDir, 'nothing-here');
    expect(() => loadAreas(missing)).toThrow(AreaDataError);
    process.env.DTKS_AREA_DATA_DIR = missing;
    try {
      loadAreas();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AreaDataError);
      expect((error as AreaDataError).name).toBe('AreaDataError');
      expect((error as AreaDataError).message).toContain(missing);
    }
  });
});
