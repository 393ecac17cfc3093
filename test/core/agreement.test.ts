/**
 * The integrity engine agrees with the generator's truth on every row of a generated world: every result code of
 * PROPOSAL_FORMAT.md, injected from its real cause, and every tolerated variant left clean.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAreas } from '#core/area.ts';
import { RESULT_CODES } from '#core/codes.ts';
import { formatCsvRow } from '#core/csv.ts';
import {
  generateWorld,
  MASTER_COLUMNS,
  masterCells,
  POPULATION_COLUMNS,
  PROPOSAL_FILE_COLUMNS,
  populationCells,
  proposalCells,
} from '#core/generator.ts';
import { checkProposal } from '#core/integrity.ts';
import { loadMemoryPorts } from '#core/memory-ports.ts';
import type { MasterPerson, PopulationPerson, ProposalRow } from '#core/proposal.ts';

const areas = loadAreas();
const REGENCY = '3374';

interface Difference {
  line: number;
  expected: string;
  actual: string;
}

function describeDifferences(differences: readonly Difference[], rows: ReadonlyMap<number, ProposalRow>): string {
  return differences
    .slice(0, 20)
    .map((d) => {
      const row = rows.get(d.line);
      const what = row ? `${row.aksi} ${row.alasan} ${row.nik} kk=${row.noKk} ${row.nama} ${row.hubunganKeluarga}` : '';
      return `baris ${d.line}: expected [${d.expected}] got [${d.actual}]  ${what}`;
    })
    .join('\n');
}

async function* batchesOf<T>(items: readonly T[], size = 2000): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

describe('the integrity engine against the generated truth', () => {
  it('gives every row of a 3,500-family world at defect rate 0.2 exactly the codes the generator expects', async () => {
    const world = generateWorld({ regency: REGENCY, families: 3500, defectRate: 0.2, seed: 7, areas });
    const population: PopulationPerson[] = [];
    const master: MasterPerson[] = [];
    const proposal: ProposalRow[] = [];
    for (const batch of world.batches()) {
      population.push(...batch.population);
      master.push(...batch.master);
      proposal.push(...batch.proposal);
    }
    expect(proposal.length).toBeGreaterThanOrEqual(10_000);
    const expected = new Map<number, string>();
    for (const batch of world.truth()) for (const t of batch) expected.set(t.line, t.codes.join('|'));

    const ports = await loadMemoryPorts({ population: batchesOf(population), master: batchesOf(master) });
    const differences: Difference[] = [];
    const seen = new Set<string>();
    await checkProposal(
      () => batchesOf(proposal),
      ports,
      { submitter: REGENCY, areas },
      (batch) => {
        for (const { row, codes } of batch) {
          const actual = codes.join('|');
          for (const code of codes) seen.add(code);
          if (actual !== expected.get(row.line)) {
            differences.push({ line: row.line, expected: expected.get(row.line) ?? '(no row)', actual });
          }
        }
      },
    );
    const byLine = new Map(proposal.map((row) => [row.line, row]));
    expect(differences.length, describeDifferences(differences, byLine)).toBe(0);
    expect([...seen].sort()).toEqual([...RESULT_CODES].sort());
  }, 120_000);
});
