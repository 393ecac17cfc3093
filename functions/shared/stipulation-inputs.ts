/** Validation shared by the stipulation steps' inputs. */
import { z } from 'zod';

/** A stipulation period (bulan penetapan): YYYY-MM. */
export const PERIOD = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'periode harus berbentuk YYYY-MM');

export const PROPOSAL_REFS = z.array(z.object({ proposalId: z.string().min(1), regency: z.string() }));

/** The summary resolve leaves next to the change set, read by the later steps. */
export const changeSetSummaryKey = (period: string) => `stipulation/${period}/summary.json`;

export interface ChangeSetSummary {
  period: string;
  proposals: { proposalId: string; regency: string }[];
  changes: number;
  returnedRows: number;
  /** Regencies (4 digits) with at least one change in the period. */
  regencies: string[];
}
