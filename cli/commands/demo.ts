/**
 * dtks demo (npm start): one month of the real pipeline, end to end, on a fresh local environment.
 *
 * Two regencies of Central Java — Kota Magelang (33.71) and Kabupaten Magelang (33.08) — get a
 * synthetic world; their population extracts go to the registry, their current DTKS is seeded, and
 * their proposals are uploaded through the S3 API. The proposal workflow checks them; the regency and
 * province approvers decide through the approvals API (one approval with exclusions, one rejection, and
 * one refused attempt by the wrong approver); the stipulation runs; an analyst queries the snapshot.
 * A second month with no new proposal shows the carried-forward stipulation; a third, with mass
 * deactivations, waits for the ministry's sign-off (the stipulation guard) and ends with the hash chain of
 * the three periods verified. Nothing stays running.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { loadAreas } from '#core/area.ts';
import { nextPeriod, previousPeriod } from '#core/period.ts';
import { type Exclusion, KEYS } from '#shared/contracts.ts';
import type { ProposalRecord } from '#shared/proposals-repository.ts';
import { parseCommand } from '../args.ts';
import { currentPeriod, DtksClient } from '../client.ts';
import { CliError } from '../errors.ts';
import { formatTable } from '../table.ts';
import { localTarget } from '../target.ts';
import { demoGuard } from './demo-guard.ts';
import { approveKemensos, statusLine, uploadKemensos } from './demo-kemensos.ts';
import { approveMandiri, registerAndGather, showReceipt } from './demo-mandiri.ts';
import { changeRegistry, screenRegistry, showQualityControl } from './demo-quality.ts';
import { writeWorld } from './generate.ts';
import { formatPeriod } from './stipulate.ts';

const REGENCIES = ['3371', '3308'] as const;

/** The demo runs every step in this one process, twice over; beyond this it is a benchmark, not a demo. */
const MAX_DEMO_FAMILIES = 20_000;

