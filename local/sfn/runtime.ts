/**
 * The local Step Functions runtime: executes the JSONata ASL subset of local/sfn/definition.ts, persists
 * every execution after every step (local/sfn/store.ts) and resumes them on start, and answers the Step
 * Functions API operations the project uses (the HTTP face is local/sfn/http.ts).
 *
 * Semantics follow the Step Functions developer guide: "Transforming data with JSONata", "Passing data
 * between states with variables", "Handling errors" (Retry/Catch), "Wait for a callback with task token".
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from './clock.ts';
import {
  AslDefinitionError,
  type Catcher,
  type ChoiceState,
  checkDefinition,
  type FailState,
  isObject,
  type Json,
  type JsonObject,
  LAMBDA_INVOKE_WAIT,
  type MapState,
  type ParallelState,
  type Retrier,
  type State,
  type StateMachineBody,
  type StateMachineDefinition,
  type TaskState,
  type WaitState,
} from './definition.ts';
import { StatesError, StepFunctionsApiError } from './errors.ts';
import { evaluateTemplate } from './jsonata.ts';
import { type ExecutionStatusChangeEvent, executionStatusChange } from './status-events.ts';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  ExecutionStore,
  type Failure,
  type FrameRecord,
  type FrameResult,
  type HistoryEventRecord,
  type InvokePhase,
} from './store.ts';

/** Invokes a Lambda function by ARN; the local environment wires it to the handlers in-process. */
export interface LambdaInvoker {
  invoke(functionArn: string, payload: Json, options: { taskToken?: string }): Promise<unknown>;
}

export interface StateMachineSource {
  name: string;
  definition: StateMachineDefinition;
  /** What ListTagsForResource answers for the machine. @default none */
  tags?: Tag[];
}

export interface Tag {
  key: string;
  value: string;
}

/** One finding of ValidateStateMachineDefinition. */
export interface ValidationDiagnostic {
  severity: 'ERROR' | 'WARNING';
  code: string;
  message: string;
  location?: string;
}

export interface RuntimeOptions {
  /** Where executions are persisted; a new runtime on the same directory resumes them. */
  dataDir: string;
  machines: StateMachineSource[];
  invoker: LambdaInvoker;
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

export interface PendingTask {
  executionArn: string;
  stateMachineArn: string;
  stateName: string;
  functionArn: string;
  taskToken: string;
  scheduledAt: Date;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

const TERMINAL: ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
// AWS: names are 1–80 characters without whitespace, brackets, wildcards, these punctuation marks or control characters.
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || INVALID_NAME_CHARACTER.test(name)) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}

// Step Functions quotas: 256 KiB for an execution input, a state's input/output/result and a state's
// assigned variables; 25,000 events in the history of a standard execution.
const MAX_PAYLOAD_BYTES = 262_144;
const MAX_HISTORY_EVENTS = 25_000;

function checkPayloadSize(value: Json, what: string): void {
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > MAX_PAYLOAD_BYTES) {
    throw new StatesError('States.DataLimitExceeded', `${what} is ${size} bytes; Step Functions allows 262144`);
  }
}

/** ValidateStateMachineDefinition takes definitions of up to 1,048,576 characters. */
const MAX_DEFINITION_LENGTH = 1_048_576;

/** SendTask* accept task tokens of 1 to 2048 characters (the API's length constraint). */
const MAX_TOKEN_LENGTH = 2048;

/** Task tokens carry a prefix so that the history can recognise and hide them wherever they appear. */
const TOKEN_PREFIX = 'AQl0';
const TOKEN_PATTERN = /AQl0[A-Za-z0-9_-]{128}/g;

/** Thrown through the interpreter when its execution was stopped (StopExecution or runtime stop). */
class Halted extends Error {
  override readonly name = 'Halted';
}

interface Machine {
  name: string;
  arn: string;
  definition: StateMachineDefinition;
  creationDate: Date;
  tags: Tag[];
}

interface LiveExecution {
  record: ExecutionRecord;
  machine: Machine;
  controller: AbortController;
}

type Step = { kind: 'next'; next: string; output: Json } | { kind: 'end'; output: Json } | ({ kind: 'fail' } & Failure);

interface Bindings {
  input: Json;
  result?: Json;
  errorOutput?: Json;
  token?: string;
  mapItem?: { Index: number; Value: Json };
}

export class StepFunctionsRuntime {
  readonly region: string;
  readonly account: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly invoker: LambdaInvoker;
  private readonly store: ExecutionStore;
  private readonly log: (message: string) => void;
  private readonly onStatusChange: ((event: ExecutionStatusChangeEvent) => void) | undefined;
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, LiveExecution>();
  private readonly pendingTokens = new Map<string, { live: LiveExecution; frame: FrameRecord }>();
  private readonly closedTokens = new Set<string>();
  private readonly wakers = new Map<FrameRecord, () => void>();
  private readonly timers = new Set<() => void>();
  private readonly events = new EventEmitter();
  private stopped = false;

  private constructor(options: RuntimeOptions) {
    this.region = options.region ?? 'ap-southeast-3';
    this.account = options.account ?? '000000000000';
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.invoker = options.invoker;
    this.store = new ExecutionStore(options.dataDir);
    this.log = options.log ?? (() => undefined);
    this.onStatusChange = options.onStatusChange;
    this.events.setMaxListeners(0);
    for (const { name, definition, tags = [] } of options.machines) {
      const arn = this.stateMachineArn(name);
      this.machines.set(arn, { name, arn, definition, creationDate: new Date(this.clock.now()), tags });
    }
  }

