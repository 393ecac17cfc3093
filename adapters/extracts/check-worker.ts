/**
 * `dtks check` on two threads. The worker (loader.worker.ts) loads both reference extracts and copies their
 * columns into SharedArrayBuffers, so the main thread reads the very same registry and master (loaded once,
 * no copy per thread). It loads the master first and hands it over at once (ParallelCheck.early): the
 * main thread's pass-1 verdicts need only the master, so they run while the registry loads.
 *
 * The proposal is read once, by the main thread's pass 1, which keeps each batch for pass 2 (ParallelCheck.keep:
 * what the report shows of each row and its PortQuery, in shared memory, check-batches.ts) and posts it to
 * the worker. Then both threads compute pass 2's port codes (registry, master, claims: ProposalChecker.portBitsOf),
 * each for the batches it claims, and the main thread joins them with pass 1's verdicts and writes the report.
 *
 * Who computes a batch is settled per batch by a compare-and-swap on a shared claim table, so the split
 * follows the two threads' actual speed on a machine shared with other work: the worker claims a batch
 * only while the main thread is at least CLAIM_LEAD batches behind it (it works ahead of the writer, never
 * on the batch the writer is about to need), else it moves on; the main thread claims whatever it reaches
 * unclaimed, and computes itself a batch the worker has claimed but not yet posted, so it never waits on a
 * worker the machine has not scheduled (the worker's late answer is then dropped).
 *
 * The port codes depend on nothing but the row and the extracts, so the report is the one the
 * sequential path writes (test/adapters/extracts/check-worker.test.ts compares them byte for byte).
 */

import type { MessagePort } from 'node:worker_threads';
import type { PortBitsSource, PortQuery, ReportedRow } from '#core/integrity.ts';
import { ProposalChecker } from '#core/integrity.ts';
import type { IntegrityPorts } from '#core/ports.ts';
import type { ProposalRow } from '#core/proposal.ts';
import { DEFAULT_BATCH_SIZE } from '#core/proposal-reader.ts';
import { type KeptBatch, keepBatch, readBatch } from './check-batches.ts';
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
  submitter: string;
  /** The claim table and the main thread's position (see BatchClaims), shared with the main thread. */
  claims: SharedArrayBuffer;
}

/** From the worker. */
type CheckMessage =
  | { type: 'master'; master: MasterState }
  | { type: 'population'; population: PopulationState }
  | { type: 'bits'; batch: number; bits: Uint32Array }
  | { type: 'done' }
  | { type: 'error'; stage: 'ports' | 'bits'; error: SerialisedError };

/** To the worker: pass 1's batches in order, then their count. */
type BatchMessage = { type: 'batch'; batch: KeptBatch } | { type: 'end'; batches: number };

/**
 * Bytes of kept batches (their texts and tables) past which pass 1 keeps no more: a file of typical rows
 * keeps some 90 bytes a row (80 MB for the 914,229 rows of the 250,000-family world), but one of huge
 * cells could hold gigabytes. Past it pass 2 reads the file again, as before the batches were kept.
 */
export const MAX_KEPT_BYTES = 512 << 20;

/**
 * The worker claims a batch only this many batches ahead of the main thread's, so the main thread
 * never waits for a batch the worker has only just begun: it computes those itself.
 */
const CLAIM_LEAD = 2;
const UNCLAIMED = 0;
const BY_MAIN = 1;
/** The worker is computing the batch. */
const BY_WORKER = 2;
/** The worker has posted the batch's codes: they are on their way. */
const POSTED = 3;

/**
 * Who computes each batch's port codes, by the batch's ordinal in the file: Int32 0 is the ordinal the
 * main thread has reached in pass 2 (-CLAIM_LEAD before it), Int32 1 + k the claim of batch k.
 */
