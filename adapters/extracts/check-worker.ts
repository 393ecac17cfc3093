/**
 * `dtks check` on two threads. The worker (loader.worker.ts) loads both reference extracts, hands the
 * main thread a copy of the master's columns (pass 1 ends with the family verdicts, which read it), then
 * reads the proposal itself and computes every row's port codes (registry, master, claims: what
 * ProposalChecker.portBits looks up), handing them back batch by batch as transferred Uint32Arrays.
 * Meanwhile the main thread runs pass 1 and then pass 2, which joins those codes with its own and writes
 * the report: the look-ups, most of pass 2's work, no longer run on the thread that writes.
 *
 * The port codes depend on nothing but the row and the extracts, so the report is the one the
 * sequential path writes (test/adapters/extracts/check-worker.test.ts compares them byte for byte).
 */

import { createReadStream } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { PortBitsSource } from '#core/integrity.ts';
import { ProposalChecker } from '#core/integrity.ts';
import type { PopulationRegistry, RegistryPerson } from '#core/ports.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { readProposal } from '#core/proposal-reader.ts';
import {
  loadMasterExtract,
  loadPopulationExtract,
  rebuildError,
  type SerialisedError,
  serialiseError,
  startWorker,
} from './loader.ts';
import { type MasterState, MemoryClaimRegistry, MemoryDtksMaster } from './memory-ports.ts';

/** What the check worker is given. */
export interface CheckTask {
  population: string;
  master?: string;
  proposal: string;
  submitter: string;
}

type CheckMessage =
  | { type: 'ports'; populationSize: number; master: MasterState }
  | { type: 'bits'; line: number; bits: Uint32Array }
  | { type: 'done' }
  | { type: 'error'; stage: 'ports' | 'bits'; error: SerialisedError };

/** Same reads as the CLI's own (1 MiB). */
const READ_CHUNK = 1 << 20;

/** The worker's side: posts the ports message, then one bits message per batch, then done. */
export async function runCheckTask(task: CheckTask, port: MessagePort): Promise<void> {
  let stage: 'ports' | 'bits' = 'ports';
  try {
    const population = await loadPopulationExtract({ path: task.population });
    const master = task.master ? await loadMasterExtract({ path: task.master }) : new MemoryDtksMaster();
    // A copy, not a transfer: this thread goes on reading the master for the port codes.
    port.postMessage({ type: 'ports', populationSize: population.size, master: master.state() });
    stage = 'bits';
    const checker = new ProposalChecker(
      { population, master, claims: new MemoryClaimRegistry() },
      { submitter: task.submitter },
    );
    for await (const batch of readProposal(createReadStream(task.proposal, { highWaterMark: READ_CHUNK }))) {
      const bits = await checker.portBits(batch);
      port.postMessage({ type: 'bits', line: batch[0]!.line, bits }, [bits.buffer as ArrayBuffer]);
    }
    port.postMessage({ type: 'done' });
  } catch (error) {
    port.postMessage({ type: 'error', stage, error: serialiseError(error) });
  }
}

/** The main thread holds no registry: its look-ups are answered in the worker (portBits). */
class WorkerPopulation implements PopulationRegistry {
  constructor(readonly size: number) {}

  findByNik(_niks: readonly string[]): Promise<Map<string, RegistryPerson>> {
    return Promise.reject(new Error('the population registry is held by the check worker'));
  }
}

export interface ParallelCheck {
  /** The master (a copy) and the registry's size: what the main thread's checker reads. */
  ports: Promise<{ population: WorkerPopulation; master: MemoryDtksMaster; claims: MemoryClaimRegistry }>;
  /** Pass 2's port codes of a batch, from the worker. */
  portBits: PortBitsSource;
}

/**
 * Starts the worker for `task`; undefined where no worker can run (the caller then checks in one
 * thread). Aborting `signal` stops the worker.
 */
export function startParallelCheck(task: CheckTask, signal?: AbortSignal): ParallelCheck | undefined {
  signal?.throwIfAborted();
  let worker: ReturnType<typeof startWorker>;
  try {
    worker = startWorker({ check: task });
  } catch {
    return undefined;
  }
  const arrived = new Map<number, Uint32Array>();
  const waiting = new Map<number, { resolve: (bits: Uint32Array) => void; reject: (error: Error) => void }>();
  let ended: Error | undefined;
  let done = false;
  let portsSettled = false;
  let resolvePorts!: (ports: Awaited<ParallelCheck['ports']>) => void;
  let rejectPorts!: (error: Error) => void;
  const ports = new Promise<Awaited<ParallelCheck['ports']>>((resolve, reject) => {
    resolvePorts = resolve;
    rejectPorts = reject;
  });
  // Noted by the caller's checker; never an unhandled rejection here.
  ports.catch(() => {});

  const fail = (error: Error) => {
    if (!portsSettled) {
      portsSettled = true;
      rejectPorts(error);
    }
    ended ??= error;
    for (const wait of waiting.values()) wait.reject(error);
    waiting.clear();
  };
  const stop = () => {
    fail(new Error('the check worker was stopped'));
    void worker.terminate();
  };
  signal?.addEventListener('abort', stop, { once: true });

  worker.on('message', (message: CheckMessage) => {
    switch (message.type) {
      case 'ports':
        portsSettled = true;
        resolvePorts({
          population: new WorkerPopulation(message.populationSize),
          master: new MemoryDtksMaster(message.master),
          claims: new MemoryClaimRegistry(),
        });
        return;
      case 'bits': {
        const wait = waiting.get(message.line);
        if (wait) {
          waiting.delete(message.line);
          wait.resolve(message.bits);
        } else arrived.set(message.line, message.bits);
        return;
      }
      case 'done':
        done = true;
        signal?.removeEventListener('abort', stop);
        void worker.terminate();
        return;
      case 'error':
        fail(rebuildError(message.error));
        void worker.terminate();
        return;
    }
  });
  worker.once('error', (error) => fail(error));
  worker.once('exit', (code) => {
    signal?.removeEventListener('abort', stop);
    if (!done) fail(new Error(`check worker exited with code ${code}`));
  });

  const portBits = (rows: readonly ProposalRow[]): Promise<Uint32Array> => {
    const line = rows[0]!.line;
    const check = (bits: Uint32Array) => {
      // Both threads read the same file with the same reader: the same batches.
      if (bits.length !== rows.length) throw new Error(`check worker: batch at row ${line} differs in length`);
      return bits;
    };
    const bits = arrived.get(line);
    if (bits) {
      arrived.delete(line);
      return Promise.resolve(check(bits));
    }
    if (ended) return Promise.reject(ended);
    return new Promise<Uint32Array>((resolve, reject) => waiting.set(line, { resolve, reject })).then(check);
  };
  return { ports, portBits };
}