  /** Loads the persisted executions and resumes the running ones where they stopped. */
  static async start(options: RuntimeOptions): Promise<StepFunctionsRuntime> {
    const runtime = new StepFunctionsRuntime(options);
    let resumed = 0;
    for (const record of await runtime.store.loadAll()) if (runtime.adopt(record)) resumed++;
    if (resumed > 0) runtime.log(`Step Functions: resumed ${resumed} running execution(s) from ${options.dataDir}`);
    return runtime;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  executionArn(stateMachineName: string, name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:execution:${stateMachineName}:${name}`;
  }

  /** Stops timers and persistence, as if the process ended; invocations under way are abandoned. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const live of this.executions.values()) live.controller.abort();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    await this.store.close();
  }

  // -------------------------------------------------------------------------------------------
  // API operations (shapes of the Step Functions API; dates as Date)
  // -------------------------------------------------------------------------------------------

  async startExecution(request: {
    stateMachineArn: string;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: Date }> {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!isValidName(name)) {
      throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}'`);
    }
    const input = request.input ?? '{}';
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsApiError('InvalidExecutionInput', 'The execution input is larger than 256 KiB');
    }
    let parsedInput: Json;
    try {
      parsedInput = JSON.parse(input) as Json;
    } catch {
      throw new StepFunctionsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = this.executionArn(machine.name, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS: idempotent for the same name and input while the execution runs; otherwise ExecutionAlreadyExists.
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn, startDate: new Date(existing.record.startDate) };
      }
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const now = this.clock.now();
    const record: ExecutionRecord = {
      version: 1,
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      input,
      status: 'RUNNING',
      startDate: now,
      root: newFrame('root', [], machine.definition.StartAt, parsedInput, now),
      history: [],
      closedTokens: [],
    };
    const live: LiveExecution = { record, machine, controller: new AbortController() };
    this.executions.set(executionArn, live);
    this.addEvent(record, 'ExecutionStarted', 'executionStartedEventDetails', {
      input,
      inputDetails: { truncated: false },
      roleArn: `arn:aws:iam::${this.account}:role/local-step-functions`,
    });
    await this.store.save(record);
    this.statusChanged(record);
    this.launch(live);
    return { executionArn, startDate: new Date(now) };
  }

  describeExecution(request: { executionArn: string }): ExecutionDescription {
    return describe(this.execution(request.executionArn).record);
  }

  listExecutions(request: {
    stateMachineArn: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): {
    executions: ExecutionListItem[];
    nextToken?: string;
  } {
    this.machine(request.stateMachineArn);
    const all = [...this.executions.values()]
      .map(({ record }) => record)
      .filter((record) => record.stateMachineArn === request.stateMachineArn)
      .filter((record) => !request.statusFilter || record.status === request.statusFilter)
      .sort((a, b) => b.startDate - a.startDate || b.name.localeCompare(a.name));
    const { page, nextToken } = paginate(all, request.maxResults, request.nextToken, 1000);
    return {
      executions: page.map(listItem),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  getExecutionHistory(request: {
    executionArn: string;
    maxResults?: number;
    reverseOrder?: boolean;
    nextToken?: string;
    includeExecutionData?: boolean;
  }): { events: HistoryEvent[]; nextToken?: string } {
    const withData = request.includeExecutionData ?? true;
    const { record } = this.execution(request.executionArn);
    const ordered = request.reverseOrder ? [...record.history].reverse() : record.history;
    const { page, nextToken } = paginate(ordered, request.maxResults, request.nextToken, 1000);
    return {
      events: page.map((event) => ({
        id: event.id,
        previousEventId: event.previousEventId,
        timestamp: new Date(event.timestamp),
        type: event.type,
        ...(event.details
          ? { [event.details.key]: withData ? event.details.value : withoutData(event.details.value) }
          : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async stopExecution(request: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    const live = this.execution(request.executionArn);
    const { record } = live;
    if (record.status === 'RUNNING') {
      live.controller.abort();
      this.closeTokensOf(live, record.root);
      record.status = 'ABORTED';
      record.stopDate = this.clock.now();
      if (request.error !== undefined) record.error = request.error;
      if (request.cause !== undefined) record.cause = request.cause;
      this.addEvent(record, 'ExecutionAborted', 'executionAbortedEventDetails', {
        ...(request.error !== undefined ? { error: request.error } : {}),
        ...(request.cause !== undefined ? { cause: request.cause } : {}),
      });
      await this.store.save(record);
      this.statusChanged(record);
    }
    return { stopDate: new Date(record.stopDate ?? this.clock.now()) };
  }

  async sendTaskSuccess(request: { taskToken: string; output: string }): Promise<Record<string, never>> {
    const pending = this.pendingTask(request.taskToken);
    if (Buffer.byteLength(request.output) > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsApiError('ValidationException', 'The task output is larger than 256 KiB');
    }
    let output: Json;
    try {
      output = JSON.parse(request.output) as Json;
    } catch {
      throw new StepFunctionsApiError('InvalidOutput', 'Invalid Output: not valid JSON');
    }
    await this.settleToken(request.taskToken, pending, { output });
    return {};
  }

  async sendTaskFailure(request: {
    taskToken: string;
    error?: string;
    cause?: string;
  }): Promise<Record<string, never>> {
    const pending = this.pendingTask(request.taskToken);
    await this.settleToken(request.taskToken, pending, {
      error: request.error ?? 'States.TaskFailed',
      cause: request.cause ?? '',
    });
    return {};
  }

  async sendTaskHeartbeat(request: { taskToken: string }): Promise<Record<string, never>> {
    const { live, frame } = this.pendingTask(request.taskToken);
    const phase = frame.phase as InvokePhase;
    if (phase.heartbeatSeconds !== undefined) {
      phase.heartbeatAt = this.clock.now() + phase.heartbeatSeconds * 1000;
      await this.store.save(live.record);
      this.wakers.get(frame)?.();
    }
    return {};
  }

  describeStateMachine(request: { stateMachineArn: string }) {
    const machine = this.machine(request.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definition.text,
      roleArn: `arn:aws:iam::${this.account}:role/local-step-functions`,
      type: 'STANDARD',
      creationDate: machine.creationDate,
    };
  }

  /** The machine an execution runs. The local machines never change, so the version is the current one. */
  describeStateMachineForExecution(request: { executionArn: string }) {
    const { machine } = this.execution(request.executionArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definition.text,
      roleArn: `arn:aws:iam::${this.account}:role/local-step-functions`,
      updateDate: machine.creationDate,
    };
  }

  /** Tags of a state machine (the only taggable resource here; AWS also tags activities). */
  listTagsForResource(request: { resourceArn: string }): { tags: Tag[] } {
    const machine = this.machines.get(request.resourceArn);
    if (machine) return { tags: machine.tags.map((tag) => ({ ...tag })) };
    if (!/^arn:aws:states:[^:]*:\d{12}:(stateMachine|activity):[^:]+$/.test(request.resourceArn)) {
      throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${request.resourceArn}'`);
    }
    throw new StepFunctionsApiError('ResourceNotFound', `Resource not found: '${request.resourceArn}'`);
  }

  /**
   * ValidateStateMachineDefinition with the local checker (definition.ts), which is stricter than AWS's:
   * what it refuses cannot run here, so FAIL means "will not run locally" as well as "invalid". It stops
   * at the first problem, so there is at most one diagnostic. The definition is checked as written.
   */
  validateStateMachineDefinition(request: {
    definition: string;
    type?: string;
    severity?: string;
    maxResults?: number;
  }): { result: 'OK' | 'FAIL'; diagnostics: ValidationDiagnostic[]; truncated: boolean } {
    if (request.definition.length < 1 || request.definition.length > MAX_DEFINITION_LENGTH) {
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length between 1 and ${MAX_DEFINITION_LENGTH}`,
      );
    }
    if (request.type !== undefined && request.type !== 'STANDARD' && request.type !== 'EXPRESS') {
      throw new StepFunctionsApiError(
        'ValidationException',
        `Value '${request.type}' at 'type' is not STANDARD or EXPRESS`,
      );
    }
    if (request.severity !== undefined && request.severity !== 'ERROR' && request.severity !== 'WARNING') {
      throw new StepFunctionsApiError(
        'ValidationException',
        `Value '${request.severity}' at 'severity' is not ERROR or WARNING`,
      );
    }
    try {
      checkDefinition(request.definition);
    } catch (error) {
      if (!(error instanceof AslDefinitionError)) throw error;
      const diagnostic: ValidationDiagnostic = {
        severity: 'ERROR',
        code: error.code,
        message: error.message,
        ...(error.location !== undefined ? { location: error.location } : {}),
      };
      // One diagnostic fits every maxResults (1–100, or 0 for the service's default): never truncated.
      return { result: 'FAIL', diagnostics: [diagnostic], truncated: false };
    }
    return { result: 'OK', diagnostics: [], truncated: false };
  }

  listStateMachines(request: { maxResults?: number; nextToken?: string } = {}) {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(all, request.maxResults, request.nextToken, 1000);
    return {
      stateMachines: page.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.creationDate,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  /** The tasks waiting for a token, for the local task store and tests (the only place a token is shown). */
  listPendingTasks(): PendingTask[] {
    return this.pendingTasks();
  }

  private pendingTasks(filter?: (live: LiveExecution, frame: FrameRecord) => boolean): PendingTask[] {
    return [...this.pendingTokens.entries()]
      .filter(([, { live, frame }]) => !filter || filter(live, frame))
      .map(([taskToken, { live, frame }]) => ({
        executionArn: live.record.executionArn,
        stateMachineArn: live.record.stateMachineArn,
        stateName: frame.state,
        functionArn: (frame.phase as InvokePhase).functionArn,
        taskToken,
        scheduledAt: new Date(frame.enteredAt),
      }));
  }

  /**
   * Resolves once a task of the execution waits for its token (optionally in the named state): its
   * function has returned, so the token is wherever the function put it.
   */
  waitForPendingTask(executionArn: string, stateName?: string, timeoutMs = 30_000): Promise<PendingTask> {
    const find = () =>
      this.pendingTasks((live, frame) => {
        return (
          live.record.executionArn === executionArn &&
          (stateName === undefined || frame.state === stateName) &&
          (frame.phase as InvokePhase).invoked
        );
      })[0];
    return this.waitFor(
      find,
      `task:${executionArn}`,
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
      const live = this.executions.get(executionArn);
      return live && statuses.includes(live.record.status) ? describe(live.record) : undefined;
    };
    return this.waitFor(find, `status:${executionArn}`, timeoutMs, `${executionArn} to be ${statuses.join('/')}`);
  }

  private waitFor<T>(find: () => T | undefined, event: string, timeoutMs: number, what: string): Promise<T> {
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
        this.events.off(event, check);
      };
      this.events.on(event, check);
      check();
    });
  }

  // -------------------------------------------------------------------------------------------
  // Lookups
  // -------------------------------------------------------------------------------------------

  private machine(arn: string): Machine {
    const machine = this.machines.get(arn);
    if (!machine) {
      if (!/^arn:aws:states:[^:]*:\d{12}:stateMachine:[^:]+$/.test(arn)) {
        throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      }
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    return machine;
  }

  private execution(arn: string): LiveExecution {
    const live = this.executions.get(arn);
    if (!live) {
      if (!/^arn:aws:states:[^:]*:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
        throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      }
      throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return live;
  }

  /**
   * AWS (SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat): a token outside 1–2048 characters fails the
   * request's validation; a token of a closed task (decided, timed out, its execution stopped) answers
   * TaskTimedOut; any other token — garbage, or a well-formed one Step Functions never issued — is
   * InvalidToken. TaskDoesNotExist is the answer for activities, which this runtime does not have.
   */
  private pendingTask(token: string): { live: LiveExecution; frame: FrameRecord } {
    if (typeof token !== 'string' || token.length < 1 || token.length > MAX_TOKEN_LENGTH) {
      const constraint =
        typeof token === 'string' && token.length > MAX_TOKEN_LENGTH
          ? `less than or equal to ${MAX_TOKEN_LENGTH}`
          : 'greater than or equal to 1';
      throw new StepFunctionsApiError(
        'ValidationException',
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length ${constraint}`,
      );
    }
    const pending = this.pendingTokens.get(token);
    if (pending) return pending;
    if (this.closedTokens.has(hashToken(token))) {
      // DESIGN.md: an approval sent to a closed task is reported as "already decided".
      throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out: the task is already closed');
    }
    throw new StepFunctionsApiError('InvalidToken', "Invalid Token: 'Invalid token'");
  }

  // -------------------------------------------------------------------------------------------
  // Execution
  // -------------------------------------------------------------------------------------------

  /** Takes over a persisted execution: indexes its tokens and, when it is running, resumes it. */
  private adopt(record: ExecutionRecord): boolean {
    for (const hash of record.closedTokens) this.closedTokens.add(hash);
    const machine = this.machines.get(record.stateMachineArn);
    if (!machine) {
      this.log(`Execution ${record.executionArn} belongs to a state machine that is not loaded; left as it is`);
      return false;
    }
    const live: LiveExecution = { record, machine, controller: new AbortController() };
    this.executions.set(record.executionArn, live);
    if (record.status !== 'RUNNING') return false;
    const index = (frame: FrameRecord) => {
      if (frame.result) return;
      const phase = frame.phase;
      if (phase.kind === 'invoke' && phase.token && !phase.outcome)
        this.pendingTokens.set(phase.token, { live, frame });
      if (phase.kind === 'children') phase.children.forEach(index);
    };
    index(record.root);
    this.launch(live);
    return true;
  }

  private launch(live: LiveExecution): void {
    const { record } = live;
    this.runFrame(live, record.root, [], live.controller.signal)
      .then(async () => {
        const result = record.root.result;
        if (!result || record.status !== 'RUNNING') return;
        record.stopDate = this.clock.now();
        if ('output' in result) {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(result.output);
          this.addEvent(record, 'ExecutionSucceeded', 'executionSucceededEventDetails', {
            output: record.output,
            outputDetails: { truncated: false },
          });
        } else {
          record.status = 'FAILED';
          record.error = result.error;
          record.cause = result.cause;
          this.addEvent(record, 'ExecutionFailed', 'executionFailedEventDetails', {
            error: result.error,
            cause: result.cause,
          });
        }
        await this.store.save(record);
        this.statusChanged(record);
      })
      .catch(async (error: unknown) => {
        if (error instanceof Halted || this.stopped || record.status !== 'RUNNING') return;
        // A defect of the runtime, not of the workflow: fail the execution visibly instead of hanging.
        record.status = 'FAILED';
        record.stopDate = this.clock.now();
        record.error = 'States.Runtime';
        record.cause = error instanceof Error ? error.message : String(error);
        this.log(`Execution ${record.executionArn} failed inside the local runtime: ${record.cause}`);
        this.addEvent(record, 'ExecutionFailed', 'executionFailedEventDetails', {
          error: record.error,
          cause: record.cause,
        });
        await this.store.save(record).catch(() => undefined);
        this.statusChanged(record);
      });
  }

  private async runFrame(
    live: LiveExecution,
    frame: FrameRecord,
    outer: Record<string, Json>[],
    signal: AbortSignal,
  ): Promise<void> {
    const body = bodyOf(live.machine.definition, frame.body);
    let steps = 0;
    while (!frame.result) {
      this.checkAlive(signal);
      if (live.record.history.length >= MAX_HISTORY_EVENTS) {
        frame.result = {
          error: 'States.Runtime',
          cause: `The execution reached the limit of ${MAX_HISTORY_EVENTS} history events of a standard workflow`,
        };
        break;
      }
      const state = body.States[frame.state];
      if (!state) {
        frame.result = { error: 'States.Runtime', cause: `The state "${frame.state}" is not in the definition` };
        break;
      }
      if (!frame.entered) {
        frame.entered = true;
        frame.enteredAt = this.clock.now();
        this.addEvent(live.record, `${state.Type}StateEntered`, 'stateEnteredEventDetails', {
          name: frame.state,
          input: JSON.stringify(frame.input),
        });
        this.saveLater(live, signal);
      }
      if (frame.phase.kind === 'sleep' && frame.phase.purpose === 'retry') {
        await this.sleepUntil(live, frame, frame.phase.wakeAt, signal);
        frame.phase = { kind: 'run' };
      }
      let step: Step | undefined;
      try {
        step = await this.runState(live, frame, state, outer, signal);
      } catch (error) {
        if (error instanceof Halted) throw error;
        step = await this.handleError(live, frame, state, toFailure(error), outer, signal);
      }
      if (!step) continue; // retrying
      if (step.kind === 'fail') {
        frame.result = { error: step.error, cause: step.cause };
      } else {
        if (state.Type !== 'Fail') {
          this.addEvent(live.record, `${state.Type}StateExited`, 'stateExitedEventDetails', {
            name: frame.state,
            output: JSON.stringify(step.output),
          });
        }
        if (step.kind === 'end') {
          frame.result = { output: step.output };
        } else {
          frame.state = step.next;
          frame.input = step.output;
          frame.entered = false;
          frame.retryCounts = [];
          frame.retryTotal = 0;
          frame.phase = { kind: 'run' };
        }
      }
      this.saveLater(live, signal);
      // A long run of pure states (Pass, Choice) would otherwise never let I/O and the API in.
      if (++steps % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async runState(
    live: LiveExecution,
    frame: FrameRecord,
    state: State,
    outer: Record<string, Json>[],
    signal: AbortSignal,
  ): Promise<Step> {
    const input = frame.input;
    switch (state.Type) {
      case 'Pass': {
        const output = await this.finish(live, frame, state, outer, { input }, input);
        return transition(state, output);
      }
      case 'Succeed': {
        const output = await this.finish(live, frame, state, outer, { input }, input);
        return { kind: 'end', output };
      }
      case 'Fail':
        return this.fail(live, frame, state, outer);
      case 'Choice':
        return this.choose(live, frame, state, outer);
      case 'Wait':
        return this.wait(live, frame, state, outer, signal);
      case 'Task':
        return this.task(live, frame, state, outer, signal);
      case 'Map':
      case 'Parallel':
        return this.fanOut(live, frame, state, outer, signal);
    }
  }

  /** Evaluates Assign and Output with the same (pre-state) variables, then applies the assignments. */
  private async finish(
    live: LiveExecution,
    frame: FrameRecord,
    fields: { Assign?: JsonObject; Output?: Json },
    outer: Record<string, Json>[],
    extra: Bindings,
    defaultOutput: Json,
  ): Promise<Json> {
    const bindings = this.bindings(live, frame, outer, extra);
    const assigned = fields.Assign ? await evaluateTemplate(fields.Assign, bindings, 'Assign') : undefined;
    const output =
      fields.Output !== undefined ? await evaluateTemplate(fields.Output, bindings, 'Output') : defaultOutput;
    if (assigned !== undefined) checkPayloadSize(assigned, `the variables assigned by "${frame.state}"`);
    checkPayloadSize(output, `the output of "${frame.state}"`);
    if (isObject(assigned)) Object.assign(frame.variables, assigned);
    return output;
  }

  private async fail(
    live: LiveExecution,
    frame: FrameRecord,
    state: FailState,
    outer: Record<string, Json>[],
  ): Promise<Step> {
    const bindings = this.bindings(live, frame, outer, { input: frame.input });
    const error = state.Error !== undefined ? await evaluateTemplate(state.Error, bindings, 'Error') : 'States.Fail';
    const cause = state.Cause !== undefined ? await evaluateTemplate(state.Cause, bindings, 'Cause') : '';
    return { kind: 'fail', error: jsonText(error), cause: jsonText(cause) };
  }

  private async choose(
    live: LiveExecution,
    frame: FrameRecord,
    state: ChoiceState,
    outer: Record<string, Json>[],
  ): Promise<Step> {
    const bindings = this.bindings(live, frame, outer, { input: frame.input });
    for (const [index, rule] of state.Choices.entries()) {
      const value = await evaluateTemplate(rule.Condition, bindings, `Choices[${index}].Condition`);
      if (typeof value !== 'boolean') {
        throw new StatesError(
          'States.QueryEvaluationError',
          `Choices[${index}].Condition must evaluate to a boolean, got ${JSON.stringify(value)}`,
        );
      }
      if (value) {
        // The state-level Assign applies whichever rule matches; the rule's own Assign adds to it.
        const fields = {
          Assign: { ...(state.Assign ?? {}), ...(rule.Assign ?? {}) },
          ...(state.Output !== undefined ? { Output: state.Output } : {}),
        };
        const output = await this.finish(live, frame, fields, outer, { input: frame.input }, frame.input);
        return { kind: 'next', next: rule.Next, output };
      }
    }
    if (state.Default === undefined) {
      throw new StatesError(
        'States.NoChoiceMatched',
        `No Choice rule of "${frame.state}" matched and it has no Default`,
      );
    }
    const output = await this.finish(live, frame, state, outer, { input: frame.input }, frame.input);
    return { kind: 'next', next: state.Default, output };
  }

  private async wait(
    live: LiveExecution,
    frame: FrameRecord,
    state: WaitState,
    outer: Record<string, Json>[],
    signal: AbortSignal,
  ): Promise<Step> {
    if (frame.phase.kind !== 'sleep') {
      const bindings = this.bindings(live, frame, outer, { input: frame.input });
      let wakeAt: number;
      if (state.Seconds !== undefined) {
        const seconds = await evaluateTemplate(state.Seconds, bindings, 'Seconds');
        wakeAt = this.clock.now() + nonNegativeInteger(seconds, 'Seconds') * 1000;
      } else {
        const timestamp = await evaluateTemplate(state.Timestamp ?? '', bindings, 'Timestamp');
        wakeAt = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
        if (Number.isNaN(wakeAt)) {
          throw new StatesError(
            'States.QueryEvaluationError',
            `Timestamp ${JSON.stringify(timestamp)} is not ISO-8601`,
          );
        }
      }
      frame.phase = { kind: 'sleep', wakeAt, purpose: 'wait' };
      await this.save(live, signal);
    }
    if (frame.phase.kind === 'sleep') await this.sleepUntil(live, frame, frame.phase.wakeAt, signal);
    const output = await this.finish(live, frame, state, outer, { input: frame.input }, frame.input);
    return transition(state, output);
  }

  private async task(
    live: LiveExecution,
    frame: FrameRecord,
    state: TaskState,
    outer: Record<string, Json>[],
    signal: AbortSignal,
  ): Promise<Step> {
    const waitForToken = state.Resource === LAMBDA_INVOKE_WAIT;
    const resource = { resourceType: 'lambda', resource: waitForToken ? 'invoke.waitForTaskToken' : 'invoke' };
    if (frame.phase.kind !== 'invoke') {
      const token = waitForToken ? `${TOKEN_PREFIX}${randomBytes(96).toString('base64url')}` : undefined;
      const bindings = this.bindings(live, frame, outer, { input: frame.input, ...(token ? { token } : {}) });
      const args = await evaluateTemplate(state.Arguments ?? {}, bindings, 'Arguments');
      if (!isObject(args) || typeof args.FunctionName !== 'string') {
        throw new StatesError('States.Runtime', 'Arguments.FunctionName must evaluate to a string');
      }
      const timeoutSeconds =
        state.TimeoutSeconds !== undefined
          ? positiveInteger(await evaluateTemplate(state.TimeoutSeconds, bindings, 'TimeoutSeconds'), 'TimeoutSeconds')
          : undefined;
      const heartbeatSeconds =
        state.HeartbeatSeconds !== undefined
          ? positiveInteger(
              await evaluateTemplate(state.HeartbeatSeconds, bindings, 'HeartbeatSeconds'),
              'HeartbeatSeconds',
            )
          : undefined;
      const now = this.clock.now();
      const phase: InvokePhase = {
        kind: 'invoke',
        functionArn: args.FunctionName,
        payload: args.Payload ?? null,
        waitForToken,
        invoked: false,
        ...(token ? { token } : {}),
        ...(timeoutSeconds !== undefined ? { timeoutAt: now + timeoutSeconds * 1000 } : {}),
        ...(heartbeatSeconds !== undefined ? { heartbeatSeconds, heartbeatAt: now + heartbeatSeconds * 1000 } : {}),
      };
      frame.phase = phase;
      if (token) this.pendingTokens.set(token, { live, frame });
      const parameters = JSON.stringify(args);
      this.addEvent(live.record, 'TaskScheduled', 'taskScheduledEventDetails', {
        ...resource,
        region: this.region,
        parameters,
        ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
        ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
      });
      this.addEvent(live.record, 'TaskStarted', 'taskStartedEventDetails', resource);
      await this.save(live, signal);
      this.events.emit(`task:${live.record.executionArn}`);
    }
    const phase = frame.phase as InvokePhase;
    let result: Json;
    try {
      // An outcome that arrived before a restart needs no second invocation.
      if (!phase.invoked && !phase.outcome) {
        const returned = await this.invoke(live, frame, phase, signal);
        if (!waitForToken) {
          result = { ExecutedVersion: '$LATEST', Payload: returned, StatusCode: 200 };
        } else {
          phase.invoked = true;
          this.addEvent(live.record, 'TaskSubmitted', 'taskSubmittedEventDetails', {
            ...resource,
            output: JSON.stringify({ ExecutedVersion: '$LATEST', Payload: returned, StatusCode: 200 }),
          });
          await this.save(live, signal);
          this.events.emit(`task:${live.record.executionArn}`);
        }
      }
      if (waitForToken) result = await this.awaitToken(live, frame, phase, signal);
    } catch (error) {
      if (error instanceof Halted) throw error;
      const failure = toFailure(error);
      if (phase.token) this.closeToken(live, phase.token);
      if (failure.error === 'States.Timeout') {
        this.addEvent(live.record, 'TaskTimedOut', 'taskTimedOutEventDetails', { ...resource, ...failure });
      } else {
        this.addEvent(live.record, 'TaskFailed', 'taskFailedEventDetails', { ...resource, ...failure });
      }
      throw error;
    }
    checkPayloadSize(result!, `the result of "${frame.state}"`);
    this.addEvent(live.record, 'TaskSucceeded', 'taskSucceededEventDetails', {
      ...resource,
      output: JSON.stringify(result!),
    });
    const output = await this.finish(live, frame, state, outer, { input: frame.input, result: result! }, result!);
    return transition(state, output);
  }

  /** Runs the Lambda invocation; a thrown error becomes what Lambda reports (errorType = the error's name). */
  private async invoke(
    live: LiveExecution,
    frame: FrameRecord,
    phase: InvokePhase,
    signal: AbortSignal,
  ): Promise<Json> {
    let settled: { value: Json } | { failure: Failure } | undefined;
    // Through a promise so that an invoker throwing synchronously is reported like a rejected invocation.
    const invocation = Promise.resolve()
      .then(() =>
        this.invoker.invoke(
          phase.functionArn,
          structuredClone(phase.payload),
          phase.token ? { taskToken: phase.token } : {},
        ),
      )
      .then(
        (value) => {
          settled = { value: value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json) };
        },
        (error: unknown) => {
          settled = { failure: lambdaFailure(error) };
        },
      );
    for (;;) {
      this.checkAlive(signal);
      if (settled) break;
      if (phase.timeoutAt !== undefined && this.clock.now() >= phase.timeoutAt) {
        throw new StatesError('States.Timeout', 'The task did not finish within TimeoutSeconds');
      }
      await this.sleepUntil(live, frame, phase.timeoutAt, signal, invocation);
    }
    if ('failure' in settled) throw new StatesError(settled.failure.error, settled.failure.cause);
    return settled.value;
  }

  private async awaitToken(
    live: LiveExecution,
    frame: FrameRecord,
    phase: InvokePhase,
    signal: AbortSignal,
  ): Promise<Json> {
    for (;;) {
      this.checkAlive(signal);
      if (phase.outcome) {
        if ('output' in phase.outcome) return phase.outcome.output;
        throw new StatesError(phase.outcome.error, phase.outcome.cause);
      }
      const now = this.clock.now();
      if (phase.timeoutAt !== undefined && now >= phase.timeoutAt) {
        throw new StatesError('States.Timeout', 'No task result within TimeoutSeconds');
      }
      if (phase.heartbeatAt !== undefined && now >= phase.heartbeatAt) {
        throw new StatesError('States.Timeout', 'No heartbeat within HeartbeatSeconds');
      }
      const deadlines = [phase.timeoutAt, phase.heartbeatAt].filter((at): at is number => at !== undefined);
      await this.sleepUntil(live, frame, deadlines.length > 0 ? Math.min(...deadlines) : undefined, signal);
    }
  }

  private async settleToken(
    token: string,
    pending: { live: LiveExecution; frame: FrameRecord },
    outcome: FrameResult,
  ): Promise<void> {
    const phase = pending.frame.phase as InvokePhase;
    phase.outcome = outcome;
    this.closeToken(pending.live, token);
    await this.store.save(pending.live.record);
    this.wakers.get(pending.frame)?.();
  }

  private closeToken(live: LiveExecution, token: string): void {
    this.pendingTokens.delete(token);
    const hash = hashToken(token);
    if (!this.closedTokens.has(hash)) {
      this.closedTokens.add(hash);
      live.record.closedTokens.push(hash);
    }
  }

  private closeTokensOf(live: LiveExecution, frame: FrameRecord): void {
    const phase = frame.phase;
    if (phase.kind === 'invoke' && phase.token && !phase.outcome) this.closeToken(live, phase.token);
    if (phase.kind === 'children') for (const child of phase.children) this.closeTokensOf(live, child);
  }

  /** Map and Parallel: child frames with their own variable scope, results in item/branch order. */
  private async fanOut(
    live: LiveExecution,
    frame: FrameRecord,
    state: MapState | ParallelState,
    outer: Record<string, Json>[],
    signal: AbortSignal,
  ): Promise<Step> {
    const isMap = state.Type === 'Map';
    if (frame.phase.kind !== 'children') {
      const bindings = this.bindings(live, frame, outer, { input: frame.input });
      let inputs: Json[];
      let maxConcurrency = 0;
      let bodies: { path: string[]; body: StateMachineBody }[];
      if (state.Type === 'Map') {
        const items = state.Items !== undefined ? await evaluateTemplate(state.Items, bindings, 'Items') : frame.input;
        if (!Array.isArray(items)) {
          throw new StatesError('States.QueryEvaluationError', `Items of "${frame.state}" must be an array`);
        }
        inputs = [];
        for (const [index, item] of items.entries()) {
          if (state.ItemSelector === undefined) {
            inputs.push(item);
            continue;
          }
          const itemBindings = this.bindings(live, frame, outer, {
            input: frame.input,
            mapItem: { Index: index, Value: item },
          });
          inputs.push(await evaluateTemplate(state.ItemSelector, itemBindings, 'ItemSelector'));
        }
        if (state.MaxConcurrency !== undefined) {
          maxConcurrency = nonNegativeInteger(
            await evaluateTemplate(state.MaxConcurrency, bindings, 'MaxConcurrency'),
            'MaxConcurrency',
          );
        }
        bodies = inputs.map(() => ({ path: [...frame.body, frame.state], body: state.ItemProcessor }));
      } else {
        const branchInput =
          state.Arguments !== undefined ? await evaluateTemplate(state.Arguments, bindings, 'Arguments') : frame.input;
        inputs = state.Branches.map(() => branchInput);
        bodies = state.Branches.map((body, index) => ({ path: [...frame.body, `${frame.state}#${index}`], body }));
      }
      const now = this.clock.now();
      frame.phase = {
        kind: 'children',
        maxConcurrency,
        children: inputs.map((input, index) => {
          const { path, body } = bodies[index]!;
          return newFrame(`${frame.id}/${frame.state}/${index}`, path, body.StartAt, input, now);
        }),
      };
      if (isMap)
        this.addEvent(live.record, 'MapStateStarted', 'mapStateStartedEventDetails', { length: inputs.length });
      else this.addEvent(live.record, 'ParallelStateStarted');
      await this.save(live, signal);
    }
    const phase = frame.phase;
    const scopes = [...outer, frame.variables];
    const group = new AbortController();
    const childSignal = AbortSignal.any([signal, group.signal]);
    let failure: Failure | undefined;
    let next = 0;
    const worker = async () => {
      while (failure === undefined && next < phase.children.length) {
        const index = next++;
        const child = phase.children[index]!;
        if (!child.result) {
          if (isMap) this.iterationEvent(live, 'MapIterationStarted', frame.state, index);
          try {
            await this.runFrame(live, child, scopes, childSignal);
          } catch (error) {
            if (error instanceof Halted && group.signal.aborted && !signal.aborted) return;
            throw error;
          }
          if (isMap) {
            const type = child.result && 'error' in child.result ? 'MapIterationFailed' : 'MapIterationSucceeded';
            this.iterationEvent(live, type, frame.state, index);
          }
        }
        if (child.result && 'error' in child.result && failure === undefined) {
          failure = child.result;
          group.abort();
        }
      }
    };
    const workers =
      phase.maxConcurrency > 0 ? Math.min(phase.maxConcurrency, phase.children.length) : phase.children.length;
    await Promise.all(Array.from({ length: Math.max(workers, 1) }, worker));
    this.checkAlive(signal);
    if (failure) {
      // Iterations stopped by the failure no longer wait for their tokens.
      for (const child of phase.children) this.closeTokensOf(live, child);
      this.addEvent(live.record, isMap ? 'MapStateFailed' : 'ParallelStateFailed');
      const { error, cause } = failure;
      throw new StatesError(error, cause);
    }
    this.addEvent(live.record, isMap ? 'MapStateSucceeded' : 'ParallelStateSucceeded');
    const result = phase.children.map((child) =>
      child.result && 'output' in child.result ? child.result.output : null,
    );
    const output = await this.finish(live, frame, state, outer, { input: frame.input, result }, result);
    return transition(state, output);
  }

  private iterationEvent(live: LiveExecution, type: string, name: string, index: number): void {
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
    this.addEvent(live.record, type, key, { name, index });
  }

  /** Retry (first matching retrier, while it has attempts left) or Catch (first matching catcher), else fail. */
  private async handleError(
    live: LiveExecution,
    frame: FrameRecord,
    state: State,
    failure: Failure,
    outer: Record<string, Json>[],
    signal: AbortSignal,
  ): Promise<Step | undefined> {
    const retriers: Retrier[] = 'Retry' in state ? (state.Retry ?? []) : [];
    const catchers: Catcher[] = 'Catch' in state ? (state.Catch ?? []) : [];
    const retrierIndex = retriers.findIndex((retrier) => matches(retrier.ErrorEquals, failure.error));
    const retrier = retriers[retrierIndex];
    if (retrier) {
      const attempts = frame.retryCounts[retrierIndex] ?? 0;
      if (attempts < (retrier.MaxAttempts ?? 3)) {
        let delay = (retrier.IntervalSeconds ?? 1) * 1000 * (retrier.BackoffRate ?? 2) ** attempts;
        if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds * 1000);
        if (retrier.JitterStrategy === 'FULL') delay = this.random() * delay;
        frame.retryCounts[retrierIndex] = attempts + 1;
        frame.retryTotal += 1;
        frame.phase = { kind: 'sleep', wakeAt: this.clock.now() + Math.round(delay), purpose: 'retry' };
        await this.save(live, signal);
        return undefined;
      }
    }
    const catcher = catchers.find((candidate) => matches(candidate.ErrorEquals, failure.error));
    if (!catcher) return { kind: 'fail', ...failure };
    const errorOutput: Json = { Error: failure.error, Cause: failure.cause };
    try {
      const output = await this.finish(live, frame, catcher, outer, { input: frame.input, errorOutput }, errorOutput);
      return { kind: 'next', next: catcher.Next, output };
    } catch (error) {
      if (error instanceof Halted) throw error;
      return { kind: 'fail', ...toFailure(error) };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers bound to the runtime
  // -------------------------------------------------------------------------------------------

  private bindings(live: LiveExecution, frame: FrameRecord, outer: Record<string, Json>[], extra: Bindings) {
    const { record, machine } = live;
    const context: JsonObject = {
      Execution: {
        Id: record.executionArn,
        Input: JSON.parse(record.input) as Json,
        Name: record.name,
        RoleArn: `arn:aws:iam::${this.account}:role/local-step-functions`,
        StartTime: new Date(record.startDate).toISOString(),
        RedriveCount: 0,
      },
      State: { EnteredTime: new Date(frame.enteredAt).toISOString(), Name: frame.state, RetryCount: frame.retryTotal },
      StateMachine: { Id: machine.arn, Name: machine.name },
      ...(extra.token ? { Task: { Token: extra.token } } : {}),
      ...(extra.mapItem ? { Map: { Item: extra.mapItem } } : {}),
    };
    const states: JsonObject = {
      input: extra.input,
      context,
      ...(extra.result !== undefined ? { result: extra.result } : {}),
      ...(extra.errorOutput !== undefined ? { errorOutput: extra.errorOutput } : {}),
    };
    return { ...Object.assign({}, ...outer, frame.variables), states };
  }

  /** The status of the execution changed and is saved: wake the waiters and announce it. */
  private statusChanged(record: ExecutionRecord): void {
    this.events.emit(`status:${record.executionArn}`);
    if (!this.onStatusChange) return;
    try {
      this.onStatusChange(
        executionStatusChange(record, { now: this.clock.now(), region: this.region, account: this.account }),
      );
    } catch (error) {
      this.log(
        `The status change of ${record.executionArn} was not delivered: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private addEvent(record: ExecutionRecord, type: string, key?: string, value?: Record<string, Json>): void {
    const previous = record.history.at(-1);
    // Task tokens never reach the history (a function may echo its token, a workflow may pass it on).
    const details =
      value && (JSON.parse(JSON.stringify(value).replace(TOKEN_PATTERN, '<task token>')) as Record<string, Json>);
    const event: HistoryEventRecord = {
      id: (previous?.id ?? 0) + 1,
      previousEventId: previous?.id ?? 0,
      timestamp: this.clock.now(),
      type,
      ...(key && details ? { details: { key, value: details } } : {}),
    };
    record.history.push(event);
  }

  /**
   * Saves without waiting, after pure steps (entering a state, Pass, Choice): redoing them after a stop is
   * harmless. Every side effect (an invocation, a token, a sleep, the end) waits for its save first, and
   * saves of one execution are written in order, so those waits also cover the steps saved before.
   */
  private saveLater(live: LiveExecution, signal: AbortSignal): void {
    this.checkAlive(signal);
    this.store.save(live.record).catch((error: unknown) => {
      this.log(`Could not save ${live.record.executionArn}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async save(live: LiveExecution, signal: AbortSignal): Promise<void> {
    this.checkAlive(signal);
    await this.store.save(live.record);
    this.checkAlive(signal);
  }

  private checkAlive(signal: AbortSignal): void {
    if (signal.aborted || this.stopped) throw new Halted('The execution was stopped');
  }

  /** Waits until `at` (or forever when undefined), an outcome wakes the frame, or `also` settles. */
  private sleepUntil(
    _live: LiveExecution,
    frame: FrameRecord,
    at: number | undefined,
    signal: AbortSignal,
    also?: Promise<unknown>,
  ): Promise<void> {
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
}

/** includeExecutionData: false leaves out inputs, outputs, parameters and causes. */
function withoutData(details: Record<string, Json>): Record<string, Json> {
  const hidden = new Set(['input', 'output', 'parameters', 'cause']);
  return Object.fromEntries(Object.entries(details).filter(([key]) => !hidden.has(key)));
}

function newFrame(id: string, body: string[], state: string, input: Json, now: number): FrameRecord {
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

function bodyOf(definition: StateMachineBody, path: string[]): StateMachineBody {
  let body = definition;
  for (const segment of path) {
    const [name = '', branch] = segment.split('#');
    const state = body.States[name];
    if (state?.Type === 'Map') body = state.ItemProcessor;
    else if (state?.Type === 'Parallel' && branch !== undefined && state.Branches[Number(branch)]) {
      body = state.Branches[Number(branch)]!;
    } else throw new StatesError('States.Runtime', `The definition has no nested states at ${path.join(' > ')}`);
  }
  return body;
}

function transition(state: { Next?: string; End?: boolean }, output: Json): Step {
  return state.Next !== undefined ? { kind: 'next', next: state.Next, output } : { kind: 'end', output };
}

/**
 * ErrorEquals matching (AWS "Error names"): States.ALL matches every error except States.Runtime and
 * States.DataLimitExceeded; States.TaskFailed matches every task error except States.Timeout.
 */
function matches(errorEquals: string[], error: string): boolean {
  if (errorEquals.includes(error)) return true;
  const unrecoverable = error === 'States.Runtime' || error === 'States.DataLimitExceeded';
  if (errorEquals.includes('States.ALL')) return !unrecoverable;
  if (errorEquals.includes('States.TaskFailed')) return !unrecoverable && error !== 'States.Timeout';
  return false;
}

function toFailure(error: unknown): Failure {
  if (error instanceof StatesError) return { error: error.error, cause: error.causeText };
  return { error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) };
}

/** What the Lambda integration reports for a function error: Error = errorType, Cause = the error JSON. */
function lambdaFailure(error: unknown): Failure {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  return { error: errorType, cause: JSON.stringify({ errorMessage, errorType }) };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function jsonText(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function nonNegativeInteger(value: Json, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new StatesError(
      'States.QueryEvaluationError',
      `${field} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return value as number;
}

function positiveInteger(value: Json, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new StatesError(
      'States.QueryEvaluationError',
      `${field} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value as number;
}

/** An execution as ListExecutions shows it. */
type ExecutionListItem = Omit<ExecutionDescription, 'input' | 'inputDetails' | 'output' | 'outputDetails'>;

function listItem(record: ExecutionRecord): ExecutionListItem {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: new Date(record.startDate),
    ...(record.stopDate !== undefined ? { stopDate: new Date(record.stopDate) } : {}),
  };
}

/** An execution as DescribeExecution shows it: its list item with input, output and error. */
function describe(record: ExecutionRecord): ExecutionDescription {
  return {
    ...listItem(record),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

function paginate<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  limit: number,
): { page: T[]; nextToken?: string } {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, limit) : limit;
  let offset = 0;
  if (nextToken) {
    offset = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new StepFunctionsApiError('InvalidToken', 'Invalid nextToken');
  }
  const page = items.slice(offset, offset + size);
  const end = offset + page.length;
  return end < items.length ? { page, nextToken: Buffer.from(String(end)).toString('base64url') } : { page };
}
