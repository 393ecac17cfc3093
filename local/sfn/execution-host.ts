/**
 * What the rooms of the runtime share: the loaded machines and the executions, the store, the clock, the
 * task tokens, and the means of an execution to record, save, sleep and stop. An execution is a tree of
 * frames (local/sfn/store.ts) run by the interpreter; `Halted` unwinds it when it is stopped.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from './clock.ts';
import type { Json, StateMachineDefinition } from './definition.ts';
import { appendEvent } from './history.ts';
import { type ExecutionStatusChangeEvent, StatusChangeAnnouncer } from './status-events.ts';
import type { ExecutionRecord, ExecutionStore, FrameRecord, MapRunRecord } from './store.ts';
import { TaskTokens } from './task-tokens.ts';

/** Invokes a Lambda function by ARN; the local environment wires it to the handlers in-process. */
export interface LambdaInvoker {
  invoke(functionArn: string, payload: Json, options: { taskToken?: string }): Promise<unknown>;
}

/**
 * The S3 objects a distributed Map reads (ItemReader) and writes (ResultWriter); the local environment
 * hands the local S3 through @aws-sdk/client-s3 (local/sfn/s3-objects.ts). Errors are thrown as they come.
 */
export interface ObjectStorage {
  getObject(request: { bucket: string; key: string; versionId?: string }): Promise<string>;
  putObject(request: { bucket: string; key: string; body: string; contentType: string }): Promise<void>;
}

export interface Tag {
  key: string;
  value: string;
}

export interface Machine {
  name: string;
  arn: string;
  definition: StateMachineDefinition;
  creationDate: Date;
  tags: Tag[];
  /** The machine of a distributed Map's child executions (<machine>/<label>): the machine it belongs to. */
  parentArn?: string;
}

/** A Map Run and the inputs of its child executions. */
export interface LiveMapRun {
  record: MapRunRecord;
  items: Json[];
}

export interface LiveExecution {
  record: ExecutionRecord;
  machine: Machine;
  controller: AbortController;
}

/** Thrown through the interpreter when its execution was stopped (StopExecution or runtime stop). */
export class Halted extends Error {
  override readonly name = 'Halted';
}

export interface HostOptions {
  region: string;
  account: string;
  clock: Clock;
  random: () => number;
  invoker: LambdaInvoker;
  objects: ObjectStorage | undefined;
  store: ExecutionStore;
  log: (message: string) => void;
  onStatusChange: ((event: ExecutionStatusChangeEvent) => void) | undefined;
}

export class ExecutionHost {
  readonly region: string;
  readonly account: string;
  readonly clock: Clock;
  /** Source of the FULL jitter of Retry back-offs. */
  readonly random: () => number;
  readonly invoker: LambdaInvoker;
  readonly objects: ObjectStorage | undefined;
  readonly store: ExecutionStore;
  readonly log: (message: string) => void;
  readonly machines = new Map<string, Machine>();
  readonly executions = new Map<string, LiveExecution>();
  readonly mapRuns = new Map<string, LiveMapRun>();
  readonly tokens = new TaskTokens();
  private readonly announcer: StatusChangeAnnouncer;
  private readonly wakers = new Map<FrameRecord, () => void>();
  private readonly timers = new Set<() => void>();
  private readonly signals = new EventEmitter();
  private stopped = false;

