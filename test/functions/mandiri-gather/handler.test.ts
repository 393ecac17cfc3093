import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProposal } from '#core/proposal-reader.ts';
import { MANDIRI_PROPOSAL_COLUMNS } from '#core/registration.ts';
import { KEYS, type MandiriGatherOutput } from '#shared/contracts.ts';
import { gatheringKey, RegistrationsRepository } from '#shared/registrations-repository.ts';
import { parseUploadKey, proposalIdFor } from '#shared/uploads.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { lambdaContext } from '../../support/lambda.ts';
import { family, type Handler } from '../../support/registrations.ts';

let aws: TestAws;
let gather: (input: unknown) => Promise<MandiriGatherOutput>;
let repository: RegistrationsRepository;

beforeAll(async () => {
  aws = await startTestAws();
  const { handler } = (await import('../../../functions/mandiri-gather/handler.ts')) as { handler: Handler };
  gather = async (input) => (await handler(input, lambdaContext('dtks-mandiri-gather'))) as MandiriGatherOutput;
  repository = new RegistrationsRepository(aws.clients.documents, aws.names.tables.registrations);
});
afterAll(() => aws.stop());

async function register(receipt: string, regency: string, period: string, serial: number, size = 3, day = serial) {
  await repository.create({
    receipt,
    regency,
    period,
    gathering: gatheringKey(regency, period),
    receivedAt: new Date(Date.UTC(2026, 9, day)).toISOString(),
    members: family({ serial, size, regency }),
  });
}

async function text(key: string): Promise<string> {
  const answer = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.names.buckets.proposals, Key: key }));
  return answer.Body!.transformToString('utf-8');
}

describe('MandiriGather', () => {
  it('writes one contract-shaped MANDIRI file per regency and period, and marks each registration with its proposal', async () => {
    await register('MDR-AAAAAAAAAAAAAAA2', '3371', '2026-10', 1);
    await register('MDR-AAAAAAAAAAAAAAA3', '3371', '2026-10', 2, 2);
    await register('MDR-AAAAAAAAAAAAAAA4', '3372', '2026-10', 3, 1);
    await register('MDR-AAAAAAAAAAAAAAA5', '3371', '2026-11', 4); // next month: not gathered now

    const output = await gather({ period: '2026-10' });
    expect(
      output.gathered.map(({ regency, rows, registrations, written }) => ({ regency, rows, registrations, written })),
    ).toEqual([
      { regency: '3371', rows: 5, registrations: 2, written: true },
      { regency: '3372', rows: 1, registrations: 1, written: true },
    ]);
    const first = output.gathered[0]!;
    expect(first.key).toBe('mandiri/3371/2026-10/pendaftaran-mandiri-2026-10.csv');
    expect(parseUploadKey(first.key)).toMatchObject({
      valid: true,
      source: 'MANDIRI',
      regency: '3371',
      period: '2026-10',
    });

    const file = await text(first.key);
    expect(file.split('\r\n')[0]).toBe(MANDIRI_PROPOSAL_COLUMNS.join(','));
    const rows = [];
    for await (const batch of readProposal([new TextEncoder().encode(file)])) rows.push(...batch);
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((row) => row.aksi))).toEqual(new Set(['TAMBAH']));
    expect(rows.map((row) => row.nik)).toEqual(
      [...family({ serial: 1 }), ...family({ serial: 2, size: 2 })].map((m) => m.nik),
    );

    // The proposal id Ingest will derive from the object's version.
    const versions = await aws.clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: aws.names.buckets.proposals, Prefix: first.key }),
    );
    const version = versions.Versions?.[0]?.VersionId ?? '';
    expect(first.proposalId).toBe(
      proposalIdFor(
        { bucket: aws.names.buckets.proposals, key: first.key, version },
        { regency: '3371', period: '2026-10' },
      ),
    );
    expect((await repository.get('MDR-AAAAAAAAAAAAAAA2'))?.proposalId).toBe(first.proposalId);
    expect((await repository.get('MDR-AAAAAAAAAAAAAAA3'))?.proposalId).toBe(first.proposalId);
    expect((await repository.get('MDR-AAAAAAAAAAAAAAA5'))?.proposalId).toBeUndefined();
  });

  it('writes nothing new on a rerun for the same regency and period, and marks with the same proposal id', async () => {
    const before = await gather({ period: '2026-10', regency: '3371' });
    await register('MDR-AAAAAAAAAAAAAAA6', '3371', '2026-10', 6); // arrived after the file: not in it
    const rerun = await gather({ period: '2026-10', regency: '3371' });
    expect(rerun.gathered).toEqual([{ ...before.gathered[0], written: false }]);
    const versions = await aws.clients.s3.send(
      new ListObjectVersionsCommand({
        Bucket: aws.names.buckets.proposals,
        Prefix: KEYS.upload('MANDIRI', '3371', '2026-10', 'pendaftaran-mandiri-2026-10.csv'),
      }),
    );
    expect(versions.Versions).toHaveLength(1);
    // A registration the file does not hold is never marked with its proposal.
    expect((await repository.get('MDR-AAAAAAAAAAAAAAA6'))?.proposalId).toBeUndefined();
  });

  it('gathers a family that registered again once: the later registration stands, the earlier one is marked superseded', async () => {
    await register('MDR-BBBBBBBBBBBBBBB2', '3373', '2026-10', 41);
    await register('MDR-BBBBBBBBBBBBBBB3', '3373', '2026-10', 42); // another family, registered once
    await register('MDR-BBBBBBBBBBBBBBB4', '3373', '2026-10', 41, 2, 43); // the first family again, corrected
    const output = await gather({ period: '2026-10', regency: '3373' });
    expect(output.gathered[0]).toMatchObject({ registrations: 2, rows: 5 });
    const file = await text(output.gathered[0]!.key);
    // No NIK twice in the file: DUPLICATE_NIK would return both registrations of the family.
    const niks = file
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(',')[1]);
    expect(new Set(niks).size).toBe(niks.length);
    expect(await repository.get('MDR-BBBBBBBBBBBBBBB2')).toMatchObject({ superseded: true });
    expect((await repository.get('MDR-BBBBBBBBBBBBBBB2'))?.proposalId).toBeUndefined();
    expect((await repository.get('MDR-BBBBBBBBBBBBBBB4'))?.proposalId).toBe(output.gathered[0]!.proposalId);
  });

  it('gathers the period whose cut-off has passed when the schedule names none, and nothing for a month without registrations', async () => {
    const output = await gather({ period: '2026-08' });
    expect(output).toEqual({ period: '2026-08', gathered: [] });
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: aws.names.buckets.proposals, Key: 'x', Body: 'x' }));
    const scheduled = await gather({});
    expect(scheduled.period).toMatch(/^\d{4}-\d{2}$/);
  });
});
