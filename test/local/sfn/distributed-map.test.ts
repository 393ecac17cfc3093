/**
 * Conformance of the distributed Map (local/sfn/distributed-map.ts, map-run-files.ts) with the Step
 * Functions developer guide ("Using Map state in Distributed mode", "ItemReader (Map)", "ResultWriter
 * (Map)"): items read from the local S3 through the SDK, child executions with AWS's names, MaxConcurrency,
 * the tolerated failures, the ResultWriter's files, DescribeMapRun/ListMapRuns/ListExecutions, a restart.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineForExecutionCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/emulators.ts';
import { parseDefinition } from '#local/sfn/definition.ts';
import { serveStepFunctionsApi } from '#local/sfn/http.ts';
import {
  callbackTask,
  type HarnessOptions,
  harnessPerTest,
  invokeTask,
  machine,
  namedError,
  output,
  ScriptedInvoker,
} from './harness.ts';
import { localS3PerFile } from './local-s3.ts';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

const BUCKET = 'distributed-maps';
const harnesses = harnessPerTest();
const s3 = localS3PerFile([BUCKET]);
const put = (key: string, body: string) => s3.put(BUCKET, key, body);
const get = (key: string) => s3.get(BUCKET, key);

function start(machines: Record<string, string>, options: Omit<HarnessOptions, 'machines'> = {}) {
  return harnesses.start({ machines, objects: s3.objects, ...options });
}

const DISTRIBUTED = { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } };

/** A distributed Map state `Fan` (Label "fan") over the ItemProcessor, with the given fields. */
function distributedMap(processor: Record<string, unknown>, fields: Record<string, unknown>): string {
  return machine('Init', {
    Init: { Type: 'Pass', Assign: { factor: 10 }, Next: 'Fan' },
    Fan: { Type: 'Map', Label: 'fan', ItemProcessor: { ...DISTRIBUTED, ...processor }, End: true, ...fields },
  });
}

const squareEach = {
  StartAt: 'Square',
  States: { Square: invokeTask('square', { Output: '{% $states.result.Payload %}', End: true }) },
};

const squares = () =>
  new ScriptedInvoker({
    square: (payload) => {
      const { value } = payload as { value: number };
      if (value < 0) throw namedError('NegativeValue', `${value} is negative`);
      return { value, square: value * value };
    },
  });

