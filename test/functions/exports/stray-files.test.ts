/**
 * The stray export files of a period (functions/shared/exports/stray-files.ts): which keys are export files
 * by their shape (the keys KEYS writes, and nothing else), and their deletion against the local S3 in
 * batches of at most 1,000 keys (the emulator refuses more, as S3 does), and the keys S3 reports it could
 * not delete failing the step.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/emulators.ts';
import { KEYS } from '#shared/contracts.ts';
import { deleteStrayExportFiles, exportFileFolders, isExportFile } from '#shared/exports/stray-files.ts';
import { listKeys } from '#shared/staging.ts';
import { startTestAws, type TestAws } from '../../support/aws.ts';

const PERIOD = '2027-05';
/** A period of its own for the refused deletions (the batch test leaves files in PERIOD). */
const REFUSED_PERIOD = '2027-07';

/**
 * The local S3 behind a loopback pass-through that answers DeleteObjects as S3 does for keys it could not
 * delete: 200 with an <Error> per key carrying `code` (an object-lock or a policy refusal, a throttled key),
 * which the local S3 never produces. Every other request goes through unchanged (signatures are not checked).
 */
async function refusingDeletes(target: string, code: string): Promise<{ s3: S3Client; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((incoming, answer) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (incoming.method === 'POST' && new URL(incoming.url ?? '/', target).searchParams.has('delete')) {
        const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]);
        const errors = keys.map((key) => `<Error><Key>${key}</Key><Code>${code}</Code><Message>no</Message></Error>`);
        answer.writeHead(200, { 'content-type': 'application/xml' });
        answer.end(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult>${errors.join('')}</DeleteResult>`);
        return;
      }
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: incoming.url,
          method: incoming.method,
          headers: incoming.headers,
        },
        (response) => {
          answer.writeHead(response.statusCode ?? 500, response.headers);
          response.pipe(answer);
        },
      );
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const s3 = new S3Client({ ...LOCAL_AWS, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
  return {
    s3,
    close: async () => {
      s3.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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

  it('fails with StrayExportFilesNotDeletedError naming the keys S3 did not delete, and leaves them', async () => {
    const bucket = aws.names.buckets.exports;
    const stray = KEYS.regencyCsv(REFUSED_PERIOD, '3277');
    await aws.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: stray, Body: 'x' }));
    const proxy = await refusingDeletes(aws.endpoints.s3Endpoint, 'AccessDenied');
    try {
      const failure = await deleteStrayExportFiles(proxy.s3, bucket, REFUSED_PERIOD, new Set()).catch((error) => error);
      expect(failure).toMatchObject({
        name: 'StrayExportFilesNotDeletedError',
        failures: [{ key: stray, code: 'AccessDenied' }],
      });
      expect((failure as Error).message).toContain(`${stray} (AccessDenied)`);
    } finally {
      await proxy.close();
    }
    expect(await listKeys(aws.clients.s3, bucket, `${KEYS.regencyCsvPrefix}period=${REFUSED_PERIOD}/dtks-`)).toEqual(
      new Set([stray]),
    );
  });

  it('is a TransientError (the step is retried) when S3 only asked to slow down', async () => {
    const proxy = await refusingDeletes(aws.endpoints.s3Endpoint, 'SlowDown');
    try {
      const failure = await deleteStrayExportFiles(
        proxy.s3,
        aws.names.buckets.exports,
        REFUSED_PERIOD,
        new Set(),
      ).catch((error) => error);
      expect(failure).toMatchObject({ name: 'TransientError' });
      expect((failure as Error).cause).toMatchObject({ name: 'StrayExportFilesNotDeletedError' });
    } finally {
      await proxy.close();
    }
  });
});
