/**
 * The demo's self-registration (pendaftaran mandiri): a family of the synthetic population that is in
 * neither the DTKS master nor the month's proposal registers at the public endpoint, exactly as a
 * citizen's form would send it; its receipt lookup is shown at each step of the month.
 */
import { readFileSync } from 'node:fs';
import type { RegistrationMember } from '#shared/registrations.ts';

/** Up to three members of the first registry-only family (living, NIK active): its head the oldest. */
export function unregisteredFamily(paths: {
  population: string;
  master: string;
  proposal: string;
}): RegistrationMember[] {
  const known = new Set<string>();
  for (const path of [paths.master, paths.proposal]) {
    const [header = '', ...lines] = readFileSync(path, 'utf8').split(/\r?\n/);
    const nik = header.split(',').indexOf('nik');
    for (const line of lines) if (line) known.add(line.split(',')[nik] ?? '');
  }
  const [header = '', ...lines] = readFileSync(paths.population, 'utf8').split(/\r?\n/);
  const columns = header.split(',');
  const at = (row: string[], name: string) => row[columns.indexOf(name)] ?? '';
  const families = new Map<string, string[][]>();
  for (const line of lines) {
    // Quoted cells (a comma in an address) are skipped: the demo needs one plain family, not every one.
    if (!line || line.includes('"')) continue;
    const row = line.split(',');
    const family = families.get(at(row, 'no_kk')) ?? [];
    family.push(row);
    families.set(at(row, 'no_kk'), family);
  }
  for (const rows of families.values()) {
    const eligible = rows.every(
      (row) =>
        !known.has(at(row, 'nik')) &&
        at(row, 'status_hidup') === 'HIDUP' &&
        (at(row, 'status_nik') || 'AKTIF') === 'AKTIF',
    );
    if (!eligible) continue;
    const members = rows.slice(0, 3).sort((a, b) => at(a, 'tanggal_lahir').localeCompare(at(b, 'tanggal_lahir')));
    return members.map((row, i) => ({
      nik: at(row, 'nik'),
      no_kk: at(row, 'no_kk'),
      nama: at(row, 'nama'),
      jenis_kelamin: at(row, 'jenis_kelamin') as 'L' | 'P',
      tempat_lahir: at(row, 'tempat_lahir'),
      tanggal_lahir: at(row, 'tanggal_lahir'),
      nama_ibu_kandung: 'SITI AMINAH',
      hubungan_keluarga: i === 0 ? 'KEPALA_KELUARGA' : 'FAMILI_LAIN',
      status_perkawinan: i === 0 ? 'KAWIN' : 'BELUM_KAWIN',
      alamat: at(row, 'alamat'),
      rt: '001',
      rw: '002',
      kode_desa: at(row, 'kode_desa'),
      pekerjaan: 'PEDAGANG',
      penghasilan_bulanan: '1200000',
    }));
  }
  throw new Error('the synthetic population has no registry-only family to register');
}

type Client = import('../client.ts').DtksClient;

export interface DemoRegistration {
  receipt: string;
  /** A member's NIK: what the citizen gives with the receipt. */
  nik: string;
  period: string;
  proposalId: string;
}

/** Registers the family at the public endpoint and gathers its regency's registrations now (the cut-off). */
export async function registerAndGather(
  client: Client,
  world: {
    regency: string;
    files: { population: { path: string }; master: { path: string }; proposal: { path: string } };
  },
  out: (text?: string) => void,
): Promise<DemoRegistration> {
  const members = unregisteredFamily({
    population: world.files.population.path,
    master: world.files.master.path,
    proposal: world.files.proposal.path,
  });
  const registered = await client.register({ members });
  if (registered.status !== 201) {
    throw new Error(`the demo's registration was refused: ${registered.body.message} ${registered.body.issues ?? ''}`);
  }
  const receipt = registered.body.receipt ?? '';
  const period = registered.body.period ?? '';
  out(
    `POST /registrations (${members.length} anggota keluarga, tanpa login) → 201 tanda terima ${receipt}, periode ${period}`,
  );
  await showReceipt(client, { receipt, nik: members[0]!.nik }, out);
  const gathered = await client.gatherMandiri(period, world.regency);
  const proposal = gathered.gathered[0];
  if (!proposal) throw new Error('the demo registration was not gathered');
  out(
    `batas pendaftaran: ${proposal.registrations} pendaftaran → s3://${client.target.proposalsBucket}/${proposal.key}`,
  );
  out(`  → usulan MANDIRI ${proposal.proposalId}`);
  return { receipt, nik: members[0]!.nik, period, proposalId: proposal.proposalId };
}

/** The regency's and the province's approval of the MANDIRI proposal, once it is checked. */
export async function approveMandiri(client: Client, registration: DemoRegistration, out: (text?: string) => void) {
  const { proposalId } = registration;
  const checked = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 300_000);
  out(
    `${proposalId}: ${checked.status}, ${checked.summary?.accepted ?? 0} dari ${checked.summary?.rows ?? 0} baris diterima`,
  );
  for (const [user, awaited, next] of [
    ['regency-3371', 'AWAITING_REGENCY', 'AWAITING_PROVINCE'],
    ['province-33', 'AWAITING_PROVINCE', 'AWAITING_STIPULATION'],
  ] as const) {
    await client.waitForStatus(proposalId, [awaited]);
    const answer = await client.decide(proposalId, user, 'APPROVE', 'Pendaftaran mandiri sudah diverifikasi');
    out(`${user}: APPROVE ${proposalId} → ${answer.status} ${answer.body.message ?? ''}`);
    await client.waitForStatus(proposalId, [next]);
  }
  await showReceipt(client, registration, out);
}

/** What the citizen sees: GET /registrations/{receipt}?nik=. */
export async function showReceipt(
  client: Client,
  registration: { receipt: string; nik: string },
  out: (text?: string) => void,
) {
  const answer = await client.registrationStatus(registration.receipt, registration.nik);
  out(
    `GET /registrations/${registration.receipt}?nik=… → ${answer.status} ${answer.body.status}: ${answer.body.message ?? ''}`,
  );
}
