/**
 * An approval's exclusions must name persons and families of the proposal: an exclusion of a NIK or
 * No. KK that is not among its accepted rows would be recorded and then silently match nothing at
 * stipulation. The accepted rows (staging/<id>/accepted.ndjson, what CheckIntegrity let through and
 * what stipulation applies) are streamed once; a proposal has up to 10^6 rows and an approval at most
 * 10,000 exclusions, so the ids sought are a set and each line gives up only its `nik` and `noKk`
 * (no JSON parse of 10^6 rows). The read stops as soon as every id has been seen.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type Exclusion, KEYS } from '#shared/contracts.ts';
import { StagedRowsMissingError } from '#shared/errors.ts';
import { lines, openObject } from '#shared/staging.ts';

/** An exclusion that names no accepted row, with its position in the request. */
export interface UnknownExclusion {
  index: number;
  exclusion: Exclusion;
}

// A ProposalRow's ids are digits (JSON.stringify writes them without escapes), so a pattern finds them.
const NIK_FIELD = /"nik":"([^"\\]*)"/;
const KK_FIELD = /"noKk":"([^"\\]*)"/;

export async function unknownExclusions(
  s3: S3Client,
  bucket: string,
  proposalId: string,
  exclusions: readonly Exclusion[],
): Promise<UnknownExclusion[]> {
  if (exclusions.length === 0) return [];
  const sought: Record<Exclusion['kind'], Set<string>> = { NIK: new Set(), KK: new Set() };
  for (const { kind, id } of exclusions) sought[kind].add(id);
  const body = await openObject(s3, bucket, KEYS.acceptedRows(proposalId));
  if (!body) throw new StagedRowsMissingError(proposalId);
  for await (const { text } of lines(body)) {
    const nik = NIK_FIELD.exec(text)?.[1];
    if (nik !== undefined) sought.NIK.delete(nik);
    const noKk = KK_FIELD.exec(text)?.[1];
    if (noKk !== undefined) sought.KK.delete(noKk);
    // Leaving the loop ends the read: the S3 body is destroyed with its iterator.
    if (sought.NIK.size === 0 && sought.KK.size === 0) break;
  }
  return exclusions.flatMap((exclusion, index) =>
    sought[exclusion.kind].has(exclusion.id) ? [{ index, exclusion }] : [],
  );
}

/** The refusal the approver reads: each unknown id by kind, in the order of the request. */
export function describeUnknown(unknown: readonly UnknownExclusion[]): { message: string; issues: string[] } {
  const label = ({ kind, id }: Exclusion) => `${kind === 'NIK' ? 'NIK' : 'No. KK'} ${id}`;
  const issues = unknown.map(
    ({ index, exclusion }) =>
      `exclusions.${index}.id: ${label(exclusion)} tidak ada di antara baris usulan yang lolos pemeriksaan`,
  );
  const SHOWN = 50;
  const named = unknown.slice(0, SHOWN).map(({ exclusion }) => label(exclusion));
  const more = unknown.length > SHOWN ? ` dan ${unknown.length - SHOWN} lainnya (lihat issues)` : '';
  return {
    message:
      `Pengecualian tidak dapat dicatat: ${named.join(', ')}${more} tidak ada di antara baris usulan ` +
      'yang lolos pemeriksaan. Perbaiki atau hapus pengecualian itu lalu kirim ulang; belum ada keputusan yang dicatat.',
    issues,
  };
}
