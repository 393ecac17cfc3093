/**
 * The console's words in Bahasa Indonesia (the default) and English (the switch in the header). The API's
 * own messages are Indonesian and are shown as they are. The choice is kept in localStorage: it is a
 * preference, not a credential.
 */
import type { Role } from './config.ts';
import type { ProposalStatus } from './types.ts';

export type Lang = 'id' | 'en';

const ID = {
  title: 'Konsol DTKS',
  signIn: 'Masuk',
  signOut: 'Keluar',
  signInAs: 'Pilih pengguna lokal',
  signInLocalHelp: 'Lingkungan lokal: pilih salah satu pengguna sebagai pengganti Cognito.',
  signInCognito: 'Masuk dengan akun Kemensos',
  language: 'English',
  loading: 'Memuat…',
  nav: 'Navigasi utama',
  upload: 'Unggah usulan',
  proposals: 'Usulan',
  inbox: 'Kotak masuk',
  board: 'Papan bulan ini',
  periods: 'Periode ditetapkan',
  period: 'Periode',
  status: 'Status',
  all: 'Semua',
  regency: 'Kabupaten/Kota',
  province: 'Provinsi',
  file: 'Berkas',
  fileName: 'Nama berkas',
  chooseFile: 'Berkas usulan (CSV atau XLSX)',
  send: 'Unggah',
  uploading: 'Mengunggah…',
  uploaded: 'Berkas terunggah. Pemeriksaan berjalan; status usulan diperbarui otomatis.',
  progress: 'Kemajuan unggah',
  received: 'Diterima pada',
  source: 'Sumber',
  rows: 'Baris',
  accepted: 'Diterima',
  returned: 'Dikembalikan',
  open: 'Buka',
  none: 'Tidak ada data.',
  refresh: 'Muat ulang',
  summary: 'Ringkasan',
  codes: 'Jumlah per kode hasil',
  code: 'Kode',
  message: 'Keterangan',
  count: 'Jumlah',
  report: 'Laporan pengembalian',
  downloadCsv: 'Unduh laporan (CSV)',
  downloadXlsx: 'Unduh laporan (XLSX)',
  verdict: 'Putusan',
  search: 'Cari NIK, No. KK atau nama',
  filter: 'Saring',
  line: 'Baris',
  name: 'Nama',
  results: 'Hasil pemeriksaan',
  previous: 'Sebelumnya',
  next: 'Berikutnya',
  ofTotal: 'dari',
  verify: 'Periksa',
  excludePerson: 'Kecualikan orang',
  excludeFamily: 'Kecualikan keluarga',
  exclusions: 'Pengecualian',
  reason: 'Alasan',
  remove: 'Hapus',
  decision: 'Keputusan',
  approve: 'Setujui',
  approveWithExclusions: 'Setujui dengan pengecualian',
  reject: 'Tolak',
  note: 'Catatan',
  continue: 'Lanjutkan',
  confirmTitle: 'Konfirmasi keputusan',
  confirm: 'Kirim keputusan',
  back: 'Kembali',
  decided: 'Keputusan dicatat.',
  timeline: 'Jejak audit',
  when: 'Waktu',
  who: 'Oleh',
  what: 'Kejadian',
  timeLeft: 'Sisa waktu',
  level: 'Tingkat',
  expired: 'kedaluwarsa',
  days: 'hari',
  hours: 'jam',
  minutes: 'menit',
  runs: 'Penetapan periode ini',
  startedAt: 'Mulai',
  stoppedAt: 'Selesai',
  applied: 'Perubahan diterapkan',
  carriedForward: 'Dibawa dari bulan lalu',
  failure: 'Kegagalan',
  startStipulation: 'Mulai penetapan',
  rerunStipulation: 'Jalankan ulang penetapan',
  confirmStipulation: 'Mulai penetapan periode ini? Semua usulan yang sudah disetujui provinsi akan ditetapkan.',
  startConfirm: 'Ya, mulai penetapan',
  stipulatedOn: 'Periode ini ditetapkan pada',
  guard: 'Penjagaan penetapan',
  guardHelp:
    'Jika penjaga menahan penetapan ini (penonaktifan melewati ambang), Kementerian menyetujui atau menahannya di sini, dengan alasan.',
  guardApprove: 'Setujui dan lanjutkan',
  guardHold: 'Tahan (tidak ada perubahan diterapkan)',
  guardNote: 'Alasan',
  guardSend: 'Kirim',
  started: 'Penetapan dimulai',
  manifest: 'Manifes',
  files: 'Berkas ekspor',
  tier: 'Tingkat akses',
  bytes: 'Ukuran',
  download: 'Unduh',
  persons: 'Jumlah orang',
  stipulatedAt: 'Ditetapkan pada',
  yes: 'ya',
  no: 'tidak',
  reasonRequired: 'Setiap pengecualian wajib diberi alasan.',
  noteRequired: 'Penolakan wajib diberi catatan.',
  exclusionsRequired: 'Pilih paling sedikit satu baris atau keluarga dari tabel.',
  notFound: 'Halaman tidak ditemukan.',
  waiting: 'Menunggu keputusan Anda',
  tiers: { pseudonymised: 'Pseudonim', full: 'Lengkap', regency: 'Kabupaten/Kota' },
  roles: {
    region_operator: 'Operator Dinas Sosial',
    regency_approver: 'Kepala Dinas Sosial (verifikasi dan validasi)',
    province_approver: 'Pejabat provinsi',
    ministry_operator: 'Operator Pusdatin Kemensos',
    analyst: 'Analis',
  } satisfies Record<Role, string>,
  statuses: {
    RECEIVED: 'Diterima sistem',
    CHECKING: 'Sedang diperiksa',
    RETURNED: 'Dikembalikan',
    AWAITING_REGENCY: 'Menunggu kabupaten/kota',
    AWAITING_PROVINCE: 'Menunggu provinsi',
    AWAITING_STIPULATION: 'Menunggu penetapan',
    STIPULATED: 'Ditetapkan',
    REJECTED: 'Ditolak',
    EXPIRED: 'Kedaluwarsa',
    FAILED: 'Gagal',
  } satisfies Record<ProposalStatus, string>,
  verdicts: { DITERIMA: 'Diterima', DIKEMBALIKAN: 'Dikembalikan' },
  decisions: {
    APPROVE: 'Disetujui',
    APPROVE_WITH_EXCLUSIONS: 'Disetujui dengan pengecualian',
    REJECT: 'Ditolak',
  },
};

