/**
 * The key of the pseudonymised tier's HMAC. On AWS it lives in Secrets Manager
 * (PSEUDONYM_KEY_SECRET_ARN) and is fetched once per cold start; the local environment, which has no
 * Secrets Manager, passes the key itself in PSEUDONYM_KEY. The key never changes between periods: a
 * new key would give every person a new pseudonym and break analysts' series.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readConfig } from '../config.ts';
import { ENV } from '../contracts.ts';

/** The secret exists but holds no usable key. */
export class PseudonymKeyMissingError extends Error {
  override readonly name = 'PseudonymKeyMissingError';
  constructor(secretArn: string) {
    super(`Kunci pseudonimisasi di ${secretArn} kosong: ekspor data terpseudonimisasi tidak dapat dibuat`);
  }
}

/**
 * A loader that fetches the key on first use and then returns the same promise (once per cold start).
 * A failed fetch is not remembered, so the next invocation tries again.
 */
export function pseudonymKeyLoader(
  secrets: SecretsManagerClient,
  env: Record<string, string | undefined> = process.env,
): () => Promise<string> {
  let key: Promise<string> | undefined;
  return () => {
    key ??= fetchKey(secrets, env).catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  };
}

async function fetchKey(secrets: SecretsManagerClient, env: Record<string, string | undefined>): Promise<string> {
  const secretArn = env[ENV.pseudonymKeySecretArn]?.trim();
  if (!secretArn) return readConfig(['pseudonymKey'], env).pseudonymKey;
  const { SecretString, SecretBinary } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = SecretString ?? (SecretBinary ? Buffer.from(SecretBinary).toString('utf8') : '');
  if (!value.trim()) throw new PseudonymKeyMissingError(secretArn);
  return value;
}
