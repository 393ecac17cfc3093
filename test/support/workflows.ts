/**
 * The handlers under the real state machines: state-machines/*.asl.json executed by the local Step
 * Functions runtime (local/sfn), which invokes the handlers in-process and serves its HTTP API as the
 * Step Functions endpoint of the test AWS, so the approvals API and the stipulation release answer
 * SendTaskSuccess as they do in the cloud. The population extract of 3371 is loaded before a test runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ProposalRow } from '#core/proposal.ts';
import { LocalFunctions, localSubstitutions } from '#local/functions.ts';
import { loadDefinition } from '#local/sfn/definition.ts';
import { type StepFunctionsApiServer, serveStepFunctionsApi } from '#local/sfn/http.ts';
import {
  type ExecutionDescription,
  type LambdaInvoker,
  type ObjectStorage,
  StepFunctionsRuntime,
} from '#local/sfn/runtime.ts';
import { s3ObjectStorage } from '#local/sfn/s3-objects.ts';
import type { Principal } from '#shared/contracts.ts';
import { PeriodsRepository } from '#shared/periods-repository.ts';
import { startTestAws, type TestAws } from './aws.ts';
import { apiEvent } from './lambda.ts';
import { provinceApprovedProposal } from './proposals.ts';
import { populationCsv, proposalCsv, registered } from './world.ts';

const STATE_MACHINES = new URL('../../state-machines/', import.meta.url);

/**
 * The S3 of a runtime's distributed Maps (ItemReader, ResultWriter), for a runtime started before the test
 * AWS: the test S3 starts after it (its environment names the runtime's endpoint), so the runtime reaches
 * it through this once `connect` is called.
 */
export function deferredObjects(): { objects: ObjectStorage; connect(aws: TestAws): void } {
  let s3: ObjectStorage | undefined;
  const connected = () => {
    if (!s3) throw new Error('the test S3 is not connected yet');
    return s3;
  };
  return {
    objects: {
      getObject: (request) => connected().getObject(request),
      putObject: (request) => connected().putObject(request),
    },
    connect(aws) {
      s3 = s3ObjectStorage(aws.clients.s3);
    },
  };
}

export interface Workflows {
  aws: TestAws;
  runtime: StepFunctionsRuntime;
  /** The execution once it is no longer RUNNING; throws after the settle timeout. */
  settled(executionArn: string): Promise<ExecutionDescription>;
  /** Posts a decision to the approvals API as `principal`: the HTTP status. */
  decide(principal: Principal, proposalId: string, body: unknown): Promise<number>;
  /** Puts a proposal file at `key` and starts the proposal workflow on its Object Created event. */
  upload(key: string, rows: readonly ProposalRow[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startWorkflows(options: {
  /** The state machines by file name (proposal: state-machines/proposal.asl.json). */
  machines: readonly string[];
  /** The rows registered in the population extract of 3371. */
  population: readonly ProposalRow[];
  settleTimeoutMs: number;
}): Promise<Workflows> {
  const functions = new LocalFunctions();
  const started = await startRuntime({
    machines: options.machines,
    substitutions: { ...localSubstitutions(), ApprovalTimeoutSeconds: '86400' },
    invoke: (functionArn, payload) => functions.invoke(functionArn, payload),
  });
  const { aws, stop } = started;
  try {
    const extract = 'reference/population/3371.csv';
    await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.names.buckets.proposals,
        Key: extract,
        Body: populationCsv(options.population.map((row) => registered(row))),
      }),
    );
    await functions.invoke('load-population', { bucket: aws.names.buckets.proposals, key: extract });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    aws,
    runtime: started.runtime,
    settled: (executionArn) => settle(started.runtime, executionArn, options.settleTimeoutMs),
    async decide(principal, proposalId, body) {
      const event = apiEvent('POST /proposals/{proposalId}/decision', principal, {
        pathParameters: { proposalId },
        body,
      });
      const result = (await functions.invoke('approvals-api', event)) as APIGatewayProxyStructuredResultV2;
      return result.statusCode ?? 0;
    },
    async upload(key, rows) {
      const put = await started.aws.clients.s3.send(
        new PutObjectCommand({ Bucket: started.aws.names.buckets.proposals, Key: key, Body: proposalCsv(rows) }),
      );
      const { executionArn } = await started.runtime.startExecution({
        stateMachineArn: started.runtime.stateMachineArn('proposal'),
        input: JSON.stringify({
          'detail-type': 'Object Created',
          source: 'aws.s3',
          detail: { bucket: { name: started.aws.names.buckets.proposals }, object: { key, etag: put.ETag, size: 100 } },
        }),
      });
      return executionArn;
    },
    stop,
  };
}

