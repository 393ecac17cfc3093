import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PseudonymKeyMissingError, pseudonymKeyLoader } from '#shared/exports/pseudonym-key.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SECRET_ARN = 'arn:aws:secretsmanager:ap-southeast-3:000000000000:secret:dtks-pseudonym-key';

/** A loopback Secrets Manager answering GetSecretValue (JSON 1.1 protocol) from a map of secrets. */
let server: Server;
let client: SecretsManagerClient;
const secrets = new Map<string, string>();
let calls = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      calls++;
      const target = request.headers['x-amz-target'];
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const value = secrets.get(SecretId);
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'secretsmanager.GetSecretValue' || value === undefined) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }));
        return;
      }
      response.end(JSON.stringify({ ARN: SecretId, Name: 'dtks-pseudonym-key', SecretString: value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'ap-southeast-3',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('pseudonymKeyLoader', () => {
  it('fetches the key from Secrets Manager once per cold start', async () => {
    secrets.set(SECRET_ARN, 'key-from-secrets-manager');
    calls = 0;
    const load = pseudonymKeyLoader(client, { PSEUDONYM_KEY_SECRET_ARN: SECRET_ARN, PSEUDONYM_KEY: 'ignored' });
    expect(await load()).toBe('key-from-secrets-manager');
    expect(await load()).toBe('key-from-secrets-manager');
    expect(calls).toBe(1);
  });

  it('uses PSEUDONYM_KEY when no secret is configured (the local environment)', async () => {
    calls = 0;
    expect(await pseudonymKeyLoader(client, { PSEUDONYM_KEY: 'local-key' })()).toBe('local-key');
    expect(calls).toBe(0);
  });

  it('fails naming PSEUDONYM_KEY when neither is configured', async () => {
    await expect(pseudonymKeyLoader(client, {})()).rejects.toThrow(/PSEUDONYM_KEY/);
  });

  it('fails with PseudonymKeyMissingError for an empty secret, and tries again on the next call', async () => {
    secrets.set(`${SECRET_ARN}-empty`, '  ');
    const load = pseudonymKeyLoader(client, { PSEUDONYM_KEY_SECRET_ARN: `${SECRET_ARN}-empty` });
    await expect(load()).rejects.toThrow(PseudonymKeyMissingError);
    secrets.set(`${SECRET_ARN}-empty`, 'filled-later');
    expect(await load()).toBe('filled-later');
  });
});
