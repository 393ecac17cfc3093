/**
 * Persistence of executions, under <dataDir>/executions/<machine>/: per execution, a JSON file of its
 * state replaced atomically (write a temporary file, then rename) after every step, so a process stopped
 * at any moment leaves either the previous or the next state on disk, never half of one; and its history
 * as NDJSON, only appended to (rewriting it every step would make long loops quadratic). The state file
 * names how many history events belong to it: events appended after it (a step the stopped process did
 * not finish recording) are cut off on load, and the step is done again.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Json } from './definition.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type Failure = { error: string; cause: string };
export type FrameResult = { output: Json } | Failure;

export type Phase =
  | { kind: 'run' }
  /** A Retry back-off or a Wait state: nothing to do until `wakeAt` (epoch ms). */
  | { kind: 'sleep'; wakeAt: number; purpose: 'retry' | 'wait' }
  | InvokePhase
  | { kind: 'children'; children: FrameRecord[]; maxConcurrency: number };

export interface InvokePhase {
  kind: 'invoke';
  functionArn: string;
  payload: Json;
  waitForToken: boolean;
  /** The task token of a waitForTaskToken task; kept here (not in any log) so a restart keeps waiting for it. */
  token?: string;
  timeoutAt?: number;
  heartbeatSeconds?: number;
  heartbeatAt?: number;
  /** The Lambda invocation returned (waitForTaskToken: now waiting for the token). */
  invoked: boolean;
  /** What SendTaskSuccess/SendTaskFailure reported. */
  outcome?: FrameResult;
}

/** One thread of control: the top level, a Map iteration or a Parallel branch. */
export interface FrameRecord {
  id: string;
  /** Path to this frame's States: Map names (ItemProcessor) and "Parallel#index" (branch) from the top. */
  body: string[];
  /** The variables this scope assigned; enclosing scopes' variables are read through the parents. */
  variables: Record<string, Json>;
  state: string;
  input: Json;
  entered: boolean;
  enteredAt: number;
  retryCounts: number[];
  retryTotal: number;
  phase: Phase;
  result?: FrameResult;
}

export interface HistoryEventRecord {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  details?: { key: string; value: Record<string, Json> };
}

export interface ExecutionRecord {
  version: 1;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  root: FrameRecord;
  history: HistoryEventRecord[];
  /** SHA-256 of every task token that was closed, so a late SendTaskSuccess answers TaskTimedOut. */
  closedTokens: string[];
}

/** The state file: the record without its history, plus how many history events belong to it. */
type StoredExecution = Omit<ExecutionRecord, 'history'> & { historyLength: number };

export class ExecutionStore {
  private readonly directory: string;
  private readonly slots = new Map<string, { chain: Promise<void>; queued: Promise<void> | undefined }>();
  /** History events already appended to each execution's NDJSON file. */
  private readonly appended = new Map<string, number>();
  private closed = false;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'executions');
  }

  async loadAll(): Promise<ExecutionRecord[]> {
    await mkdir(this.directory, { recursive: true });
    const records: ExecutionRecord[] = [];
    for (const machine of await readdir(this.directory, { withFileTypes: true })) {
      if (!machine.isDirectory()) continue;
      const folder = join(this.directory, machine.name);
      for (const file of await readdir(folder)) {
        if (!file.endsWith('.json')) continue;
        const { historyLength, ...stored } = JSON.parse(await readFile(join(folder, file), 'utf8')) as StoredExecution;
        const historyFile = join(folder, file.replace(/\.json$/, '.history.ndjson'));
        const lines = (await readFile(historyFile, 'utf8').catch(() => '')).split('\n').filter((line) => line);
        const history = lines.slice(0, historyLength).map((line) => JSON.parse(line) as HistoryEventRecord);
        if (history.length < historyLength) throw new Error(`${historyFile} lacks events of ${stored.executionArn}`);
        if (lines.length > historyLength) {
          await writeFile(
            historyFile,
            lines
              .slice(0, historyLength)
              .map((line) => `${line}\n`)
              .join(''),
          );
        }
        this.appended.set(stored.executionArn, historyLength);
        records.push({ ...stored, history });
      }
    }
    return records;
  }

  /**
   * Writes the record's current state. Saves of one execution are serialised; a save requested while a
   * write is running is coalesced into the next write, which serialises the record as it is then.
   */
  save(record: ExecutionRecord): Promise<void> {
    let slot = this.slots.get(record.executionArn);
    if (!slot) {
      slot = { chain: Promise.resolve(), queued: undefined };
      this.slots.set(record.executionArn, slot);
    }
    if (slot.queued) return slot.queued;
    const current = slot;
    const queued = current.chain.then(async () => {
      current.queued = undefined;
      if (this.closed) return;
      await this.write(record);
    });
    current.queued = queued;
    current.chain = queued.catch(() => undefined);
    return queued;
  }

  /** Finishes the writes under way and refuses later ones (the runtime stopped). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.slots.values()].map((slot) => slot.chain));
  }

  private async write(record: ExecutionRecord): Promise<void> {
    const folder = join(this.directory, encodeURIComponent(record.stateMachineName));
    await mkdir(folder, { recursive: true });
    const base = join(folder, encodeURIComponent(record.name));
    // History first: the state file written next never names events that are not on disk.
    const historyLength = record.history.length;
    const appended = this.appended.get(record.executionArn) ?? 0;
    if (historyLength > appended) {
      const lines = record.history.slice(appended, historyLength).map((event) => `${JSON.stringify(event)}\n`);
      await appendFile(`${base}.history.ndjson`, lines.join(''));
      this.appended.set(record.executionArn, historyLength);
    }
    const { history: _history, ...state } = record;
    const stored: StoredExecution = { ...state, historyLength };
    const temporary = `${base}.json.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, JSON.stringify(stored));
    await rename(temporary, `${base}.json`);
  }
}