describe('distributed Map: items and child executions', () => {
  it('reads a JSON array from S3, selects each item in the parent scope and runs one child execution per item', async () => {
    await put('items/values.json', JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }]));
    const harness = await start(
      {
        Test: distributedMap(
          {
            StartAt: 'Square',
            States: {
              Square: invokeTask('square', {
                // The child's own variables, in a scope of its own.
                Assign: { factor: '{% $states.input.index %}' },
                Output: '{% $states.result.Payload %}',
                Next: 'Emit',
              }),
              Emit: { Type: 'Pass', Output: '{% $merge([$states.input, {"own": $factor}]) %}', End: true },
            },
          },
          {
            ItemReader: {
              Resource: 'arn:aws:states:::s3:getObject',
              ReaderConfig: { InputType: 'JSON' },
              Arguments: { Bucket: BUCKET, Key: "{% 'items/' & $states.input.file %}" },
            },
            ItemSelector: {
              value: '{% $states.context.Map.Item.Value.n * $factor %}',
              index: '{% $states.context.Map.Item.Index %}',
            },
          },
        ),
      },
      { invoker: squares() },
    );
    const result = await harness.run('Test', { file: 'values.json' });
    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual([
      { value: 10, square: 100, own: 0 },
      { value: 20, square: 400, own: 1 },
      { value: 30, square: 900, own: 2 },
    ]);
    expect(harness.invoker.callsTo('square').map((call) => call.payload)).toEqual(
      expect.arrayContaining([
        { value: 10, index: 0 },
        { value: 20, index: 1 },
        { value: 30, index: 2 },
      ]),
    );

    const { runtime } = harness;
    const { mapRuns } = runtime.listMapRuns({ executionArn: result.executionArn });
    expect(mapRuns).toHaveLength(1);
    const mapRunArn = mapRuns[0]!.mapRunArn;
    expect(mapRunArn).toMatch(/^arn:aws:states:ap-southeast-3:000000000000:mapRun:Test\/fan:[0-9a-f-]{36}$/);
    expect(mapRuns[0]!.stateMachineArn).toBe(runtime.stateMachineArn('Test/fan'));
    const description = runtime.describeMapRun({ mapRunArn });
    expect(description).toMatchObject({
      executionArn: result.executionArn,
      status: 'SUCCEEDED',
      maxConcurrency: 0,
      toleratedFailureCount: 0,
      toleratedFailurePercentage: 0,
      itemCounts: { total: 3, succeeded: 3, failed: 0, pending: 0, running: 0, resultsWritten: 0 },
      executionCounts: { total: 3, succeeded: 3 },
    });
    const children = runtime.listExecutions({ mapRunArn }).executions;
    expect(children).toHaveLength(3);
    for (const child of children) {
      expect(child.executionArn).toBe(runtime.executionArn('Test/fan', child.name));
      expect(child.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(child).toMatchObject({
        status: 'SUCCEEDED',
        mapRunArn,
        stateMachineArn: runtime.stateMachineArn('Test/fan'),
      });
    }
    // The children are not executions of the parent's machine, and their machine is not listed.
    expect(runtime.listExecutions({ stateMachineArn: runtime.stateMachineArn('Test') }).executions).toHaveLength(1);
    expect(runtime.listStateMachines().stateMachines.map((listed) => listed.name)).toEqual(['Test']);
    const events = runtime.getExecutionHistory({ executionArn: result.executionArn }).events.map((event) => event.type);
    expect(events).toEqual(
      expect.arrayContaining(['MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded']),
    );
  });

  it('reads JSON Lines up to MaxItems, and takes Items (no ItemReader) as an inline Map does', async () => {
    await put('items/values.jsonl', '{"value":1}\n{"value":2}\n\n{"value":3}\n{"value":4}\n');
    const harness = await start(
      {
        Lines: distributedMap(squareEach, {
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSONL', MaxItems: 3 },
            Arguments: { Bucket: BUCKET, Key: 'items/values.jsonl' },
          },
        }),
        Items: distributedMap(squareEach, { Items: '{% $states.input.values %}' }),
      },
      { invoker: squares() },
    );
    const lines = await harness.run('Lines');
    expect(output(lines)).toEqual([
      { value: 1, square: 1 },
      { value: 2, square: 4 },
      { value: 3, square: 9 },
    ]);
    const items = await harness.run('Items', { values: [{ value: 5 }] });
    expect(output(items)).toEqual([{ value: 5, square: 25 }]);
  });

  it('fails with States.ItemReaderFailed when the object is missing or not a JSON array', async () => {
    await put('items/object.json', '{"not": "an array"}');
    const reading = (key: string) =>
      distributedMap(squareEach, {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Arguments: { Bucket: BUCKET, Key: key },
        },
      });
    const harness = await start({ Missing: reading('items/absent.json'), Object: reading('items/object.json') });
    const missing = await harness.run('Missing');
    expect({ status: missing.status, error: missing.error }).toEqual({
      status: 'FAILED',
      error: 'States.ItemReaderFailed',
    });
    expect(missing.cause).toContain('NoSuchKey');
    const object = await harness.run('Object');
    expect(object.error).toBe('States.ItemReaderFailed');
    expect(object.cause).toContain('JSON array');
  });

  it('runs at most MaxConcurrency child executions at once (counted in the handler)', async () => {
    const total = 7;
    let running = 0;
    let peak = 0;
    let started = 0;
    const blocked: (() => void)[] = [];
    const invoker = new ScriptedInvoker({
      work: async (payload) => {
        running++;
        started++;
        peak = Math.max(peak, running);
        // Held until three run at once (or the last ones): a limit above 3 would show as a higher peak.
        await new Promise<void>((resolve) => {
          blocked.push(resolve);
          if (blocked.length === 3 || started === total) for (const release of blocked.splice(0)) release();
        });
        running--;
        return payload;
      },
    });
    const harness = await start(
      {
        Test: distributedMap(
          {
            StartAt: 'Work',
            States: { Work: invokeTask('work', { Output: '{% $states.result.Payload %}', End: true }) },
          },
          { Items: '{% [1..7] %}', MaxConcurrency: 3 },
        ),
      },
      { invoker },
    );
    const result = await harness.run('Test');
    expect(output(result)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
    const [run] = harness.runtime.listMapRuns({ executionArn: result.executionArn }).mapRuns;
    expect(harness.runtime.describeMapRun({ mapRunArn: run!.mapRunArn }).maxConcurrency).toBe(3);
  });
});