type Words = typeof ID;

const EN: Words = {
  title: 'DTKS Console',
  signIn: 'Sign in',
  signOut: 'Sign out',
  signInAs: 'Pick a local user',
  signInLocalHelp: 'Local environment: pick one of the users, the local stand-in for Cognito.',
  signInCognito: 'Sign in with your Kemensos account',
  language: 'Bahasa Indonesia',
  loading: 'Loading…',
  nav: 'Main navigation',
  upload: 'Upload a proposal',
  proposals: 'Proposals',
  inbox: 'Inbox',
  board: "This month's board",
  periods: 'Stipulated periods',
  period: 'Period',
  status: 'Status',
  all: 'All',
  regency: 'Regency/City',
  province: 'Province',
  file: 'File',
  fileName: 'File name',
  chooseFile: 'Proposal file (CSV or XLSX)',
  send: 'Upload',
  uploading: 'Uploading…',
  uploaded: 'File uploaded. The checks are running; the status refreshes by itself.',
  progress: 'Upload progress',
  received: 'Received at',
  source: 'Source',
  rows: 'Rows',
  accepted: 'Accepted',
  returned: 'Returned',
  open: 'Open',
  none: 'Nothing here.',
  refresh: 'Refresh',
  summary: 'Summary',
  codes: 'Rows per result code',
  code: 'Code',
  message: 'Meaning',
  count: 'Count',
  report: 'Return report',
  downloadCsv: 'Download report (CSV)',
  downloadXlsx: 'Download report (XLSX)',
  verdict: 'Verdict',
  search: 'Search NIK, No. KK or name',
  filter: 'Filter',
  line: 'Line',
  name: 'Name',
  results: 'Check results',
  previous: 'Previous',
  next: 'Next',
  ofTotal: 'of',
  verify: 'Verify',
  excludePerson: 'Exclude person',
  excludeFamily: 'Exclude family',
  exclusions: 'Exclusions',
  reason: 'Reason',
  remove: 'Remove',
  decision: 'Decision',
  approve: 'Approve',
  approveWithExclusions: 'Approve with exclusions',
  reject: 'Reject',
  note: 'Note',
  continue: 'Continue',
  confirmTitle: 'Confirm the decision',
  confirm: 'Send decision',
  back: 'Back',
  decided: 'Decision recorded.',
  timeline: 'Audit timeline',
  when: 'When',
  who: 'By',
  what: 'Event',
  timeLeft: 'Time left',
  level: 'Level',
  expired: 'expired',
  days: 'days',
  hours: 'hours',
  minutes: 'minutes',
  runs: "This period's stipulation runs",
  startedAt: 'Started',
  stoppedAt: 'Stopped',
  applied: 'Changes applied',
  carriedForward: 'Carried forward',
  failure: 'Failure',
  startStipulation: 'Start the stipulation',
  rerunStipulation: 'Re-run the stipulation',
  confirmStipulation: 'Start this period’s stipulation? Every proposal the province approved will be stipulated.',
  startConfirm: 'Yes, start the stipulation',
  stipulatedOn: 'This period was stipulated on',
  guard: 'Stipulation guard',
  guardHelp:
    'When the guard holds this stipulation (deactivations over the threshold), the ministry signs it off or holds it here, with a reason.',
  guardApprove: 'Sign off and continue',
  guardHold: 'Hold (nothing is applied)',
  guardNote: 'Reason',
  guardSend: 'Send',
  started: 'Stipulation started',
  manifest: 'Manifest',
  files: 'Export files',
  tier: 'Access tier',
  bytes: 'Size',
  download: 'Download',
  persons: 'Persons',
  stipulatedAt: 'Stipulated at',
  yes: 'yes',
  no: 'no',
  reasonRequired: 'Every exclusion needs a reason.',
  noteRequired: 'A rejection needs a note.',
  exclusionsRequired: 'Pick at least one row or family from the table.',
  notFound: 'Page not found.',
  waiting: 'Waiting for your decision',
  tiers: { pseudonymised: 'Pseudonymised', full: 'Full', regency: 'Regency' },
  roles: {
    region_operator: 'Regional social-affairs operator',
    regency_approver: 'Head of regional social affairs (verification)',
    province_approver: 'Provincial official',
    ministry_operator: 'Kemensos Pusdatin operator',
    analyst: 'Analyst',
  },
  statuses: {
    RECEIVED: 'Received',
    CHECKING: 'Being checked',
    RETURNED: 'Returned',
    AWAITING_REGENCY: 'Awaiting regency',
    AWAITING_PROVINCE: 'Awaiting province',
    AWAITING_STIPULATION: 'Awaiting stipulation',
    STIPULATED: 'Stipulated',
    REJECTED: 'Rejected',
    EXPIRED: 'Expired',
    FAILED: 'Failed',
  },
  verdicts: { DITERIMA: 'Accepted', DIKEMBALIKAN: 'Returned' },
  decisions: { APPROVE: 'Approved', APPROVE_WITH_EXCLUSIONS: 'Approved with exclusions', REJECT: 'Rejected' },
};

const LANG_KEY = 'dtks.lang';

export function initialLang(): Lang {
  return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'id';
}

export function keepLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}

export function wordsFor(lang: Lang): Words {
  return lang === 'en' ? EN : ID;
}

export type { Words };

/** A date and time as the reader's locale writes it, in WIB when the browser's zone is Indonesia's. */
export function formatTime(iso: string | undefined, lang: Lang): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(lang === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatNumber(value: number | undefined, lang: Lang): string {
  return value === undefined ? '–' : value.toLocaleString(lang === 'en' ? 'en-GB' : 'id-ID');
}

/** The time left before `iso`, in days and hours (or minutes under an hour). */
export function timeLeft(iso: string | undefined, words: Words, now = Date.now()): string {
  if (!iso) return '–';
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return '–';
  if (ms <= 0) return words.expired;
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} ${words.days} ${hours} ${words.hours}`;
  if (hours > 0) return `${hours} ${words.hours} ${minutes % 60} ${words.minutes}`;
  return `${minutes} ${words.minutes}`;
}
