/**
 * The interpreter: runs the frames of an execution state by state — entering and leaving states, Pass,
 * Succeed, Fail, Choice and Wait, the Assign and Output of every state, Retry and Catch, the quotas — and
 * records how the execution ends. Task states are task-invocation.ts, Map and Parallel map-parallel.ts,
 * Map in distributed mode distributed-map.ts.
 *
 * Semantics follow the Step Functions developer guide: "Transforming data with JSONata", "Passing data
 * between states with variables", "Handling errors" (Retry/Catch).
 */
import {
  type Catcher,
  type ChoiceState,
  type FailState,
  isDistributed,
  isObject,
  type Json,
  type JsonObject,
  type Retrier,
  type State,
  type StateMachineBody,
  type StateMachineDefinition,
  type WaitState,
} from './definition.ts';
import { DistributedMapStates } from './distributed-map.ts';
import { StatesError } from './errors.ts';
import { type ExecutionHost, Halted, type LiveExecution } from './execution-host.ts';
import { evaluateTemplate, nonNegativeInteger } from './jsonata.ts';
import { MapAndParallelStates } from './map-parallel.ts';
import { checkPayloadSize, MAX_HISTORY_EVENTS } from './quotas.ts';
import { type Step, toFailure, transition } from './step.ts';
import type { Failure, FrameRecord } from './store.ts';
import { TaskStates } from './task-invocation.ts';

/** The variables of the enclosing scopes (outermost first), read-only inside a Map or Parallel. */
export type OuterScopes = Record<string, Json>[];

/** What `$states` holds besides the input, for the field being evaluated. */
export interface Bindings {
  input: Json;
  result?: Json;
  errorOutput?: Json;
  token?: string;
  mapItem?: { Index: number; Value: Json };
}

export class Interpreter {
  private readonly tasks: TaskStates;
  private readonly fanOut: MapAndParallelStates;
  private readonly distributed: DistributedMapStates;

  constructor(private readonly host: ExecutionHost) {
    this.tasks = new TaskStates(host, this);
    this.fanOut = new MapAndParallelStates(host, this);
    this.distributed = new DistributedMapStates(host, this);
  }

  /** Runs the execution to its end and records how it ended (unless it was stopped). */
  launch(live: LiveExecution): void {
    const { host } = this;
    const { record } = live;
    this.runFrame(live, record.root, [], live.controller.signal)
      .then(async () => {
        const result = record.root.result;
        if (!result || record.status !== 'RUNNING') return;
        record.stopDate = host.clock.now();
        if ('output' in result) {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(result.output);
          host.addEvent(record, 'ExecutionSucceeded', 'executionSucceededEventDetails', {
            output: record.output,
            outputDetails: { truncated: false },
          });
        } else {
          record.status = 'FAILED';
          record.error = result.error;
          record.cause = result.cause;
          host.addEvent(record, 'ExecutionFailed', 'executionFailedEventDetails', {
            error: result.error,
            cause: result.cause,
          });
        }
        await host.store.save(record);
        host.statusChanged(record);
      })
      .catch(async (error: unknown) => {
        if (error instanceof Halted || host.isStopped || record.status !== 'RUNNING') return;
        // A defect of the runtime, not of the workflow: fail the execution visibly instead of hanging.
        record.status = 'FAILED';
        record.stopDate = host.clock.now();
        record.error = 'States.Runtime';
        record.cause = error instanceof Error ? error.message : String(error);
        host.log(`Execution ${record.executionArn} failed inside the local runtime: ${record.cause}`);
        host.addEvent(record, 'ExecutionFailed', 'executionFailedEventDetails', {
          error: record.error,
          cause: record.cause,
        });
        await host.store.save(record).catch(() => undefined);
        host.statusChanged(record);
      });
  }