describe('distributed Map: empty and retried', () => {
  it('succeeds with no items: an empty result, or a manifest naming no file', async () => {
    await put('items/empty.jsonl', '');
    const harness = await start({
      Inline: distributedMap(squareEach, { Items: '{% [] %}' }),
      Written: distributedMap(squareEach, {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSONL' },
          Arguments: { Bucket: BUCKET, Key: 'items/empty.jsonl' },
        },
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Arguments: { Bucket: BUCKET, Prefix: 'empty' } },
      }),
    });
    expect(output(await harness.run('Inline'))).toEqual([]);
    const written = output(await harness.run('Written')) as { ResultWriterDetails: { Key: string } };
    expect(JSON.parse(await get(written.ResultWriterDetails.Key))).toMatchObject({
      ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [] },
    });
  });

  it('starts a new Map Run when the Map state is retried, and the retry runs every item again', async () => {
    let failFirst = true;
    const invoker = new ScriptedInvoker({
      square: (payload) => {
        const { value } = payload as { value: number };
        if (value === 2 && failFirst) {
          failFirst = false;
          throw namedError('Flaky', 'first attempt');
        }
        return value * value;
      },
    });
    const harness = await start(
      {
        Test: distributedMap(
          {
            StartAt: 'Square',
            States: { Square: invokeTask('square', { Output: '{% $states.result.Payload %}', End: true }) },
          },
          {
            Items: '{% [{"value": 1}, {"value": 2}] %}',
            Retry: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], IntervalSeconds: 0, MaxAttempts: 1 }],
          },
        ),
      },
      { invoker },
    );
    const result = await harness.run('Test');
    expect(output(result)).toEqual([1, 4]);
    const runs = harness.runtime.listMapRuns({ executionArn: result.executionArn }).mapRuns;
    expect(runs).toHaveLength(2);
    expect(runs.map((run) => harness.runtime.describeMapRun({ mapRunArn: run.mapRunArn }).status).sort()).toEqual([
      'FAILED',
      'SUCCEEDED',
    ]);
  });
});