class BatchClaims {
  private readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  static buffer(proposalBytes: number): SharedArrayBuffer {
    // readProposal's batches: a file of n bytes has at most n / DEFAULT_BATCH_SIZE + 1 (a row has a byte at least).
    const batches = Math.ceil(proposalBytes / DEFAULT_BATCH_SIZE) + 1;
    const buffer = new SharedArrayBuffer((1 + batches) * Int32Array.BYTES_PER_ELEMENT);
    new Int32Array(buffer)[0] = -CLAIM_LEAD;
    return buffer;
  }

  /** The main thread reached batch k: the claim it found (UNCLAIMED: it is the main thread's now). */
  mainReaches(k: number): number {
    Atomics.store(this.cells, 0, k);
    if (k + 1 >= this.cells.length) return UNCLAIMED;
    return Atomics.compareExchange(this.cells, k + 1, UNCLAIMED, BY_MAIN);
  }

  /** The worker reached batch k: true when it is to compute it (far enough ahead of the main thread). */
  workerTakes(k: number): boolean {
    if (k + 1 >= this.cells.length || k - Atomics.load(this.cells, 0) < CLAIM_LEAD) return false;
    return Atomics.compareExchange(this.cells, k + 1, UNCLAIMED, BY_WORKER) === UNCLAIMED;
  }

