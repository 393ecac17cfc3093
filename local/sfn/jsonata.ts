/**
 * JSONata evaluation as Step Functions does it: a field is evaluated when its string value is exactly
 * "{% <expression> %}", at any depth of an object or array template; other values are literals. The
 * expression sees `$states` and the workflow variables, and the Step Functions functions ($partition,
 * $range, $hash, $random with a seed, $uuid, $parse); $eval is not available (use $parse).
 */
import { createHash, randomUUID } from 'node:crypto';
import { isObject, type Json } from './definition.ts';
import { StatesError } from './errors.ts';
import { type CompiledExpression, expressionOf, JsonataSyntaxError, parseExpression } from './jsonata-syntax.ts';

const compiled = new Map<string, CompiledExpression>();

/** Evaluates a field template: every "{% … %}" string in it is replaced by its value. */
export async function evaluateTemplate(
  template: Json,
  bindings: Record<string, unknown>,
  field: string,
): Promise<Json> {
  if (typeof template === 'string') {
    const expression = expressionOf(template);
    return expression !== undefined ? evaluateExpression(expression, bindings, field) : template;
  }
  if (Array.isArray(template)) {
    const values: Json[] = [];
    for (const [index, item] of template.entries())
      values.push(await evaluateTemplate(item, bindings, `${field}[${index}]`));
    return values;
  }
  if (isObject(template)) {
    const values: Record<string, Json> = {};
    for (const [key, item] of Object.entries(template))
      values[key] = await evaluateTemplate(item, bindings, `${field}.${key}`);
    return values;
  }
  return template;
}

async function evaluateExpression(source: string, bindings: Record<string, unknown>, field: string): Promise<Json> {
  let expression = compiled.get(source);
  try {
    if (!expression) {
      expression = parseExpression(source);
      compiled.set(source, expression);
    }
  } catch (error) {
    // definition.ts refuses these at load time; a definition built past it still fails the state, by name.
    if (error instanceof JsonataSyntaxError)
      throw new StatesError('States.QueryEvaluationError', `${field}: ${error.message}`);
    throw error;
  }
  let value: unknown;
  try {
    value = await expression.evaluate(undefined, { ...STEP_FUNCTIONS_FUNCTIONS, ...bindings });
  } catch (error) {
    if (error instanceof StatesError) throw error;
    throw new StatesError('States.QueryEvaluationError', `${field}: ${message(error)}`);
  }
  // JSON has no undefined: Step Functions reports an expression without a value as an error.
  if (value === undefined) {
    throw new StatesError('States.QueryEvaluationError', `${field}: the JSONata expression produced no value`);
  }
  if (typeof value === 'function') {
    throw new StatesError('States.QueryEvaluationError', `${field}: the JSONata expression produced a function`);
  }
  return toJson(value);
}

/** Strips JSONata's internal markers (sequence flags, undefined members) so the value is plain JSON. */
function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function message(error: unknown): string {
  if (isObject(error) && typeof error.message === 'string') {
    return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
  }
  return String(error);
}

const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function fail(text: string): never {
  throw new StatesError('States.QueryEvaluationError', text);
}

/** The functions Step Functions adds to JSONata (see "JSONata functions provided by Step Functions"). */
export const STEP_FUNCTIONS_FUNCTIONS: Record<string, unknown> = {
  /** Splits an array into chunks of `size`; the last chunk may be shorter. */
  partition(array: unknown, size: unknown): unknown[] {
    const items = Array.isArray(array) ? array : array === undefined ? fail('$partition: array expected') : [array];
    if (!Number.isInteger(size) || (size as number) < 1) fail('$partition: the chunk size must be a positive integer');
    const chunks: unknown[][] = [];
    for (let index = 0; index < items.length; index += size as number) {
      chunks.push(items.slice(index, index + (size as number)));
    }
    return chunks;
  },
  /** Numbers from `start` to `end` inclusive in steps of `step` (negative steps count down). */
  range(start: unknown, end: unknown, step: unknown): number[] {
    if (![start, end, step].every((value) => Number.isInteger(value))) fail('$range: integer arguments expected');
    const [from, to, by] = [start, end, step] as [number, number, number];
    if (by === 0) fail('$range: the step cannot be 0');
    const values: number[] = [];
    for (let value = from; by > 0 ? value <= to : value >= to; value += by) {
      values.push(value);
      // Step Functions caps the array at 1,000 items.
      if (values.length > 1000) fail('$range: more than 1000 items');
    }
    return values;
  },
  /** Hex digest of a string with MD5, SHA-1, SHA-256, SHA-384 or SHA-512. */
  hash(data: unknown, algorithm: unknown): string {
    if (typeof data !== 'string') fail('$hash: the data must be a string');
    const name = HASH_ALGORITHMS[String(algorithm)];
    if (!name) fail(`$hash: unsupported algorithm ${String(algorithm)} (MD5, SHA-1, SHA-256, SHA-384, SHA-512)`);
    return createHash(name).update(data, 'utf8').digest('hex');
  },
  /** A number in [0, 1); with a seed, the same seed always gives the same number. */
  random(seed?: unknown): number {
    if (seed === undefined) return Math.random();
    if (!Number.isInteger(seed)) fail('$random: the seed must be an integer');
    return seededRandom(seed as number);
  },
  uuid(): string {
    return randomUUID();
  },
  /** Parses a JSON string (Step Functions' replacement for $eval). */
  parse(text: unknown): unknown {
    if (typeof text !== 'string') fail('$parse: a JSON string is expected');
    try {
      return JSON.parse(text);
    } catch (error) {
      return fail(`$parse: not valid JSON (${(error as Error).message})`);
    }
  },
  eval(): never {
    return fail('$eval is not available in Step Functions; use $parse');
  },
};

/** mulberry32 over the seed: deterministic, good enough for test data and sampling. */
function seededRandom(seed: number): number {
  let state = (seed | 0) + 0x6d2b79f5;
  state = Math.imul(state ^ (state >>> 15), state | 1);
  state ^= state + Math.imul(state ^ (state >>> 7), state | 61);
  return ((state ^ (state >>> 14)) >>> 0) / 4294967296;
}

/** The value of a field that must be a non-negative integer (Wait Seconds, MaxConcurrency). */
export function nonNegativeInteger(value: Json, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    fail(`${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/** The value of a field that must be a positive integer (TimeoutSeconds, HeartbeatSeconds). */
export function positiveInteger(value: Json, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    fail(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}
