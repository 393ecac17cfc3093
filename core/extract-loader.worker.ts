/**
 * Worker thread of core/extract-loader.ts: loads one extract into typed-array columns and hands them to
 * the main thread by transfer (no copy). Errors go back as data, to be rebuilt there.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type ExtractJob, runExtractJob } from './extract-loader.ts';

const port = parentPort;
if (port) {
  const result = await runExtractJob(workerData as ExtractJob);
  port.postMessage(result.message, result.transfer);
}
