/**
 * `dtks check` on two threads. The worker (loader.worker.ts) loads both reference extracts and copies their
 * columns into SharedArrayBuffers, so the main thread reads the very same registry and master (loaded once,
 * no copy per thread). It loads the master first and hands it over at once (ParallelCheck.early): the
 * main thread's pass-1 verdicts need only the master, so they run while the registry loads. Then both
 * threads compute pass 2's port codes (registry, master, claims: what ProposalChecker.portBits looks up): the worker reads the proposal itself and computes the codes of the
 * batches it claims, handing them back as transferred Uint32Arrays; the main thread, which runs pass 1
 * meanwhile and then pass 2 (joining the codes, writing the report), computes those of the batches the
 * worker left to it.
 *
 * Who computes a batch is settled per batch by a compare-and-swap on a shared claim table, so the split
 * follows the two threads' actual speed on a machine shared with other work: the worker claims a batch
 * only while the main thread is at least CLAIM_LEAD batches behind it (it works ahead of the writer, never
 * on the batch the writer is about to need), else it only reads it and moves on; the main thread claims
 * whatever it reaches unclaimed.
 *
 * The port codes depend on nothing but the row and the extracts, so the report is the one the
 * sequential path writes (test/adapters/extracts/check-worker.test.ts compares them byte for byte).
 */