describe('distributed Map: the Map Run through the Step Functions API (@aws-sdk/client-sfn)', () => {
  it('answers DescribeMapRun, ListMapRuns and ListExecutions by mapRunArn in the SDK shapes', async () => {
    const harness = await start(
      { Test: distributedMap(squareEach, { Items: '{% $states.input.values %}', MaxConcurrency: 2 }) },
      { invoker: squares() },
    );
    const api = await serveStepFunctionsApi(harness.runtime);
    const sfn = new SFNClient({ ...LOCAL_AWS, endpoint: api.endpoint });
    try {
      const result = await harness.run('Test', { values: [{ value: 1 }, { value: 2 }] });
      const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn: result.executionArn }));
      expect(mapRuns).toHaveLength(1);
      const mapRunArn = mapRuns?.[0]?.mapRunArn;
      const described = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      expect(described).toMatchObject({
        mapRunArn,
        executionArn: result.executionArn,
        status: 'SUCCEEDED',
        maxConcurrency: 2,
        itemCounts: { total: 2, succeeded: 2, failed: 0, pending: 0 },
      });
      expect(described.startDate).toBeInstanceOf(Date);
      const { executions } = await sfn.send(new ListExecutionsCommand({ mapRunArn }));
      expect(executions?.map((execution) => execution.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const child = await sfn.send(new DescribeExecutionCommand({ executionArn: executions?.[0]?.executionArn }));
      expect(child.mapRunArn).toBe(mapRunArn);
      const childMachine = await sfn.send(
        new DescribeStateMachineForExecutionCommand({ executionArn: executions?.[0]?.executionArn }),
      );
      expect(childMachine).toMatchObject({ mapRunArn, stateMachineArn: harness.runtime.stateMachineArn('Test/fan') });
      expect(JSON.parse(childMachine.definition ?? '{}')).toMatchObject({ StartAt: 'Square' });
      await expect(
        sfn.send(new ListExecutionsCommand({ mapRunArn, stateMachineArn: harness.runtime.stateMachineArn('Test') })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    } finally {
      sfn.destroy();
      await api.close();
    }
  });
});

describe('distributed Map: tolerated failures', () => {
  const values = { values: [{ value: 1 }, { value: -2 }, { value: 3 }, { value: 4 }] };

  it('fails on the first failed child by default (tolerated 0): States.ExceedToleratedFailureThreshold, the rest never started', async () => {
    const harness = await start(
      {
        Test: machine('Fan', {
          Fan: {
            Type: 'Map',
            Label: 'fan',
            Items: '{% $states.input.values %}',
            MaxConcurrency: 1,
            ItemProcessor: { ...DISTRIBUTED, ...squareEach },
            Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $states.errorOutput %}', Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Pass', End: true },
        }),
      },
      { invoker: squares() },
    );
    const result = await harness.run('Test', values);
    expect(result.status).toBe('SUCCEEDED');
    const caught = output(result) as { Error: string; Cause: string };
    expect(caught.Error).toBe('States.ExceedToleratedFailureThreshold');
    expect(caught.Cause).toContain('1 of 4');
    // One item at a time: the failure (item 1) stops the Map Run before items 2 and 3 start.
    expect(harness.invoker.callsTo('square').map((call) => call.payload)).toEqual([{ value: 1 }, { value: -2 }]);
    const [run] = harness.runtime.listMapRuns({ executionArn: result.executionArn }).mapRuns;
    expect(harness.runtime.describeMapRun({ mapRunArn: run!.mapRunArn })).toMatchObject({
      status: 'FAILED',
      itemCounts: { total: 4, succeeded: 1, failed: 1, pending: 2 },
    });
    const events = harness.runtime.getExecutionHistory({ executionArn: result.executionArn }).events;
    const failed = events.find((event) => event.type === 'MapRunFailed');
    expect(failed?.mapRunFailedEventDetails).toMatchObject({ error: 'States.ExceedToleratedFailureThreshold' });
  });

  it('tolerates up to ToleratedFailureCount failures; the failed child appears with its metadata', async () => {
    const harness = await start(
      { Test: distributedMap(squareEach, { Items: '{% $states.input.values %}', ToleratedFailureCount: 1 }) },
      { invoker: squares() },
    );
    const result = await harness.run('Test', values);
    expect(result.status).toBe('SUCCEEDED');
    const results = output(result) as Record<string, unknown>[];
    expect(results[0]).toEqual({ value: 1, square: 1 });
    expect(results[1]).toMatchObject({
      Status: 'FAILED',
      Error: 'NegativeValue',
      Input: JSON.stringify({ value: -2 }),
      StateMachineArn: harness.runtime.stateMachineArn('Test/fan'),
    });
    expect(JSON.parse(results[1]!.Cause as string)).toEqual({
      errorMessage: '-2 is negative',
      errorType: 'NegativeValue',
    });
    expect(results.slice(2)).toEqual([
      { value: 3, square: 9 },
      { value: 4, square: 16 },
    ]);
  });

  it('tolerates up to ToleratedFailurePercentage of the items failing (1 of 4 = 25%) and fails past it (2 of 5 = 40%)', async () => {
    const harness = await start(
      { Test: distributedMap(squareEach, { Items: '{% $states.input.values %}', ToleratedFailurePercentage: 25 }) },
      { invoker: squares() },
    );
    const tolerated = await harness.run('Test', values);
    expect(tolerated.status).toBe('SUCCEEDED');
    const failed = await harness.run('Test', { values: [...values.values, { value: -5 }] });
    expect({ status: failed.status, error: failed.error }).toEqual({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
    });
  });
});

