/**
 * The local Step Functions runtime: executes the JSONata ASL subset of local/sfn/definition.ts, persists
 * every execution after every step (local/sfn/store.ts) and resumes them on start, and answers the Step
 * Functions API operations the project uses (the HTTP face is local/sfn/http.ts).
 *
 * This class is the runtime's public face; each job is a room of its own (local/sfn/README.md): the API
 * operations (operations.ts), the interpreter (interpreter.ts) with Task states (task-invocation.ts) and
 * Map/Parallel (map-parallel.ts), task tokens (task-tokens.ts), the history (history.ts) and the status
 * change events (status-events.ts), around what they share (execution-host.ts).
 */
import { type Clock, systemClock } from './clock.ts';
import { distributedMaps, mapRunLabel, type StateMachineDefinition } from './definition.ts';
import {
  ExecutionHost,
  type LambdaInvoker,
  type LiveExecution,
  type ObjectStorage,
  type Tag,
} from './execution-host.ts';
import { Interpreter } from './interpreter.ts';
import { describe, type ExecutionDescription, StepFunctionsOperations } from './operations.ts';
import type { ExecutionStatusChangeEvent } from './status-events.ts';
import { type ExecutionRecord, type ExecutionStatus, ExecutionStore, type InvokePhase } from './store.ts';
import type { PendingTask } from './task-tokens.ts';

export type { LambdaInvoker, ObjectStorage, Tag } from './execution-host.ts';
export type { HistoryEvent } from './history.ts';
export type {
  ExecutionDescription,
  ExecutionListItem,
  MapRunDescription,
  ValidationDiagnostic,
} from './operations.ts';
export type { PendingTask } from './task-tokens.ts';

export interface StateMachineSource {
  name: string;
  definition: StateMachineDefinition;
  /** What ListTagsForResource answers for the machine. @default none */
  tags?: Tag[];
}

export interface RuntimeOptions {
  /** Where executions are persisted; a new runtime on the same directory resumes them. */
  dataDir: string;
  machines: StateMachineSource[];
  invoker: LambdaInvoker;
  /** The S3 of distributed Maps (ItemReader, ResultWriter); without it such a Map fails with States.Runtime. */
  objects?: ObjectStorage;
  clock?: Clock;
  /** Source of the FULL jitter of Retry back-offs; tests fix it. */
  random?: () => number;
  region?: string;
  account?: string;
  /** Operator-facing messages (never task tokens). */
  log?: (message: string) => void;
  /**
   * Receives the "Step Functions Execution Status Change" event of every status change, after the status
   * is saved (the local environment routes them as the production EventBridge rules do). Not called for
   * executions resumed at start: their change was announced by the runtime that made it.
   */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => void;
}

const TERMINAL: ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

type Operations = StepFunctionsOperations;

export class StepFunctionsRuntime {
  readonly region: string;
  readonly account: string;
  private readonly host: ExecutionHost;
  private readonly interpreter: Interpreter;
  private readonly operations: StepFunctionsOperations;

  private constructor(options: RuntimeOptions) {
    this.host = new ExecutionHost({
      region: options.region ?? 'ap-southeast-3',
      account: options.account ?? '000000000000',
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      invoker: options.invoker,
      objects: options.objects,
      store: new ExecutionStore(options.dataDir),
      log: options.log ?? (() => undefined),
      onStatusChange: options.onStatusChange,
    });
    this.region = this.host.region;
    this.account = this.host.account;
    this.interpreter = new Interpreter(this.host);
    this.operations = new StepFunctionsOperations(this.host, this.interpreter);
    const creationDate = new Date(this.host.clock.now());
    for (const { name, definition, tags = [] } of options.machines) {
      const arn = this.stateMachineArn(name);
      this.host.machines.set(arn, { name, arn, definition, creationDate, tags });
      // Each distributed Map's ItemProcessor is the machine of its child executions, <machine>/<label>.
      for (const map of distributedMaps(definition)) {
        const childName = `${name}/${mapRunLabel(map.name, map.state)}`;
        const childArn = this.stateMachineArn(childName);
        const { ProcessorConfig: _config, ...body } = map.state.ItemProcessor;
        this.host.machines.set(childArn, {
          name: childName,
          arn: childArn,
          definition: { ...body, text: JSON.stringify(body) },
          creationDate,
          tags: [],
          parentArn: arn,
        });
      }
    }
  }

  /** Loads the persisted executions and resumes the running ones where they stopped. */
  static async start(options: RuntimeOptions): Promise<StepFunctionsRuntime> {
    const runtime = new StepFunctionsRuntime(options);
    const { host } = runtime;
    for (const record of await host.store.loadMapRuns()) {
      host.mapRuns.set(record.mapRunArn, { record, items: await host.store.loadMapRunItems(record) });
    }
    // Every execution is known before any resumes: a resumed Map Run finds the children it had started.
    const adopted = (await host.store.loadAll()).flatMap((record) => runtime.adopt(record) ?? []);
    for (const live of adopted) runtime.interpreter.launch(live);
    const resumed = adopted.length;
    if (resumed > 0)
      runtime.host.log(`Step Functions: resumed ${resumed} running execution(s) from ${options.dataDir}`);
    return runtime;
  }

  stateMachineArn(name: string): string {
    return this.host.stateMachineArn(name);
  }

