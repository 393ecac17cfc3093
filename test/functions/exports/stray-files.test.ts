/**
 * The stray export files of a period (functions/shared/exports/stray-files.ts): which keys are export files
 * by their shape (the keys KEYS writes, and nothing else), and their deletion against the local S3 in
 * batches of at most 1,000 keys (the emulator refuses more, as S3 does).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '#shared/contracts.ts';
import { deleteStrayExportFiles, exportFileFolders, isExportFile } from '#shared/exports/stray-files.ts';
import { listKeys } from '#shared/staging.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

const PERIOD = '2027-05';

describe('isExportFile', () => {
  it('recognises every key KEYS gives an export file, whole or in units', () => {
    for (const unit of [undefined, { part: 1 }, { part: 12 }, { part: 100 }]) {
      for (const key of [
        KEYS.exportPart(PERIOD, '32', '3201', unit),
        KEYS.pseudonymisedPart(PERIOD, '32', '3201', unit),
        KEYS.regencyCsv(PERIOD, '3201', unit),
        KEYS.regencyXlsx(PERIOD, '3201', unit),
        KEYS.exportPartRecord(PERIOD, '3201', unit),
      ]) {
        expect(isExportFile(PERIOD, key), key).toBe(true);
      }
    }
  });

  it("never takes the quality control's files, the manifest, another period's files or other names", () => {
    for (const key of [
      KEYS.trackingList(PERIOD, '3201'),
      KEYS.qualityControlFull(PERIOD, '3201'),
      KEYS.qualityControlCounts(PERIOD),
      KEYS.manifest(PERIOD),
      KEYS.exportPart('2027-04', '32', '3201'),
      KEYS.regencyCsv('2027-06', '3201'),
      KEYS.exportPartRecord('2027-04', '3201'),
      `${KEYS.exportsPrefix}period=${PERIOD}/province=32/BACA-SAYA.txt`,
      `${KEYS.exportsPrefix}period=${PERIOD}/province=32/regency-3201.parquet.tmp`,
      `${KEYS.exportsPrefix}period=${PERIOD}/province=32/regency-3201-salinan.parquet`,
      `${KEYS.exportsPrefix}period=${PERIOD}0/province=32/regency-3201.parquet`,
      `${KEYS.regencyCsvPrefix}period=${PERIOD}/dtks-3201-2027-04.csv`,
      `${KEYS.regencyCsvPrefix}period=${PERIOD}/dtks-3201-${PERIOD}.csv.bak`,
    ]) {
      expect(isExportFile(PERIOD, key), key).toBe(false);
    }
  });

  it('lists each export file under one of the folders FinaliseExport lists', () => {
    const prefixes = exportFileFolders(PERIOD).map((folder) => folder.prefix);
    for (const key of [
      KEYS.exportPart(PERIOD, '32', '3201', { part: 2 }),
      KEYS.pseudonymisedPart(PERIOD, '32', '3201'),
      KEYS.regencyCsv(PERIOD, '3201'),
      KEYS.regencyXlsx(PERIOD, '3201', { part: 2 }),
      KEYS.exportPartRecord(PERIOD, '3201'),
    ]) {
      expect(
        prefixes.filter((prefix) => key.startsWith(prefix)),
        key,
      ).toHaveLength(1);
    }
  });
});

describe('deleteStrayExportFiles', () => {
  let aws: TestAws;
  beforeAll(async () => {
    aws = await startTestAws();
  });
  afterAll(async () => {
    await aws?.stop();
  });

  it('deletes more than 1,000 strays in batches and keeps what it is told to keep', async () => {
    const bucket = aws.names.buckets.exports;
    // 1,005 units' part records of one regency: two DeleteObjects requests.
    const strays = Array.from({ length: 1005 }, (_, i) => KEYS.exportPartRecord(PERIOD, '3201', { part: i + 1 }));
    const kept = [KEYS.exportPartRecord(PERIOD, '3271'), KEYS.exportPart(PERIOD, '32', '3271')];
    const others = [KEYS.trackingList(PERIOD, '3201'), KEYS.manifest(PERIOD)];
    const all = [...strays, ...kept, ...others];
    for (let start = 0; start < all.length; start += 50) {
      await Promise.all(
        all
          .slice(start, start + 50)
          .map((Key) => aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }))),
      );
    }

    const result = await deleteStrayExportFiles(aws.clients.s3, bucket, PERIOD, new Set(kept));

    expect(result).toEqual({ listed: 1005 + 2, deleted: 1005 });
    const left = [
      ...(await listKeys(aws.clients.s3, bucket, `${KEYS.exportsPrefix}period=${PERIOD}/`)),
      ...(await listKeys(aws.clients.s3, bucket, `${KEYS.regencyCsvPrefix}period=${PERIOD}/`)),
    ];
    expect(left.sort()).toEqual([...kept, ...others].sort());
  }, 60_000);
});
