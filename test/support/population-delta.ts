/** Delta extracts for the tests (PROPOSAL_FORMAT.md, "Population registry delta extract"). */
import type { Perubahan } from '#core/population-delta.ts';
import type { PopulationPerson } from '#core/proposal.ts';

export const DELTA_HEADER =
  'nik,no_kk,nama,jenis_kelamin,tempat_lahir,tanggal_lahir,kode_desa,alamat,status_hidup,status_nik,perubahan';

/** One line per change, the person's columns as given. */
export function deltaCsv(changes: readonly [Perubahan | string, PopulationPerson][]): string {
  const lines = [DELTA_HEADER];
  for (const [perubahan, p] of changes) {
    lines.push(
      [
        p.nik,
        p.noKk,
        p.nama,
        p.jenisKelamin,
        p.tempatLahir,
        p.tanggalLahir,
        p.kodeDesa,
        p.alamat,
        p.statusHidup,
        p.statusNik,
        perubahan,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
