/**
 * The emulators in their own process (local/emulator-host.ts), as the local environment runs them: a
 * child that serves DynamoDB and S3, keeps its data dir across a restart, reports the objects it
 * creates, ignores the terminal's Ctrl-C (the parent stops it, last), ends with stop(), and whose
 * unexpected end is reported instead of waited on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorExit, type EmulatorProcess, startEmulatorProcess } from '#local/emulator-host.ts';
import { LOCAL_AWS } from '#local/emulators.ts';
import type { ObjectCreated } from '#local/s3/server.ts';
import { isAlive } from '../support/processes.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dtks-emulator-host-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const clients = (emulators: EmulatorProcess) => ({
  dynamo: new DynamoDBClient({ ...LOCAL_AWS, endpoint: emulators.dynamoEndpoint, maxAttempts: 1 }),
  s3: new S3Client({ ...LOCAL_AWS, endpoint: emulators.s3Endpoint, forcePathStyle: true, maxAttempts: 1 }),
});

const exitOf = (emulators: EmulatorProcess) =>
  new Promise<EmulatorExit>((resolve) => emulators.onExit((exit) => resolve(exit)));

describe('the emulators in their own process', () => {
  it('serve DynamoDB and S3 from a child, keep the data dir across a restart on the same ports, and end with stop()', async () => {
    let emulators = await startEmulatorProcess({ dataDir });
    expect(emulators.pid).not.toBe(process.pid);
    expect(isAlive(emulators.pid)).toBe(true);
    let { dynamo, s3 } = clients(emulators);
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'kept',
        AttributeDefinitions: [{ AttributeName: 'nik', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'nik', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamo.send(new PutItemCommand({ TableName: 'kept', Item: { nik: { S: '3371010101900001' } } }));
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv', Body: 'satu' }));
    const ports = { dynamo: new URL(emulators.dynamoEndpoint).port, s3: new URL(emulators.s3Endpoint).port };
    dynamo.destroy();
    s3.destroy();
    const first = emulators.pid;
    await emulators.stop();
    expect(isAlive(first)).toBe(false);

    emulators = await startEmulatorProcess({ dataDir, dynamoPort: Number(ports.dynamo), s3Port: Number(ports.s3) });
    ({ dynamo, s3 } = clients(emulators));
    try {
      expect(emulators.pid).not.toBe(first);
      expect({ dynamo: new URL(emulators.dynamoEndpoint).port, s3: new URL(emulators.s3Endpoint).port }).toEqual(ports);
      const item = await dynamo.send(
        new GetItemCommand({ TableName: 'kept', Key: { nik: { S: '3371010101900001' } } }),
      );
      expect(item.Item?.nik?.S).toBe('3371010101900001');
      const object = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'a+b c.csv' }));
      expect(await object.Body?.transformToString()).toBe('satu');
    } finally {
      dynamo.destroy();
      s3.destroy();
      await emulators.stop();
    }
  });

  it('reports each object created over the channel, all of them by the time flush() resolves', async () => {
    const emulators = await startEmulatorProcess();
    const { s3 } = clients(emulators);
    try {
      const created: ObjectCreated[] = [];
      emulators.onObjectCreated((event) => created.push(event));
      await s3.send(new CreateBucketCommand({ Bucket: 'reported' }));
      for (const key of ['proposals/3371/2026-11/a.csv', 'proposals/3371/2026-11/b c+d.csv']) {
        await s3.send(new PutObjectCommand({ Bucket: 'reported', Key: key, Body: 'x' }));
      }
      await emulators.flush();
      expect(created.map(({ bucket, key, reason }) => [bucket, key, reason])).toEqual([
        ['reported', 'proposals/3371/2026-11/a.csv', 'PutObject'],
        ['reported', 'proposals/3371/2026-11/b c+d.csv', 'PutObject'],
      ]);
    } finally {
      s3.destroy();
      await emulators.stop();
    }
  });

  it("ignores the terminal's Ctrl-C (SIGINT reaches the whole process group): the parent stops it, last", async () => {
    const emulators = await startEmulatorProcess();
    const { s3 } = clients(emulators);
    try {
      process.kill(emulators.pid, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(isAlive(emulators.pid)).toBe(true);
      await s3.send(new CreateBucketCommand({ Bucket: 'still-there' }));
    } finally {
      s3.destroy();
      await emulators.stop();
    }
    expect(isAlive(emulators.pid)).toBe(false);
  });

  it('reports a crash of the child (log and onExit) instead of hanging: flush() and stop() still resolve', async () => {
    const messages: string[] = [];
    const emulators = await startEmulatorProcess({ log: (message) => messages.push(message) });
    const exited = exitOf(emulators);
    process.kill(emulators.pid, 'SIGKILL');
    const exit = await exited;
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(messages).toEqual([exit.message]);
    expect(exit.message).toContain(`pid ${emulators.pid}`);
    expect(exit.message).toContain('ended unexpectedly');
    await emulators.flush();
    const { s3 } = clients(emulators);
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'gone' }))).rejects.toThrow();
    s3.destroy();
    await emulators.stop();
  });

  it('fails to start, leaving no child behind, when a port asked for is taken', async () => {
    const squatter = await new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      const port = (squatter.address() as { port: number }).port;
      await expect(startEmulatorProcess({ s3Port: port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
