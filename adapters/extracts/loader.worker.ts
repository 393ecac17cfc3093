/**
 * Worker thread of adapters/extracts/loader.ts. Loading: its extracts one after the other into typed-array
 * columns, each handed to the main thread by transfer (no copy) as soon as it is loaded. Checking: the
 * extracts and then the port codes of a proposal (adapters/extracts/check-worker.ts). Errors go back as
 * data, to be rebuilt there; the first one ends the work.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type CheckTask, runCheckTask } from './check-worker.ts';
import { type ExtractJob, runExtractJob } from './loader.ts';

const port = parentPort;
const task = workerData as { jobs?: ExtractJob[]; check?: CheckTask };
if (port && task.check) {
  await runCheckTask(task.check, port);
} else if (port) {
  for (const job of task.jobs ?? []) {
    const result = await runExtractJob(job);
    port.postMessage(result.message, result.transfer);
    if (!result.message.ok) break;
  }
}
