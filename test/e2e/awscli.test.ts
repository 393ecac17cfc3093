/**
 * A real client against the local environment: the AWS CLI uploads a proposal with
 * `aws s3 cp --endpoint-url` and completes the regency approval with
 * `aws stepfunctions send-task-success --endpoint-url`, the token taken from the local task store.
 * The CLI is Debian's awscli; the test installs it when the machine lacks it (CI does the same).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtksClient } from '#cli/client.ts';
import { type GenerateResult, writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { readMasterExtract } from '#core/extracts.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';
import type { ApprovalDecision } from '#shared/contracts.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const run = promisify(execFile);

function awsCliAvailable(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's awscli when missing (as root, like CI); says plainly when it cannot. */
function ensureAwsCli(): void {
  if (awsCliAvailable()) return;
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'awscli'], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`The AWS CLI is missing and "apt-get install awscli" failed: ${(error as Error).message}`);
  }
  if (!awsCliAvailable()) throw new Error('The AWS CLI is still not on PATH after installing Debian awscli');
}

let dataDir: string;
let environment: LocalEnvironment;
let client: DtksClient;
let world: GenerateResult;

function aws(args: string[]) {
  return run('aws', args, {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: LOCAL_AWS.region,
      AWS_REGION: LOCAL_AWS.region,
      AWS_PAGER: '',
      // The CLI must not read a developer's own profile or config.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  });
}

beforeAll(async () => {
  ensureAwsCli();
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-awscli-'));
  environment = await startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'] });
  client = new DtksClient(localTarget(dataDir, environment));
  world = await writeWorld({
    regency: '3371',
    families: 15,
    defectRate: 0,
    seed: 11,
    out: join(dataDir, 'w'),
    quiet: true,
  });
  await client.putObject('reference/population/3371.csv', world.files.population.path);
  await seedMaster(readMasterExtract(createReadStream(world.files.master.path)), '2026-10');
  await environment.settled();
}, 300_000);

afterAll(async () => {
  await environment?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the AWS CLI against the local environment', () => {
  it('uploads with aws s3 cp and approves with aws stepfunctions send-task-success', async () => {
    const key = 'proposals/3371/2026-11/usulan-cli.csv';
    await aws([
      's3',
      'cp',
      world.files.proposal.path,
      `s3://${environment.names.buckets.proposals}/${key}`,
      '--endpoint-url',
      environment.endpoints.s3Endpoint,
    ]);
    const deadline = Date.now() + 120_000;
    let task = environment.runtime.listPendingTasks().find((t) => t.stateName === 'AwaitRegencyApproval');
    while (!task && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      task = environment.runtime.listPendingTasks().find((t) => t.stateName === 'AwaitRegencyApproval');
    }
    expect(task, 'the proposal reached the regency approval').toBeDefined();

    const described = await aws([
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      task!.executionArn,
      '--endpoint-url',
      environment.endpoints.sfnEndpoint,
    ]);
    expect(JSON.parse(described.stdout)).toMatchObject({ status: 'RUNNING' });

    const decision: ApprovalDecision = {
      decision: 'APPROVE',
      level: 'REGENCY',
      decidedBy: 'regency-3371',
      decidedAt: new Date().toISOString(),
      note: 'via AWS CLI',
      exclusions: [],
    };
    await aws([
      'stepfunctions',
      'send-task-success',
      '--task-token',
      task!.taskToken,
      '--task-output',
      JSON.stringify(decision),
      '--endpoint-url',
      environment.endpoints.sfnEndpoint,
    ]);
    const [proposal] = await client.proposalsOf('3371');
    expect((await client.waitForStatus(proposal!.proposalId, ['AWAITING_PROVINCE'])).status).toBe('AWAITING_PROVINCE');

    // The token's task is closed now: the CLI gets the error the approvals API reports as "already decided".
    await expect(
      aws([
        'stepfunctions',
        'send-task-success',
        '--task-token',
        task!.taskToken,
        '--task-output',
        JSON.stringify(decision),
        '--endpoint-url',
        environment.endpoints.sfnEndpoint,
      ]),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/TaskTimedOut|TaskDoesNotExist/) });
  });
});
