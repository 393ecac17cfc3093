/**
 * Starting the quality control workflow (state-machines/quality-control.asl.json) once the population
 * registry has changed: a full Dukcapil extract loaded (load-population) or a delta applied
 * (load-population-delta). The run screens the master for the OPEN period (the month the next stipulation
 * closes, core/period.ts periodAt in Asia/Jakarta), off the stipulation's critical path.
 *
 * One execution per period and load: its name is derived from both (the object's version, or its ETag), so
 * a second delivery of the same load names the same execution and Step Functions starts it once
 * (ExecutionAlreadyExists, or the running one's own answer): harmless. A new file, or the same key
 * uploaded again with other bytes, is a new load and starts a new run, whose summary replaces the last.
 */
import { createHash } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { periodAt } from '#core/period.ts';
import { sfn } from './clients.ts';
import { ENV } from './contracts.ts';
import { logger } from './logger.ts';

/** What was loaded: the extract's object, by the version (or ETag) that was read. */
export interface RegistryLoad {
  kind: 'full' | 'delta';
  bucket: string;
  key: string;
  /** The object's VersionId, else its ETag: another upload under the same key is another load. */
  version: string;
}

export interface QualityControlStart {
  period: string;
  executionName: string;
  /**
   * False when Step Functions answered ExecutionAlreadyExists: this load's run was started before and has
   * ended. A delivery while it still runs is answered as its own start (same name and input), true again.
   */
  started: boolean;
}

/** `registry-<period>-<full|delta>-<16 hex of the load>`: within Step Functions' 80 characters, no NIK. */
export function qualityControlRunName(period: string, load: RegistryLoad): string {
  const digest = createHash('sha256').update(`${load.bucket}/${load.key}#${load.version}`).digest('hex');
  return `registry-${period}-${load.kind}-${digest.slice(0, 16)}`;
}

/**
 * Starts the run of the open period for `load`. Without QUALITY_CONTROL_STATE_MACHINE_ARN (a loader run
 * outside the stack or the local environment, as its own tests do) nothing is started and a warning says
 * so; the stack always sets it (test/infra). Any other failure to start is thrown: the loader's invocation
 * is retried, and loading again is idempotent.
 */
export async function startQualityControl(
  load: RegistryLoad,
  at = new Date(),
): Promise<QualityControlStart | undefined> {
  const stateMachineArn = process.env[ENV.qualityControlStateMachineArn];
  if (!stateMachineArn) {
    logger.warn('Quality control workflow not configured: no run started', {
      variable: ENV.qualityControlStateMachineArn,
    });
    return undefined;
  }
  const period = periodAt(at);
  const executionName = qualityControlRunName(period, load);
  const input = JSON.stringify({ period });
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input }));
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    logger.info('Quality control run of this load started before', { period, executionName });
    return { period, executionName, started: false };
  }
  logger.info('Quality control run started', { period, executionName });
  return { period, executionName, started: true };
}
