/** The public endpoint's logs: what it did, never whom it was about. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { callRegistrations, family, type Handler } from '../../support/registrations.ts';

let aws: TestAws;
let api: Handler;

beforeAll(async () => {
  // Before the handler (and its logger) is imported: every line it writes, not only warnings.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  aws = await startTestAws();
  ({ handler: api } = (await import('../../../functions/registrations-api/handler.ts')) as { handler: Handler });
});
afterAll(() => aws.stop());

it('carry no NIK, No. KK, name or receipt of a registration, accepted, refused or looked up', async () => {
  const written: string[] = [];
  const [stdout, stderr] = [process.stdout.write, process.stderr.write];
  const capture = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  const members = family({ serial: 25 });
  let receipt = '';
  try {
    receipt = (await callRegistrations(api, 'register', { body: { members } })).body.receipt as string;
    await callRegistrations(api, 'register', { body: { members: [{ ...members[0], rt: 'x' }] } });
    await callRegistrations(api, 'lookup', { receipt, nik: members[0]!.nik });
    await callRegistrations(api, 'lookup', { receipt, nik: family({ serial: 26 })[0]!.nik });
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  const logs = written.join('');
  expect(logs).toContain('Registration received');
  for (const secret of [receipt, members[0]!.nik, members[0]!.no_kk, members[0]!.nama, members[1]!.nik, 'JL. MAWAR']) {
    expect(logs).not.toContain(secret);
  }
});
