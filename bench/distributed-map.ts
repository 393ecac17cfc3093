/**
 * What a distributed Map's child execution costs in the local Step Functions runtime, beside an inline
 * Map of the same items:
 *
 *   npx tsx bench/distributed-map.ts [items] [maxConcurrency]     (default: 514 10, the regencies)
 *
 * One Map of `items` iterations, each one Lambda task whose function returns its payload at once, run
 * inline and then distributed (each item a child execution persisted on its own), on a fresh data
 * directory each. Prints the wall time, milliseconds per item, the execution writes the store made and
 * the children's mean duration. The writes are the figure to compare across changes: the wall time is
 * file-system latency and the machine may be shared (the load average is printed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDefinition } from '#local/sfn/definition.ts';
import { StepFunctionsRuntime } from '#local/sfn/runtime.ts';
import { ExecutionStore } from '#local/sfn/store.ts';

const items = Number(process.argv[2] ?? 514);
const maxConcurrency = Number(process.argv[3] ?? 10);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

// Counts the store's writes (each: the history appended, the state file replaced).
let writes = 0;
const store = ExecutionStore.prototype as unknown as { write(record: unknown): Promise<void> };
const write = store.write;
store.write = function (this: unknown, record: unknown) {
  writes++;
  return write.call(this, record);
};

function definition(mode: 'INLINE' | 'DISTRIBUTED'): string {
  return JSON.stringify({
    QueryLanguage: 'JSONata',
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        Items: `{% [1..${items}] %}`,
        MaxConcurrency: maxConcurrency,
        ItemProcessor: {
          ProcessorConfig: mode === 'DISTRIBUTED' ? { Mode: mode, ExecutionType: 'STANDARD' } : { Mode: mode },
          StartAt: 'Work',
          States: {
            Work: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Arguments: {
                FunctionName: 'arn:aws:lambda:ap-southeast-3:000000000000:function:echo',
                Payload: '{% $states.input %}',
              },
              Output: '{% $states.result.Payload %}',
              End: true,
            },
          },
        },
        Output: '{% $count($states.result) %}',
        End: true,
      },
    },
  });
}

console.log(`distributed Map bench: ${items} items, MaxConcurrency ${maxConcurrency}; load ${load()}`);
for (const mode of ['INLINE', 'DISTRIBUTED'] as const) {
  const dataDir = await mkdtemp(join(tmpdir(), 'dtks-bench-map-'));
  const runtime = await StepFunctionsRuntime.start({
    dataDir,
    machines: [{ name: 'Bench', definition: parseDefinition(definition(mode)) }],
    invoker: { invoke: async (_arn, payload) => payload },
  });
  writes = 0;
  const started = performance.now();
  const { executionArn } = await runtime.startExecution({ stateMachineArn: runtime.stateMachineArn('Bench') });
  const result = await runtime.waitForStatus(executionArn, undefined, 3_600_000);
  const ms = performance.now() - started;
  let children = '';
  if (mode === 'DISTRIBUTED') {
    const [run] = runtime.listMapRuns({ executionArn }).mapRuns;
    const closed = run ? runtime.listExecutions({ mapRunArn: run.mapRunArn }).executions : [];
    const durations = closed.map((child) => (child.stopDate?.getTime() ?? 0) - child.startDate.getTime());
    children = `, children ${(durations.reduce((a, b) => a + b, 0) / Math.max(1, durations.length)).toFixed(1)} ms each`;
  }
  console.log(
    `${mode.padEnd(11)} ${result.status} ${result.output} items in ${(ms / 1000).toFixed(2)} s ` +
      `(${(ms / items).toFixed(2)} ms/item), ${writes} execution writes${children}`,
  );
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
}
console.log(`load ${load()}`);
