/**
 * The Node.js versions are stated once and honestly: .nvmrc is the Lambda runtime's major version,
 * package.json's engines start at the SDK's floor (its releases after January 2027 need Node >= 22)
 * and include that runtime, and the CLI no longer hides the SDK's warning to users of an older Node.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DTKS_RUNTIME } from '../../infra/constructs/dtks-function.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** The oldest Node the AWS SDK for JavaScript v3 supports after its January 2027 releases. */
const SDK_FLOOR = 22;

const runtimeMajor = Number(/^nodejs(\d+)\.x$/.exec(DTKS_RUNTIME.name)?.[1]);

/** The lowest major version a `>=X.Y` or `^X.Y || ...` range admits. */
function lowestMajor(range: string): number {
  return Math.min(...[...range.matchAll(/(?:>=|\^|~)?\s*(\d+)(?:\.\d+){0,2}/g)].map((m) => Number(m[1])));
}

describe('Node.js versions', () => {
  it('.nvmrc names the Lambda runtime and engines run from the SDK floor up to it', async () => {
    expect(runtimeMajor).toBeGreaterThanOrEqual(SDK_FLOOR);
    const nvmrc = (await readFile(join(ROOT, '.nvmrc'), 'utf8')).trim();
    expect(nvmrc).toBe(String(runtimeMajor));
    const { engines } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(lowestMajor(engines.node)).toBe(SDK_FLOOR);
    expect(engines.node).toMatch(/^>=\d+(\.\d+){0,2}$/); // open above: the runtime and later releases
  });

  it('the CLI leaves the SDK its Node-version warning', async () => {
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _hidden, ...env } = process.env;
    // Load the CLI as bin/dtks.js does, then make an SDK client as its commands do.
    const script = [
      "const { register } = await import('tsx/esm/api'); register();",
      "await import('./cli/main.ts');",
      "const { S3Client } = await import('@aws-sdk/client-s3'); new S3Client({ region: 'ap-southeast-3' });",
      'console.log(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? "unset");',
    ].join('\n');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env,
    });
    expect(stdout.trim()).toBe('unset');
    const major = Number(process.versions.node.split('.')[0]);
    if (major < SDK_FLOOR) expect(stderr).toContain('NodeVersionSupportWarning');
    else expect(stderr).not.toContain('NodeVersionSupportWarning');
  });
});
