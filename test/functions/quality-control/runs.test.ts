/**
 * One quality control run of a period at a time, the newest the one that screens (functions/shared/
 * quality-control-runs.ts) against the emulators: a newer run waits while the lease is held, an older one is
 * superseded, a retry of the holder goes on, a holder superseded on its retry lets the newer one in, a
 * lease never given back expires, and the handler refuses to list regencies for a superseded or busy run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_MS, type QualityControlRuns } from '#shared/quality-control-runs.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

let aws: TestAws;
let runs: QualityControlRuns;
const run = (executionId: string, startedAt: string, period = '2026-12') => ({ period, executionId, startedAt });

beforeAll(async () => {
  aws = await startTestAws();
  const [{ QualityControlRuns: Runs }, { documents }] = await Promise.all([
    import('#shared/quality-control-runs.ts'),
    import('#shared/clients.ts'),
  ]);
  runs = new Runs(documents, aws.names.tables.proposals);
});
afterAll(() => aws?.stop());

describe('the quality control runs of a period', () => {
  it('lets one run hold the period, keeps a newer one waiting and ends an older one', async () => {
    const first = run('exec-a', '2026-12-01T01:00:00.000Z');
    const newer = run('exec-b', '2026-12-01T02:00:00.000Z');
    expect(await runs.claim(first)).toBe('HELD');
    // The holder's own retry of the step goes on.
    expect(await runs.claim(first)).toBe('HELD');
    expect(await runs.claim(newer)).toBe('BUSY');
    expect(await runs.claim(run('exec-old', '2026-11-30T23:00:00.000Z'))).toBe('SUPERSEDED');
    await runs.release(first);
    expect(await runs.claim(newer)).toBe('HELD');
    await runs.release(newer);
  });

  it('lets the newer run in when the holder, retried, finds itself superseded', async () => {
    const holder = run('exec-c', '2026-12-02T01:00:00.000Z');
    const newer = run('exec-d', '2026-12-02T02:00:00.000Z');
    expect(await runs.claim(holder)).toBe('HELD');
    expect(await runs.claim(newer)).toBe('BUSY');
    expect(await runs.claim(holder)).toBe('SUPERSEDED');
    expect(await runs.claim(newer)).toBe('HELD');
    await runs.release(newer);
  });

  it('takes over a lease its holder never gave back once it expired, and keeps runs of other periods apart', async () => {
    const dead = run('exec-e', '2026-12-03T01:00:00.000Z', '2027-01');
    const next = run('exec-f', '2026-12-03T02:00:00.000Z', '2027-01');
    expect(await runs.claim(dead, new Date('2026-12-03T01:00:00.000Z'))).toBe('HELD');
    expect(await runs.claim(run('exec-g', '2026-12-03T01:30:00.000Z', '2027-02'))).toBe('HELD');
    expect(await runs.claim(next, new Date('2026-12-03T02:00:00.000Z'))).toBe('BUSY');
    const later = new Date(Date.parse('2026-12-03T01:00:00.000Z') + LEASE_MS + 1);
    expect(await runs.claim(next, later)).toBe('HELD');
  });

  it('writes no file of a period whose stipulation has started: its manifest takes the summary that stands', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { handler: screen } = await import('../../../functions/quality-control-screen/handler.ts');
    const { handler: summarise } = await import('../../../functions/quality-control-summarise/handler.ts');
    const { handler: list } = await import('../../../functions/quality-control-regencies/handler.ts');
    expect(await runs.stipulationStarted('2027-04')).toBe(false);
    // The stipulation's first step fixes the period's collection (PERIOD#<p>, COLLECTION).
    await aws.clients.documents.send(
      new PutCommand({
        TableName: aws.names.tables.proposals,
        Item: { pk: 'PERIOD#2027-04', sk: 'COLLECTION', period: '2027-04', collectedAt: '2027-05-01T01:00:00Z' },
      }),
    );
    expect(await runs.stipulationStarted('2027-04')).toBe(true);
    const closed = { name: 'QualityControlClosedError', message: expect.stringContaining('Penetapan periode 2027-04') };
    await expect(screen({ period: '2027-04', regency: '3371' }, {} as never)).rejects.toMatchObject(closed);
    await expect(list({ period: '2027-04' }, {} as never)).rejects.toMatchObject(closed);
    await expect(
      summarise({ period: '2027-04', regenciesKey: 'stipulation/2027-04/quality-control/regencies.json' }, {} as never),
    ).rejects.toMatchObject({ name: 'QualityControlIncompleteError' });
  });

  it('lists no regency for a superseded run, and makes a busy one wait (QualityControlRunningError)', async () => {
    const { handler } = await import('../../../functions/quality-control-regencies/handler.ts');
    const list = (executionId: string, startedAt: string) =>
      handler({ period: '2027-03', executionId, startedAt }, {} as never) as Promise<{ superseded: boolean }>;
    expect((await list('exec-h', '2026-12-04T01:00:00.000Z')).superseded).toBe(false);
    await expect(list('exec-i', '2026-12-04T02:00:00.000Z')).rejects.toMatchObject({
      name: 'QualityControlRunningError',
    });
    expect(await list('exec-j', '2026-12-04T00:30:00.000Z')).toMatchObject({ superseded: true, regencies: 0 });
  });
});
