import { describe, expect, it } from 'vitest';
import { formatTracking } from '../../cli/commands/tracking.ts';
import { main } from '../../cli/main.ts';

const finding = {
  nik: '3371014501900001',
  noKk: '3371010101150001',
  nama: 'SITI AMINAH',
  kind: 'MENINGGAL' as const,
  detail: '',
  sincePeriod: '2026-10',
  status: 'OPEN',
};
const task = {
  id: 'PLK-3371-ABCDEFGHIJKL',
  role: 'ORIGIN' as const,
  pairedId: 'PLK-3308-ABCDEFGHIJKL',
  originRegency: '3371',
  destinationRegency: '3308',
  noKk: '3371010101150002',
  members: [{ nik: '3371010101900002', nama: 'BUDI', kodeDesa: '3308011001' }],
  sincePeriod: '2026-11',
  status: 'OPEN',
  answer: { answer: 'KONFIRMASI_HAPUS' as const, note: '', answeredBy: 'regency-3371', answeredAt: '2026-12-01' },
};

describe('dtks tracking', () => {
  it('prints the findings with their suggested action and the moved families with their answer', () => {
    const text = formatTracking('3371', [finding], [task], 'id');
    expect(text).toContain('Daftar pelacakan 3371: 1 temuan, 1 keluarga pindah');
    expect(text).toMatch(
      /3371014501900001 +SITI AMINAH +Meninggal menurut Dukcapil +2026-10 +HAPUS MENINGGAL +terbuka/,
    );
    expect(text).toMatch(
      /PLK-3371-ABCDEFGHIJKL +asal +3371010101150002 +1 +3371 +3308 +2026-11 +terbuka +pindah dikonfirmasi/,
    );
  });

  it('prints in English with --lang en', () => {
    expect(formatTracking('3371', [finding], [], 'en')).toContain('Deceased according to Dukcapil');
  });

  it('refuses a call without a regency or a task in one line, exit 2', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => errors.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['tracking'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain('sebutkan --regency <kode> atau --task <id>');
  });
});
