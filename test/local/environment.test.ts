/** The local environment as a developer restarts it: same ports, same data, keys as uploaded. */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banner } from '#cli/commands/local.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import { startLocalEnvironment } from '#local/environment.ts';
import { PortTakenError } from '#local/ports.ts';
import { isAlive } from '../support/processes.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-local-env-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const start = (log?: (message: string) => void) =>
  startLocalEnvironment({ dataDir, schedule: false, regencies: ['3371'], ...(log ? { log } : {}) });

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('the local environment across restarts of one data dir', () => {
  it('comes back on the ports it had, and says so when one of them is taken', async () => {
    const first = await start();
    const ports = first.ports;
    await first.stop();

    const second = await start();
    expect(second.ports).toEqual(ports);
    await second.stop();

    const squatter = await occupy(ports.s3);
    const messages: string[] = [];
    try {
      const third = await start((message) => messages.push(message));
      expect(third.ports.s3).not.toBe(ports.s3);
      expect({ ...third.ports, s3: ports.s3 }).toEqual(ports);
      await third.stop();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    expect(messages.join('\n')).toContain(`port ${ports.s3}`);
  });

  it("lets the console, on the approvals API's origin, reach both buckets from the browser (CORS)", async () => {
    const environment = await start();
    try {
      const origin = new URL(environment.endpoints.approvalsUrl).origin;
      for (const bucket of new Set(Object.values(environment.names.buckets))) {
        const answer = await fetch(`${environment.endpoints.s3Endpoint}/${bucket}/proposals/3371/2026-12/a.csv`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
        });
        expect(answer.status, bucket).toBe(200);
        expect(answer.headers.get('access-control-allow-origin'), bucket).toBe(origin);
      }
    } finally {
      await environment.stop();
    }
  });

  it('refuses a port asked for explicitly that another program holds, naming it', async () => {
    const squatter = await occupy(0);
    const port = (squatter.address() as { port: number }).port;
    try {
      const attempt = startLocalEnvironment({ dataDir, schedule: false, ports: { s3: port } });
      await expect(attempt).rejects.toBeInstanceOf(PortTakenError);
      await expect(attempt).rejects.toThrow(`port ${port} for S3 (--s3-port) is taken`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('prints its ports and the credentials to use, and takes any credentials', async () => {
    const environment = await start();
    try {
      const printed = banner(environment, dataDir, LOCAL_AWS.credentials);
      for (const port of Object.values(environment.ports)) expect(printed).toContain(String(port));
      expect(printed).toContain('export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=ap-southeast-3');
      expect(printed).toContain(`AWS_ENDPOINT_URL_S3=${environment.endpoints.s3Endpoint}`);
      expect(printed).toContain('any access key and secret work locally');
      // Not only the printed ones: a developer's own dummy key works against both emulators.
      const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'anything at all' };
      const s3 = new S3Client({
        region: environment.region,
        endpoint: environment.endpoints.s3Endpoint,
        forcePathStyle: true,
        credentials,
      });
      const dynamo = new DynamoDBClient({
        region: environment.region,
        endpoint: environment.endpoints.dynamoEndpoint,
        credentials,
      });
      const buckets = await s3.send(new ListBucketsCommand({}));
      expect(buckets.Buckets?.map((b) => b.Name)).toEqual(
        expect.arrayContaining(Object.values(environment.names.buckets)),
      );
      const tables = await dynamo.send(new ListTablesCommand({}));
      expect(tables.TableNames).toEqual(expect.arrayContaining(Object.values(environment.names.tables)));
      s3.destroy();
      dynamo.destroy();
    } finally {
      await environment.stop();
    }
  });

  it('runs DynamoDB and S3 in a process of its own, which stop() ends, and reports its crash instead of waiting', async () => {
    const environment = await start();
    const { emulatorsPid } = environment;
    expect(emulatorsPid).not.toBe(process.pid);
    expect(isAlive(emulatorsPid)).toBe(true);
    await environment.stop();
    expect(isAlive(emulatorsPid)).toBe(false);

    const messages: string[] = [];
    const crashed = await start((message) => messages.push(message));
    try {
      const exited = new Promise((resolve) => crashed.emulators.onExit(resolve));
      process.kill(crashed.emulatorsPid, 'SIGKILL');
      await exited;
      expect(messages.join('\n')).toContain(`the emulators' process (pid ${crashed.emulatorsPid}) ended unexpectedly`);
      await crashed.settled();
    } finally {
      await crashed.stop();
    }
  });

  it('delivers an upload whose key has + and spaces to the workflow with that key', async () => {
    const environment = await start();
    try {
      const s3 = new S3Client({
        region: environment.region,
        endpoint: environment.endpoints.s3Endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const key = 'proposals/3371/2026-11/usulan+november ke 2.csv';
      await s3.send(new PutObjectCommand({ Bucket: environment.names.buckets.proposals, Key: key, Body: 'nik\n' }));
      s3.destroy();
      await environment.settled();
      const { executions } = environment.runtime.listExecutions({
        stateMachineArn: environment.stateMachines.proposal,
      });
      const inputs = executions.map((e) =>
        JSON.parse(environment.runtime.describeExecution({ executionArn: e.executionArn }).input ?? '{}'),
      );
      expect(inputs.map((input) => input.detail.object.key)).toContain(key);
    } finally {
      await environment.stop();
    }
  });
});
