/**
 * The shared SDK clients under X-Ray (functions/shared/clients.ts): in a Lambda with active tracing every
 * DynamoDB, S3, Step Functions and Secrets Manager call is a subsegment of the invocation's trace, sent to
 * the X-Ray daemon; outside Lambda (the local environment, the CLI, the tests) the Tracer is off and the
 * clients are untouched. The Lambda is played by a child process with the variables the runtime sets
 * (AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT, _X_AMZN_TRACE_ID, AWS_XRAY_DAEMON_ADDRESS), against dynalite and
 * the local S3, and a UDP socket in this test stands in for the daemon.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAws, type TestAws } from '../../support/aws.ts';

const run = promisify(execFile);

const ROOT = '1-6a5f1c2e-0123456789abcdef01234567';
const NIK = '3371010604900001';
const NAME = 'SITI AMINAH';

/** What the child does: a put and a get on DynamoDB, a put on S3; it prints the clients' middleware names. */
const CALLS = `
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { documents, dynamo, s3, secrets, sfn } from '#shared/clients.ts';
const table = process.env.POPULATION_TABLE;
await documents.send(new PutCommand({ TableName: table, Item: { nik: '${NIK}', nama: '${NAME}' } }));
const read = await documents.send(new GetCommand({ TableName: table, Key: { nik: '${NIK}' } }));
await s3.send(new PutObjectCommand({ Bucket: process.env.PROPOSALS_BUCKET, Key: 'traced/one.txt', Body: '${NAME}' }));
const xray = (client) => client.middlewareStack.identify().filter((name) => name.startsWith('XRaySDKInstrumentation')).length;
console.log(JSON.stringify({
  nama: read.Item?.nama,
  xray: { dynamo: xray(dynamo), documents: xray(documents), s3: xray(s3), sfn: xray(sfn), secrets: xray(secrets) },
}));
`;

interface Subsegment {
  name: string;
  trace_id: string;
  namespace?: string;
  aws?: { operation?: string; table_name?: string; bucket_name?: string };
}

describe('the shared SDK clients under X-Ray', () => {
  let aws: TestAws;
  const daemon = createSocket('udp4');
  const datagrams: string[] = [];

  beforeAll(async () => {
    aws = await startTestAws();
    daemon.on('message', (message) => datagrams.push(message.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    daemon.close();
    await aws.stop();
  });

  async function callAs(env: Record<string, string>) {
    datagrams.length = 0;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', CALLS], {
      cwd: process.cwd(),
      env: { ...process.env, ...aws.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
      timeout: 60_000,
    });
    // The subsegments go out as each call ends; give the last datagram time to land.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { nama?: string; xray: Record<string, number> };
  }

  it('sends each call of a traced Lambda to the daemon as a subsegment of its trace, without the values', async () => {
    const daemonAddress = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
    const result = await callAs({
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: process.cwd(),
      AWS_LAMBDA_FUNCTION_NAME: 'dtks-test',
      _X_AMZN_TRACE_ID: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
      AWS_XRAY_DAEMON_ADDRESS: daemonAddress,
    });
    expect(result.nama).toBe(NAME);
    // Each client instrumented once: the document client shares the DynamoDB client's middleware stack.
    expect(result.xray).toEqual({ dynamo: 1, documents: 1, s3: 1, sfn: 1, secrets: 1 });

    const subsegments = datagrams.map((datagram) => JSON.parse(datagram.split('\n')[1] ?? '{}') as Subsegment);
    expect(subsegments.map(({ name, aws }) => `${name} ${aws?.operation}`).sort()).toEqual([
      'DynamoDB GetItem',
      'DynamoDB PutItem',
      'S3 PutObject',
    ]);
    for (const subsegment of subsegments) {
      expect(subsegment).toMatchObject({ trace_id: ROOT, namespace: 'aws' });
    }
    expect(subsegments.find(({ name }) => name === 'DynamoDB')?.aws?.table_name).toBe(aws.names.tables.population);
    // X-Ray records the table, the bucket and the key, never the item: no NIK, no name.
    for (const datagram of datagrams) {
      expect(datagram).not.toContain(NIK);
      expect(datagram).not.toContain(NAME);
    }
  });

  it('leaves the clients untouched outside Lambda: the local environment and the CLI trace nothing', async () => {
    const result = await callAs({});
    expect(result.nama).toBe(NAME);
    expect(result.xray).toEqual({ dynamo: 0, documents: 0, s3: 0, sfn: 0, secrets: 0 });
    expect(datagrams).toEqual([]);
  });
});
