/**
 * dtks guard and dtks snapshot verify refuse what they cannot do in one line of the user's language,
 * exit code 2, before anything is sent: no note for an answer, a month that is not one, an unknown verb,
 * an argument verify does not take. (What they do is tested in test/functions/stipulation/guard.test.ts,
 * test/cli/snapshot-verify.test.ts and the demo.)
 */
import { describe, expect, it } from 'vitest';
import { dtks, STACK_FRAME } from './dtks.ts';

async function refused(args: string[]): Promise<string> {
  const run = await dtks(args);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).not.toMatch(STACK_FRAME);
  return run.stderr.trim();
}

describe('dtks guard', () => {
  it('asks for the why of an answer, in Bahasa Indonesia and in English', async () => {
    expect(await refused(['guard', 'approve', '--period', '2026-11'])).toContain('--note wajib diisi');
    expect(await refused(['guard', 'hold', '--period', '2026-11', '--note', '  ', '--lang', 'en'])).toContain(
      '--note is required',
    );
  });

  it('names a month that is not one, a missing --period and an unknown verb', async () => {
    expect(await refused(['guard', 'approve', '--period', '2026-13', '--note', 'x'])).toContain('2026-13');
    expect(await refused(['guard', 'approve', '--note', 'x'])).toContain('--period');
    expect(await refused(['guard', 'setujui', '--period', '2026-11'])).toContain(
      'perintah guard "setujui" tidak dikenal',
    );
  });
});

describe('dtks snapshot verify', () => {
  it('takes no argument but its options', async () => {
    expect(await refused(['snapshot', 'verify', '2026-11'])).toContain('gunakan --period YYYY-MM');
    expect(await refused(['snapshot', 'verify', '--period', '11-2026'])).toContain('11-2026');
  });
});
