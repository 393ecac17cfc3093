/**
 * The Step Functions API operations the project uses, in the API's shapes (dates as Date) and with its
 * errors (StepFunctionsApiError `type` = the API's error code). The HTTP face is local/sfn/http.ts.
 */
import { randomUUID } from 'node:crypto';
import { AslDefinitionError, checkDefinition, type Json } from './definition.ts';
import { StepFunctionsApiError } from './errors.ts';
import type { ExecutionHost, LiveExecution, Machine, Tag } from './execution-host.ts';
import { type HistoryEvent, historyEvent } from './history.ts';
import type { Interpreter } from './interpreter.ts';
import { MAX_PAYLOAD_BYTES } from './quotas.ts';
import type {
  ExecutionRecord,
  ExecutionStatus,
  FrameResult,
  InvokePhase,
  MapRunRecord,
  MapRunStatus,
} from './store.ts';
import type { WaitingTask } from './task-tokens.ts';

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
  /** A child execution of a distributed Map: its Map Run. */
  mapRunArn?: string;
}

/** DescribeMapRun's answer. */
export interface MapRunDescription {
  mapRunArn: string;
  executionArn: string;
  status: MapRunStatus;
  startDate: Date;
  stopDate?: Date;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
  redriveCount: number;
}

export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
  failuresNotRedrivable: number;
  pendingRedrive: number;
}

/** An execution as ListExecutions shows it. */
export type ExecutionListItem = Omit<ExecutionDescription, 'input' | 'inputDetails' | 'output' | 'outputDetails'>;

/** One finding of ValidateStateMachineDefinition. */
export interface ValidationDiagnostic {
  severity: 'ERROR' | 'WARNING';
  code: string;
  message: string;
  location?: string;
}

/** ValidateStateMachineDefinition takes definitions of up to 1,048,576 characters. */
const MAX_DEFINITION_LENGTH = 1_048_576;

// AWS: names are 1–80 characters without whitespace, brackets, wildcards, these punctuation marks or control characters.
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

export class StepFunctionsOperations {
  constructor(
    private readonly host: ExecutionHost,
    private readonly interpreter: Pick<Interpreter, 'launch'>,
  ) {}

