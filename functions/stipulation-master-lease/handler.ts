/**
 * The master write lease of a stipulation execution (functions/shared/master-lease.ts), steps of the
 * workflow: TAKE (TakeMasterWriteLease, before ApplyShards), RENEW (RenewMasterWriteLease, before each
 * export unit: the exports read the master), RELEASE (ReleaseMasterWriteLease, after FinaliseExport) and
 * RELEASE_AFTER_FAILURE (on the failure path once the lease may have been taken: kept until any apply
 * slice still running has ended, not deleted). A second execution that asks while another holds it fails
 * with MasterWriteLeaseHeldError, naming the holder's period and when the lease ends, before anything is written.
 */
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { MASTER_LEASE_INPUT } from '#shared/contracts.ts';
import { logger } from '#shared/logger.ts';
import { MasterLeaseRepository } from '#shared/master-lease.ts';
import { lambda } from '#shared/middleware.ts';

const config = readConfig(['proposalsTable']);
const lease = new MasterLeaseRepository(documents, config.proposalsTable);

export const handler = lambda(MASTER_LEASE_INPUT, async ({ action, period, executionId }) => {
  logger.appendKeys({ period, leaseStep: action });
  if (action === 'TAKE') {
    const { expiresAt } = await lease.take(executionId, period);
    logger.info('Master write lease taken', { expiresAt });
    return { period, held: true, expiresAt };
  }
  if (action === 'RENEW') {
    await lease.renew(executionId, period);
    return { period, held: true };
  }
  if (action === 'RELEASE_AFTER_FAILURE') {
    const cooling = await lease.coolDown(executionId);
    logger.info('Master write lease kept until its slices have ended', { expiresAt: cooling?.expiresAt });
    return { period, held: false, released: cooling !== undefined, expiresAt: cooling?.expiresAt };
  }
  const released = await lease.release(executionId);
  logger.info('Master write lease released', { released });
  return { period, held: false, released };
});
