/**
 * dtks quality-control: the outcome as an operator reads it (persons screened, open findings by kind in
 * Bahasa Indonesia, the moved families, the files), and the refusals before anything is started (no verb,
 * an unknown verb, a month that is not one). The run itself: the demo (npm start, step 5c) and
 * test/functions/quality-control/workflow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounts } from '#core/quality-control.ts';
import { formatQualityControl } from '../../cli/commands/quality-control.ts';
import { dtks, STACK_FRAME } from './dtks.ts';

describe('dtks quality-control', () => {
  it('prints the period screened, the open findings of every kind and that nobody is deactivated', () => {
    const counts = { ...emptyCounts(), screened: 1255, openTotal: 3, new: 2, resolved: 1, movedFamilies: 1 };
    counts.open = { MENINGGAL: 2, PINDAH_DOMISILI: 1 };
    const text = formatQualityControl({
      period: '2026-12',
      screenedAt: '2026-12-02T01:00:00.000Z',
      regencies: 2,
      counts,
      files: [],
    });
    expect(text).toContain(
      'pengendalian kualitas 2026-12: 1255 orang aktif di 2 kabupaten/kota disaring terhadap Dukcapil; 3 temuan terbuka (2 baru, 1 selesai), tidak ada yang dinonaktifkan',
    );
    expect(text).toMatch(/Meninggal menurut Dukcapil +2/);
    expect(text).toMatch(/NIK tidak terdaftar di Dukcapil +0/);
    expect(text).toContain('keluarga pindah: 1 tugas asal, 0 pemberitahuan tujuan');
  });

  it('refuses a call without run, an unknown verb and a month that is not one, exit 2, before anything starts', async () => {
    for (const [args, said] of [
      [['quality-control'], 'dtks quality-control run'],
      [['quality-control', 'jalankan'], 'jalankan'],
      [['quality-control', 'run', '--period', '2026-13'], '2026-13'],
    ] as const) {
      const run = await dtks(args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).not.toMatch(STACK_FRAME);
      expect(run.stderr).toContain(said);
    }
  });
});