  executionArn(stateMachineName: string, name: string): string {
    return this.host.executionArn(stateMachineName, name);
  }

  /** Stops timers and persistence, as if the process ended; invocations under way are abandoned. */
  stop(): Promise<void> {
    return this.host.stop();
  }

  // The Step Functions API operations (operations.ts).

  startExecution(request: Parameters<Operations['startExecution']>[0]): ReturnType<Operations['startExecution']> {
    return this.operations.startExecution(request);
  }

  describeExecution(request: Parameters<Operations['describeExecution']>[0]): ExecutionDescription {
    return this.operations.describeExecution(request);
  }

  listExecutions(request: Parameters<Operations['listExecutions']>[0]): ReturnType<Operations['listExecutions']> {
    return this.operations.listExecutions(request);
  }

  getExecutionHistory(
    request: Parameters<Operations['getExecutionHistory']>[0],
  ): ReturnType<Operations['getExecutionHistory']> {
    return this.operations.getExecutionHistory(request);
  }

  stopExecution(request: Parameters<Operations['stopExecution']>[0]): ReturnType<Operations['stopExecution']> {
    return this.operations.stopExecution(request);
  }

  sendTaskSuccess(request: Parameters<Operations['sendTaskSuccess']>[0]): ReturnType<Operations['sendTaskSuccess']> {
    return this.operations.sendTaskSuccess(request);
  }

  sendTaskFailure(request: Parameters<Operations['sendTaskFailure']>[0]): ReturnType<Operations['sendTaskFailure']> {
    return this.operations.sendTaskFailure(request);
  }

  sendTaskHeartbeat(
    request: Parameters<Operations['sendTaskHeartbeat']>[0],
  ): ReturnType<Operations['sendTaskHeartbeat']> {
    return this.operations.sendTaskHeartbeat(request);
  }

  describeStateMachine(
    request: Parameters<Operations['describeStateMachine']>[0],
  ): ReturnType<Operations['describeStateMachine']> {
    return this.operations.describeStateMachine(request);
  }

  describeStateMachineForExecution(
    request: Parameters<Operations['describeStateMachineForExecution']>[0],
  ): ReturnType<Operations['describeStateMachineForExecution']> {
    return this.operations.describeStateMachineForExecution(request);
  }

  listTagsForResource(
    request: Parameters<Operations['listTagsForResource']>[0],
  ): ReturnType<Operations['listTagsForResource']> {
    return this.operations.listTagsForResource(request);
  }

  describeMapRun(request: Parameters<Operations['describeMapRun']>[0]): ReturnType<Operations['describeMapRun']> {
    return this.operations.describeMapRun(request);
  }

  listMapRuns(request: Parameters<Operations['listMapRuns']>[0]): ReturnType<Operations['listMapRuns']> {
    return this.operations.listMapRuns(request);
  }

  validateStateMachineDefinition(
    request: Parameters<Operations['validateStateMachineDefinition']>[0],
  ): ReturnType<Operations['validateStateMachineDefinition']> {
    return this.operations.validateStateMachineDefinition(request);
  }

  listStateMachines(
    request: Parameters<Operations['listStateMachines']>[0] = {},
  ): ReturnType<Operations['listStateMachines']> {
    return this.operations.listStateMachines(request);
  }

  // The in-process API, for the local environment and tests.

  /** The tasks waiting for a token, for the local task store and tests (the only place a token is shown). */
  listPendingTasks(): PendingTask[] {
    return this.host.tokens.pending();
  }

  /**
   * Resolves once a task of the execution waits for its token (optionally in the named state): its
   * function has returned, so the token is wherever the function put it.
   */
  waitForPendingTask(executionArn: string, stateName?: string, timeoutMs = 30_000): Promise<PendingTask> {
    const find = () =>
      this.host.tokens.pending(
        ({ live, frame }) =>
          live.record.executionArn === executionArn &&
          (stateName === undefined || frame.state === stateName) &&
          (frame.phase as InvokePhase).invoked,
      )[0];
    return this.host.waitFor(
      find,
      'task',
      executionArn,
      timeoutMs,
      `a task token of ${executionArn} in ${stateName ?? 'any state'}`,
    );
  }

  /** Resolves with the execution once its status is one of `statuses` (default: any closed status). */
  waitForStatus(
    executionArn: string,
    statuses: ExecutionStatus[] = TERMINAL,
    timeoutMs = 30_000,
  ): Promise<ExecutionDescription> {
    const find = () => {
      const live = this.host.executions.get(executionArn);
      return live && statuses.includes(live.record.status) ? describe(live.record) : undefined;
    };
    return this.host.waitFor(find, 'status', executionArn, timeoutMs, `${executionArn} to be ${statuses.join('/')}`);
  }

  /** Takes over a persisted execution and indexes its tokens; a running one is returned, to be resumed. */
  private adopt(record: ExecutionRecord): LiveExecution | undefined {
    const { host } = this;
    host.tokens.rememberClosed(record);
    const machine = host.machines.get(record.stateMachineArn);
    if (!machine) {
      host.log(`Execution ${record.executionArn} belongs to a state machine that is not loaded; left as it is`);
      return undefined;
    }
    const live: LiveExecution = { record, machine, controller: new AbortController() };
    host.executions.set(record.executionArn, live);
    if (record.status !== 'RUNNING') return undefined;
    host.tokens.resume(live);
    return live;
  }
}
