/** dtks status [proposal] [--regency <code>] — where proposals are, with their check summary and audit trail. */
import { SOURCE_NAMES, sourceOf } from '#core/source.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';
import { parseCommand, regencyOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { formatTable, printable } from '../table.ts';
import { resolveTarget, TARGET_OPTIONS } from '../target.ts';

const HELP = `dtks status [proposal-id] [--regency <code>...] [--json]

Without a proposal id: the latest proposals of each regency (--regency, repeatable; locally the
environment's regencies by default). With one: its status, check summary, decisions and audit trail.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'status',
    argv,
    { regency: { type: 'string', multiple: true }, json: { type: 'boolean' }, ...TARGET_OPTIONS },
    { max: 1 },
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const target = resolveTarget(values);
  const { DtksClient } = await import('../client.ts');
  const client = new DtksClient(target);
  const [proposalId] = positionals;
  if (proposalId) {
    const detail = await client.proposalWithEvents(proposalId);
    if (values.json) process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
    else {
      process.stdout.write(`${formatProposal(detail.proposal)}\n\n`);
      process.stdout.write(
        `${formatTable(
          ['waktu', 'peristiwa', 'oleh', 'dari', 'ke', 'keterangan'],
          detail.events.map((e) => [e.at, e.kind, e.actor, e.from ?? '', e.to ?? '', e.detail ?? '']),
        )}\n`,
      );
    }
    return 0;
  }
  let regencies = (values.regency ?? []).map((r) => regencyOption(r));
  if (!regencies.length) {
    const { readLocalDescription } = await import('../target.ts');
    const description = target.kind === 'local' ? readLocalDescription(values['data-dir']) : undefined;
    regencies = [...new Set(description?.users.filter((u) => u.area.length === 4).map((u) => u.area) ?? [])];
  }
  if (!regencies.length) {
    throw new CliError({
      id: 'sebutkan kabupaten/kotanya dengan --regency <kode>',
      en: 'name the regencies with --regency <code>',
    });
  }
  const proposals = (await Promise.all(regencies.map((r) => client.proposalsOf(r)))).flat();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(proposals, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `${formatTable(
      ['usulan', 'kab/kota', 'periode', 'sumber', 'status', 'baris', 'diterima', 'dikembalikan', 'diterima pada'],
      proposals.map((p) => [
        p.proposalId,
        p.regency,
        p.period,
        sourceOf(p),
        p.status,
        p.summary?.rows ?? p.rows,
        p.summary?.accepted,
        p.summary?.returned,
        p.receivedAt,
      ]),
    )}\n`,
  );
  return 0;
}

/** One proposal in a few lines: status, counts per code, why it ended where it did. */
export function formatProposal(p: ProposalRecord): string {
  const lines = [
    `usulan ${p.proposalId}  (${p.regency}, ${p.period})`,
    `status: ${p.status}${p.reason ? ` — ${p.reason}` : ''}`,
    `sumber: ${sourceOf(p)} (${SOURCE_NAMES[sourceOf(p)].id})`,
    `berkas: s3://${p.bucket}/${p.key}`,
    // File-level warnings (Windows-1252 fallback, unknown columns): once each, as the region is told.
    ...(p.warnings ?? []).map((warning) => `peringatan berkas: ${warning.message}`),
  ];
  if (p.summary) {
    lines.push(
      `baris: ${p.summary.rows}  DITERIMA: ${p.summary.accepted}  DIKEMBALIKAN: ${p.summary.returned}  dengan peringatan: ${p.summary.withWarnings}`,
    );
    for (const [code, count] of Object.entries(p.summary.codes).sort()) lines.push(`  ${code.padEnd(26)} ${count}`);
  }
  if (p.reportKey) lines.push(`laporan: ${p.reportKey}`);
  if (p.reportXlsxKey) lines.push(`laporan (Excel): ${p.reportXlsxKey}`);
  if (p.summaryKey) lines.push(`ringkasan: ${p.summaryKey}`);
  if (p.release)
    lines.push(
      `penetapan ${p.release.period}: ${p.release.applied} diterapkan, ${p.release.returnedRows} dikembalikan`,
    );
  // Each line through printable(): the reason, the key and the warnings are others' text.
  return lines.map(printable).join('\n');
}
