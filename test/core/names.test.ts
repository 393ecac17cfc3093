import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identityKey, nameSimilarity, namesMatch, normalisedNamesMatch, normaliseName } from '#core/names.ts';

describe('normaliseName', () => {
  it('uppercases, strips diacritics, turns punctuation into spaces and collapses spaces', () => {
    expect(normaliseName('  José   Ramírez ')).toBe('JOSE RAMIREZ');
    expect(normaliseName("Siti Ma'rufah")).toBe('SITI MA RUFAH');
    expect(normaliseName('Ma’ruf-Amin')).toBe('MA RUF AMIN');
    expect(normaliseName('budi,santoso')).toBe('BUDI SANTOSO');
  });

  it('returns a clean uppercase name unchanged', () => {
    expect(normaliseName('BUDI SANTOSO')).toBe('BUDI SANTOSO');
    expect(normaliseName('')).toBe('');
  });

  it('removes honorifics before the name', () => {
    expect(normaliseName('H. Ahmad Dahlan')).toBe('AHMAD DAHLAN');
    expect(normaliseName('Hj. Siti Aminah')).toBe('SITI AMINAH');
    expect(normaliseName('HAJJAH SITI AMINAH')).toBe('SITI AMINAH');
    expect(normaliseName('KH. Hasyim Asyari')).toBe('HASYIM ASYARI');
    expect(normaliseName('Prof. Dr. Ir. H. Budi Santoso')).toBe('BUDI SANTOSO');
    expect(normaliseName('H SUTRISNO')).toBe('SUTRISNO');
  });

  it('removes academic titles after the name, dotted or not, with or without a comma', () => {
    expect(normaliseName('Budi Santoso, S.Pd')).toBe('BUDI SANTOSO');
    expect(normaliseName('Budi Santoso, S.Pd.I')).toBe('BUDI SANTOSO');
    expect(normaliseName('BUDI SANTOSO S PD')).toBe('BUDI SANTOSO');
    expect(normaliseName('Budi Santoso, S.E., M.M.')).toBe('BUDI SANTOSO');
    expect(normaliseName('BUDI SANTOSO SE MM')).toBe('BUDI SANTOSO');
    expect(normaliseName('Nina Lestari, A.Md.Keb')).toBe('NINA LESTARI');
    expect(normaliseName('Drs. Budi Santoso, M.Si')).toBe('BUDI SANTOSO');
    expect(normaliseName('Budi Santoso S.Kom., M.Kom')).toBe('BUDI SANTOSO');
  });

  it('removes titles standing between name parts', () => {
    expect(normaliseName('BUDI DRS SANTOSO')).toBe('BUDI SANTOSO');
    expect(normaliseName('Budi S.H. Santoso')).toBe('BUDI SANTOSO');
  });

  it('never removes a title found inside a longer token', () => {
    expect(normaliseName('ANDREAS')).toBe('ANDREAS');
    expect(normaliseName('HADRIAN SEPTIAN')).toBe('HADRIAN SEPTIAN');
    expect(normaliseName('IRMA SHINTA')).toBe('IRMA SHINTA');
  });

  it('keeps initials that only look like titles: leading M. M., an undotted S E, an H in the middle, ST (Siti)', () => {
    expect(normaliseName('M. M. Ridwan')).toBe('M M RIDWAN');
    expect(normaliseName('BUDI S E')).toBe('BUDI S E');
    expect(normaliseName('AHMAD H SUTRISNO')).toBe('AHMAD H SUTRISNO');
    expect(normaliseName('ST. AMINAH')).toBe('ST AMINAH');
  });

  it('keeps the tokens of a name made only of titles rather than returning an empty name', () => {
    expect(normaliseName('H.')).toBe('H');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'B', 'h', 'j', 'S', 'E', 'M', '.', ',', ' ', "'", '-', 'é', 'D', 'R') }),
        (raw) => {
          const once = normaliseName(raw);
          expect(normaliseName(once)).toBe(once);
        },
      ),
    );
  });
});