  async startExecution(request: {
    stateMachineArn: string;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: Date }> {
    const { host } = this;
    const machine = this.machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!isValidName(name)) {
      throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}'`);
    }
    const input = request.input ?? '{}';
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsApiError('InvalidExecutionInput', 'The execution input is larger than 256 KiB');
    }
    try {
      JSON.parse(input);
    } catch {
      throw new StepFunctionsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = host.executionArn(machine.name, name);
    const existing = host.executions.get(executionArn);
    if (existing) {
      // AWS: idempotent for the same name and input while the execution runs; otherwise ExecutionAlreadyExists.
      if (existing.record.status === 'RUNNING' && existing.record.input === input) {
        return { executionArn, startDate: new Date(existing.record.startDate) };
      }
      throw new StepFunctionsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const live = await host.createExecution(machine, name, input);
    this.interpreter.launch(live);
    return { executionArn, startDate: new Date(live.record.startDate) };
  }

  describeExecution(request: { executionArn: string }): ExecutionDescription {
    return describe(this.execution(request.executionArn).record);
  }

  /** The executions of a machine, or (`mapRunArn`) the child executions of a Map Run: one of the two. */
  listExecutions(request: {
    stateMachineArn?: string;
    mapRunArn?: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): {
    executions: ExecutionListItem[];
    nextToken?: string;
  } {
    if ((request.stateMachineArn === undefined) === (request.mapRunArn === undefined)) {
      throw new StepFunctionsApiError('ValidationException', 'Specify either stateMachineArn or mapRunArn, not both');
    }
    let matches: (record: ExecutionRecord) => boolean;
    if (request.mapRunArn !== undefined) {
      const { mapRunArn } = this.mapRun(request.mapRunArn);
      matches = (record) => record.mapRunArn === mapRunArn;
    } else {
      const { arn } = this.machine(request.stateMachineArn ?? '');
      matches = (record) => record.stateMachineArn === arn;
    }
    const all = [...this.host.executions.values()]
      .map(({ record }) => record)
      .filter(matches)
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
      events: page.map((event) => historyEvent(event, withData)),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async stopExecution(request: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    const { host } = this;
    const live = this.execution(request.executionArn);
    await host.abort(live, {
      ...(request.error !== undefined ? { error: request.error } : {}),
      ...(request.cause !== undefined ? { cause: request.cause } : {}),
    });
    return { stopDate: new Date(live.record.stopDate ?? host.clock.now()) };
  }

  async sendTaskSuccess(request: { taskToken: string; output: string }): Promise<Record<string, never>> {
    const task = this.host.tokens.lookup(request.taskToken);
    if (Buffer.byteLength(request.output) > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsApiError('ValidationException', 'The task output is larger than 256 KiB');
    }
    let output: Json;
    try {
      output = JSON.parse(request.output) as Json;
    } catch {
      throw new StepFunctionsApiError('InvalidOutput', 'Invalid Output: not valid JSON');
    }
    await this.settle(request.taskToken, task, { output });
    return {};
  }

  async sendTaskFailure(request: {
    taskToken: string;
    error?: string;
    cause?: string;
  }): Promise<Record<string, never>> {
    const task = this.host.tokens.lookup(request.taskToken);
    await this.settle(request.taskToken, task, {
      error: request.error ?? 'States.TaskFailed',
      cause: request.cause ?? '',
    });
    return {};
  }

  async sendTaskHeartbeat(request: { taskToken: string }): Promise<Record<string, never>> {
    const { host } = this;
    const { live, frame } = host.tokens.lookup(request.taskToken);
    const phase = frame.phase as InvokePhase;
    if (phase.heartbeatSeconds !== undefined) {
      phase.heartbeatAt = host.clock.now() + phase.heartbeatSeconds * 1000;
      await host.store.save(live.record);
      host.wake(frame);
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
      roleArn: this.host.roleArn,
      type: 'STANDARD',
      creationDate: machine.creationDate,
    };
  }

  /** The machine an execution runs. The local machines never change, so the version is the current one. */
  describeStateMachineForExecution(request: { executionArn: string }) {
    const { machine, record } = this.execution(request.executionArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definition.text,
      roleArn: this.host.roleArn,
      updateDate: machine.creationDate,
      // A child execution of a distributed Map: its Map Run, and its machine is the Map Run's (AWS).
      ...(record.mapRunArn !== undefined ? { mapRunArn: record.mapRunArn } : {}),
    };
  }

  /** Tags of a state machine (the only taggable resource here; AWS also tags activities). */
  listTagsForResource(request: { resourceArn: string }): { tags: Tag[] } {
    const machine = this.host.machines.get(request.resourceArn);
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

  describeMapRun(request: { mapRunArn: string }): MapRunDescription {
    const run = this.mapRun(request.mapRunArn);
    const counts = this.mapRunCounts(run);
    return {
      mapRunArn: run.mapRunArn,
      executionArn: run.executionArn,
      status: run.status,
      startDate: new Date(run.startDate),
      ...(run.stopDate !== undefined ? { stopDate: new Date(run.stopDate) } : {}),
      maxConcurrency: run.maxConcurrency,
      toleratedFailurePercentage: run.toleratedFailurePercentage ?? 0,
      toleratedFailureCount: run.toleratedFailureCount ?? 0,
      // One item per child execution: the runtime does not batch items (ItemBatcher is refused).
      itemCounts: counts,
      executionCounts: { ...counts },
      redriveCount: 0,
    };
  }

  /** The Map Runs an execution started, newest first. */
  listMapRuns(request: { executionArn: string; maxResults?: number; nextToken?: string }) {
    const { record } = this.execution(request.executionArn);
    const all = [...this.host.mapRuns.values()]
      .map((run) => run.record)
      .filter((run) => run.executionArn === record.executionArn)
      .sort((a, b) => b.startDate - a.startDate || b.id.localeCompare(a.id));
    const { page, nextToken } = paginate(all, request.maxResults, request.nextToken, 1000);
    return {
      mapRuns: page.map((run) => ({
        executionArn: run.executionArn,
        mapRunArn: run.mapRunArn,
        stateMachineArn: run.stateMachineArn,
        startDate: new Date(run.startDate),
        ...(run.stopDate !== undefined ? { stopDate: new Date(run.stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  listStateMachines(request: { maxResults?: number; nextToken?: string } = {}) {
    // The machines of distributed Maps' child executions are not listed, as on AWS.
    const all = [...this.host.machines.values()]
      .filter((machine) => machine.parentArn === undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
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

  /** SendTaskSuccess/SendTaskFailure: the outcome is saved before the waiting task is woken to act on it. */
  private async settle(token: string, task: WaitingTask, outcome: FrameResult): Promise<void> {
    this.host.tokens.settle(token, task, outcome);
    await this.host.store.save(task.live.record);
    this.host.wake(task.frame);
  }

  private machine(arn: string): Machine {
    const machine = this.host.machines.get(arn);
    if (!machine) {
      if (!/^arn:aws:states:[^:]*:\d{12}:stateMachine:[^:]+$/.test(arn)) {
        throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      }
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    return machine;
  }

  private mapRun(arn: string): MapRunRecord {
    const run = this.host.mapRuns.get(arn);
    if (!run) {
      if (!/^arn:aws:states:[^:]*:\d{12}:mapRun:[^:]+:[^:]+$/.test(arn)) {
        throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      }
      throw new StepFunctionsApiError('ResourceNotFound', `Map Run Does Not Exist: '${arn}'`);
    }
    return run.record;
  }

  /** Counts of a Map Run's child executions by status; those not started yet are pending. */
  private mapRunCounts(run: MapRunRecord): MapRunCounts {
    const counts: MapRunCounts = {
      pending: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      timedOut: 0,
      aborted: 0,
      total: run.total,
      resultsWritten: run.resultsWritten,
      failuresNotRedrivable: 0,
      pendingRedrive: 0,
    };
    let started = 0;
    for (const { record } of this.host.executions.values()) {
      if (record.mapRunArn !== run.mapRunArn) continue;
      started++;
      if (record.status === 'RUNNING') counts.running++;
      else if (record.status === 'SUCCEEDED') counts.succeeded++;
      else if (record.status === 'FAILED') counts.failed++;
      else if (record.status === 'TIMED_OUT') counts.timedOut++;
      else counts.aborted++;
    }
    counts.pending = run.total - started;
    // Redrive is not implemented: every closed failure is final.
    counts.failuresNotRedrivable = counts.failed + counts.timedOut + counts.aborted;
    return counts;
  }

  private execution(arn: string): LiveExecution {
    const live = this.host.executions.get(arn);
    if (!live) {
      if (!/^arn:aws:states:[^:]*:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
        throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
      }
      throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return live;
  }
}

/** An execution as DescribeExecution shows it: its list item with input, output and error. */
export function describe(record: ExecutionRecord): ExecutionDescription {
  return {
    ...listItem(record),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

function listItem(record: ExecutionRecord): ExecutionListItem {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: new Date(record.startDate),
    ...(record.stopDate !== undefined ? { stopDate: new Date(record.stopDate) } : {}),
    ...(record.mapRunArn !== undefined ? { mapRunArn: record.mapRunArn } : {}),
  };
}

function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || INVALID_NAME_CHARACTER.test(name)) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
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
