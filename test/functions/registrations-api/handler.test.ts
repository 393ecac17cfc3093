import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECEIPT_PATTERN } from '#core/registration.ts';
import { MAX_REGISTRATION_BYTES } from '#shared/registrations.ts';
import { RegistrationsRepository } from '#shared/registrations-repository.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';
import { callRegistrations, family, type Handler } from '../../support/registrations.ts';

let aws: TestAws;
let api: Handler;

beforeAll(async () => {
  aws = await startTestAws();
  ({ handler: api } = (await import('../../../functions/registrations-api/handler.ts')) as { handler: Handler });
});
afterAll(() => aws.stop());

describe('POST /registrations', () => {
  it('answers 201 with an unguessable receipt and the period the family joins, and stores the family', async () => {
    const members = family({ serial: 11 });
    const { status, body } = await callRegistrations(api, 'register', { body: { members } });
    expect(status).toBe(201);
    expect(body.receipt).toMatch(RECEIPT_PATTERN);
    expect(body.period).toMatch(/^\d{4}-\d{2}$/);
    const stored = await new RegistrationsRepository(aws.clients.documents, aws.names.tables.registrations).get(
      body.receipt as string,
    );
    expect(stored?.members.map((member) => member.nik)).toEqual(members.map((member) => member.nik));
    expect(stored?.gathering).toBe(`3371#${body.period}`);
    const again = await callRegistrations(api, 'register', { body: { members: family({ serial: 12 }) } });
    expect(again.body.receipt).not.toBe(body.receipt);
  });

  it('names each wrong field in Bahasa Indonesia and stores nothing', async () => {
    const members = family({ serial: 13 });
    const [head, wife] = members as unknown as [Record<string, string>, Record<string, string>];
    head.nik = '12345';
    head.rt = 'ab';
    wife.hubungan_keluarga = 'TETANGGA';
    wife.tanggal_lahir = '1983-02-30';
    delete wife.nama_ibu_kandung;
    const { status, body, text } = await callRegistrations(api, 'register', { body: { members } });
    expect(status).toBe(400);
    const issues = body.issues as string[];
    expect(issues).toContain('members.0.nik: NIK harus 16 angka');
    expect(issues).toContain('members.0.rt: RT harus 1–3 angka');
    expect(issues.find((issue) => issue.startsWith('members.1.hubungan_keluarga:'))).toMatch(/harus salah satu dari/);
    expect(issues).toContain('members.1.nama_ibu_kandung: nama ibu kandung wajib diisi');
    expect(issues).toContain('members.1.tanggal_lahir: tanggal lahir harus berbentuk YYYY-MM-DD dan ada di kalender');
    // A message names fields, never the values: nothing of the form comes back.
    expect(text).not.toContain(members[2]!.nik);
    expect(text).not.toContain('BUDI');
  });

  it('refuses a family of several No. KK, regencies, a NIK the rules refuse, an unknown village and more than 20 members', async () => {
    const mixed = [...family({ serial: 14, size: 2 }), ...family({ serial: 15, size: 1, regency: '3372' })];
    const mixedAnswer = await callRegistrations(api, 'register', { body: { members: mixed } });
    expect(mixedAnswer.status).toBe(400);
    expect(mixedAnswer.body.issues).toContain('members: semua anggota harus satu No. KK');
    expect(mixedAnswer.body.issues).toContain('members: semua anggota harus tinggal di satu kabupaten/kota');

    const wrongSex = family({ serial: 16 });
    wrongSex[0]!.jenis_kelamin = 'P';
    wrongSex[2]!.tanggal_lahir = '1999-12-31';
    const wrongAnswer = await callRegistrations(api, 'register', { body: { members: wrongSex } });
    expect(wrongAnswer.body.issues).toContain('members.0.jenis_kelamin: jenis kelamin berbeda dengan NIK');
    expect(wrongAnswer.body.issues).toContain(
      'members.2.tanggal_lahir: tanggal lahir berbeda dengan tanggal lahir pada NIK',
    );

    const unknownPlace = family({ serial: 19 });
    unknownPlace[1]!.kode_desa = '3371999999';
    unknownPlace[2]!.nik = `99${unknownPlace[2]!.nik.slice(2)}`;
    const placeAnswer = await callRegistrations(api, 'register', { body: { members: unknownPlace } });
    expect(placeAnswer.body.issues).toContain('members.1.kode_desa: kode desa/kelurahan tidak dikenal');
    expect(placeAnswer.body.issues).toContain(
      'members.2.nik: NIK tidak valid (kode wilayah, tanggal lahir atau nomor urut salah)',
    );

    const large = await callRegistrations(api, 'register', { body: { members: family({ serial: 17, size: 21 }) } });
    expect(large.status).toBe(400);
    expect(large.body.issues).toContain('members: paling banyak 20 anggota keluarga');
    const notJson = await callRegistrations(api, 'register', { body: '{"members": [' });
    expect(notJson.body.message).toBe('Isi permintaan bukan JSON yang valid');
  });

  it('refuses a body larger than 64 KiB with 413 and a message, before reading it', async () => {
    const members = family({ serial: 18 });
    members[0]!.alamat = 'x'.repeat(MAX_REGISTRATION_BYTES);
    const { status, body } = await callRegistrations(api, 'register', { body: { members } });
    expect(status).toBe(413);
    expect(body.message).toMatch(/terlalu besar \(paling besar 64 KiB\)/);
  });
});