describe('namesMatch', () => {
  const accepted: [string, string][] = [
    ['MUHAMAD RIDWAN', 'MUHAMMAD RIDWAN'],
    ['SITI AMINAH', 'SITY AMINAH'],
    ['NURHAYATI', 'NURHAYATY'],
    ['SOEKARNO', 'SUKARNO'],
    ['DJOKO WIDODO', 'JOKO WIDODO'],
    ['TJIPTO MANGOENKOESOEMO', 'CIPTO MANGUNKUSUMO'],
    ['CHOIRUL ANAM', 'KHOIRUL ANAM'],
    ['SOEJONO', 'SUYONO'],
    ['NUR HAYATI', 'NURHAYATI'],
    ['MOCHAMAD ALI', 'MUHAMMAD ALI'],
    ['M. RIDWAN', 'MUHAMMAD RIDWAN'],
    ['MOH RIDWAN', 'MUHAMMAD RIDWAN'],
    ['BUDI SATNOSO', 'BUDI SANTOSO'],
    ['H. Budi Santoso, S.Pd', 'BUDI SANTOSO'],
    ['budi santoso', 'BUDI SANTOSO'],
  ];
  it.each(accepted)('accepts %s as %s', (a, b) => {
    expect(namesMatch(a, b)).toBe(true);
    expect(namesMatch(b, a)).toBe(true);
  });

  const rejected: [string, string][] = [
    ['BUDI SANTOSO', 'AGUS SANTOSO'],
    ['SANTOSO', 'SUSANTO'],
    ['RIDWAN', 'MUHAMMAD RIDWAN'],
    ['BUDI SANTOSO', 'BUDI SANTOSO WIJAYA'],
    ['S. RIDWAN', 'SUTRISNO RIDWAN'],
    ['SUPARNO', 'SUPARNI'],
    ['DEWI PUTRA', 'DEWI PUTRI'],
    ['ANI', 'ANA'],
    ['SANTOSO BUDY', 'BUDI SANTOSO'],
    ['MUHAMMAD RIDWAN', 'MARIA RIDWAN'],
    ['BUDI', ''],
  ];
  it.each(rejected)('rejects %s as %s', (a, b) => {
    expect(namesMatch(a, b)).toBe(false);
    expect(namesMatch(b, a)).toBe(false);
  });

  it('accepts swapped names only when the tokens are identical as a multiset', () => {
    expect(namesMatch('SANTOSO BUDI', 'BUDI SANTOSO')).toBe(true);
    expect(namesMatch('SANTOSO BUDI', 'BUDI SANTOSA')).toBe(false);
  });
});

describe('normalisedNamesMatch', () => {
  it('compares names as given, without normalising them again', () => {
    expect(normalisedNamesMatch('BUDI SANTOSO', 'BUDI SANTOSO')).toBe(true);
    expect(normalisedNamesMatch('H BUDI SANTOSO', 'BUDI SANTOSO')).toBe(false);
  });
});

describe('nameSimilarity', () => {
  it('is 1 for equal names, 0 against an empty name, and falls with each edit', () => {
    expect(nameSimilarity('BUDI SANTOSO', 'BUDI SANTOSO')).toBe(1);
    expect(nameSimilarity('BUDI', '')).toBe(0);
    expect(nameSimilarity('BUDI', 'BUDY')).toBe(0.75);
    expect(nameSimilarity('BUDI', 'BDUI')).toBe(0.75); // a swap of neighbours is one edit
    expect(nameSimilarity('SANTOSO', 'SUSANTO')).toBeLessThan(nameSimilarity('SANTOSO', 'SANTOSA'));
  });

  it('stays within 0..1 and is symmetric', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const s = nameSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(nameSimilarity(b, a)).toBe(s);
      }),
    );
  });
});

describe('identityKey', () => {
  it('joins the normalised name, birth date and village code', () => {
    expect(identityKey('Hj. Siti Aminah, S.Pd', '1985-07-17', '3371011003')).toBe('SITI AMINAH|1985-07-17|3371011003');
  });
});