describe('distributed Map: ResultWriter', () => {
  const writer = (writerConfig?: Record<string, string>) => ({
    Resource: 'arn:aws:states:::s3:putObject',
    Arguments: { Bucket: BUCKET, Prefix: "{% 'results/' & $states.input.run %}" },
    ...(writerConfig ? { WriterConfig: writerConfig } : {}),
  });

  it('exports NONE results (with metadata) and a manifest; the Map output names the Map Run and the manifest', async () => {
    const harness = await start(
      {
        Test: distributedMap(squareEach, {
          Items: '{% $states.input.values %}',
          ToleratedFailureCount: 1,
          ResultWriter: writer(),
        }),
      },
      { invoker: squares() },
    );
    const result = await harness.run('Test', { run: 'none', values: [{ value: 2 }, { value: -1 }] });
    expect(result.status).toBe('SUCCEEDED');
    const [run] = harness.runtime.listMapRuns({ executionArn: result.executionArn }).mapRuns;
    const mapRunArn = run!.mapRunArn;
    const id = mapRunArn.split(':').pop();
    const manifestKey = `results/none/${id}/manifest.json`;
    expect(output(result)).toEqual({ MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: BUCKET, Key: manifestKey } });

    const succeeded = await get(`results/none/${id}/SUCCEEDED_0.json`);
    const failed = await get(`results/none/${id}/FAILED_0.json`);
    expect(JSON.parse(await get(manifestKey))).toEqual({
      DestinationBucket: BUCKET,
      MapRunArn: mapRunArn,
      ResultFiles: {
        FAILED: [{ Key: `results/none/${id}/FAILED_0.json`, Size: Buffer.byteLength(failed) }],
        PENDING: [],
        SUCCEEDED: [{ Key: `results/none/${id}/SUCCEEDED_0.json`, Size: Buffer.byteLength(succeeded) }],
      },
    });
    const [child] = harness.runtime.listExecutions({ mapRunArn }).executions.filter((c) => c.status === 'SUCCEEDED');
    expect(JSON.parse(succeeded)).toEqual([
      {
        ExecutionArn: child!.executionArn,
        Input: '{"value":2}',
        InputDetails: { Included: true },
        Name: child!.name,
        Output: '{"value":2,"square":4}',
        OutputDetails: { Included: true },
        RedriveCount: 0,
        RedriveStatus: 'NOT_REDRIVABLE',
        RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
        StartDate: child!.startDate.toISOString(),
        StateMachineArn: harness.runtime.stateMachineArn('Test/fan'),
        Status: 'SUCCEEDED',
        StopDate: child!.stopDate?.toISOString(),
      },
    ]);
    expect(JSON.parse(failed)).toEqual([
      expect.objectContaining({ Status: 'FAILED', Error: 'NegativeValue', Input: '{"value":-1}' }),
    ]);
    expect(harness.runtime.describeMapRun({ mapRunArn }).itemCounts.resultsWritten).toBe(2);
  });

  it('writes COMPACT results as JSON Lines and FLATTEN results as one array', async () => {
    const pairs = {
      StartAt: 'Pair',
      States: { Pair: { Type: 'Pass', Output: '{% [$states.input, $states.input * 10] %}', End: true } },
    };
    const harness = await start({
      Compact: distributedMap(pairs, {
        Items: '{% [1, 2] %}',
        ResultWriter: writer({ OutputType: 'JSONL', Transformation: 'COMPACT' }),
      }),
      Flatten: distributedMap(pairs, {
        Items: '{% [1, 2] %}',
        ResultWriter: writer({ OutputType: 'JSON', Transformation: 'FLATTEN' }),
      }),
      Preview: distributedMap(pairs, {
        Items: '{% [1, 2] %}',
        ResultWriter: { WriterConfig: { OutputType: 'JSON', Transformation: 'FLATTEN' } },
      }),
    });
    const compact = output(await harness.run('Compact', { run: 'compact' })) as {
      ResultWriterDetails: { Key: string };
    };
    const folder = compact.ResultWriterDetails.Key.replace(/manifest\.json$/, '');
    expect(await get(`${folder}SUCCEEDED_0.jsonl`)).toBe('[1,10]\n[2,20]\n');
    const flatten = output(await harness.run('Flatten', { run: 'flatten' })) as {
      ResultWriterDetails: { Key: string };
    };
    expect(
      JSON.parse(await get(flatten.ResultWriterDetails.Key.replace(/manifest\.json$/, 'SUCCEEDED_0.json'))),
    ).toEqual([1, 10, 2, 20]);
    // WriterConfig alone shapes the Map's own result, exporting nothing.
    expect(output(await harness.run('Preview'))).toEqual([1, 10, 2, 20]);
  });

  it('writes the children never started to PENDING_0 when the Map Run fails', async () => {
    const harness = await start(
      {
        Test: distributedMap(squareEach, {
          Items: '{% $states.input.values %}',
          MaxConcurrency: 1,
          ResultWriter: writer(),
        }),
      },
      { invoker: squares() },
    );
    const result = await harness.run('Test', { run: 'pending', values: [{ value: -1 }, { value: 2 }, { value: 3 }] });
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const [run] = harness.runtime.listMapRuns({ executionArn: result.executionArn }).mapRuns;
    const folder = `results/pending/${run!.mapRunArn.split(':').pop()}`;
    const manifest = JSON.parse(await get(`${folder}/manifest.json`)) as { ResultFiles: Record<string, unknown[]> };
    expect(
      Object.fromEntries(Object.entries(manifest.ResultFiles).map(([status, files]) => [status, files.length])),
    ).toEqual({ FAILED: 1, PENDING: 1, SUCCEEDED: 0 });
    expect(JSON.parse(await get(`${folder}/PENDING_0.json`))).toEqual([
      expect.objectContaining({ Input: '{"value":2}', Status: 'PENDING' }),
      expect.objectContaining({ Input: '{"value":3}', Status: 'PENDING' }),
    ]);
  });

  it('fails with States.ResultWriterFailed when the results cannot be written, the Map Run FAILED', async () => {
    const harness = await start({
      Test: distributedMap(squareEach, {
        Items: '{% [] %}',
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Arguments: { Bucket: 'no-such-bucket', Prefix: 'results' },
        },
      }),
    });
    const result = await harness.run('Test');
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'States.ResultWriterFailed',
    });
    expect(result.cause).toContain('NoSuchBucket');
    const [run] = harness.runtime.listMapRuns({ executionArn: result.executionArn }).mapRuns;
    expect(harness.runtime.describeMapRun({ mapRunArn: run!.mapRunArn }).status).toBe('FAILED');
  });

  it('keeps the 256 KiB limit for the results of a Map without ResultWriter', async () => {
    const harness = await start({
      Test: distributedMap(
        { StartAt: 'Big', States: { Big: { Type: 'Pass', Output: "{% $pad('', 100000, 'x') %}", End: true } } },
        { Items: '{% [1, 2, 3] %}' },
      ),
    });
    const result = await harness.run('Test');
    expect(result.error).toBe('States.DataLimitExceeded');
  });
});

