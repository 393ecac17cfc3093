/**
 * The stipulation tests' synthetic persons and change sets: a MasterPerson i of one regency, the change
 * set line that adds, changes or removes it, the master seeded with persons as an earlier period left
 * them, and the shards' change sets as ResolveShards writes them. What a test varies (regency, birth
 * year, sex, family card series, birthplace, street, decile) is an option; the defaults are the values
 * most of the tests used.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { encodeNik } from '#core/nik.ts';
import type { MasterPerson, ProposalRow } from '#core/proposal.ts';
import type { ProposalSource } from '#core/source.ts';
import { applyChange, changeFromRow, type MasterRecord, type StipulationChange, shardOf } from '#core/stipulation.ts';
import { batchWrite } from '#shared/batch-writer.ts';
import { type ChangeSetShard, KEYS } from '#shared/contracts.ts';
import type { TestAws } from './aws.ts';

/** Birth days per NIK serial: person i is born `i % DAYS_PER_SERIAL` days after the first birth date. */
const DAYS_PER_SERIAL = 3000;

export interface SyntheticPersonOptions {
  /** The regency (4 digits); the district is its first, the village its 1001st of that district. */
  regency?: string;
  /** The year person 0 was born (1 January); person i a day later per i. */
  bornIn?: number;
  sex?: 'L' | 'P';
  /** The digit of the family card number between the district's code and the person's number. */
  kkSeries?: string;
  birthplace?: string;
  /** The street of `alamat`: Jl. <street> <i>. */
  street?: string;
  desil?: string;
}

/** Person i: a NIK unique over (birth day, serial), its own family card, head of its family. */
export function syntheticMasterPerson(
  i: number,
  {
    regency = '3371',
    bornIn = 1970,
    sex = 'P',
    kkSeries = '2',
    birthplace = 'Magelang',
    street = 'Pahlawan',
    desil = '',
  }: SyntheticPersonOptions = {},
): MasterPerson {
  const birthDate = new Date(Date.UTC(bornIn, 0, 1) + (i % DAYS_PER_SERIAL) * 86_400_000).toISOString().slice(0, 10);
  return {
    nik: encodeNik({ district: `${regency}01`, birthDate, sex, serial: Math.floor(i / DAYS_PER_SERIAL) + 1 }),
    noKk: `${regency}010101${kkSeries}${String(i).padStart(5, '0')}`,
    nama: `Warga ${i}`,
    jenisKelamin: sex,
    tempatLahir: birthplace,
    tanggalLahir: birthDate,
    namaIbuKandung: `Ibu ${i}`,
    hubunganKeluarga: 'KEPALA_KELUARGA',
    statusPerkawinan: 'KAWIN',
    alamat: `Jl. ${street} ${i}`,
    rt: '001',
    rw: '002',
    kodeDesa: `${regency}011001`,
    pekerjaan: '',
    penghasilanBulanan: '',
    desil,
  } as MasterPerson;
}

export type ChangeAction = 'TAMBAH' | 'UBAH' | 'HAPUS';

export interface ChangeOptions {
  period: string;
  proposalId: string;
  source?: ProposalSource;
}

/** The change set line `line` of a proposal's row: TAMBAH and UBAH upsert, HAPUS deactivates (a death). */
export function stipulationChange(
  line: number,
  action: ChangeAction,
  person: MasterPerson,
  { period, proposalId, source = 'MUSDES' }: ChangeOptions,
): StipulationChange {
  return {
    nik: person.nik,
    kind: action === 'HAPUS' ? 'DEACTIVATE' : 'UPSERT',
    action,
    reason: action === 'HAPUS' ? 'MENINGGAL' : '',
    person,
    proposalId,
    source,
    line,
    period,
  };
}

/** The master as `period` left it: each person added (TAMBAH) by that period's proposal "seed". */
export async function seedMaster(aws: TestAws, persons: readonly MasterPerson[], period: string): Promise<void> {
  const seeded: MasterRecord[] = [];
  for (const [i, each] of persons.entries()) {
    const record = applyChange(undefined, stipulationChange(i + 1, 'TAMBAH', each, { period, proposalId: 'seed' }));
    if (record !== 'UNCHANGED') seeded.push(record);
  }
  await putMasterRecords(aws, seeded);
}

/** The master record a proposal row makes when `period`'s proposal "seed" adds it (as the stipulation applies it). */
export function seededRecord(seed: ProposalRow, period: string, source?: ProposalSource): MasterRecord {
  const result = applyChange(undefined, changeFromRow(seed, 'seed', period, source));
  if (result === 'UNCHANGED') throw new Error('seed record not created');
  return result;
}

/** Writes master records as they are (BatchWriteItem). */
export async function putMasterRecords(aws: TestAws, records: readonly MasterRecord[]): Promise<void> {
  await batchWrite(
    aws.clients.documents,
    aws.names.tables.master,
    records.map((Item) => ({ PutRequest: { Item: { ...Item } } })),
  );
}

/**
 * The changes split by core's shardOf into `shards` change sets (KEYS.changeSetShard, NDJSON) in the
 * proposals bucket, as ResolveShards writes them; the shards written, in order. A shard without changes
 * is written empty, or left out with `skipEmpty`.
 */
export async function writeChangeSetShards(
  aws: TestAws,
  period: string,
  changes: readonly StipulationChange[],
  shards: number,
  { skipEmpty = false }: { skipEmpty?: boolean } = {},
): Promise<ChangeSetShard[]> {
  const written: ChangeSetShard[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const own = changes.filter((each) => shardOf(each.nik, shards) === shard);
    if (skipEmpty && !own.length) continue;
    const changeSetKey = KEYS.changeSetShard(period, shard);
    await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.names.buckets.proposals,
        Key: changeSetKey,
        Body: own.map((line) => `${JSON.stringify(line)}\n`).join(''),
      }),
    );
    written.push({ shard, changeSetKey, changes: own.length });
  }
  return written;
}
