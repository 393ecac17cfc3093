/**
 * Where a proposal came from (`sumber`, Permensos 3/2021): the three ways data enters DTKS. Every source
 * passes the same checks, the regency's verification and the province; the source is decided by where
 * the file was placed (KEYS.uploadPrefixOf), never by the file, so IAM decides who may claim one.
 */
export const PROPOSAL_SOURCES = ['MUSDES', 'KEMENSOS', 'MANDIRI'] as const;
export type ProposalSource = (typeof PROPOSAL_SOURCES)[number];

/** The source of today's path and of records from before sources were kept: the regency's deliberation. */
export const DEFAULT_SOURCE: ProposalSource = 'MUSDES';

/** The names users read, in Bahasa Indonesia and English. */
export const SOURCE_NAMES: Readonly<Record<ProposalSource, { id: string; en: string }>> = {
  MUSDES: { id: 'Musyawarah desa/kelurahan', en: 'Village/kelurahan deliberation' },
  KEMENSOS: { id: 'Kementerian Sosial', en: 'Ministry of Social Affairs' },
  MANDIRI: { id: 'Pendaftaran mandiri', en: 'Self-registration' },
};

export function isProposalSource(value: unknown): value is ProposalSource {
  return typeof value === 'string' && (PROPOSAL_SOURCES as readonly string[]).includes(value);
}

/** The source of a proposal or a master record, MUSDES for one written before sources were kept. */
export function sourceOf(record: { source?: ProposalSource | undefined }): ProposalSource {
  return record.source ?? DEFAULT_SOURCE;
}