describe('distributed Map: persistence', () => {
  it('loses nothing on a restart mid-Map: children done stay done, the waiting one keeps its token, the rest start after', async () => {
    const harness = await start({
      Test: distributedMap(
        { StartAt: 'Ask', States: { Ask: callbackTask('ask', { Output: '{% $states.result %}', End: true }) } },
        { Items: '{% [1, 2, 3] %}', MaxConcurrency: 2 },
      ),
    });
    const executionArn = await harness.start('Test');
    /** Resolves once `count` children wait for their tokens, each function returned (nothing redone on resume). */
    const waitingChildren = async (count: number) => {
      for (;;) {
        const [run] = harness.runtime.listMapRuns({ executionArn }).mapRuns;
        const running = run
          ? harness.runtime.listExecutions({ mapRunArn: run.mapRunArn, statusFilter: 'RUNNING' }).executions
          : [];
        if (run && running.length === count) {
          const tasks = await Promise.all(
            running.map((child) => harness.runtime.waitForPendingTask(child.executionArn)),
          );
          return { mapRunArn: run.mapRunArn, tasks };
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const { mapRunArn, tasks } = await waitingChildren(2);
    // Item 0's child (the children have no order of their own in ListExecutions).
    const first = tasks.find(
      (task) => harness.runtime.describeExecution({ executionArn: task.executionArn }).input === '1',
    )!;
    await harness.runtime.sendTaskSuccess({ taskToken: first.taskToken, output: JSON.stringify({ answer: 'before' }) });
    const doneBefore = first.executionArn;
    await harness.runtime.waitForStatus(doneBefore);
    // The third child starts once the first is done; restart while two children wait for their tokens.
    await waitingChildren(2);
    const callsBefore = harness.invoker.callsTo('ask').length;
    expect(callsBefore).toBe(3);

    const runtime = await harness.restart();
    expect(runtime.describeExecution({ executionArn: doneBefore }).status).toBe('SUCCEEDED');
    expect(runtime.describeMapRun({ mapRunArn }).itemCounts).toMatchObject({ succeeded: 1, running: 2, pending: 0 });
    const waiting = runtime.listPendingTasks();
    expect(waiting).toHaveLength(2);
    for (const task of waiting) {
      await runtime.sendTaskSuccess({ taskToken: task.taskToken, output: JSON.stringify({ answer: 'after' }) });
    }
    const result = await runtime.waitForStatus(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual([{ answer: 'before' }, { answer: 'after' }, { answer: 'after' }]);
    // No child was started twice and no token was asked for again.
    expect(runtime.listExecutions({ mapRunArn }).executions).toHaveLength(3);
    expect(harness.invoker.callsTo('ask')).toHaveLength(callsBefore);
    expect(runtime.describeMapRun({ mapRunArn }).status).toBe('SUCCEEDED');
  });

  it('takes the same Map Run again when stopped after saving it but before the parent named it (no orphan left RUNNING)', async () => {
    const harness = await start({
      Test: distributedMap(
        { StartAt: 'Ask', States: { Ask: callbackTask('ask', { Output: '{% $states.result %}', End: true }) } },
        { Items: '{% [1, 2] %}' },
      ),
    });
    const executionArn = await harness.start('Test', {}, 'orphan');
    while (harness.runtime.listPendingTasks().length < 2) await new Promise((resolve) => setImmediate(resolve));
    const [run] = harness.runtime.listMapRuns({ executionArn }).mapRuns;
    await harness.runtime.stop();
    // The disk as a stop right after the Map Run was written leaves it: the parent still at the Map's start
    // (its phase not yet naming the Map Run), no child started.
    const stateFile = join(harness.dataDir, 'executions', 'Test', 'orphan.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { root: { phase: unknown }; historyLength: number };
    state.root.phase = { kind: 'run' };
    await writeFile(stateFile, JSON.stringify(state));
    await rm(join(harness.dataDir, 'executions', encodeURIComponent('Test/fan')), { recursive: true });

    const runtime = await harness.restart();
    while (runtime.listPendingTasks().length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(runtime.listMapRuns({ executionArn }).mapRuns.map((listed) => listed.mapRunArn)).toEqual([run!.mapRunArn]);
    for (const task of runtime.listPendingTasks()) {
      await runtime.sendTaskSuccess({ taskToken: task.taskToken, output: '"done"' });
    }
    expect(output(await runtime.waitForStatus(executionArn))).toEqual(['done', 'done']);
    expect(runtime.describeMapRun({ mapRunArn: run!.mapRunArn }).status).toBe('SUCCEEDED');
  });

  it('stops the children and the Map Run with their parent', async () => {
    const harness = await start({
      Test: distributedMap(
        { StartAt: 'Ask', States: { Ask: callbackTask('ask', { End: true }) } },
        { Items: '{% [1, 2] %}' },
      ),
    });
    const executionArn = await harness.start('Test');
    while (harness.runtime.listPendingTasks().length < 2) await new Promise((resolve) => setImmediate(resolve));
    const [run] = harness.runtime.listMapRuns({ executionArn }).mapRuns;
    await harness.runtime.stopExecution({ executionArn });
    expect(harness.runtime.describeMapRun({ mapRunArn: run!.mapRunArn })).toMatchObject({
      status: 'ABORTED',
      itemCounts: { aborted: 2 },
    });
    expect(harness.runtime.listPendingTasks()).toEqual([]);
  });
});

describe('distributed Map: the subset, refused by name', () => {
  const refusal = (fields: Record<string, unknown>, processor: Record<string, unknown> = squareEach) => {
    try {
      parseDefinition(distributedMap(processor, fields));
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the definition was accepted');
  };

  it.each([
    [{ ItemBatcher: { MaxItemsPerBatch: 10 } }, /ItemBatcher.*not supported/],
    [
      {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:listObjectsV2',
          Arguments: { Bucket: 'b', Prefix: 'p' },
        },
      },
      /s3:listObjectsV2.*not supported/,
    ],
    [
      {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
          Arguments: { Bucket: 'b', Key: 'k.csv' },
        },
      },
      /CSVHeaderLocation is not supported/,
    ],
    [
      {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'CSV' },
          Arguments: { Bucket: 'b', Key: 'k.csv' },
        },
      },
      /InputType "CSV" is not supported/,
    ],
    [{ ToleratedFailurePercentagePath: '$.pct' }, /ToleratedFailurePercentagePath.*JSONPath/],
    [
      { ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b' } } },
      /Parameters is a JSONPath/,
    ],
    [{ Label: 'has space' }, /Label must have/],
  ])('refuses %j', (fields, message) => {
    expect(refusal(fields)).toMatch(message);
  });

  it("refuses a child state reading the parent's variables (the children do not see them), naming the way to pass it", () => {
    const reading = {
      StartAt: 'Use',
      States: { Use: { Type: 'Pass', Output: '{% $states.input.value * $factor %}', End: true } },
    };
    expect(refusal({ Items: '{% [1] %}' }, reading)).toMatch(
      /"Use": Output reads \$factor, a variable of the execution that runs the distributed Map.*ItemSelector/,
    );
    // The same name bound inside the expression, or assigned by the child itself, is the child's own.
    const own = {
      StartAt: 'Use',
      States: { Use: { Type: 'Pass', Output: '{% ($factor := 2; $states.input * $factor) %}', End: true } },
    };
    expect(() => parseDefinition(distributedMap(own, { Items: '{% [1] %}' }))).not.toThrow();
  });

  it('refuses a distributed Map inside a distributed Map', () => {
    const inner = {
      StartAt: 'Inner',
      States: { Inner: { Type: 'Map', ItemProcessor: { ...DISTRIBUTED, ...squareEach }, End: true } },
    };
    expect(refusal({}, inner)).toMatch(/distributed Map inside a distributed Map/);
  });

  it('is valid Amazon States Language for asl-validator (ARN and path checks on)', () => {
    const definition = JSON.parse(
      distributedMap(squareEach, {
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSONL', MaxItems: 10 },
          Arguments: { Bucket: BUCKET, Key: '{% $states.input.key %}' },
        },
        ItemSelector: { value: '{% $states.context.Map.Item.Value %}' },
        MaxConcurrency: 10,
        ToleratedFailureCount: 0,
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Arguments: { Bucket: '{% $states.input.bucket %}', Prefix: "{% 'results/' & $factor %}" },
          WriterConfig: { OutputType: 'JSON', Transformation: 'COMPACT' },
        },
      }),
    ) as unknown;
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });
});
