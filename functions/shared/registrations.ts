/**
 * The body of POST /registrations (pendaftaran mandiri): one family, its members with the proposal
 * columns (PROPOSAL_FORMAT.md). Validation is strict, since nobody reviews a citizen's form before it
 * is gathered: every value is checked with core's own rules (NIK, No. KK, dates, code lists, villages),
 * and each problem names its field (`members.2.nik`) in Bahasa Indonesia. A message never quotes a value.
 */
import { z } from 'zod';
import { loadAreas } from '#core/area.ts';
import { parseDate } from '#core/dates.ts';
import { parseKk } from '#core/kk.ts';
import { nikMatchesBirthDate, parseNik } from '#core/nik.ts';
import { MARITAL_STATUSES, RELATIONSHIPS } from '#core/proposal.ts';

/** A family of more than 20 is not one a single form registers; the body limit follows from it. */
export const MAX_MEMBERS = 20;
/** The most a body may take (64 KiB): 20 members fit in a fraction of it. API Gateway and the local server refuse more with 413. */
export const MAX_REGISTRATION_BYTES = 64 * 1024;

const required = (label: string, max: number) =>
  z
    .string({ error: `${label} wajib diisi` })
    .trim()
    .min(1, `${label} wajib diisi`)
    .max(max, `${label} paling panjang ${max} karakter`);
const optional = (max: number) => z.string().trim().max(max, `paling panjang ${max} karakter`).default('');

const MEMBER = z
  .object({
    nik: z
      .string({ error: 'NIK wajib diisi' })
      .trim()
      .regex(/^\d{16}$/, 'NIK harus 16 angka')
      .refine(
        (nik) => parseNik(nik, loadAreas()).ok,
        'NIK tidak valid (kode wilayah, tanggal lahir atau nomor urut salah)',
      ),
    no_kk: z
      .string({ error: 'No. KK wajib diisi' })
      .trim()
      .regex(/^\d{16}$/, 'No. KK harus 16 angka')
      .refine((kk) => parseKk(kk, loadAreas()).ok, 'No. KK tidak valid (kode wilayah atau tanggal terbit salah)'),
    nama: required('nama', 100),
    jenis_kelamin: z.enum(['L', 'P'], { error: 'jenis kelamin harus L atau P' }),
    tempat_lahir: required('tempat lahir', 60),
    tanggal_lahir: required('tanggal lahir', 10).refine(
      (date) => parseDate(date) !== undefined,
      'tanggal lahir harus berbentuk YYYY-MM-DD dan ada di kalender',
    ),
    nama_ibu_kandung: required('nama ibu kandung', 100),
    hubungan_keluarga: z.enum(RELATIONSHIPS, {
      error: `hubungan keluarga harus salah satu dari ${RELATIONSHIPS.join(', ')}`,
    }),
    status_perkawinan: z.enum(MARITAL_STATUSES, {
      error: `status perkawinan harus salah satu dari ${MARITAL_STATUSES.join(', ')}`,
    }),
    alamat: required('alamat', 200),
    rt: z
      .string({ error: 'RT wajib diisi' })
      .trim()
      .regex(/^\d{1,3}$/, 'RT harus 1–3 angka'),
    rw: z
      .string({ error: 'RW wajib diisi' })
      .trim()
      .regex(/^\d{1,3}$/, 'RW harus 1–3 angka'),
    kode_desa: z
      .string({ error: 'kode desa wajib diisi' })
      .trim()
      .regex(/^\d{10}$/, 'kode desa harus 10 angka')
      .refine((code) => loadAreas().isVillage(code), 'kode desa/kelurahan tidak dikenal'),
    pekerjaan: optional(60),
    penghasilan_bulanan: z
      .string()
      .trim()
      .regex(/^\d{0,12}$/, 'penghasilan bulanan hanya angka (rupiah), paling banyak 12 angka')
      .default(''),
  })
  .strict()
  // Across fields, once each field is valid (zod runs this only then): what the NIK encodes must agree.
  .superRefine((member, context) => {
    const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    const nik = parseNik(member.nik, loadAreas());
    const birthDate = parseDate(member.tanggal_lahir);
    if (nik.ok && birthDate && !nikMatchesBirthDate(nik.parts, birthDate)) {
      issue('tanggal_lahir', 'tanggal lahir berbeda dengan tanggal lahir pada NIK');
    }
    if (nik.ok && nik.parts.sex !== member.jenis_kelamin) issue('jenis_kelamin', 'jenis kelamin berbeda dengan NIK');
  });

export const REGISTRATION_REQUEST = z
  .object({
    members: z
      .array(MEMBER, { error: 'members harus berupa daftar anggota keluarga' })
      .min(1, 'minimal satu anggota keluarga')
      .max(MAX_MEMBERS, `paling banyak ${MAX_MEMBERS} anggota keluarga`),
  })
  .strict()
  .superRefine((body, context) => {
    const issue = (message: string) => context.addIssue({ code: 'custom', path: ['members'], message });
    if (new Set(body.members.map((member) => member.no_kk)).size > 1) issue('semua anggota harus satu No. KK');
    if (new Set(body.members.map((member) => member.kode_desa.slice(0, 4))).size > 1) {
      issue('semua anggota harus tinggal di satu kabupaten/kota');
    }
    if (new Set(body.members.map((member) => member.nik)).size < body.members.length) issue('NIK tidak boleh berulang');
    const heads = body.members.filter((member) => member.hubungan_keluarga === 'KEPALA_KELUARGA').length;
    if (heads !== 1) issue('keluarga harus punya tepat satu KEPALA_KELUARGA');
  })
  .describe('Pendaftaran');
export type RegistrationRequest = z.output<typeof REGISTRATION_REQUEST>;
export type RegistrationMember = RegistrationRequest['members'][number];

/** GET /registrations/{receipt}?nik=: the NIK of a member, 16 digits. */
export const RECEIPT_LOOKUP = z
  .object({ nik: z.string().regex(/^\d{16}$/, 'NIK harus 16 angka') })
  .describe('Pencarian');