import { createReadStream, statSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { PortBitsSource } from '#core/integrity.ts';
import { ProposalChecker } from '#core/integrity.ts';
import type { IntegrityPorts } from '#core/ports.ts';
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
import {
  type MasterState,
  MemoryClaimRegistry,
  MemoryDtksMaster,
  MemoryPopulationRegistry,
  type PopulationState,
} from './memory-ports.ts';

/** What the check worker is given. */
export interface CheckTask {
  population: string;
  master?: string;
  proposal: string;
  submitter: string;
  /** The claim table and the main thread's position (see BatchClaims), shared with the main thread. */
  claims: SharedArrayBuffer;
}

type CheckMessage =
  | { type: 'master'; master: MasterState }
  | { type: 'population'; population: PopulationState }
  | { type: 'bits'; line: number; bits: Uint32Array }
  | { type: 'done' }
  | { type: 'error'; stage: 'ports' | 'bits'; error: SerialisedError };

/** Same reads as the CLI's own (1 MiB). */
const READ_CHUNK = 1 << 20;
/** readProposal's batch size: a file of n bytes has at most n / BATCH_ROWS + 1 batches (a row has a byte at least). */
const BATCH_ROWS = 2048;
/**
 * The worker claims a batch only this many batches ahead of the main thread's, so the main thread
 * never waits for a batch the worker has only just begun: it computes those itself.
 */
const CLAIM_LEAD = 2;
const UNCLAIMED = 0;
const BY_MAIN = 1;
const BY_WORKER = 2;

/**
 * Who computes each batch's port codes, by the batch's ordinal in the file: Int32 0 is the ordinal the
 * main thread has reached (-CLAIM_LEAD before its pass 2), Int32 1 + k the claim of batch k. Both threads
 * read the same file with the same reader, so they count the same batches.
 */
class BatchClaims {
  private readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  static buffer(proposalBytes: number): SharedArrayBuffer {
    const batches = Math.ceil(proposalBytes / BATCH_ROWS) + 1;
    const buffer = new SharedArrayBuffer((1 + batches) * Int32Array.BYTES_PER_ELEMENT);
    new Int32Array(buffer)[0] = -CLAIM_LEAD;
    return buffer;
  }

  /** The main thread reached batch k: true when it is to compute it (the worker has not claimed it). */
  mainTakes(k: number): boolean {
    Atomics.store(this.cells, 0, k);
    if (k + 1 >= this.cells.length) return true;
    return Atomics.compareExchange(this.cells, k + 1, UNCLAIMED, BY_MAIN) === UNCLAIMED;
  }

  /** The worker reached batch k: true when it is to compute it (far enough ahead of the main thread). */
  workerTakes(k: number): boolean {
    if (k + 1 >= this.cells.length || k - Atomics.load(this.cells, 0) < CLAIM_LEAD) return false;
    return Atomics.compareExchange(this.cells, k + 1, UNCLAIMED, BY_WORKER) === UNCLAIMED;
  }
}

/**
 * The columns of a loaded extract in SharedArrayBuffers: posted to another thread they are shared, not
 * copied, so both threads read one registry and one master. The loaders fill shared columns already; a
 * column that is not (the slow path's, an empty master's) is copied into one here.
 */
function shared<T extends object>(state: T): T {
  const copy = { ...state } as Record<string, unknown>;
  for (const [name, value] of Object.entries(copy)) {
    if (!ArrayBuffer.isView(value) || value.buffer instanceof SharedArrayBuffer) continue;
    const column = value as unknown as Uint8Array;
    const make = column.constructor as new (buffer: SharedArrayBuffer) => Uint8Array;
    const into = new make(new SharedArrayBuffer(column.byteLength));
    into.set(column);
    copy[name] = into;
  }
  return copy as T;
}

/** The worker's side: posts the ports message, then one bits message per batch it claims, then done. */
export async function runCheckTask(task: CheckTask, port: MessagePort): Promise<void> {
  let stage: 'ports' | 'bits' = 'ports';
  try {
    const claims = new BatchClaims(task.claims);
    // The master first: the main thread's pass-1 verdicts (ProposalChecker.finish) need only the master's
    // families, so they run while the registry, the larger extract, is still loading.
    const master = new MemoryDtksMaster(
      shared(
        (task.master
          ? await loadMasterExtract({ path: task.master }, { shared: true })
          : new MemoryDtksMaster()
        ).state(),
      ),
    );
    // Shared memory: the main thread reads the same columns.
    port.postMessage({ type: 'master', master: master.state() });
    const population = new MemoryPopulationRegistry(
      shared((await loadPopulationExtract({ path: task.population }, { shared: true })).state()),
    );
    port.postMessage({ type: 'population', population: population.state() });
    stage = 'bits';
    const checker = new ProposalChecker(
      { population, master, claims: new MemoryClaimRegistry() },
      { submitter: task.submitter },
    );
    let k = 0;
    for await (const batch of readProposal(createReadStream(task.proposal, { highWaterMark: READ_CHUNK }))) {
      if (claims.workerTakes(k++)) {
        const bits = await checker.portBits(batch);
        port.postMessage({ type: 'bits', line: batch[0]!.line, bits }, [bits.buffer as ArrayBuffer]);
      }
    }
    port.postMessage({ type: 'done' });
  } catch (error) {
    port.postMessage({ type: 'error', stage, error: serialiseError(error) });
  }
}

export interface ParallelCheck {
  /** The registry and the master, in memory shared with the worker: what the main thread's checker reads. */
  ports: Promise<{ population: MemoryPopulationRegistry; master: MemoryDtksMaster; claims: MemoryClaimRegistry }>;
  /**
   * The same ports as soon as the master is loaded (the worker loads it first): the registry's look-ups
   * wait for the registry. What the main thread's checker is given, so pass 1's verdicts, which need
   * only the master, do not wait for the registry.
   */
  early: Promise<IntegrityPorts>;
  /**
   * Pass 2's port codes of a batch: the worker's where it claimed the batch, else `own` (the main
   * thread's checker's portBits). Batches must be asked for in file order, each once.
   */
  portBits(own: PortBitsSource): PortBitsSource;
  /** Stops the worker (pass 2 is over: what it still reads is no longer needed). */
  close(): void;
  /** How many batches' port codes each thread computed so far. */
  readonly taken: { main: number; worker: number };
}

/**
 * Starts the worker for `task`; undefined where no worker can run (the caller then checks in one
 * thread). Aborting `signal` stops the worker.
 */
export function startParallelCheck(task: Omit<CheckTask, 'claims'>, signal?: AbortSignal): ParallelCheck | undefined {
  signal?.throwIfAborted();
  const buffer = BatchClaims.buffer(statSync(task.proposal).size);
  const claims = new BatchClaims(buffer);
  let worker: ReturnType<typeof startWorker>;
  try {
    worker = startWorker({ check: { ...task, claims: buffer } });
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
  let masterSettled = false;
  let resolveEarly!: (ports: IntegrityPorts) => void;
  let rejectEarly!: (error: Error) => void;
  const early = new Promise<IntegrityPorts>((resolve, reject) => {
    resolveEarly = resolve;
    rejectEarly = reject;
  });
  // Noted by the caller's checker; never an unhandled rejection here.
  ports.catch(() => {});
  early.catch(() => {});
  let master: MemoryDtksMaster | undefined;
  const claimsPort = new MemoryClaimRegistry();

  const fail = (error: Error) => {
    if (!masterSettled) {
      masterSettled = true;
      rejectEarly(error);
    }
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
      case 'master':
        master = new MemoryDtksMaster(message.master);
        masterSettled = true;
        resolveEarly({
          master,
          population: { findByNik: async (niks) => (await ports).population.findByNik(niks) },
          claims: claimsPort,
        });
        return;
      case 'population':
        portsSettled = true;
        resolvePorts({
          population: new MemoryPopulationRegistry(message.population),
          master: master!,
          claims: claimsPort,
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

  const fromWorker = (rows: readonly ProposalRow[]): Promise<Uint32Array> => {
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
  const taken = { main: 0, worker: 0 };
  const portBits = (own: PortBitsSource): PortBitsSource => {
    let k = 0;
    return (rows) => {
      if (claims.mainTakes(k++)) {
        taken.main++;
        return own(rows);
      }
      taken.worker++;
      return fromWorker(rows);
    };
  };
  const close = () => {
    done = true;
    signal?.removeEventListener('abort', stop);
    void worker.terminate();
  };
  return { ports, early, portBits, close, taken };
}
