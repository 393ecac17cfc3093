/**
 * The S3 side of a distributed Map: reading its items (ItemReader, `s3:getObject` of a JSON array or JSON
 * Lines) and exporting its results (ResultWriter, `s3:putObject`): the result of each child execution in
 * the shape of WriterConfig's Transformation, in SUCCEEDED_/FAILED_/PENDING_ files and a manifest.json
 * under <Prefix>/<Map Run id>/. Developer guide: "ItemReader (Map)", "ResultWriter (Map)".
 */
import type { Json, ResultWriter } from './definition.ts';
import { StatesError } from './errors.ts';
import type { ObjectStorage } from './execution-host.ts';
import type { ExecutionRecord, MapRunRecord } from './store.ts';

/** The items of an ItemReader's object: a JSON array (JSON) or one JSON value per line (JSONL). */
export async function readItems(
  objects: ObjectStorage,
  request: { bucket: string; key: string; versionId?: string },
  inputType: 'JSON' | 'JSONL',
  maxItems: number | undefined,
): Promise<Json[]> {
  const where = `s3://${request.bucket}/${request.key}`;
  let text: string;
  try {
    text = await objects.getObject(request);
  } catch (error) {
    throw new StatesError('States.ItemReaderFailed', `Could not read ${where}: ${messageOf(error)}`);
  }
  let items: Json[];
  if (inputType === 'JSON') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StatesError('States.ItemReaderFailed', `${where} is not valid JSON: ${messageOf(error)}`);
    }
    if (!Array.isArray(parsed)) {
      throw new StatesError('States.ItemReaderFailed', `${where} must hold a JSON array for InputType JSON`);
    }
    items = parsed as Json[];
  } else {
    items = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      if (maxItems !== undefined && items.length >= maxItems) break;
      try {
        items.push(JSON.parse(line) as Json);
      } catch (error) {
        throw new StatesError(
          'States.ItemReaderFailed',
          `Line ${index + 1} of ${where} is not valid JSON: ${messageOf(error)}`,
        );
      }
    }
  }
  return maxItems !== undefined ? items.slice(0, maxItems) : items;
}

/** A child execution of a Map Run as the results show it: closed, or never started (the Map Run failed). */
export type ChildOutcome = { record: ExecutionRecord } | { pending: { input: Json; stateMachineArn: string } };

type Transformation = 'NONE' | 'COMPACT' | 'FLATTEN';

/**
 * The Map state's result without an export: the children's results in item order, as the Transformation
 * shapes them (COMPACT, the default, is each output as it is); a failed child (tolerated) appears with its
 * metadata, as for NONE.
 */
export function inlineResults(children: ExecutionRecord[], writer: ResultWriter | undefined): Json {
  const transformation = writer?.WriterConfig?.Transformation ?? 'COMPACT';
  return transform(
    children.map((record) => ({ record })),
    transformation,
  );
}

function transform(children: ChildOutcome[], transformation: Transformation): Json[] {
  const results: Json[] = [];
  for (const child of children) {
    if (!('record' in child) || child.record.status !== 'SUCCEEDED' || transformation === 'NONE') {
      results.push(resultEntry(child));
      continue;
    }
    const output = JSON.parse(child.record.output ?? 'null') as Json;
    if (transformation === 'FLATTEN' && Array.isArray(output)) results.push(...output);
    else results.push(output);
  }
  return results;
}

/** A child execution with its metadata, as the NONE transformation writes it (and every failure). */
function resultEntry(child: ChildOutcome): Json {
  if ('pending' in child) {
    return {
      Input: JSON.stringify(child.pending.input),
      InputDetails: { Included: true },
      StateMachineArn: child.pending.stateMachineArn,
      Status: 'PENDING',
    };
  }
  const { record } = child;
  return {
    ExecutionArn: record.executionArn,
    Input: record.input,
    InputDetails: { Included: true },
    Name: record.name,
    ...(record.status === 'SUCCEEDED'
      ? { Output: record.output ?? 'null', OutputDetails: { Included: true } }
      : {
          ...(record.error !== undefined ? { Error: record.error } : {}),
          ...(record.cause !== undefined ? { Cause: record.cause } : {}),
        }),
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason:
      record.status === 'SUCCEEDED'
        ? 'Execution is SUCCEEDED and cannot be redriven'
        : 'The local runtime does not redrive executions or Map Runs',
    StartDate: new Date(record.startDate).toISOString(),
    StateMachineArn: record.stateMachineArn,
    Status: record.status,
    ...(record.stopDate !== undefined ? { StopDate: new Date(record.stopDate).toISOString() } : {}),
  };
}

/**
 * Exports the results: SUCCEEDED_0, FAILED_0 (failed, timed out, aborted) and PENDING_0 (never started),
 * each written only when it has entries, then manifest.json naming them. Every object is written whole
 * (the 5 GB split into _1, _2 … is not reached locally). Returns the manifest's key.
 */
export async function writeResults(
  objects: ObjectStorage,
  run: MapRunRecord,
  destination: { bucket: string; prefix: string },
  children: ChildOutcome[],
  writer: ResultWriter,
): Promise<string> {
  const transformation = writer.WriterConfig?.Transformation ?? 'NONE';
  const jsonLines = writer.WriterConfig?.OutputType === 'JSONL';
  const folder = `${destination.prefix === '' || destination.prefix.endsWith('/') ? destination.prefix : `${destination.prefix}/`}${run.id}`;
  const groups: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', ChildOutcome[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const child of children) {
    if ('pending' in child) groups.PENDING.push(child);
    else groups[child.record.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED'].push(child);
  }
  const resultFiles: Record<string, Json[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  try {
    for (const [status, members] of Object.entries(groups)) {
      if (members.length === 0) continue;
      const entries = transform(members, status === 'SUCCEEDED' ? transformation : 'NONE');
      const body = jsonLines ? entries.map((entry) => `${JSON.stringify(entry)}\n`).join('') : JSON.stringify(entries);
      const key = `${folder}/${status}_0.${jsonLines ? 'jsonl' : 'json'}`;
      await objects.putObject({
        bucket: destination.bucket,
        key,
        body,
        contentType: jsonLines ? 'application/jsonl' : 'application/json',
      });
      resultFiles[status]!.push({ Key: key, Size: Buffer.byteLength(body) });
    }
    const manifest = { DestinationBucket: destination.bucket, MapRunArn: run.mapRunArn, ResultFiles: resultFiles };
    const key = `${folder}/manifest.json`;
    await objects.putObject({
      bucket: destination.bucket,
      key,
      body: JSON.stringify(manifest),
      contentType: 'application/json',
    });
    return key;
  } catch (error) {
    throw new StatesError(
      'States.ResultWriterFailed',
      `Could not write the results to s3://${destination.bucket}/${folder}/: ${messageOf(error)}`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
