import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsvRow } from '#core/csv.ts';
import { PROPOSAL_COLUMNS, type ProposalField, type ProposalRow, REQUIRED_COLUMNS } from '#core/proposal.ts';
import { ProposalFormatError, readProposal } from '#core/proposal-reader.ts';

const HEADER = [...REQUIRED_COLUMNS, 'alasan', 'pekerjaan', 'penghasilan_bulanan', 'desil'];
const FIELDS = HEADER.map((name) => PROPOSAL_COLUMNS[name] as ProposalField);

/** Cells made to hit the tokenizer's hard cases: quotes, both delimiters, every line end, spaces, Unicode. */
const cell = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', ',', ';', '\n', '\r', ' ', '\t', 'a', 'B', 'é', '🙂', '\u00a0', '=') }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
);
const row = fc.array(cell, { minLength: 1, maxLength: HEADER.length });

/** Splits `bytes` at the given cut points (in any order, possibly repeated). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...at, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

async function readAll(pieces: Iterable<Uint8Array>): Promise<ProposalRow[]> {
  const rows: ProposalRow[] = [];
  for await (const batch of readProposal(pieces, { batchSize: 7 })) rows.push(...batch);
  return rows;
}

describe('readProposal (property)', () => {
  it('reads back, trimmed, any rows written with formatCsvRow, however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }), async (rows, cuts) => {
        const text = formatCsvRow(HEADER) + rows.map((cells) => formatCsvRow(cells)).join('');
        const read = await readAll(split(new TextEncoder().encode(text), cuts));
        // A written line of only delimiters and spaces is an empty line to the reader, by design.
        const kept = rows.filter((cells) => formatCsvRow(cells).includes('"') || cells.some((c) => c.trim() !== ''));
        expect(read).toHaveLength(kept.length);
        kept.forEach((cells, i) => {
          const expected: Record<string, string | number> = { line: i + 1 };
          FIELDS.forEach((field, k) => {
            expected[field] = (cells[k] ?? '').trim();
          });
          expect(read[i]).toEqual(expected);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but ProposalFormatError on arbitrary bytes', async () => {
    const header = new TextEncoder().encode(formatCsvRow(HEADER));
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (withHeader, noise, cuts) => {
          const bytes = withHeader ? new Uint8Array([...header, ...noise]) : noise;
          try {
            const rows = await readAll(split(bytes, cuts));
            rows.forEach((r, i) => {
              expect(r.line).toBe(i + 1);
            });
          } catch (error) {
            expect(error).toBeInstanceOf(ProposalFormatError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
