/**
 * Reader of the population registry delta extract (PROPOSAL_FORMAT.md, "Reference extracts"): the
 * population columns, read as the population extract reads them (readers.ts: same tokenizer, same
 * forgiveness about layout, same checks of `status_hidup` and `status_nik`), plus `perubahan`, one of
 * core/population-delta.ts PERUBAHAN (any case). A missing column or an unknown `perubahan` is an
 * ExtractFormatError naming the column and the line, in Bahasa Indonesia or English.
 */
import type { ByteSource } from '#core/csv.ts';
import { isPerubahan, type PopulationChange } from '#core/population-delta.ts';
import { POPULATION_EXTRACT_COLUMNS } from '#core/proposal.ts';
import { ExtractFormatError, POPULATION_COLUMNS, populationPersonReader, readExtract } from './readers.ts';

const DELTA_COLUMNS = [...POPULATION_COLUMNS, 'perubahan'] as const;
type DeltaColumn = (typeof DELTA_COLUMNS)[number];
const DELTA_REQUIRED: readonly DeltaColumn[] = [...POPULATION_EXTRACT_COLUMNS, 'perubahan'];

/** The delta extract's lines in file order, in batches (one per decoded chunk of the file). */
export function readPopulationDelta(source: ByteSource): AsyncIterable<PopulationChange[]> {
  return readExtract<DeltaColumn, PopulationChange>('population-delta', source, DELTA_COLUMNS, DELTA_REQUIRED, (at) => {
    const toPerson = populationPersonReader(at, 'population-delta');
    const iPerubahan = at.perubahan;
    return (cells, line) => {
      const perubahan = cells[iPerubahan]?.trim().toUpperCase() ?? '';
      if (!isPerubahan(perubahan)) {
        throw new ExtractFormatError('population-delta', 'INVALID_VALUE', {
          columns: ['perubahan'],
          row: line,
          value: cells[iPerubahan] ?? '',
        });
      }
      return { line, perubahan, person: toPerson(cells, line) };
    };
  });
}
