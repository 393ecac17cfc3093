/**
 * Uploaded proposal files: where they must be placed and the proposal id they get. The id is derived
 * from the object (bucket, key, version or ETag), so S3's at-least-once events for one upload all name
 * the same proposal and the conditional create in Ingest lets only the first through.
 */
import { createHash } from 'node:crypto';
import { isPeriod, PERIOD_SOURCE } from '#core/period.ts';
import { KEYS } from './contracts.ts';

export type UploadLocation =
  | { valid: true; regency: string; province: string; period: string; fileName: string }
  | { valid: false; regency: string; period: string; reason: string };

const KEY_PATTERN = new RegExp(`^${KEYS.uploadPrefix}(\\d{4})/(${PERIOD_SOURCE})/([^/]+\\.csv)$`, 'i');

/** proposals/<regency 4 digits>/<YYYY-MM>/<file>.csv */
export function parseUploadKey(key: string): UploadLocation {
  const match = KEY_PATTERN.exec(key);
  if (match) {
    const [, regency = '', period = '', fileName = ''] = match;
    return { valid: true, regency, province: regency.slice(0, 2), period, fileName };
  }
  const [, regency = '', period = ''] = key.split('/');
  return {
    valid: false,
    regency: /^\d{4}$/.test(regency) ? regency : '',
    period: isPeriod(period) ? period : '',
    reason:
      `Lokasi berkas '${key}' tidak sesuai. Unggah usulan ke ` +
      `${KEYS.uploadPrefix}<kode kabupaten/kota 4 angka>/<bulan YYYY-MM>/<nama berkas>.csv, ` +
      `misalnya ${KEYS.uploadPrefix}3371/2026-11/usulan.csv`,
  };
}

/** `<regency>-<period>-<first 12 hex of sha256(bucket, key, version)>`; parts unknown from the key read 'x'. */
export function proposalIdFor(
  object: { bucket: string; key: string; version: string },
  location: { regency: string; period: string },
): string {
  const digest = createHash('sha256').update(`${object.bucket}\n${object.key}\n${object.version}`).digest('hex');
  return `${location.regency || 'x'}-${location.period || 'x'}-${digest.slice(0, 12)}`;
}
