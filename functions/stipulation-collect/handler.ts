/**
 * Collect, the first step of the month's stipulation: the proposals waiting for stipulation whose period
 * is the closing period or earlier (a late approval joins the next run), in approval order.
 */
import { z } from 'zod';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import type { CollectInput, CollectOutput } from '#shared/contracts.ts';
import { ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda } from '#shared/middleware.ts';
import { ProposalsRepository } from '#shared/proposals-repository.ts';
import { PERIOD } from '#shared/stipulation-inputs.ts';

const config = readConfig(['proposalsTable']);
const proposals = new ProposalsRepository(documents, config.proposalsTable);

const INPUT = z.object({ period: PERIOD });

export const handler = lambda(async (event: CollectInput): Promise<CollectOutput> => {
  const parsed = INPUT.safeParse(event);
  if (!parsed.success) throw new ValidationError('Masukan Collect tidak valid', [parsed.error.message]);
  const { period } = parsed.data;
  const queue = await proposals.listStipulationQueue(period);
  logger.info('Stipulation queue collected', { period, proposals: queue.length });
  return { period, proposals: queue.map(({ proposalId, regency }) => ({ proposalId, regency })) };
});
