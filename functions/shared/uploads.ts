/**
 * Uploaded proposal files: where they must be placed, the source their place names and the proposal id
 * they get. The id is derived from the object (bucket, key, version or ETag), so S3's at-least-once
 * events for one upload all name the same proposal and the conditional create in Ingest lets only the
 * first through.
 */
import { createHash } from 'node:crypto';
import { isPeriod, PERIOD_SOURCE } from '#core/period.ts';
import { PROPOSAL_SOURCES, type ProposalSource } from '#core/source.ts';
import { KEYS } from './contracts.ts';

export type UploadLocation =
  | { valid: true; source: ProposalSource; regency: string; province: string; period: string; fileName: string }
  | { valid: false; source?: ProposalSource; regency: string; period: string; reason: string };

const TAIL_PATTERN = new RegExp(`^(\\d{4})/(${PERIOD_SOURCE})/([^/]+\\.csv)$`, 'i');
const SHAPE = '<kode kabupaten/kota 4 angka>/<bulan YYYY-MM>/<nama berkas>.csv';

/**
 * <prefix><regency 4 digits>/<YYYY-MM>/<file>.csv, the prefix naming the source: proposals/ MUSDES,
 * kemensos/ KEMENSOS, mandiri/ MANDIRI (KEYS.uploadPrefixOf). The prefix is matched exactly, as the
 * intake rule and the IAM grants match it.
 */
export function parseUploadKey(key: string): UploadLocation {
  const source = PROPOSAL_SOURCES.find((candidate) => key.startsWith(KEYS.uploadPrefixOf(candidate)));
  if (source === undefined) {
    const [, regency = '', period = ''] = key.split('/');
    const places = PROPOSAL_SOURCES.map((each) => `${KEYS.uploadPrefixOf(each)}${SHAPE} (${each})`).join(', ');
    return {
      valid: false,
      regency: /^\d{4}$/.test(regency) ? regency : '',
      period: isPeriod(period) ? period : '',
      reason:
        `Lokasi berkas '${key}' tidak sesuai: usulan hanya diterima di ${places}, ` +
        `misalnya ${KEYS.upload('MUSDES', '3371', '2026-11', 'usulan.csv')}`,
    };
  }
  const prefix = KEYS.uploadPrefixOf(source);
  const match = TAIL_PATTERN.exec(key.slice(prefix.length));
  if (match) {
    const [, regency = '', period = '', fileName = ''] = match;
    return { valid: true, source, regency, province: regency.slice(0, 2), period, fileName };
  }
  const [regency = '', period = ''] = key.slice(prefix.length).split('/');
  return {
    valid: false,
    source,
    regency: /^\d{4}$/.test(regency) ? regency : '',
    period: isPeriod(period) ? period : '',
    reason:
      `Lokasi berkas '${key}' tidak sesuai. Unggah usulan ke ${prefix}${SHAPE}, ` +
      `misalnya ${KEYS.upload(source, '3371', '2026-11', 'usulan.csv')}`,
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
