/**
 * Self-registration (pendaftaran mandiri, Permensos 3/2021): a family registers itself, and the
 * registrations of a regency and a month are gathered into one MANDIRI proposal at the month's cut-off.
 * The cut-off is a day of the month at 00:00 WIB (Asia/Jakarta); a registration received on or after it
 * joins the next month's proposal, so that the gathered proposal still has the rest of the month for the
 * regency's and the province's approval before the stipulation closes the month.
 */
import { formatCsvRow } from './csv.ts';
import { JAKARTA_OFFSET_MS, nextPeriod, type Period, parsePeriod, periodAt, previousPeriod } from './period.ts';
import { REQUIRED_COLUMNS } from './proposal.ts';

/** The default cut-off day (the 25th): a setting, MANDIRI_CUTOFF_DAY. */
export const DEFAULT_CUTOFF_DAY = 25;
/** At most the 28th, so that every month has the day. */
export const MAX_CUTOFF_DAY = 28;

/** The instant a period's registrations are gathered: the cut-off day of the month, 00:00 WIB. */
export function cutoffOf(period: Period, cutoffDay: number = DEFAULT_CUTOFF_DAY): Date {
  assertCutoffDay(cutoffDay);
  const { year, month } = parsePeriod(period);
  return new Date(Date.UTC(year, month - 1, cutoffDay) - JAKARTA_OFFSET_MS);
}

/** The period a registration received at `at` joins: its Jakarta month, or the next from the cut-off on. */
export function registrationPeriod(at: Date, cutoffDay: number = DEFAULT_CUTOFF_DAY): Period {
  const period = periodAt(at);
  return at.getTime() >= cutoffOf(period, cutoffDay).getTime() ? nextPeriod(period) : period;
}

/**
 * The period whose cut-off a gathering run started at `at` closes: the Jakarta month once its cut-off
 * has passed, else the month before (a late run on the 3rd still gathers last month's).
 */
export function gatheringPeriod(at: Date, cutoffDay: number = DEFAULT_CUTOFF_DAY): Period {
  const period = periodAt(at);
  return at.getTime() >= cutoffOf(period, cutoffDay).getTime() ? period : previousPeriod(period);
}

function assertCutoffDay(day: number): void {
  if (!Number.isInteger(day) || day < 1 || day > MAX_CUTOFF_DAY) {
    throw new RangeError(`Hari batas pendaftaran mandiri harus 1–${MAX_CUTOFF_DAY}, bukan ${day}`);
  }
}

/** Receipt numbers: `MDR-` and 16 characters of RFC 4648 base32 (80 random bits), unguessable. */
export const RECEIPT_PATTERN = /^MDR-[A-Z2-7]{16}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A receipt number from 10 random bytes (the caller's CSPRNG: crypto.getRandomValues). */
export function receiptFrom(bytes: Uint8Array): string {
  if (bytes.length !== 10) throw new RangeError('Nomor tanda terima memerlukan 10 bita acak');
  let bits = 0;
  let value = 0;
  let out = 'MDR-';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** What a registration has become, as the receipt lookup tells it. */
export type RegistrationStage = 'RECEIVED' | 'GATHERED' | 'SUPERSEDED';

/**
 * A proposal status in words a citizen understands (Bahasa Indonesia). A registration not yet gathered
 * is 'RECEIVED'; once gathered, it follows its proposal.
 */
export const CITIZEN_STATUS_WORDS: Readonly<Record<string, string>> = {
  RECEIVED: 'Pendaftaran diterima; menunggu dihimpun menjadi usulan bulan ini',
  GATHERED: 'Pendaftaran sudah dihimpun menjadi usulan dan menunggu pemeriksaan',
  SUPERSEDED:
    'Pendaftaran ini digantikan oleh pendaftaran yang lebih baru untuk anggota keluarga yang sama; gunakan nomor tanda terima yang terbaru',
  CHECKING: 'Usulan sedang diperiksa kelengkapan dan kecocokan datanya',
  AWAITING_REGENCY: 'Usulan menunggu verifikasi Dinas Sosial kabupaten/kota',
  AWAITING_PROVINCE: 'Usulan menunggu verifikasi Dinas Sosial provinsi',
  AWAITING_STIPULATION: 'Usulan sudah disetujui dan menunggu penetapan bulan ini',
  STIPULATED: 'Usulan sudah ditetapkan masuk DTKS',
  RETURNED: 'Usulan dikembalikan; tanyakan alasannya ke Dinas Sosial kabupaten/kota',
  REJECTED: 'Usulan ditolak saat verifikasi; tanyakan alasannya ke Dinas Sosial kabupaten/kota',
  EXPIRED: 'Usulan tidak diputuskan tepat waktu; silakan mendaftar lagi',
  FAILED: 'Usulan terhenti karena gangguan sistem; petugas akan menindaklanjuti',
};

/** The columns of a gathered MANDIRI proposal, in file order: `aksi` and the columns a registration fills. */
export const MANDIRI_PROPOSAL_COLUMNS = [...REQUIRED_COLUMNS, 'pekerjaan', 'penghasilan_bulanan'] as const;
export type MandiriColumn = Exclude<(typeof MANDIRI_PROPOSAL_COLUMNS)[number], 'aksi'>;
/** One registered person, by the column names of the proposal file. */
export type RegisteredPerson = Readonly<Record<MandiriColumn, string>>;

/** The file name of a regency's gathered proposal for a period. */
export const mandiriFileName = (period: Period) => `pendaftaran-mandiri-${period}.csv`;

/**
 * The proposal file of a regency's registrations for a month (PROPOSAL_FORMAT.md): UTF-8, `,`, CRLF,
 * every person a TAMBAH row, in the order given. It is read by the same proposal reader and checked by
 * the same integrity rules as a regency's upload: a self-registration earns no shortcut. No formula
 * neutralising: the file is read by the pipeline, and a leading `'` would change the value.
 */
export function mandiriProposalCsv(people: Iterable<RegisteredPerson>): string {
  let out = formatCsvRow(MANDIRI_PROPOSAL_COLUMNS);
  for (const person of people) {
    out += formatCsvRow(MANDIRI_PROPOSAL_COLUMNS.map((column) => (column === 'aksi' ? 'TAMBAH' : person[column])));
  }
  return out;
}
