/**
 * Map (inline: Items, ItemSelector, MaxConcurrency, ItemProcessor) and Parallel (Branches, Arguments):
 * one child frame per item or branch, each with its own variable scope that reads the enclosing ones,
 * results in item/branch order. The first failure stops the others and closes their task tokens.
 */
import type { Json, MapState, ParallelState, StateMachineBody } from './definition.ts';
import { StatesError } from './errors.ts';
import { type ExecutionHost, Halted, type LiveExecution, newFrame } from './execution-host.ts';
import type { Interpreter, OuterScopes } from './interpreter.ts';
import { evaluateTemplate, nonNegativeInteger } from './jsonata.ts';
import { type Step, transition } from './step.ts';
import type { Failure, FrameRecord } from './store.ts';

/**
 * The inputs of a Map's children, inline or distributed: each item as it is, or ItemSelector evaluated in
 * the parent's scope with the item as $states.context.Map.Item. `check` sees each selected input as it is
 * made (the distributed Map's payload quota, in item order).
 */
export async function itemInputs(
  interpreter: Pick<Interpreter, 'bindings'>,
  live: LiveExecution,
  frame: FrameRecord,
  outer: OuterScopes,
  state: MapState,
  items: Json,
  check?: (input: Json, index: number) => void,
): Promise<Json[]> {
  if (!Array.isArray(items)) {
    throw new StatesError('States.QueryEvaluationError', `Items of "${frame.state}" must be an array`);
  }
  const inputs: Json[] = [];
  for (const [index, item] of items.entries()) {
    if (state.ItemSelector === undefined) {
      inputs.push(item);
      continue;
    }
    const itemBindings = interpreter.bindings(live, frame, outer, {
      input: frame.input,
      mapItem: { Index: index, Value: item },
    });
    const input = await evaluateTemplate(state.ItemSelector, itemBindings, 'ItemSelector');
    check?.(input, index);
    inputs.push(input);
  }
  return inputs;
}

export class MapAndParallelStates {
  constructor(
    private readonly host: ExecutionHost,
    private readonly interpreter: Pick<Interpreter, 'bindings' | 'finish' | 'runFrame'>,
  ) {}

  async run(
    live: LiveExecution,
    frame: FrameRecord,
    state: MapState | ParallelState,
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<Step> {
    const { host, interpreter } = this;
    const isMap = state.Type === 'Map';
    if (frame.phase.kind !== 'children') await this.fanOut(live, frame, state, outer, signal);
    const phase = frame.phase;
    if (phase.kind !== 'children') throw new StatesError('States.Runtime', `"${frame.state}" has no iterations`);
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
            await interpreter.runFrame(live, child, scopes, childSignal);
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
    host.checkAlive(signal);
    if (failure) {
      // Iterations stopped by the failure no longer wait for their tokens.
      for (const child of phase.children) host.tokens.closeAllUnder(live, child);
      host.addEvent(live.record, isMap ? 'MapStateFailed' : 'ParallelStateFailed');
      const { error, cause } = failure;
      throw new StatesError(error, cause);
    }
    host.addEvent(live.record, isMap ? 'MapStateSucceeded' : 'ParallelStateSucceeded');
    const result = phase.children.map((child) =>
      child.result && 'output' in child.result ? child.result.output : null,
    );
    const output = await interpreter.finish(live, frame, state, outer, { input: frame.input, result }, result);
    return transition(state, output);
  }

  /** Evaluates Items/ItemSelector (Map) or Arguments (Parallel) into the child frames, and saves them. */
  private async fanOut(
    live: LiveExecution,
    frame: FrameRecord,
    state: MapState | ParallelState,
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<void> {
    const { host, interpreter } = this;
    const bindings = interpreter.bindings(live, frame, outer, { input: frame.input });
    let inputs: Json[];
    let maxConcurrency = 0;
    let bodies: { path: string[]; body: StateMachineBody }[];
    if (state.Type === 'Map') {
      const items = state.Items !== undefined ? await evaluateTemplate(state.Items, bindings, 'Items') : frame.input;
      inputs = await itemInputs(interpreter, live, frame, outer, state, items);
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
    const now = host.clock.now();
    frame.phase = {
      kind: 'children',
      maxConcurrency,
      children: inputs.map((input, index) => {
        const { path, body } = bodies[index]!;
        return newFrame(`${frame.id}/${frame.state}/${index}`, path, body.StartAt, input, now);
      }),
    };
    if (state.Type === 'Map') {
      host.addEvent(live.record, 'MapStateStarted', 'mapStateStartedEventDetails', { length: inputs.length });
    } else host.addEvent(live.record, 'ParallelStateStarted');
    await host.save(live, signal);
  }

  private iterationEvent(live: LiveExecution, type: string, name: string, index: number): void {
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
    this.host.addEvent(live.record, type, key, { name, index });
  }
}
