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
});
