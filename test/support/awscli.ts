/**
 * The AWS CLI as a real client of the local environment: installed from Debian when the machine lacks
 * it (as root, like CI), run with ordinary dummy credentials and none of the developer's own profile.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a developer types: any key works locally. */
export const DUMMY_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } as const;

function awsCliAvailable(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's awscli when missing; says plainly when it cannot. */
export function ensureAwsCli(): void {
  if (awsCliAvailable()) return;
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'awscli'], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`The AWS CLI is missing and "apt-get install awscli" failed: ${(error as Error).message}`);
  }
  if (!awsCliAvailable()) throw new Error('The AWS CLI is still not on PATH after installing Debian awscli');
}

export function aws(args: string[], region = 'ap-southeast-3') {
  return run('aws', args, {
    env: {
      ...process.env,
      ...DUMMY_CREDENTIALS,
      AWS_DEFAULT_REGION: region,
      AWS_REGION: region,
      AWS_PAGER: '',
      // The CLI must not read a developer's own profile or config.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  });
}

/** `aws s3api …` and the like, answering the parsed JSON output. */
export async function awsJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const { stdout } = await aws([...args, '--output', 'json']);
  return (stdout.trim() ? JSON.parse(stdout) : {}) as T;
}