  /** Runs one frame (the top level, a Map iteration, a Parallel branch) until it has a result. */
  async runFrame(live: LiveExecution, frame: FrameRecord, outer: OuterScopes, signal: AbortSignal): Promise<void> {
    const { host } = this;
    const body = bodyOf(live.machine.definition, frame.body);
    let steps = 0;
    while (!frame.result) {
      host.checkAlive(signal);
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
        frame.enteredAt = host.clock.now();
        host.addEvent(live.record, `${state.Type}StateEntered`, 'stateEnteredEventDetails', {
          name: frame.state,
          input: JSON.stringify(frame.input),
        });
        host.saveLater(live, signal);
      }
      if (frame.phase.kind === 'sleep' && frame.phase.purpose === 'retry') {
        await host.sleepUntil(frame, frame.phase.wakeAt, signal);
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
          host.addEvent(live.record, `${state.Type}StateExited`, 'stateExitedEventDetails', {
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
      // The end of the whole execution is saved by launch() right after, with its status: no write of its own.
      if (!(frame.result && frame === live.record.root)) host.saveLater(live, signal);
      // A long run of pure states (Pass, Choice) would otherwise never let I/O and the API in.
      if (++steps % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Evaluates Assign and Output with the same (pre-state) variables, then applies the assignments.
   * A caught error passes the catcher's fields instead of the state's.
   */
  async finish(
    live: LiveExecution,
    frame: FrameRecord,
    fields: { Assign?: JsonObject; Output?: Json },
    outer: OuterScopes,
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

  /** The variables in scope and `$states` (input, context, result, errorOutput) for a field of the state. */
  bindings(live: LiveExecution, frame: FrameRecord, outer: OuterScopes, extra: Bindings): Record<string, unknown> {
    const { record, machine } = live;
    const context: JsonObject = {
      Execution: {
        Id: record.executionArn,
        Input: JSON.parse(record.input) as Json,
        Name: record.name,
        RoleArn: this.host.roleArn,
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

  private async runState(
    live: LiveExecution,
    frame: FrameRecord,
    state: State,
    outer: OuterScopes,
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
        return this.tasks.run(live, frame, state, outer, signal);
      case 'Map':
        if (isDistributed(state)) return this.distributed.run(live, frame, state, outer, signal);
        return this.fanOut.run(live, frame, state, outer, signal);
      case 'Parallel':
        return this.fanOut.run(live, frame, state, outer, signal);
    }
  }

  private async fail(live: LiveExecution, frame: FrameRecord, state: FailState, outer: OuterScopes): Promise<Step> {
    const bindings = this.bindings(live, frame, outer, { input: frame.input });
    const error = state.Error !== undefined ? await evaluateTemplate(state.Error, bindings, 'Error') : 'States.Fail';
    const cause = state.Cause !== undefined ? await evaluateTemplate(state.Cause, bindings, 'Cause') : '';
    return { kind: 'fail', error: jsonText(error), cause: jsonText(cause) };
  }

  private async choose(live: LiveExecution, frame: FrameRecord, state: ChoiceState, outer: OuterScopes): Promise<Step> {
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
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<Step> {
    const { host } = this;
    if (frame.phase.kind !== 'sleep') {
      const bindings = this.bindings(live, frame, outer, { input: frame.input });
      let wakeAt: number;
      if (state.Seconds !== undefined) {
        const seconds = await evaluateTemplate(state.Seconds, bindings, 'Seconds');
        wakeAt = host.clock.now() + nonNegativeInteger(seconds, 'Seconds') * 1000;
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
      await host.save(live, signal);
    }
    if (frame.phase.kind === 'sleep') await host.sleepUntil(frame, frame.phase.wakeAt, signal);
    const output = await this.finish(live, frame, state, outer, { input: frame.input }, frame.input);
    return transition(state, output);
  }

  /** Retry (first matching retrier, while it has attempts left) or Catch (first matching catcher), else fail. */
  private async handleError(
    live: LiveExecution,
    frame: FrameRecord,
    state: State,
    failure: Failure,
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<Step | undefined> {
    const { host } = this;
    const retriers: Retrier[] = 'Retry' in state ? (state.Retry ?? []) : [];
    const catchers: Catcher[] = 'Catch' in state ? (state.Catch ?? []) : [];
    const retrierIndex = retriers.findIndex((retrier) => matches(retrier.ErrorEquals, failure.error));
    const retrier = retriers[retrierIndex];
    if (retrier) {
      const attempts = frame.retryCounts[retrierIndex] ?? 0;
      if (attempts < (retrier.MaxAttempts ?? 3)) {
        let delay = (retrier.IntervalSeconds ?? 1) * 1000 * (retrier.BackoffRate ?? 2) ** attempts;
        if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds * 1000);
        if (retrier.JitterStrategy === 'FULL') delay = host.random() * delay;
        frame.retryCounts[retrierIndex] = attempts + 1;
        frame.retryTotal += 1;
        frame.phase = { kind: 'sleep', wakeAt: host.clock.now() + Math.round(delay), purpose: 'retry' };
        await host.save(live, signal);
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
}

/** The States of a frame: the top level, or the ItemProcessor / branch its path names. */
function bodyOf(definition: StateMachineDefinition, path: string[]): StateMachineBody {
  let body: StateMachineBody = definition;
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

function jsonText(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