const HELP = `dtks demo [--families N] [--keep]

Runs one month of the pipeline end to end on a fresh local environment and prints what happened.
  --families N   proposal families per regency, 10 to 20,000 (default 150)
  --keep         keep the environment's data directory (printed) instead of removing it`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('demo', argv, {
    families: { type: 'number', integer: true, min: 10, max: MAX_DEMO_FAMILIES, default: 150 },
    keep: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const { families } = values;

  // The handlers' structured logs are for CloudWatch; the demo prints its own story.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const started = performance.now();
  const out = (text = '') => process.stdout.write(`${text}\n`);
  const step = (text: string) => out(`\n== ${text} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const areas = loadAreas();
  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-demo-'));
  const { startLocalEnvironment } = await import('#local/environment.ts');
  const environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: REGENCIES });
  try {
    const client = new DtksClient(localTarget(dataDir, environment));
    const period = currentPeriod();
    const previous = previousPeriod(period);
    out(`DTKS demo: penetapan ${period} untuk ${REGENCIES.map((r) => `${areas.regencyName(r)} (${r})`).join(' dan ')}`);
    out(`local environment: ${dataDir}`);
    // The demo's environment ends with it: `dtks local up` keeps one running for the browser.
    out(`web console: ${environment.endpoints.approvalsUrl}/ while the demo runs (dtks local up keeps one)`);

    step('1. Data sintetis / synthetic worlds');
    const worlds = [];
    for (const [i, regency] of REGENCIES.entries()) {
      const world = await writeWorld({
        regency,
        families,
        defectRate: 0.08,
        seed: 2026 + i,
        out: join(dataDir, 'worlds', regency),
        quiet: true,
      });
      worlds.push({ regency, ...world });
      out(
        `${regency}: ${world.files.population.rows} penduduk, ${world.files.master.rows} di DTKS, ${world.files.proposal.rows} baris usulan`,
      );
    }

    step('2. Data referensi / the Dukcapil extracts and the current DTKS');
    for (const world of worlds) {
      await client.putObject(`${KEYS.populationPrefix}${world.regency}.csv`, world.files.population.path);
    }
    await environment.settled();
    const { seedMaster } = await import('#local/seed.ts');
    for (const world of worlds) {
      const seeded = await seedMaster(readMasterExtract(createReadStream(world.files.master.path)), previous);
      out(`${world.regency}: ${seeded} orang DTKS ${previous} dimuat`);
    }

    step(`3. Unggah usulan / uploads for ${period} through the S3 API`);
    const proposals: Record<string, string> = {};
    for (const world of worlds) {
      const { key, proposalId } = await client.upload(world.files.proposal.path, world.regency, period);
      proposals[world.regency] = proposalId;
      out(`${world.regency}: s3://${client.target.proposalsBucket}/${key} → usulan ${proposalId}`);
    }
    // A ministry proposal for Kabupaten Magelang, uploaded under kemensos/ as `dtks upload --source KEMENSOS` does.
    const kemensos = await uploadKemensos(client, worlds[1]!, dataDir, period, out);
    step('3b. Pendaftaran mandiri / a family registers itself at the public endpoint');
    const mandiri = await registerAndGather(client, worlds[0]!, out);
    const checked: ProposalRecord[] = [];
    for (const regency of REGENCIES) {
      checked.push(await client.waitForStatus(proposals[regency]!, ['AWAITING_REGENCY'], 300_000));
    }
    step('4. Hasil pemeriksaan / integrity checks');
    out(
      formatTable(
        ['kab/kota', 'status', 'baris', 'DITERIMA', 'DIKEMBALIKAN', 'peringatan'],
        checked.map((p) => [
          p.regency,
          p.status,
          p.summary?.rows,
          p.summary?.accepted,
          p.summary?.returned,
          p.summary?.withWarnings,
        ]),
      ),
    );
    const codes = [...new Set(checked.flatMap((p) => Object.keys(p.summary?.codes ?? {})))].sort();
    out();
    out(
      formatTable(
        ['kode', ...REGENCIES],
        codes.map((code) => [code, ...checked.map((p) => p.summary?.codes[code] ?? 0)]),
      ),
    );

    step('5. Persetujuan / approvals through the approvals API');
    const [city, district] = [proposals['3371']!, proposals['3308']!];
    const refused = await client.decide(city, 'regency-3308', 'APPROVE', 'bukan wilayah saya');
    out(`regency-3308 menyetujui usulan 3371 → ${refused.status} ${refused.body.message ?? ''} (ditolak dan dicatat)`);
    const exclusions = pickExclusions(worlds[0]!.files.proposal.path, worlds[0]!.files.truth.path);
    const answers = [
      [
        'regency-3371',
        city,
        'APPROVE_WITH_EXCLUSIONS',
        'Disetujui; satu keluarga dan satu anggota ditunda verifikasi lapangan',
        exclusions,
      ],
      ['regency-3308', district, 'APPROVE', 'Hasil musyawarah desa telah diverifikasi', []],
    ] as const;
    for (const [user, proposalId, decision, note, excluded] of answers) {
      const answer = await client.decide(proposalId, user, decision, note, [...excluded]);
      out(
        `${user}: ${decision}${excluded.length ? ` (${excluded.map((e) => `${e.kind} ${e.id}`).join(', ')})` : ''} → ${answer.status} ${answer.body.message ?? ''}`,
      );
      if (answer.status >= 300)
        throw new CliError(`the demo's approval was refused: ${answer.body.message ?? answer.status}`, 1);
    }
    await client.waitForStatus(city, ['AWAITING_PROVINCE']);
    await client.waitForStatus(district, ['AWAITING_PROVINCE']);
    for (const [proposalId, decision, note] of [
      [city, 'APPROVE', 'Diteruskan ke Menteri'],
      [district, 'REJECT', 'Data perlu diverifikasi ulang oleh Dinas Sosial'],
    ] as const) {
      const answer = await client.decide(proposalId, 'province-33', decision, note);
      out(`province-33: ${decision} ${proposalId} → ${answer.status} ${answer.body.message ?? ''}`);
    }
    const waiting = await client.waitForStatus(city, ['AWAITING_STIPULATION']);
    const rejected = await client.waitForStatus(district, ['REJECTED']);
    out(`${city}: ${waiting.status}; ${district}: ${rejected.status}${rejected.reason ? ` (${rejected.reason})` : ''}`);
    await approveMandiri(client, mandiri, out);
    if (kemensos) await approveKemensos(client, kemensos, '3308', out);

    step('5b. Dukcapil / the registry moves on during the month (delta feed)');
    const registryChanges = await changeRegistry(client, environment, worlds[0]!, dataDir, out);
    step(`5c. Pengendalian kualitas / quality control of ${period}: its own workflow, before the stipulation`);
    await screenRegistry(client, environment, period, out);

    step(`6. Penetapan / stipulation ${period}`);
    const run1 = await client.stipulate(period);
    if (run1.status !== 'SUCCEEDED') throw new CliError(`stipulation ${run1.status}: ${run1.error} ${run1.cause}`, 1);
    const stipulated = await client.waitForStatus(city, ['STIPULATED']);
    out(
      `${city}: ${stipulated.status}${stipulated.release ? ` — ${stipulated.release.applied} perubahan diterapkan, ${stipulated.release.returnedRows} baris dikembalikan` : ''}`,
    );
    if (kemensos) out(statusLine(await client.waitForStatus(kemensos, ['STIPULATED'])));
    out(formatPeriod(period, await client.manifest(period)));
    // Registered after this month's cut-off, the family joins next month's stipulation (step 8).
    if (mandiri.period === period) {
      await client.waitForStatus(mandiri.proposalId, ['STIPULATED']);
      await showReceipt(client, mandiri, out);
    }

    step('6b. Pengendalian kualitas / quality control: findings, tracking list, a moved family');
    await showQualityControl(client, environment, registryChanges, period, out);

    step('7. Analis / an analyst query over the snapshot (DuckDB on the Parquet export)');
    // The analyst's tier: pseudonymised and k-anonymous; only that tier's files of the period are fetched.
    const sql =
      'SELECT kode_kabupaten, jenis_kelamin, count(*) AS orang, count(DISTINCT no_kk_hash) AS keluarga FROM dtks_pseudonim GROUP BY ALL ORDER BY ALL';
    out(sql);
    const result = await client.querySnapshot(sql, { period, tier: 'pseudonymised', user: 'analyst' });
    out(formatTable(result.columns, result.rows));

    const next = nextPeriod(period);
    step(`8. Bulan berikutnya tanpa usulan / ${next}: nothing new`);
    const run2 = await client.stipulate(next);
    if (run2.status !== 'SUCCEEDED') throw new CliError(`stipulation ${run2.status}: ${run2.error} ${run2.cause}`, 1);
    out(formatPeriod(next, await client.manifest(next)));
    if (mandiri.period === next) {
      await client.waitForStatus(mandiri.proposalId, ['STIPULATED']);
      await showReceipt(client, mandiri, out);
    }

    const guarded = nextPeriod(next);
    step(`9. Penjagaan penetapan / ${guarded}: mass deactivations wait for the ministry's sign-off`);
    await demoGuard(client, worlds[0]!, guarded, dataDir, out);

    step('Selesai / done');
    return 0;
  } finally {
    await environment.stop();
    if (values.keep) out(`data kept in ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

/** A clean family (every row accepted, all TAMBAH) to exclude whole, and one clean child of another. */
function pickExclusions(proposalPath: string, truthPath: string): Exclusion[] {
  const truth = new Map<number, string>();
  for (const line of readFileSync(truthPath, 'utf8').split(/\r?\n/).slice(1)) {
    const [baris, kode = ''] = line.split(',');
    if (baris) truth.set(Number(baris), kode);
  }
  const rows = readFileSync(proposalPath, 'utf8').split(/\r?\n/);
  const header = rows[0]!.split(',');
  const at = (name: string) => header.indexOf(name);
  const families = new Map<string, { clean: boolean; niks: { nik: string; relation: string }[] }>();
  rows.slice(1).forEach((text, i) => {
    if (!text || text.includes('"')) return;
    const cells = text.split(',');
    const family = families.get(cells[at('no_kk')]!) ?? { clean: true, niks: [] };
    family.clean &&= cells[at('aksi')] === 'TAMBAH' && truth.get(i + 1) === '';
    family.niks.push({ nik: cells[at('nik')]!, relation: cells[at('hubungan_keluarga')]! });
    families.set(cells[at('no_kk')]!, family);
  });
  const clean = [...families.entries()].filter(([, f]) => f.clean && f.niks.length > 1);
  const [wholeFamily, withChild] = clean;
  const child = withChild?.[1].niks.find((n) => n.relation === 'ANAK');
  const exclusions: Exclusion[] = [];
  if (wholeFamily) exclusions.push({ kind: 'KK', id: wholeFamily[0], reason: 'Verifikasi lapangan belum selesai' });
  if (child) exclusions.push({ kind: 'NIK', id: child.nik, reason: 'Anak sudah menikah, menunggu KK baru' });
  return exclusions;
}
