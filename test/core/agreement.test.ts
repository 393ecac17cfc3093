/**
 * The integrity engine agrees with the generator's truth on every row of a generated world: every result code of
 * PROPOSAL_FORMAT.md, injected from its real cause, and every tolerated variant left clean.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMemoryPorts } from '#adapters/extracts/memory-ports.ts';
import { writeWorld } from '#cli/commands/generate.ts';
import { loadAreas } from '#core/area.ts';
import { RESULT_CODES } from '#core/codes.ts';
import { checkProposal } from '#core/integrity.ts';
import type { MasterPerson, PopulationPerson, ProposalRow } from '#core/proposal.ts';
import { generateWorld } from '#synthetic/generator.ts';

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

  describe('through the real CLI', () => {
    let dir = '';
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('writes a return report whose kode column equals truth.csv on every row', async () => {
      dir = await mkdtemp(join(tmpdir(), 'dtks-agreement-'));
      const { files } = await writeWorld({
        regency: '33.74',
        families: 3000,
        defectRate: 0.2,
        seed: 5,
        out: dir,
        quiet: true,
      });
      expect(files.proposal.rows).toBeGreaterThanOrEqual(10_000);
      const report = join(dir, 'report.csv');
      await promisify(execFile)(
        'npx',
        [
          'tsx',
          'cli/main.ts',
          'check',
          files.proposal.path,
          '--submitter',
          '3374',
          '--population',
          files.population.path,
          '--master',
          files.master.path,
          '--out',
          report,
        ],
        { cwd: process.cwd(), maxBuffer: 16 << 20 },
      );
      const truth = parse(await readFile(files.truth.path, 'utf8'), { columns: true }) as {
        baris: string;
        kode: string;
      }[];
      const lines = parse(await readFile(report, 'utf8'), { columns: true, bom: true }) as {
        baris: string;
        nik: string;
        nama: string;
        hasil: string;
        kode: string;
      }[];
      expect(lines.length).toBe(truth.length);
      const differences: Difference[] = [];
      truth.forEach((expected, i) => {
        const actual = lines[i];
        if (actual?.baris !== expected.baris || actual.kode !== expected.kode) {
          differences.push({ line: Number(expected.baris), expected: expected.kode, actual: actual?.kode ?? '(none)' });
        }
      });
      expect(differences.length, describeDifferences(differences, new Map())).toBe(0);
      expect(lines.some((line) => line.hasil === 'DIKEMBALIKAN')).toBe(true);
      // The generated population marks some NIKs NONAKTIF (status_nik), and the report returns those rows.
      const inactive = lines.filter((line) => line.kode.split('|').includes('NIK_INACTIVE'));
      expect(inactive.length).toBeGreaterThan(0);
      expect(inactive.every((line) => line.hasil === 'DIKEMBALIKAN')).toBe(true);
    }, 180_000);
  });
});