/**
 * The state machines `machines` (by file name) on the local runtime invoking the handlers through `invoke`,
 * its HTTP API as the Step Functions endpoint of the test AWS; `stop` ends all three and removes the
 * runtime's data directory (also when the start fails half-way).
 */
async function startRuntime(options: {
  machines: readonly string[];
  substitutions: Record<string, string>;
  invoke: LambdaInvoker['invoke'];
}): Promise<{ aws: TestAws; runtime: StepFunctionsRuntime; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-sfn-'));
  let runtime: StepFunctionsRuntime | undefined;
  let api: StepFunctionsApiServer | undefined;
  let aws: TestAws | undefined;
  const stop = async () => {
    await runtime?.stop();
    await api?.close();
    await aws?.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const machines = [];
    for (const name of options.machines) {
      machines.push({
        name,
        definition: await loadDefinition(new URL(`${name}.asl.json`, STATE_MACHINES), options.substitutions),
      });
    }
    const { objects, connect } = deferredObjects();
    runtime = await StepFunctionsRuntime.start({ dataDir, machines, invoker: { invoke: options.invoke }, objects });
    api = await serveStepFunctionsApi(runtime);
    aws = await startTestAws({ sfnEndpoint: api.endpoint });
    connect(aws);
    return { aws, runtime, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The execution once it is no longer RUNNING; throws after `timeoutMs`. */
async function settle(
  runtime: StepFunctionsRuntime,
  executionArn: string,
  timeoutMs: number,
): Promise<ExecutionDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = runtime.describeExecution({ executionArn });
    if (description.status !== 'RUNNING') return description;
    if (Date.now() > deadline) throw new Error(`still running: ${executionArn}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface StipulationRuntime {
  aws: TestAws;
  runtime: StepFunctionsRuntime;
  /** Starts the stipulation workflow of `period`: its execution ARN. */
  start(period: string): Promise<string>;
  /** The execution once it is no longer RUNNING; throws after the settle timeout. */
  settled(executionArn: string): Promise<ExecutionDescription>;
  /** Runs the stipulation workflow of `period` to its end. */
  stipulate(period: string): Promise<ExecutionDescription>;
  /** Runs the quality control workflow (state-machines/quality-control.asl.json) of `period` to its end. */
  screen(period: string): Promise<ExecutionDescription>;
  /**
   * A proposal approved by its province, waiting for stipulation: await-stipulation holds its task token
   * (a stand-in, `token-<proposalId>`).
   */
  awaitingProposal(proposal: Parameters<typeof provinceApprovedProposal>[1]): Promise<void>;
  /** The periods' records, with the lists of their proposals in the proposals bucket. */
  periods: PeriodsRepository;
  stop(): Promise<void>;
}

/**
 * The stipulation workflow (state-machines/stipulation.asl.json with the local substitutions) and the quality
 * control workflow whose results it includes, on the local runtime, its HTTP API as the Step Functions
 * endpoint of the test AWS, no population extract loaded: for the tests that seed the master and the
 * proposals themselves.
 */
export async function startStipulationRuntime(options: {
  functions: LocalFunctions;
  /** Stands between the runtime and the handlers (to inject failures); the handlers themselves by default. */
  invoke?: LambdaInvoker['invoke'];
  settleTimeoutMs?: number;
}): Promise<StipulationRuntime> {
  const { functions, settleTimeoutMs = 120_000 } = options;
  const started = await startRuntime({
    machines: ['stipulation', 'quality-control'],
    substitutions: localSubstitutions(),
    invoke: options.invoke ?? ((functionArn, payload) => functions.invoke(functionArn, payload)),
  });
  const start = async (period: string) => {
    const { executionArn } = await started.runtime.startExecution({
      stateMachineArn: started.runtime.stateMachineArn('stipulation'),
      input: JSON.stringify({ period }),
    });
    return executionArn;
  };
  const settled = (executionArn: string) => settle(started.runtime, executionArn, settleTimeoutMs);
  return {
    aws: started.aws,
    runtime: started.runtime,
    start,
    settled,
    stipulate: async (period) => settled(await start(period)),
    async screen(period) {
      const { executionArn } = await started.runtime.startExecution({
        stateMachineArn: started.runtime.stateMachineArn('quality-control'),
        input: JSON.stringify({ period }),
      });
      return settled(executionArn);
    },
    async awaitingProposal(proposal) {
      await provinceApprovedProposal(started.aws, proposal);
      const { proposalId } = proposal;
      await functions.invoke('await-stipulation', { proposalId, taskToken: `token-${proposalId}` });
    },
    periods: new PeriodsRepository(started.aws.clients.documents, started.aws.names.tables.proposals, {
      s3: started.aws.clients.s3,
      bucket: started.aws.names.buckets.proposals,
    }),
    stop: started.stop,
  };
}
