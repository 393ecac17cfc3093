/**
 * Worker thread of adapters/extracts/loader.ts: loads its extracts one after the other into typed-array
 * columns and hands each to the main thread by transfer (no copy) as soon as it is loaded. Errors go back
 * as data, to be rebuilt there; the first one ends the work.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type ExtractJob, runExtractJob } from './loader.ts';

const port = parentPort;
if (port) {
  for (const job of (workerData as { jobs: ExtractJob[] }).jobs) {
    const result = await runExtractJob(job);
    port.postMessage(result.message, result.transfer);
    if (!result.message.ok) break;
  }
}
