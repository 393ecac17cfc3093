/**
 * Test harness of the local Step Functions runtime: a state machine from an inline definition, a
 * scripted Lambda invoker that records every call, and a runtime on a fresh data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Clock } from '#local/sfn/clock.ts';
import { type Json, parseDefinition } from '#local/sfn/definition.ts';
import { type LambdaInvoker, type ObjectStorage, StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import type { ExecutionStatusChangeEvent } from '#local/sfn/status-events.ts';

export type Handler = (payload: Json, call: { taskToken?: string; attempt: number }) => unknown;

export interface RecordedInvocation {
  functionArn: string;
  payload: Json;
  taskToken?: string;
}

/** An invoker that runs per-function scripted handlers (by the last ARN segment) and records each call. */
export class ScriptedInvoker implements LambdaInvoker {
  readonly calls: RecordedInvocation[] = [];
  constructor(private readonly handlers: Record<string, Handler> = {}) {}

  async invoke(functionArn: string, payload: Json, options: { taskToken?: string }): Promise<unknown> {
    const name = functionArn.split(':').pop() ?? functionArn;
    this.calls.push({ functionArn, payload, ...(options.taskToken ? { taskToken: options.taskToken } : {}) });
    const handler = this.handlers[name];
    if (!handler) return { echo: payload };
    const attempt = this.calls.filter((call) => call.functionArn === functionArn).length;
    return handler(payload, { ...(options.taskToken ? { taskToken: options.taskToken } : {}), attempt });
  }

  callsTo(name: string): RecordedInvocation[] {
    return this.calls.filter((call) => call.functionArn.endsWith(`:${name}`) || call.functionArn === name);
  }
}

/** A typed error as a handler throws it: Lambda reports its `name` as the errorType. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export function lambdaArn(name: string): string {
  return `arn:aws:lambda:ap-southeast-3:000000000000:function:${name}`;
}

/** A JSONata machine from its States (QueryLanguage set at the top level). */
export function machine(startAt: string, states: Record<string, unknown>): string {
  return JSON.stringify({ QueryLanguage: 'JSONata', StartAt: startAt, States: states });
}

export function invokeTask(functionName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Arguments: { FunctionName: lambdaArn(functionName), Payload: '{% $states.input %}' },
    ...extra,
  };
}

export function callbackTask(functionName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Arguments: {
      FunctionName: lambdaArn(functionName),
      Payload: { input: '{% $states.input %}', taskToken: '{% $states.context.Task.Token %}' },
    },
    ...extra,
  };
}

/**
 * An approval as the workflows ask for one: a waitForTaskToken task whose result is the output, a
 * States.Timeout caught as "Expired" (with the level), any other error caught as "Failed".
 */
export function approval(extra: Record<string, unknown> = {}): string {
  return machine('Ask', {
    Ask: callbackTask('ask', {
      Output: '{% $states.result %}',
      Catch: [
        {
          ErrorEquals: ['States.Timeout'],
          Output: '{% $merge([$states.errorOutput, {"level": "REGENCY"}]) %}',
          Next: 'Expired',
        },
        { ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'Failed' },
      ],
      End: true,
      ...extra,
    }),
    Expired: { Type: 'Pass', End: true },
    Failed: { Type: 'Pass', End: true },
  });
}

/** The output of a closed execution, parsed (undefined when it has none). */
export function output(description: { output?: string }): unknown {
  return description.output === undefined ? undefined : JSON.parse(description.output);
}

export interface Harness {
  runtime: StepFunctionsRuntime;
  dataDir: string;
  invoker: ScriptedInvoker;
  /** Starts an execution of machine `name` and waits for it to close. */
  run(name: string, input?: unknown): Promise<ReturnType<StepFunctionsRuntime['describeExecution']>>;
  start(name: string, input?: unknown, executionName?: string): Promise<string>;
  /** Stops the runtime and starts a new one on the same data directory (a process restart). */
  restart(options?: { invoker?: ScriptedInvoker; clock?: Clock }): Promise<StepFunctionsRuntime>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  machines: Record<string, string>;
  /** Tags of the machines, by machine name (ListTagsForResource). */
  tags?: Record<string, { key: string; value: string }[]>;
  invoker?: ScriptedInvoker;
  /** The S3 of distributed Maps (ItemReader, ResultWriter). */
  objects?: ObjectStorage;
  clock?: Clock;
  random?: () => number;
  dataDir?: string;
  onStatusChange?: (event: ExecutionStatusChangeEvent) => void;
  log?: (message: string) => void;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'dtks-sfn-')));
  const machines = Object.entries(options.machines).map(([name, text]) => ({
    name,
    definition: parseDefinition(text, {}, name),
    ...(options.tags?.[name] ? { tags: options.tags[name] } : {}),
  }));
  let invoker = options.invoker ?? new ScriptedInvoker();
  const boot = (clock: Clock | undefined) =>
    StepFunctionsRuntime.start({
      dataDir,
      machines,
      invoker,
      ...(options.objects ? { objects: options.objects } : {}),
      ...(clock ? { clock } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.onStatusChange ? { onStatusChange: options.onStatusChange } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  const harness: Harness = {
    runtime: await boot(options.clock),
    dataDir,
    get invoker() {
      return invoker;
    },
    async start(name, input = {}, executionName) {
      const { executionArn } = await harness.runtime.startExecution({
        stateMachineArn: harness.runtime.stateMachineArn(name),
        input: JSON.stringify(input),
        ...(executionName ? { name: executionName } : {}),
      });
      return executionArn;
    },
    async run(name, input = {}) {
      return harness.runtime.waitForStatus(await harness.start(name, input));
    },
    async restart(restartOptions = {}) {
      await harness.runtime.stop();
      if (restartOptions.invoker) invoker = restartOptions.invoker;
      harness.runtime = await boot(restartOptions.clock ?? options.clock);
      return harness.runtime;
    },
    async close() {
      await harness.runtime.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The harness of the running test, as harnessPerTest hands it out. */
export interface HarnessPerTest {
  /** The harness the running test started last (undefined before it starts one). */
  readonly current: Harness | undefined;
  /** Starts a harness for the running test; a test that starts a second one closes the first itself. */
  start(options: HarnessOptions): Promise<Harness>;
  /** Runs an inline definition, as machine Test, to its end. */
  runMachine(
    text: string,
    input?: unknown,
    options?: { invoker?: ScriptedInvoker; clock?: Clock },
  ): ReturnType<Harness['run']>;
}

/**
 * Called at the top of a test file: the harness each test starts is closed after it (an afterEach this
 * call registers), so a failed test leaves no runtime and no data directory behind.
 */
export function harnessPerTest(): HarnessPerTest {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const perTest: HarnessPerTest = {
    get current() {
      return current;
    },
    async start(options) {
      current = await startHarness(options);
      return current;
    },
    async runMachine(text, input = {}, options = {}) {
      const harness = await perTest.start({ machines: { Test: text }, ...options });
      return harness.run('Test', input);
    },
  };
  return perTest;
}

/** S3 in memory, for the distributed Maps' ItemReader and ResultWriter and the scripted functions. */
export function memoryObjects(): ObjectStorage & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    async getObject({ bucket, key }) {
      const body = objects.get(`${bucket}/${key}`);
      if (body === undefined) throw Object.assign(new Error(`NoSuchKey ${key}`), { name: 'NoSuchKey' });
      return body;
    },
    async putObject({ bucket, key, body }) {
      objects.set(`${bucket}/${key}`, body);
    },
  };
}
