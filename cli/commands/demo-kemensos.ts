/**
 * The demo's ministry proposal (KEMENSOS): a registry-only family of a regency, proposed by a Kemensos
 * operator and uploaded under kemensos/ (`dtks upload --source KEMENSOS`). The same check and the same
 * two approvals as the regency's own; the regency's approver sees where it came from, and the master
 * records it stipulates keep KEMENSOS as their source.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCsvRow } from '#core/csv.ts';
import { PROPOSAL_COLUMNS } from '#core/proposal.ts';
import { SOURCE_NAMES, sourceOf } from '#core/source.ts';
import { unregisteredFamily } from './demo-mandiri.ts';

type Client = import('../client.ts').DtksClient;

interface DemoWorld {
  regency: string;
  files: { population: { path: string }; master: { path: string }; proposal: { path: string } };
}

/** Writes the ministry's proposal (one family, TAMBAH) beside the world's files and uploads it under kemensos/. */
export async function uploadKemensos(
  client: Client,
  world: DemoWorld,
  dir: string,
  period: string,
  out: (text?: string) => void,
): Promise<string | undefined> {
  let members: ReturnType<typeof unregisteredFamily>;
  try {
    members = unregisteredFamily({
      population: world.files.population.path,
      master: world.files.master.path,
      proposal: world.files.proposal.path,
    });
  } catch {
    // A small world (--families) may have no family outside the DTKS and the month's proposal.
    out(`${world.regency}: tidak ada keluarga di luar DTKS untuk usulan Kementerian Sosial; dilewati`);
    return undefined;
  }
  const columns = Object.keys(PROPOSAL_COLUMNS);
  const cells = (member: Record<string, string | undefined>) =>
    columns.map((column) => (column === 'aksi' ? 'TAMBAH' : (member[column] ?? '')));
  const path = join(dir, `usulan-kemensos-${world.regency}.csv`);
  writeFileSync(path, formatCsvRow(columns) + members.map((member) => formatCsvRow(cells({ ...member }))).join(''));
  const { key, proposalId } = await client.upload(path, world.regency, period, undefined, 'KEMENSOS');
  out(
    `${world.regency} (${SOURCE_NAMES.KEMENSOS.id}): s3://${client.target.proposalsBucket}/${key} → usulan ${proposalId}`,
  );
  return proposalId;
}

/** The regency's and the province's approval of the ministry's proposal, its source in each status line. */
export async function approveKemensos(
  client: Client,
  proposalId: string,
  regency: string,
  out: (text?: string) => void,
): Promise<void> {
  const checked = await client.waitForStatus(proposalId, ['AWAITING_REGENCY'], 300_000);
  out(statusLine(checked));
  // What the regency's approver is shown in GET /tasks (dtks tasks): where the proposal came from.
  const listed = (await client.tasks(`regency-${regency}`)).body.tasks?.find((task) => task.proposalId === proposalId);
  out(
    `GET /tasks (regency-${regency}) → ${proposalId}: sumber ${String(listed?.source)} (${String(listed?.sourceName)})`,
  );
  for (const [user, awaited, next] of [
    [`regency-${regency}`, 'AWAITING_REGENCY', 'AWAITING_PROVINCE'],
    [`province-${regency.slice(0, 2)}`, 'AWAITING_PROVINCE', 'AWAITING_STIPULATION'],
  ] as const) {
    await client.waitForStatus(proposalId, [awaited]);
    const answer = await client.decide(proposalId, user, 'APPROVE', 'Usulan Kementerian Sosial sudah diverifikasi');
    out(`${user}: APPROVE ${proposalId} → ${answer.status} ${answer.body.message ?? ''}`);
    await client.waitForStatus(proposalId, [next]);
  }
}

/** `<id>: <status>, sumber KEMENSOS (Kementerian Sosial), <accepted> dari <rows> baris diterima`. */
export function statusLine(proposal: import('#shared/proposals-repository.ts').ProposalRecord): string {
  const source = sourceOf(proposal);
  const counts = proposal.summary ? `, ${proposal.summary.accepted} dari ${proposal.summary.rows} baris diterima` : '';
  return `${proposal.proposalId}: ${proposal.status}, sumber ${source} (${SOURCE_NAMES[source].id})${counts}`;
}
