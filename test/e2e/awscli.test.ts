/**
 * A real client against the local environment: the AWS CLI uploads a proposal with
 * `aws s3 cp --endpoint-url`, follows its execution with `aws stepfunctions describe-execution`, and
 * meets a closed task with `aws stepfunctions send-task-success` once the approvals API has decided it.
 * The CLI runs with ordinary dummy credentials (AWS_ACCESS_KEY_ID=test), as a developer would set them;
 * it is Debian's awscli, installed when the machine lacks it (CI does the same).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterExtract } from '#adapters/extracts/readers.ts';
import { DtksClient } from '#cli/client.ts';
import { type GenerateResult, writeWorld } from '#cli/commands/generate.ts';
import { localTarget } from '#cli/target.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { seedMaster } from '#local/seed.ts';
import type { ApprovalDecision } from '#shared/contracts.ts';
import { aws, ensureAwsCli } from '../support/awscli.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let dataDir: string;
let environment: LocalEnvironment;
let client: DtksClient;
let world: GenerateResult;

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
  it('uploads with aws s3 cp (a key with + and spaces), follows the execution with aws stepfunctions', async () => {
    const key = 'proposals/3371/2026-11/usulan cli+1.csv';
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
    const [proposal] = await client.proposalsOf('3371');
    // The workflow got the key as uploaded, and the version id of the versioned bucket.
    expect(proposal).toMatchObject({ key, versionId: expect.stringMatching(/\S/) });

    const described = await aws([
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      task!.executionArn,
      '--endpoint-url',
      environment.endpoints.sfnEndpoint,
    ]);
    expect(JSON.parse(described.stdout)).toMatchObject({ status: 'RUNNING' });

    // The approval goes through the approvals API, which records it (the workflow continues only on a
    // recorded decision); the CLI then meets the token of a closed task.
    const answer = await client.decide(proposal!.proposalId, 'regency-3371', 'APPROVE', 'via approvals API');
    expect(answer.status).toBe(200);
    expect((await client.waitForStatus(proposal!.proposalId, ['AWAITING_PROVINCE'])).status).toBe('AWAITING_PROVINCE');
    const decision: ApprovalDecision = {
      decision: 'APPROVE',
      level: 'REGENCY',
      decidedBy: 'regency-3371',
      decidedAt: new Date().toISOString(),
      note: 'via AWS CLI',
      exclusions: [],
    };
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
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/TaskTimedOut|TaskDoesNotExist|InvalidToken/) });
  });
});
