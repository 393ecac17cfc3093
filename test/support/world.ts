/**
 * A small hand-made world for handler tests: people of Kota Magelang (3371) with valid NIKs and family
 * card numbers, as proposal rows, as Dukcapil extract lines and as master persons; and the CSV texts
 * the pipeline reads (PROPOSAL_FORMAT.md).
 */
import { loadAreas } from '#core/area.ts';
import { encodeKk } from '#core/kk.ts';
import { encodeNik } from '#core/nik.ts';
import { type PopulationPerson, PROPOSAL_COLUMNS, type ProposalRow } from '#core/proposal.ts';
import { POPULATION_COLUMNS, populationCells } from '#synthetic/generator.ts';

const areas = loadAreas();
export const REGENCY = '3371'; // Kota Magelang
export const PROVINCE = '33';
export const DISTRICT = areas.districtsOf(REGENCY)[0] as string;
export const VILLAGE = areas.villagesOf(DISTRICT)[0] as string;

export class World {
  private serial = 1;

  nik(birthDate = '1980-05-12', sex: 'L' | 'P' = 'L'): string {
    return encodeNik({ district: DISTRICT, birthDate, sex, serial: this.serial++ });
  }

  kk(): string {
    return encodeKk({ district: DISTRICT, issueDate: '2015-03-01', serial: this.serial++ });
  }

  /** A distinct name per person, so that no test meets POSSIBLE_DUPLICATE_PERSON by accident. */
  private name(): string {
    let n = this.serial++;
    let letters = '';
    do {
      letters += String.fromCharCode(65 + (n % 26));
      n = Math.floor(n / 26);
    } while (n > 0);
    return `WARGA ${letters}`;
  }

  /** A clean TAMBAH row of a head of family (override anything). */
  row(overrides: Partial<ProposalRow> = {}): ProposalRow {
    const birth = overrides.tanggalLahir ?? '1980-05-12';
    const sex = overrides.jenisKelamin === 'P' ? 'P' : 'L';
    return {
      line: 0,
      aksi: 'TAMBAH',
      alasan: '',
      nik: overrides.nik ?? this.nik(birth, sex),
      noKk: overrides.noKk ?? this.kk(),
      nama: this.name(),
      jenisKelamin: sex,
      tempatLahir: 'MAGELANG',
      tanggalLahir: birth,
      namaIbuKandung: 'SITI AMINAH',
      hubunganKeluarga: 'KEPALA_KELUARGA',
      statusPerkawinan: 'KAWIN',
      alamat: 'JL. PAHLAWAN 1',
      rt: '001',
      rw: '002',
      kodeDesa: VILLAGE,
      pekerjaan: 'PETANI',
      penghasilanBulanan: '1500000',
      desil: '',
      ...overrides,
    };
  }
}

/** The person of a row as the population registry knows them. */
export function registered(row: ProposalRow, overrides: Partial<PopulationPerson> = {}): PopulationPerson {
  return {
    nik: row.nik,
    noKk: row.noKk,
    nama: row.nama,
    jenisKelamin: row.jenisKelamin,
    tempatLahir: row.tempatLahir,
    tanggalLahir: row.tanggalLahir,
    kodeDesa: row.kodeDesa,
    alamat: row.alamat,
    statusHidup: 'HIDUP',
    statusNik: 'AKTIF',
    ...overrides,
  };
}

/** A proposal file (CSV with `,`), columns in the contract's order; `omit` drops columns. */
export function proposalCsv(rows: readonly ProposalRow[], omit: readonly string[] = []): string {
  const columns = Object.entries(PROPOSAL_COLUMNS).filter(([column]) => !omit.includes(column));
  const lines = [columns.map(([column]) => column).join(',')];
  for (const row of rows) lines.push(columns.map(([, field]) => row[field]).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A Dukcapil extract (PROPOSAL_FORMAT.md, reference extracts), with its optional status_nik column. */
export function populationCsv(people: readonly PopulationPerson[]): string {
  const lines = [POPULATION_COLUMNS.join(',')];
  for (const p of people) {
    lines.push(populationCells(p).join(','));
  }
  return `${lines.join('\n')}\n`;
}
