/**
 * The opaque `next` of the console's paginated answers: base64url JSON of where the next page starts (a
 * DynamoDB key, a row position). A client only hands it back; one that does not decode to the expected
 * shape is refused (400), and the server resumes only the query it builds for the caller, so a forged
 * cursor reaches nothing outside the caller's own list.
 */
import { ValidationError } from './errors.ts';

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(next: string, isPosition: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(next, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (isPosition(value)) return value;
  throw invalidCursor();
}

/** The refusal of a cursor that is not one this list handed out (also when its shape decodes but its key does not). */
export function invalidCursor(): ValidationError {
  return new ValidationError('Penanda halaman (next) tidak valid; muat ulang daftar dari halaman pertama', [
    'next: tidak valid',
  ]);
}
