/**
 * Map in distributed mode: a Map Run whose items each run as a child execution of the machine
 * <machine>/<label> (the ItemProcessor), with a scope of its own — the parent's variables are not seen
 * there, so what a child needs comes through ItemSelector. Items come from Items (or the input) or from
 * an ItemReader's S3 object; at most MaxConcurrency children run at once; the Map fails with
 * States.ExceedToleratedFailureThreshold once more children failed than ToleratedFailureCount or
 * ToleratedFailurePercentage allow (both 0 by default), the running ones aborted and the rest never
 * started; a ResultWriter exports the results to S3 and the Map's result is then where they are.
 *
 * Nothing is lost on a restart: the Map Run and its child inputs are on disk before the first child
 * starts, each child is an execution persisted and resumed like any other, and the children's names
 * follow from the Map Run and the item index, so a resumed Map Run finds the ones it had started.
 * Developer guide: "Using Map state in Distributed mode", "ItemReader (Map)", "ResultWriter (Map)".
 */
import { createHash, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { isObject, type Json, type MapState, mapRunLabel } from './definition.ts';
import { StatesError } from './errors.ts';
import type { ExecutionHost, LiveExecution, LiveMapRun } from './execution-host.ts';
import type { Interpreter, OuterScopes } from './interpreter.ts';
import { evaluateTemplate, nonNegativeInteger } from './jsonata.ts';
import { itemInputs } from './map-parallel.ts';
import { type ChildOutcome, inlineResults, readItems, writeResults } from './map-run-files.ts';
import { checkPayloadSize } from './quotas.ts';
import { type Step, transition } from './step.ts';
import type { ExecutionRecord, FrameRecord, MapRunRecord } from './store.ts';

/** AWS runs up to 10,000 child executions at once when MaxConcurrency is 0 or absent. */
const DEFAULT_MAX_CONCURRENCY = 10_000;

export class DistributedMapStates {
  constructor(
    private readonly host: ExecutionHost,
    private readonly interpreter: Pick<Interpreter, 'bindings' | 'finish' | 'launch'>,
  ) {}

  async run(
    live: LiveExecution,
    frame: FrameRecord,
    state: MapState,
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<Step> {
    const { host, interpreter } = this;
    if (frame.phase.kind !== 'mapRun') await this.startMapRun(live, frame, state, outer, signal);
    const phase = frame.phase;
    const run = phase.kind === 'mapRun' ? host.mapRuns.get(phase.mapRunArn) : undefined;
    if (!run) throw new StatesError('States.Runtime', `The Map Run of "${frame.state}" is not on disk`);
    const { record } = run;

    const children = await this.runChildren(live, run, signal);
    const failed = children.filter((child) => child && child.status !== 'SUCCEEDED').length;
    const exceeded = exceedsThreshold(record, failed);
    host.checkAlive(signal);

    let result: Json;
    const writer = state.ResultWriter;
    if (writer?.Resource !== undefined && record.resultWriter) {
      const outcomes: ChildOutcome[] = children.map((child, index) =>
        child
          ? { record: child }
          : { pending: { input: run.items[index] ?? null, stateMachineArn: record.stateMachineArn } },
      );
      let key: string;
      try {
        key = await writeResults(this.objects(), record, record.resultWriter, outcomes, writer);
      } catch (error) {
        // States.ResultWriterFailed: the Map Run fails with it (a retry of the state starts a new one).
        if (error instanceof StatesError) await this.failMapRun(live, record, error);
        throw error;
      }
      record.resultsWritten = children.filter((child) => child !== undefined).length;
      result = { MapRunArn: record.mapRunArn, ResultWriterDetails: { Bucket: record.resultWriter.bucket, Key: key } };
    } else if (!exceeded) {
      result = inlineResults(children as ExecutionRecord[], writer);
    } else result = null;

    if (exceeded) {
      const cause =
        `The Map Run exceeded its tolerated failures: ${failed} of ${record.total} child executions failed ` +
        `(ToleratedFailureCount ${record.toleratedFailureCount ?? 'not set'}, ToleratedFailurePercentage ` +
        `${record.toleratedFailurePercentage ?? 'not set'})`;
      const error = new StatesError('States.ExceedToleratedFailureThreshold', cause);
      await this.failMapRun(live, record, error);
      throw error;
    }
    record.status = 'SUCCEEDED';
    record.stopDate = host.clock.now();
    await host.store.saveMapRun(record);
    host.addEvent(live.record, 'MapRunSucceeded');
    host.addEvent(live.record, 'MapStateSucceeded');
    checkPayloadSize(result, `the result of the Map state "${frame.state}"`);
    const output = await interpreter.finish(live, frame, state, outer, { input: frame.input, result }, result);
    return transition(state, output);
  }

  /**
   * Reads the items, evaluates ItemSelector (in the parent's scope), MaxConcurrency, the tolerated failures
   * and the ResultWriter's destination, and saves the Map Run with its child inputs before any child starts.
   */
  private async startMapRun(
    live: LiveExecution,
    frame: FrameRecord,
    state: MapState,
    outer: OuterScopes,
    signal: AbortSignal,
  ): Promise<void> {
    const { host, interpreter } = this;
    const bindings = interpreter.bindings(live, frame, outer, { input: frame.input });
    let items: Json;
    if (state.ItemReader) {
      const reader = state.ItemReader;
      const args = await evaluateTemplate(reader.Arguments, bindings, 'ItemReader.Arguments');
      const maxItems =
        reader.ReaderConfig.MaxItems !== undefined
          ? nonNegativeInteger(
              await evaluateTemplate(reader.ReaderConfig.MaxItems, bindings, 'ItemReader.ReaderConfig.MaxItems'),
              'ItemReader.ReaderConfig.MaxItems',
            )
          : undefined;
      const bucket = isObject(args) ? args.Bucket : undefined;
      const key = isObject(args) ? args.Key : undefined;
      const versionId = isObject(args) ? args.VersionId : undefined;
      if (typeof bucket !== 'string' || typeof key !== 'string') {
        throw new StatesError('States.Runtime', 'ItemReader.Arguments Bucket and Key must evaluate to strings');
      }
      items = await readItems(
        this.objects(),
        { bucket, key, ...(typeof versionId === 'string' ? { versionId } : {}) },
        reader.ReaderConfig.InputType,
        maxItems,
      );
    } else {
      items = state.Items !== undefined ? await evaluateTemplate(state.Items, bindings, 'Items') : frame.input;
    }
    const inputs = await itemInputs(interpreter, live, frame, outer, state, items, (input, index) =>
      checkPayloadSize(input, `the input of item ${index} of "${frame.state}"`),
    );
    const setting = (field: 'MaxConcurrency' | 'ToleratedFailureCount' | 'ToleratedFailurePercentage') => {
      const template = state[field];
      return template === undefined ? undefined : evaluateTemplate(template, bindings, field);
    };
    const maxConcurrency = nonNegativeInteger((await setting('MaxConcurrency')) ?? 0, 'MaxConcurrency');
    const count = await setting('ToleratedFailureCount');
    const toleratedFailureCount = count === undefined ? undefined : nonNegativeInteger(count, 'ToleratedFailureCount');
    const toleratedFailurePercentage = await setting('ToleratedFailurePercentage');
    if (
      toleratedFailurePercentage !== undefined &&
      (typeof toleratedFailurePercentage !== 'number' ||
        toleratedFailurePercentage < 0 ||
        toleratedFailurePercentage > 100)
    ) {
      throw new StatesError(
        'States.QueryEvaluationError',
        `ToleratedFailurePercentage must be a number from 0 to 100, got ${JSON.stringify(toleratedFailurePercentage)}`,
      );
    }
    let resultWriter: MapRunRecord['resultWriter'];
    if (state.ResultWriter?.Arguments !== undefined) {
      const args = await evaluateTemplate(state.ResultWriter.Arguments, bindings, 'ResultWriter.Arguments');
      const bucket = isObject(args) ? args.Bucket : undefined;
      const prefix = isObject(args) ? (args.Prefix ?? '') : undefined;
      if (typeof bucket !== 'string' || typeof prefix !== 'string') {
        throw new StatesError('States.Runtime', 'ResultWriter.Arguments Bucket and Prefix must evaluate to strings');
      }
      resultWriter = { bucket, prefix };
    }

    const childMachine = host.machines.get(
      host.stateMachineArn(`${live.machine.name}/${mapRunLabel(frame.state, state)}`),
    );
    if (!childMachine) throw new StatesError('States.Runtime', `The child machine of "${frame.state}" is not loaded`);
    // A Map Run saved before a stop that came before the frame named it is this entry's: taken again (no
    // child of it started yet), not left behind RUNNING. Each entry (a retry, a loop) has a Map Run of its own.
    await host.save(live, signal);
    const origin = `${frame.id}|${frame.state}|${frame.enteredAt}|${frame.retryTotal}`;
    const earlier = [...host.mapRuns.values()].find(
      (run) =>
        run.record.executionArn === live.record.executionArn &&
        run.record.origin === origin &&
        run.record.status === 'RUNNING',
    );
    const id = earlier?.record.id ?? randomUUID();
    const record: MapRunRecord = {
      version: 1,
      mapRunArn: host.mapRunArn(childMachine.name, id),
      id,
      executionArn: live.record.executionArn,
      origin,
      stateMachineArn: childMachine.arn,
      status: 'RUNNING',
      startDate: host.clock.now(),
      maxConcurrency,
      ...(toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage } : {}),
      ...(toleratedFailureCount !== undefined ? { toleratedFailureCount } : {}),
      total: inputs.length,
      ...(resultWriter ? { resultWriter } : {}),
      resultsWritten: 0,
    };
    host.checkAlive(signal);
    await host.store.createMapRun(record, inputs);
    host.mapRuns.set(record.mapRunArn, { record, items: inputs });
    frame.phase = { kind: 'mapRun', mapRunArn: record.mapRunArn };
    host.addEvent(live.record, 'MapStateStarted', 'mapStateStartedEventDetails', { length: inputs.length });
    host.addEvent(live.record, 'MapRunStarted', 'mapRunStartedEventDetails', { mapRunArn: record.mapRunArn });
    await host.save(live, signal);
  }

  /**
   * Runs the children, at most MaxConcurrency at once, in item order; a child already started (before a
   * restart) is waited for, not started again. Once the failures pass the threshold, the running children
   * are aborted and no more start. Returns each item's closed child, undefined for one never started.
   */
  private async runChildren(
    live: LiveExecution,
    run: LiveMapRun,
    signal: AbortSignal,
  ): Promise<(ExecutionRecord | undefined)[]> {
    const { host } = this;
    const { record } = run;
    const machine = host.machines.get(record.stateMachineArn);
    if (!machine) throw new StatesError('States.Runtime', `The machine ${record.stateMachineArn} is not loaded`);
    const closed: (ExecutionRecord | undefined)[] = new Array(record.total).fill(undefined);
    let failed = 0;
    let exceeded = false;
    let next = 0;
    const arnOf = (index: number) => host.executionArn(machine.name, childName(record.id, index));
    const worker = async () => {
      while (!exceeded && next < record.total) {
        const index = next++;
        const arn = arnOf(index);
        if (!host.executions.has(arn)) {
          host.checkAlive(signal);
          const child = await host.createExecution(
            machine,
            childName(record.id, index),
            JSON.stringify(run.items[index] ?? null),
            {
              mapRunArn: record.mapRunArn,
              parentExecutionArn: live.record.executionArn,
            },
          );
          this.interpreter.launch(child);
        }
        const child = await host.whenClosed(arn, signal);
        closed[index] = child;
        if (child.status !== 'SUCCEEDED') {
          failed++;
          if (!exceeded && exceedsThreshold(record, failed)) {
            exceeded = true;
            // The Map Run fails now: the children still running are aborted, as AWS does.
            for (let other = 0; other < record.total; other++) {
              const running = host.executions.get(arnOf(other));
              if (running?.record.status === 'RUNNING') await host.abort(running);
            }
          }
        }
      }
    };
    const limit = record.maxConcurrency > 0 ? record.maxConcurrency : DEFAULT_MAX_CONCURRENCY;
    // Each waiting worker listens to the parent's signal: up to `limit` listeners, not a leak.
    setMaxListeners(0, signal);
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, record.total)) }, worker));
    // Children aborted by the threshold, whose workers had moved on: their closed records.
    for (let index = 0; index < record.total; index++) {
      if (closed[index]) continue;
      const child = host.executions.get(arnOf(index));
      if (child && child.record.status !== 'RUNNING') closed[index] = child.record;
    }
    return closed;
  }

  /** The Map Run ends FAILED with `error`, recorded in the parent's history (MapRunFailed, MapStateFailed). */
  private async failMapRun(live: LiveExecution, record: MapRunRecord, error: StatesError): Promise<void> {
    const { host } = this;
    record.status = 'FAILED';
    record.stopDate = host.clock.now();
    await host.store.saveMapRun(record);
    host.addEvent(live.record, 'MapRunFailed', 'mapRunFailedEventDetails', {
      error: error.error,
      cause: error.causeText,
    });
    host.addEvent(live.record, 'MapStateFailed');
  }

  private objects() {
    if (!this.host.objects) {
      throw new StatesError('States.Runtime', 'The local runtime was started without S3 (RuntimeOptions.objects)');
    }
    return this.host.objects;
  }
}

/**
 * More failures than the Map Run tolerates: more than ToleratedFailureCount, or a larger share of all
 * items than ToleratedFailurePercentage, whichever is set (either exceeded fails it); with neither set,
 * one failure is too many.
 */
function exceedsThreshold(record: MapRunRecord, failed: number): boolean {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percentage } = record;
  if (count === undefined && percentage === undefined) return failed > 0;
  return (
    (count !== undefined && failed > count) || (percentage !== undefined && (failed / record.total) * 100 > percentage)
  );
}

/** The name of item `index`'s child execution: a UUID that follows from the Map Run and the index. */
export function childName(mapRunId: string, index: number): string {
  const hex = createHash('sha256').update(`${mapRunId}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
