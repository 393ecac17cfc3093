/**
 * Control characters (C0, DEL, C1) and the bidirectional overrides and isolates, which a terminal would
 * obey instead of showing: moving the cursor, clearing the screen, retitling the window, starting a
 * line that looks like the CLI's own, or reordering what follows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it finds
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from storage as the terminal should show it: every control character written out as an escape
 * (ESC as \x1B). What the CLI prints of a proposal comes from others (a region's file names its
 * unknown columns, an upload names the key, a task answer sets a failure's reason), so none of it may
 * reach the terminal as a command. A newline too: one stored value is never two lines of output.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (character) => {
    const code = character.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
      : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** Readable fixed-width tables for the terminal; numbers right-aligned; text through printable(). */
export function formatTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => columns.map((_, i) => display(row[i])));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => isNumberLike(row[i])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function isNumberLike(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || value === null || value === undefined;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(2);
  if (typeof value === 'bigint') return value.toLocaleString('en');
  if (typeof value === 'object') return printable(JSON.stringify(value));
  return printable(String(value));
}