describe('GET /registrations/{receipt}?nik=', () => {
  it('answers the status for the NIK of a member, and the same 404 for a wrong NIK or an unknown receipt, with no names', async () => {
    const members = family({ serial: 21 });
    const { body } = await callRegistrations(api, 'register', { body: { members } });
    const receipt = body.receipt as string;

    const found = await callRegistrations(api, 'lookup', { receipt, nik: members[2]!.nik });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ status: 'RECEIVED', period: body.period });
    for (const member of members) {
      expect(found.text).not.toContain(member.nama);
      expect(found.text).not.toContain(member.nik);
    }

    const stranger = family({ serial: 22 })[0]!.nik;
    const wrongNik = await callRegistrations(api, 'lookup', { receipt, nik: stranger });
    const unknown = await callRegistrations(api, 'lookup', { receipt: 'MDR-AAAAAAAAAAAAAAAA', nik: members[0]!.nik });
    const malformed = await callRegistrations(api, 'lookup', { receipt: 'x', nik: members[0]!.nik });
    expect(wrongNik.status).toBe(404);
    expect(wrongNik.text).toBe(unknown.text);
    expect(malformed.text).toBe(unknown.text);
    expect(wrongNik.text).not.toContain('BUDI');
  });

  it('says a registration was superseded by a later one of the same family, without naming it', async () => {
    const members = family({ serial: 24 });
    const { body } = await callRegistrations(api, 'register', { body: { members } });
    const receipt = body.receipt as string;
    await new RegistrationsRepository(aws.clients.documents, aws.names.tables.registrations).markSuperseded(
      receipt,
      new Date().toISOString(),
    );
    const answer = await callRegistrations(api, 'lookup', { receipt, nik: members[1]!.nik });
    expect(answer.body).toMatchObject({
      status: 'SUPERSEDED',
      message: expect.stringMatching(/tanda terima yang terbaru/),
    });
    expect(answer.text).not.toContain('MDR-');
  });

  it('follows the proposal a registration was gathered into, in words a citizen understands', async () => {
    const members = family({ serial: 23 });
    const { body } = await callRegistrations(api, 'register', { body: { members } });
    const receipt = body.receipt as string;
    await new RegistrationsRepository(aws.clients.documents, aws.names.tables.registrations).markGathered(
      receipt,
      '3371-2026-11-abc',
      new Date().toISOString(),
    );
    const gathered = await callRegistrations(api, 'lookup', { receipt, nik: members[0]!.nik });
    expect(gathered.body.status).toBe('GATHERED');
    await aws.clients.documents.send(
      new PutCommand({
        TableName: aws.names.tables.proposals,
        Item: { pk: 'PROPOSAL#3371-2026-11-abc', sk: 'META', status: 'STIPULATED' },
      }),
    );
    const stipulated = await callRegistrations(api, 'lookup', { receipt, nik: members[0]!.nik });
    expect(stipulated.body).toMatchObject({ status: 'STIPULATED', message: 'Usulan sudah ditetapkan masuk DTKS' });
  });
});