  constructor(options: HostOptions) {
    this.region = options.region;
    this.account = options.account;
    this.clock = options.clock;
    this.random = options.random;
    this.invoker = options.invoker;
    this.objects = options.objects;
    this.store = options.store;
    this.log = options.log;
    this.announcer = new StatusChangeAnnouncer(options);
    this.signals.setMaxListeners(0);
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  executionArn(stateMachineName: string, name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:execution:${stateMachineName}:${name}`;
  }

  mapRunArn(childMachineName: string, id: string): string {
    return `arn:aws:states:${this.region}:${this.account}:mapRun:${childMachineName}:${id}`;
  }

  /**
   * A new RUNNING execution (ExecutionStarted recorded), saved and announced; the caller launches it.
   * Name and input are checked by the caller. A Map Run's child is launched without waiting for its first
   * save: its first side effect waits for a later one (saves of an execution are written in order and
   * coalesced, so one write covers both), and a child lost before it was saved is started again on resume
   * under the same name.
   */
  async createExecution(
    machine: Machine,
    name: string,
    input: string,
    parent?: { mapRunArn: string; parentExecutionArn: string },
  ): Promise<LiveExecution> {
    const now = this.clock.now();
    const record: ExecutionRecord = {
      version: 1,
      executionArn: this.executionArn(machine.name, name),
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      input,
      status: 'RUNNING',
      startDate: now,
      root: newFrame('root', [], machine.definition.StartAt, JSON.parse(input) as Json, now),
      history: [],
      closedTokens: [],
      ...(parent ?? {}),
    };
    const live: LiveExecution = { record, machine, controller: new AbortController() };
    this.executions.set(record.executionArn, live);
    this.addEvent(record, 'ExecutionStarted', 'executionStartedEventDetails', {
      input,
      inputDetails: { truncated: false },
      roleArn: this.roleArn,
    });
    const saved = this.store.save(record).then(() => this.statusChanged(record));
    if (parent) {
      saved.catch((error: unknown) => this.log(`Could not save ${record.executionArn}: ${String(error)}`));
    } else await saved;
    return live;
  }

  /**
   * Stops a running execution as StopExecution does (ABORTED, its tokens closed), and with it the child
   * executions of its distributed Maps and their Map Runs, as AWS aborts a Map Run with its parent.
   */
  async abort(live: LiveExecution, details: { error?: string; cause?: string } = {}): Promise<void> {
    const { record } = live;
    if (record.status !== 'RUNNING') return;
    live.controller.abort();
    this.tokens.closeAllUnder(live, record.root);
    record.status = 'ABORTED';
    record.stopDate = this.clock.now();
    if (details.error !== undefined) record.error = details.error;
    if (details.cause !== undefined) record.cause = details.cause;
    this.addEvent(record, 'ExecutionAborted', 'executionAbortedEventDetails', {
      ...(details.error !== undefined ? { error: details.error } : {}),
      ...(details.cause !== undefined ? { cause: details.cause } : {}),
    });
    await this.store.save(record);
    this.statusChanged(record);
    const children = [...this.executions.values()].filter(
      (child) => child.record.parentExecutionArn === record.executionArn && child.record.status === 'RUNNING',
    );
    await Promise.all(children.map((child) => this.abort(child)));
    for (const run of this.mapRuns.values()) {
      if (run.record.executionArn !== record.executionArn || run.record.status !== 'RUNNING') continue;
      run.record.status = 'ABORTED';
      run.record.stopDate = this.clock.now();
      await this.store.saveMapRun(run.record);
    }
  }

  /** Resolves with the record once the execution is closed; Halted when `signal` aborts first. */
  whenClosed(executionArn: string, signal: AbortSignal): Promise<ExecutionRecord> {
    const event = `status:${executionArn}`;
    return new Promise<ExecutionRecord>((resolve, reject) => {
      const check = () => {
        const live = this.executions.get(executionArn);
        if (!live || live.record.status === 'RUNNING') return;
        cleanup();
        resolve(live.record);
      };
      const onAbort = () => {
        cleanup();
        reject(new Halted('The execution was stopped'));
      };
      const cleanup = () => {
        this.signals.off(event, check);
        signal.removeEventListener('abort', onAbort);
      };
      if (signal.aborted || this.stopped) return reject(new Halted('The execution was stopped'));
      this.signals.on(event, check);
      signal.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  /** The role an execution runs as, in DescribeStateMachine and the context object. */
  get roleArn(): string {
    return `arn:aws:iam::${this.account}:role/local-step-functions`;
  }

  addEvent(record: ExecutionRecord, type: string, key?: string, value?: Record<string, Json>): void {
    appendEvent(record, this.clock.now(), type, key, value);
  }

  /** The status of the execution changed and is saved: wake the waiters and announce it. */
  statusChanged(record: ExecutionRecord): void {
    this.signals.emit(`status:${record.executionArn}`);
    this.announcer.announce(record, this.clock.now());
  }

  /** A task of the execution was scheduled or its function returned (waitForPendingTask looks again). */
  taskChanged(executionArn: string): void {
    this.signals.emit(`task:${executionArn}`);
  }

  /** Resolves with what `find` finds, looking again at every signal of `kind` for the execution. */
  waitFor<T>(
    find: () => T | undefined,
    kind: 'status' | 'task',
    executionArn: string,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const signal = `${kind}:${executionArn}`;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.signals.off(signal, check);
      };
      this.signals.on(signal, check);
      check();
    });
  }

  /**
   * Saves without waiting, after pure steps (entering a state, Pass, Choice): redoing them after a stop is
   * harmless. Every side effect (an invocation, a token, a sleep, the end) waits for its save first, and
   * saves of one execution are written in order, so those waits also cover the steps saved before.
   */
  saveLater(live: LiveExecution, signal: AbortSignal): void {
    this.checkAlive(signal);
    this.store.save(live.record).catch((error: unknown) => {
      this.log(`Could not save ${live.record.executionArn}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async save(live: LiveExecution, signal: AbortSignal): Promise<void> {
    this.checkAlive(signal);
    await this.store.save(live.record);
    this.checkAlive(signal);
  }

  checkAlive(signal: AbortSignal): void {
    if (signal.aborted || this.stopped) throw new Halted('The execution was stopped');
  }

  /** Waits until `at` (or forever when undefined), `wake(frame)`, or `also` settles. */
  sleepUntil(frame: FrameRecord, at: number | undefined, signal: AbortSignal, also?: Promise<unknown>): Promise<void> {
    this.checkAlive(signal);
    return new Promise<void>((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const done = () => {
        if (cancelTimer) {
          cancelTimer();
          this.timers.delete(cancelTimer);
        }
        this.wakers.delete(frame);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(new Halted('The execution was stopped'));
      };
      if (at !== undefined) {
        cancelTimer = this.clock.schedule(at, done);
        this.timers.add(cancelTimer);
      }
      this.wakers.set(frame, done);
      signal.addEventListener('abort', onAbort, { once: true });
      also?.then(done, done);
    });
  }

  /** An outcome arrived for the sleeping frame (a token decided, a heartbeat): it looks again. */
  wake(frame: FrameRecord): void {
    this.wakers.get(frame)?.();
  }

  /** Stops timers and persistence, as if the process ended; invocations under way are abandoned. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const live of this.executions.values()) live.controller.abort();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    await this.store.close();
  }

  /** The runtime stopped (then nothing is recorded any more, not even a failure). */
  get isStopped(): boolean {
    return this.stopped;
  }
}

export function newFrame(id: string, body: string[], state: string, input: Json, now: number): FrameRecord {
  return {
    id,
    body,
    variables: {},
    state,
    input,
    entered: false,
    enteredAt: now,
    retryCounts: [],
    retryTotal: 0,
    phase: { kind: 'run' },
  };
}
