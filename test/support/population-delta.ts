/** Delta extracts for the tests (PROPOSAL_FORMAT.md, "Population registry delta extract"). */
import type { Perubahan } from '#core/population-delta.ts';
import type { PopulationPerson } from '#core/proposal.ts';
import { POPULATION_COLUMNS, populationCells } from '#synthetic/generator.ts';

export const DELTA_HEADER = [...POPULATION_COLUMNS, 'perubahan'].join(',');

/** One line per change, the person's columns as given. */
export function deltaCsv(changes: readonly [Perubahan | string, PopulationPerson][]): string {
  const lines = [DELTA_HEADER];
  for (const [perubahan, p] of changes) {
    lines.push([...populationCells(p), perubahan].join(','));
  }
  return `${lines.join('\n')}\n`;
}
