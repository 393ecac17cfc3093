/** The terminal tables of the CLI: stored text is shown, never interpreted by the terminal. */
import { describe, expect, it } from 'vitest';
import { formatTable, printable } from '#cli/table.ts';

describe('printable', () => {
  it('shows C0 and C1 control characters, DEL and bidirectional overrides as escapes', () => {
    expect(printable('a\u001b[31mb\u0007c\u007fd\u009be\tf\r\ng')).toBe(
      'a\\x1B[31mb\\x07c\\x7Fd\\x9Be\\x09f\\x0D\\x0Ag',
    );
    expect(printable('nama \u202Egnp.exe')).toBe('nama \\u202Egnp.exe');
  });

  it('leaves ordinary text, Indonesian names and other scripts as they are', () => {
    const text = "SITI AMINAH, JL. PAHLAWAN 1 — RT 005 · Müller · 'catatan' 漢字";
    expect(printable(text)).toBe(text);
  });
});

describe('formatTable', () => {
  it('escapes control characters in cells, so a note cannot move the cursor or clear the screen', () => {
    const table = formatTable(['oleh', 'keterangan'], [['regency-3371', 'REGENCY APPROVE: \u001b[2Jok']]);
    expect(table).toContain('REGENCY APPROVE: \\x1B[2Jok');
    expect(table).not.toContain('\u001b');
  });
});
