/**
 * Task states: `lambda:invoke` (the result is `{ ExecutedVersion, Payload, StatusCode }`) and
 * `lambda:invoke.waitForTaskToken` (the function gets a token; the task waits for SendTaskSuccess or
 * SendTaskFailure), with TimeoutSeconds and HeartbeatSeconds, and the Task* history events. Developer
 * guide: "Invoke a Lambda function", "Wait for a callback with task token".
 */
import { isObject, type Json, LAMBDA_INVOKE_WAIT, type TaskState } from './definition.ts';
import { StatesError } from './errors.ts';
import { type ExecutionHost, Halted, type LiveExecution } from './execution-host.ts';
import type { Interpreter, OuterScopes } from './interpreter.ts';
import { evaluateTemplate, positiveInteger } from './jsonata.ts';
import { checkPayloadSize } from './quotas.ts';
import { type Step, toFailure, transition } from './step.ts';
import type { Failure, FrameRecord, InvokePhase } from './store.ts';
import { newTaskToken } from './task-tokens.ts';

export class TaskStates {
  constructor(
    private readonly host: ExecutionHost,
    private readonly interpreter: Pick<Interpreter, 'bindings' | 'finish'>,
  ) {}

  async run(
    live: LiveExecution,
    frame: FrameRecord,
    state: TaskState,
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<Step> {
    const { host, interpreter } = this;
    const waitForToken = state.Resource === LAMBDA_INVOKE_WAIT;
    const resource = { resourceType: 'lambda', resource: waitForToken ? 'invoke.waitForTaskToken' : 'invoke' };
    if (frame.phase.kind !== 'invoke') {
      const token = waitForToken ? newTaskToken() : undefined;
      const bindings = interpreter.bindings(live, frame, outer, { input: frame.input, ...(token ? { token } : {}) });
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
      const now = host.clock.now();
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
      // Waited for only once the task is scheduled: a task whose Arguments fail never had a token.
      if (token) host.tokens.register(token, live, frame);
      host.addEvent(live.record, 'TaskScheduled', 'taskScheduledEventDetails', {
        ...resource,
        region: host.region,
        parameters: JSON.stringify(args),
        ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
        ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
      });
      host.addEvent(live.record, 'TaskStarted', 'taskStartedEventDetails', resource);
      await host.save(live, signal);
      host.taskChanged(live.record.executionArn);
    }
    const phase = frame.phase as InvokePhase;
    let result: Json;
    try {
      // An outcome that arrived before a restart needs no second invocation.
      if (!phase.invoked && !phase.outcome) {
        const returned = await this.invoke(frame, phase, signal);
        if (!waitForToken) {
          result = { ExecutedVersion: '$LATEST', Payload: returned, StatusCode: 200 };
        } else {
          phase.invoked = true;
          host.addEvent(live.record, 'TaskSubmitted', 'taskSubmittedEventDetails', {
            ...resource,
            output: JSON.stringify({ ExecutedVersion: '$LATEST', Payload: returned, StatusCode: 200 }),
          });
          await host.save(live, signal);
          host.taskChanged(live.record.executionArn);
        }
      }
      if (waitForToken) result = await this.awaitToken(frame, phase, signal);
    } catch (error) {
      if (error instanceof Halted) throw error;
      const failure = toFailure(error);
      if (phase.token) host.tokens.close(live, phase.token);
      if (failure.error === 'States.Timeout') {
        host.addEvent(live.record, 'TaskTimedOut', 'taskTimedOutEventDetails', { ...resource, ...failure });
      } else {
        host.addEvent(live.record, 'TaskFailed', 'taskFailedEventDetails', { ...resource, ...failure });
      }
      throw error;
    }
    checkPayloadSize(result!, `the result of "${frame.state}"`);
    host.addEvent(live.record, 'TaskSucceeded', 'taskSucceededEventDetails', {
      ...resource,
      output: JSON.stringify(result!),
    });
    const output = await interpreter.finish(
      live,
      frame,
      state,
      outer,
      { input: frame.input, result: result! },
      result!,
    );
    return transition(state, output);
  }

  /** Runs the Lambda invocation; a thrown error becomes what Lambda reports (errorType = the error's name). */
  private async invoke(frame: FrameRecord, phase: InvokePhase, signal: AbortSignal): Promise<Json> {
    const { host } = this;
    let settled: { value: Json } | { failure: Failure } | undefined;
    // Through a promise so that an invoker throwing synchronously is reported like a rejected invocation.
    const invocation = Promise.resolve()
      .then(() =>
        host.invoker.invoke(
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
      host.checkAlive(signal);
      if (settled) break;
      if (phase.timeoutAt !== undefined && host.clock.now() >= phase.timeoutAt) {
        throw new StatesError('States.Timeout', 'The task did not finish within TimeoutSeconds');
      }
      await host.sleepUntil(frame, phase.timeoutAt, signal, invocation);
    }
    if ('failure' in settled) throw new StatesError(settled.failure.error, settled.failure.cause);
    return settled.value;
  }

  /** Waits for SendTaskSuccess/SendTaskFailure, TimeoutSeconds or a missed heartbeat, whichever comes first. */
  private async awaitToken(frame: FrameRecord, phase: InvokePhase, signal: AbortSignal): Promise<Json> {
    const { host } = this;
    for (;;) {
      host.checkAlive(signal);
      if (phase.outcome) {
        if ('output' in phase.outcome) return phase.outcome.output;
        throw new StatesError(phase.outcome.error, phase.outcome.cause);
      }
      const now = host.clock.now();
      if (phase.timeoutAt !== undefined && now >= phase.timeoutAt) {
        throw new StatesError('States.Timeout', 'No task result within TimeoutSeconds');
      }
      if (phase.heartbeatAt !== undefined && now >= phase.heartbeatAt) {
        throw new StatesError('States.Timeout', 'No heartbeat within HeartbeatSeconds');
      }
      const deadlines = [phase.timeoutAt, phase.heartbeatAt].filter((at): at is number => at !== undefined);
      await host.sleepUntil(frame, deadlines.length > 0 ? Math.min(...deadlines) : undefined, signal);
    }
  }
}

/** What the Lambda integration reports for a function error: Error = errorType, Cause = the error JSON. */
function lambdaFailure(error: unknown): Failure {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  return { error: errorType, cause: JSON.stringify({ errorMessage, errorType }) };
}
