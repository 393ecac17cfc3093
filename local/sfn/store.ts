/**
 * Persistence of executions, under <dataDir>/executions/<machine>/: per execution, a JSON file of its
 * state replaced atomically (write a temporary file, then rename) after every step, so a process stopped
 * at any moment leaves either the previous or the next state on disk, never half of one; and its history
 * as NDJSON, only appended to (rewriting it every step would make long loops quadratic). The state file
 * names how many history events belong to it: events appended after it (a step the stopped process did
 * not finish recording) are cut off on load, and the step is done again.
 *
 * The Map Runs of distributed Maps live under <dataDir>/map-runs/: per Map Run its record (replaced
 * atomically like a state file) and the inputs of its child executions, written once before the first
 * child starts. The child executions are executions like any other, stored under their own machine
 * (<machine>/<label>), so a restart resumes them as it resumes every execution.
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
  | { kind: 'children'; children: FrameRecord[]; maxConcurrency: number }
  /** A distributed Map: its child executions run as the Map Run (persisted on its own) says. */
  | { kind: 'mapRun'; mapRunArn: string };

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
  /** A child execution of a distributed Map: its Map Run and the execution that started it. */
  mapRunArn?: string;
  parentExecutionArn?: string;
}

export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** A distributed Map's run: its settings as evaluated when it started, and how it ended. */
export interface MapRunRecord {
  version: 1;
  mapRunArn: string;
  /** The UUID at the end of the ARN, which also names the ResultWriter's folder. */
  id: string;
  /** The execution whose Map state started it. */
  executionArn: string;
  /** Which entry of which state of which frame started it: the same entry, resumed, takes the same Map Run. */
  origin: string;
  /** The machine of its child executions: <machine>/<label>. */
  stateMachineArn: string;
  status: MapRunStatus;
  startDate: number;
  stopDate?: number;
  /** 0 = no limit of the definition's (AWS's 10,000). */
  maxConcurrency: number;
  /** As the definition sets them (absent: not set; neither set tolerates no failure). */
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
  /** Items, one child execution each. */
  total: number;
  /** Where the ResultWriter exports, evaluated when the Map Run started. */
  resultWriter?: { bucket: string; prefix: string };
  /** Child executions whose results the ResultWriter wrote. */
  resultsWritten: number;
}

/** The state file: the record without its history, plus how many history events belong to it. */
type StoredExecution = Omit<ExecutionRecord, 'history'> & { historyLength: number };

export class ExecutionStore {
  private readonly directory: string;
  private readonly slots = new Map<string, { chain: Promise<void>; queued: Promise<void> | undefined }>();
  /** Machine folders known to exist. */
  private readonly folders = new Set<string>();
  /** History events already appended to each execution's NDJSON file. */
  private readonly appended = new Map<string, number>();
  private closed = false;

  private readonly mapRunDirectory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'executions');
    this.mapRunDirectory = join(dataDir, 'map-runs');
  }

  async loadMapRuns(): Promise<MapRunRecord[]> {
    await mkdir(this.mapRunDirectory, { recursive: true });
    const records: MapRunRecord[] = [];
    for (const file of await readdir(this.mapRunDirectory)) {
      if (!file.endsWith('.run.json')) continue;
      records.push(JSON.parse(await readFile(join(this.mapRunDirectory, file), 'utf8')) as MapRunRecord);
    }
    return records;
  }

  /** The inputs of a Map Run's child executions, in item order. */
  async loadMapRunItems(record: MapRunRecord): Promise<Json[]> {
    return JSON.parse(await readFile(join(this.mapRunDirectory, `${record.id}.items.json`), 'utf8')) as Json[];
  }

  /** Writes the child inputs, then the record: a record on disk always has its items. */
  async createMapRun(record: MapRunRecord, items: Json[]): Promise<void> {
    await mkdir(this.mapRunDirectory, { recursive: true });
    await replaceFile(join(this.mapRunDirectory, `${record.id}.items.json`), JSON.stringify(items));
    await this.saveMapRun(record);
  }

  async saveMapRun(record: MapRunRecord): Promise<void> {
    if (this.closed) return;
    await replaceFile(join(this.mapRunDirectory, `${record.id}.run.json`), JSON.stringify(record));
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
    // Once per machine folder, not per write: a write is a handful of file operations, each a thread-pool trip.
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
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
    await replaceFile(`${base}.json`, JSON.stringify(stored));
  }
}

/** Write-then-rename: a reader finds the previous content or the new, never half of it. */
async function replaceFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
