import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckedRow } from '#core/integrity.ts';
import { claimAcceptedRows } from '#shared/claim-check.ts';
import { DynamoClaimRegistry } from '#shared/claims-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { World } from '../../support/world.ts';

let aws: TestAws;
let claims: DynamoClaimRegistry;
const world = new World();

const accepted = (overrides = {}): CheckedRow => ({
  row: { ...world.row(), line: 1, ...overrides },
  codes: [],
  accepted: true,
});

beforeAll(async () => {
  aws = await startTestAws();
  claims = new DynamoClaimRegistry(aws.clients.documents, aws.names.tables.claims);
});

afterAll(async () => {
  await aws?.stop();
});

describe('claims of accepted rows (the race the check cannot see)', () => {
  it('returns the row with FAMILY_OVERLAP when another proposal claimed the person for another family first', async () => {
    const row = accepted();
    const otherFamily = world.kk();
    expect(await claims.take('earlier', [{ nik: row.row.nik, noKk: otherFamily }])).toEqual(new Map());
    const result = await claimAcceptedRows(claims, 'later', [{ ...row, codes: ['MOVED_DOMICILE'] }]);
    expect(result.lost).toBe(1);
    expect(result.batch[0]).toMatchObject({ accepted: false, codes: ['FAMILY_OVERLAP', 'MOVED_DOMICILE'] });
    expect((await claims.findClaims([row.row.nik], 'nobody')).get(row.row.nik)?.proposalId).toBe('earlier');
  });

  it('keeps the row accepted when the earlier claim puts the person in the same family', async () => {
    const row = accepted();
    await claims.take('earlier', [{ nik: row.row.nik, noKk: row.row.noKk }]);
    const result = await claimAcceptedRows(claims, 'later', [row]);
    expect(result).toEqual({ batch: [row], lost: 0 });
  });

  it('claims free NIKs of accepted TAMBAH/UBAH rows only, and re-takes its own claims on a retry', async () => {
    const tambah = accepted();
    const hapus = accepted({ aksi: 'HAPUS', alasan: 'PINDAH' });
    const refused: CheckedRow = { ...accepted(), accepted: false, codes: ['NIK_NOT_FOUND'] };
    for (let run = 0; run < 2; run++) {
      const result = await claimAcceptedRows(claims, 'mine', [tambah, hapus, refused]);
      expect(result.lost).toBe(0);
    }
    const held = await claims.findClaims([tambah.row.nik, hapus.row.nik, refused.row.nik], 'someone-else');
    expect([...held.keys()]).toEqual([tambah.row.nik]);
    expect(await claims.release('mine', [tambah.row.nik])).toBe(1);
    expect((await claims.findClaims([tambah.row.nik], 'someone-else')).size).toBe(0);
  });

  it('decides each claim on its own in batches of more than one transaction: only the held ones are lost', async () => {
    const people = Array.from({ length: 250 }, () => ({ nik: world.nik(), noKk: world.kk() }));
    // Another proposal holds every eighth person, under its own family for them.
    const held = people.filter((_, i) => i % 8 === 3).map(({ nik }) => ({ nik, noKk: world.kk() }));
    expect(await claims.take('holder', held)).toEqual(new Map());
    const lost = await claims.take('taker', people);
    expect([...lost.values()].sort((a, b) => a.nik.localeCompare(b.nik))).toEqual(
      held.map((claim) => ({ ...claim, proposalId: 'holder' })).sort((a, b) => a.nik.localeCompare(b.nik)),
    );
    const all = await claims.findClaims(
      people.map(({ nik }) => nik),
      'nobody',
    );
    expect([...all.values()].filter(({ proposalId }) => proposalId === 'taker')).toHaveLength(250 - held.length);
    // A retry takes its own claims again and loses the same ones.
    expect((await claims.take('taker', people)).size).toBe(held.length);
    // Release frees the taker's claims only.
    expect(await claims.release('taker', [...people.map(({ nik }) => nik), people[0]!.nik])).toBe(250 - held.length);
    const left = await claims.findClaims(
      people.map(({ nik }) => nik),
      'nobody',
    );
    expect([...left.keys()].sort()).toEqual(held.map(({ nik }) => nik).sort());
  });

  it('gives every person to exactly one of two proposals claiming them at the same moment', async () => {
    const people = Array.from({ length: 300 }, () => ({ nik: world.nik(), noKk: world.kk() }));
    const reversed = [...people].reverse();
    const [lostByA, lostByB] = await Promise.all([claims.take('A', people), claims.take('B', reversed)]);
    const holders = await claims.findClaims(
      people.map(({ nik }) => nik),
      'nobody',
    );
    expect(holders.size).toBe(300);
    for (const { nik } of people) {
      const holder = holders.get(nik)?.proposalId;
      expect(lostByA.has(nik)).toBe(holder === 'B');
      expect(lostByB.has(nik)).toBe(holder === 'A');
    }
  });
});