  /** The worker posted batch k's codes. */
  posted(k: number): void {
    Atomics.store(this.cells, k + 1, POSTED);
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

/**
 * The worker's side: posts the ports messages (the master, then the registry), then one bits message per
 * batch it claims, then done.
 */
export async function runCheckTask(task: CheckTask, port: MessagePort): Promise<void> {
  let stage: 'ports' | 'bits' = 'ports';
  // Pass 1's batches arrive while the extracts load; they wait here until the look-ups can start.
  const batches: (KeptBatch | undefined)[] = [];
  let count: number | undefined;
  let wake: (() => void) | undefined;
  port.on('message', (message: BatchMessage) => {
    if (message.type === 'batch') batches.push(message.batch);
    else {
      count = message.batches;
      batches.length = Math.min(batches.length, count);
    }
    wake?.();
  });
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
    for (let k = 0; ; k++) {
      while (k >= batches.length && count === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (k >= batches.length || (count !== undefined && k >= count)) break;
      const batch = batches[k]!;
      // Read once, by one thread or the other: the main thread keeps its own reference.
      batches[k] = undefined;
      if (!claims.workerTakes(k)) continue;
      const bits = await checker.portBitsOf(readBatch(batch, true).queries);
      port.postMessage({ type: 'bits', batch: k, bits }, [bits.buffer as ArrayBuffer]);
      claims.posted(k);
    }
    port.postMessage({ type: 'done' });
  } catch (error) {
    port.postMessage({ type: 'error', stage, error: serialiseError(error) });
  } finally {
    port.removeAllListeners('message');
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
   * Keeps a batch of pass 1, with the queries ProposalChecker.addBatch gave for it, for pass 2 (both threads).
   * False once the kept batches pass the budget (MAX_KEPT_BYTES): nothing is kept any more, what was is
   * dropped, and pass 2 is to read the file again (ProposalChecker.emit on the rows, looking up in this thread).
   */
  keep(rows: readonly ProposalRow[], queries: readonly (PortQuery | undefined)[]): boolean;
  /**
   * Pass 2 over the kept batches, once, after the last keep: their rows in order, and their port codes from
   * the worker where it claimed the batch, else from `own` (the main thread's checker's portBitsOf).
   * What ProposalChecker.emit is given.
   */
  passTwo(own: (queries: readonly (PortQuery | undefined)[]) => Promise<Uint32Array>): {
    rows: Iterable<ReportedRow[]>;
    portBits: PortBitsSource<ReportedRow>;
  };
  /** Stops the worker (pass 2 is over: what it still computes is no longer needed). */
  close(): void;
  /** How many batches' port codes each thread computed so far (the worker's: those used). */
  readonly taken: { main: number; worker: number };
}

/**
 * Starts the worker for `task`; undefined where no worker can run (the caller then checks in one
 * thread). `proposal` is the file pass 1 reads (its size bounds the batches). Aborting `signal` stops the worker.
 */
export function startParallelCheck(
  task: Omit<CheckTask, 'claims'> & { proposalBytes: number; maxKeptBytes?: number },
  signal?: AbortSignal,
): ParallelCheck | undefined {
  signal?.throwIfAborted();
  const { proposalBytes, maxKeptBytes = MAX_KEPT_BYTES, ...check } = task;
  const buffer = BatchClaims.buffer(proposalBytes);
  const claims = new BatchClaims(buffer);
  let worker: ReturnType<typeof startWorker>;
  try {
    worker = startWorker({ check: { ...check, claims: buffer } });
  } catch {
    return undefined;
  }
  const kept: (KeptBatch | undefined)[] = [];
  let keptBytes = 0;
  let keeping = true;
  /** Codes the worker posted for batches the main thread has not reached. */
  const arrived = new Map<number, Uint32Array>();
  const waiting = new Map<number, { resolve: (bits: Uint32Array) => void; reject: (error: Error) => void }>();
  /** The batch pass 2 is at: codes posted for an earlier one came too late and are dropped. */
  let reached = -1;
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
        const wait = waiting.get(message.batch);
        if (wait) {
          waiting.delete(message.batch);
          wait.resolve(message.bits);
        } else if (message.batch > reached) arrived.set(message.batch, message.bits);
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

  const post = (message: BatchMessage) => {
    if (!done) worker.postMessage(message);
  };
  const keep: ParallelCheck['keep'] = (rows, queries) => {
    if (!keeping) return false;
    const batch = keepBatch(rows, queries);
    keptBytes += batch.texts.byteLength + batch.table.byteLength;
    if (keptBytes > maxKeptBytes) {
      keeping = false;
      kept.length = 0;
      // The worker drops what it holds and looks nothing more up.
      post({ type: 'end', batches: 0 });
      return false;
    }
    kept.push(batch);
    post({ type: 'batch', batch });
    return true;
  };
  const taken = { main: 0, worker: 0 };
  const passTwo: ParallelCheck['passTwo'] = (own) => {
    if (!keeping) throw new Error('check worker: pass 2 over kept batches after keep() gave up keeping them');
    post({ type: 'end', batches: kept.length });
    let pending: { rows: ReportedRow[]; bits: Promise<Uint32Array> } | undefined;
    function* rows(): Generator<ReportedRow[]> {
      for (let k = 0; k < kept.length; k++) {
        reached = k;
        const batch = kept[k]!;
        kept[k] = undefined;
        const fromWorker = arrived.get(k);
        arrived.delete(k);
        // Always told, so the worker's claims stay CLAIM_LEAD ahead of where this thread really is.
        const claim = claims.mainReaches(k);
        if (fromWorker || claim === POSTED) {
          taken.worker++;
          const { rows } = readBatch(batch, false);
          const bits = fromWorker
            ? Promise.resolve(fromWorker)
            : ended
              ? Promise.reject(ended)
              : new Promise<Uint32Array>((resolve, reject) => waiting.set(k, { resolve, reject }));
          pending = { rows, bits: bits.then((codes) => sameLength(codes, rows, k)) };
        } else {
          // Unclaimed, or claimed by a worker that has not answered yet: computed here, not waited for.
          taken.main++;
          const { rows, queries } = readBatch(batch, true);
          pending = { rows, bits: own(queries) };
        }
        yield pending.rows;
      }
    }
    const portBits: PortBitsSource<ReportedRow> = (batch) => {
      if (batch !== pending?.rows) throw new Error('check worker: port codes asked for a batch out of order');
      return pending.bits;
    };
    return { rows: rows(), portBits };
  };
  const close = () => {
    done = true;
    signal?.removeEventListener('abort', stop);
    void worker.terminate();
  };
  return { ports, early, keep, passTwo, close, taken };
}

/** The worker's codes for kept batch k, which it decoded from the same bytes: one per row. */
function sameLength(bits: Uint32Array, rows: readonly ReportedRow[], k: number): Uint32Array {
  if (bits.length !== rows.length) throw new Error(`check worker: batch ${k} differs in length`);
  return bits;
}
