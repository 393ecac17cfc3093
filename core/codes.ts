/**
 * Result codes of PROPOSAL_FORMAT.md. This is a contract: add codes, never rename one.
 * The order here is the bit position used by compact per-row code sets, so new codes go at the end.
 */
export const RESULT_CODES = [
  'NIK_FORMAT',
  'NIK_BIRTHDATE_MISMATCH',
  'NIK_SEX_MISMATCH',
  'KK_FORMAT',
  'DUPLICATE_NIK',
  'NIK_NOT_FOUND',
  'NAME_MISMATCH',
  'ADDRESS_MISMATCH',
  'DECEASED',
  'FAMILY_NO_HEAD',
  'FAMILY_MULTIPLE_HEADS',
  'FAMILY_OVERLAP',
  'MISSING_ATTRIBUTE',
  'INVALID_ATTRIBUTE',
  'REGION_OUTSIDE_SUBMITTER',
  'NOT_IN_DTKS',
  'ALREADY_IN_DTKS',
  'POSSIBLE_DUPLICATE_PERSON',
  'MOVED_DOMICILE',
  'NIK_INACTIVE',
] as const;

export type ResultCode = (typeof RESULT_CODES)[number];

export type CodeLevel = 'error' | 'warning';

const WARNINGS: ReadonlySet<ResultCode> = new Set<ResultCode>([
  'ALREADY_IN_DTKS',
  'POSSIBLE_DUPLICATE_PERSON',
  'MOVED_DOMICILE',
]);

export function levelOf(code: ResultCode): CodeLevel {
  return WARNINGS.has(code) ? 'warning' : 'error';
}

export function isResultCode(value: string): value is ResultCode {
  return (RESULT_CODES as readonly string[]).includes(value);
}
