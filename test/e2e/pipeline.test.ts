/**
 * The whole pipeline on the local environment: the same ASL files, handlers and SDK calls as the cloud.
 * One story, step by step (the steps share state and run in order): two regencies upload, S3 delivers an
 * event twice, the checks run against DynamoDB, the wrong approver is refused, the environment restarts
 * between the regency and the province approval, the month is stipulated, an analyst queries the
 * snapshot, and a month without proposals carries the snapshot forward.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { DtksClient } from '#cli/client.ts';
import { type GenerateResult, writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { type LocalEnvironment, type LocalPorts, startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const PERIOD = '2026-11';
const NEXT = '2026-12';
const CITY = '3371';
const DISTRICT = '3308';

let dataDir: string;
let environment: LocalEnvironment;
let ports: LocalPorts;
let client: DtksClient;
const worlds: Record<string, GenerateResult> = {};
const proposals: Record<string, string> = {};

async function start(): Promise<void> {
  environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: [CITY, DISTRICT], ports });
  ports = environment.ports;
  client = new DtksClient(localTarget(dataDir, environment));
}

/** Expected code counts from the generator's truth file. */
function truthCounts(world: GenerateResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync(world.files.truth.path, 'utf8').split(/\r?\n/).slice(1)) {
    const codes = line.split(',')[1];
    for (const code of codes ? codes.split('|') : []) counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-e2e-'));
  await start();
  for (const [i, regency] of [CITY, DISTRICT].entries()) {
    worlds[regency] = await writeWorld({
      regency,
      families: 40,
      defectRate: 0.15,
      seed: 7 + i,
      out: join(dataDir, 'worlds', regency),
      quiet: true,
    });
    await client.putObject(`reference/population/${regency}.csv`, worlds[regency].files.population.path);
    await seedMaster(readMasterExtract(createReadStream(worlds[regency].files.master.path)), '2026-10');
  }
  await environment.settled();
}, 300_000);

afterAll(async () => {
  await environment?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the pipeline on the local environment', () => {
  it('checks uploaded proposals against DynamoDB exactly as the offline truth says', async () => {
    for (const regency of [CITY, DISTRICT]) {
      const { proposalId } = await client.upload(worlds[regency]!.files.proposal.path, regency, PERIOD);
      proposals[regency] = proposalId;
    }
    for (const regency of [CITY, DISTRICT]) {
      const proposal = await client.waitForStatus(proposals[regency]!, ['AWAITING_REGENCY'], 240_000);
      expect(proposal.status).toBe('AWAITING_REGENCY');
      expect(proposal.summary?.rows).toBe(worlds[regency]!.files.proposal.rows);
      expect(proposal.summary?.codes).toEqual(truthCounts(worlds[regency]!));
    }
  });

  it('creates no second proposal when S3 delivers the same object-created event again', async () => {
    const executions = environment.runtime.listExecutions({ stateMachineArn: environment.stateMachines.proposal });
    const first = executions.executions.find((e) => e.status === 'RUNNING');
    expect(first).toBeDefined();
    const { input } = environment.runtime.describeExecution({ executionArn: first!.executionArn });
    const repeat = await environment.runtime.startExecution({
      stateMachineArn: environment.stateMachines.proposal,
      input,
    });
    const deadline = Date.now() + 60_000;
    let status = 'RUNNING';
    while (status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = environment.runtime.describeExecution({ executionArn: repeat.executionArn }).status;
    }
    expect(status).toBe('SUCCEEDED');
    expect(await client.proposalsOf(CITY)).toHaveLength(1);
    expect(await client.proposalsOf(DISTRICT)).toHaveLength(1);
  });

  it("refuses and records the other regency's approver", async () => {
    const answer = await client.decide(proposals[CITY]!, `regency-${DISTRICT}`, 'APPROVE', 'bukan wilayah saya');
    expect(answer.status).toBe(403);
    const { proposal, events } = await client.proposalWithEvents(proposals[CITY]!);
    expect(proposal.status).toBe('AWAITING_REGENCY');
    expect(events.some((e) => e.kind === 'REFUSED' && e.actor === `regency-${DISTRICT}`)).toBe(true);
    const tasks = await client.tasks(`regency-${CITY}`);
    expect(tasks.status).toBe(200);
    expect(JSON.stringify(tasks.body)).not.toMatch(/token/i);
  });

  it('carries the regency approval across a restart of the environment to the province approval', async () => {
    expect((await client.decide(proposals[CITY]!, `regency-${CITY}`, 'APPROVE', 'Terverifikasi')).status).toBe(200);
    expect(
      (await client.decide(proposals[DISTRICT]!, `regency-${DISTRICT}`, 'REJECT', 'Perlu musdes ulang')).status,
    ).toBe(200);
    await client.waitForStatus(proposals[CITY]!, ['AWAITING_PROVINCE']);
    expect((await client.waitForStatus(proposals[DISTRICT]!, ['REJECTED'])).status).toBe('REJECTED');

    await environment.stop();
    await start();

    expect((await client.proposal(proposals[CITY]!))?.status).toBe('AWAITING_PROVINCE');
    expect(environment.runtime.listPendingTasks().map((t) => t.stateName)).toContain('AwaitProvinceApproval');
    const answer = await client.decide(proposals[CITY]!, 'province-33', 'APPROVE', 'Diteruskan ke Menteri');
    expect(answer.status).toBe(200);
    expect((await client.waitForStatus(proposals[CITY]!, ['AWAITING_STIPULATION'])).status).toBe(
      'AWAITING_STIPULATION',
    );
    const again = await client.decide(proposals[CITY]!, 'province-33', 'APPROVE', 'dua kali');
    expect(again.status).toBe(409);
  });

  it('stipulates the month into the master and exports a snapshot an analyst can query', async () => {
    const execution = await client.stipulate(PERIOD);
    expect(execution.status).toBe('SUCCEEDED');
    const stipulated = await client.waitForStatus(proposals[CITY]!, ['STIPULATED']);
    expect(stipulated.status).toBe('STIPULATED');
    const manifest = (await client.manifest(PERIOD)) as {
      carriedForward: boolean;
      totals: { records: number; byRegency: Record<string, number> };
      sourceProposals: { proposalId: string }[];
    };
    expect(manifest.carriedForward).toBe(false);
    expect(manifest.sourceProposals.map((p) => p.proposalId)).toEqual([proposals[CITY]]);
    const result = await client.querySnapshot('SELECT kode_kabupaten, count(*) AS n FROM dtks GROUP BY 1 ORDER BY 1', {
      period: PERIOD,
      tier: 'full',
      user: 'ministry',
    });
    const counted = Object.fromEntries(result.rows.map(([regency, n]) => [String(regency), Number(n)]));
    expect(counted).toEqual(manifest.totals.byRegency);
    // The rejected regency's DTKS is unchanged: exactly its seeded master.
    expect(counted[DISTRICT]).toBe(worlds[DISTRICT]!.files.master.rows);
    const pseudonymised = await client.querySnapshot('SELECT * FROM dtks_pseudonim LIMIT 1', { period: PERIOD });
    expect(pseudonymised.columns).toContain('nik_hash');
    expect(pseudonymised.columns).not.toContain('nama');
  });

  it('carries the snapshot forward in a month without proposals', async () => {
    const execution = await client.stipulate(NEXT);
    expect(execution.status).toBe('SUCCEEDED');
    const [before, after] = await Promise.all([client.manifest(PERIOD), client.manifest(NEXT)]);
    expect(after.carriedForward).toBe(true);
    expect((after.totals as { records: number }).records).toBe((before.totals as { records: number }).records);
  });
});
