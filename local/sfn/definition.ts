/**
 * Loading and validating an Amazon States Language definition for the local runtime. The runtime
 * implements a strict subset (JSONata query language only, Lambda invoke tasks only, inline Map and the
 * distributed Map subset of local/sfn/README.md); anything else is refused here, at load time, by name, so
 * a definition that would behave differently on AWS never starts an execution locally.
 */
import { readFile } from 'node:fs/promises';
import { expressionOf, JsonataSyntaxError, parseExpression } from './jsonata-syntax.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * ValidateStateMachineDefinition's error codes for what this checker finds (the rest is a schema problem);
 * AWS answers INVALID_JSONATA_EXPRESSION for an expression its JSONata (2.0.6) does not parse.
 */
export type AslDiagnosticCode =
  | 'INVALID_JSON_DESCRIPTION'
  | 'INVALID_RESOURCE'
  | 'INVALID_JSONATA_EXPRESSION'
  | 'SCHEMA_VALIDATION_FAILED';

/**
 * The definition could not be loaded: the message names the feature, the field and the state; `location`
 * is the JSON pointer of the state at fault (`/States/Each/ItemProcessor/States/Inner`), when there is one.
 */
export class AslDefinitionError extends Error {
  override readonly name = 'AslDefinitionError';
  location?: string;
  constructor(
    message: string,
    readonly code: AslDiagnosticCode = 'SCHEMA_VALIDATION_FAILED',
  ) {
    super(message);
  }
}

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** The distributed Map's ItemReader and ResultWriter resources the runtime implements. */
export const S3_GET_OBJECT = 'arn:aws:states:::s3:getObject';
export const S3_PUT_OBJECT = 'arn:aws:states:::s3:putObject';

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  Output?: Json;
  Assign?: JsonObject;
}

export interface ChoiceRule {
  Condition: string;
  Next: string;
  Assign?: JsonObject;
}

interface StateBase {
  Comment?: string;
  Output?: Json;
  Assign?: JsonObject;
  Next?: string;
  End?: boolean;
}

export interface TaskState extends StateBase {
  Type: 'Task';
  Resource: typeof LAMBDA_INVOKE | typeof LAMBDA_INVOKE_WAIT;
  Arguments?: Json;
  Retry?: Retrier[];
  Catch?: Catcher[];
  TimeoutSeconds?: number | string;
  HeartbeatSeconds?: number | string;
}
export interface PassState extends StateBase {
  Type: 'Pass';
}
export interface WaitState extends StateBase {
  Type: 'Wait';
  Seconds?: number | string;
  Timestamp?: string;
}
export interface ChoiceState extends StateBase {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}
export interface SucceedState extends StateBase {
  Type: 'Succeed';
}
export interface FailState {
  Type: 'Fail';
  Comment?: string;
  Error?: string;
  Cause?: string;
}
export interface MapState extends StateBase {
  Type: 'Map';
  ItemProcessor: StateMachineBody & { ProcessorConfig?: ProcessorConfig };
  Items?: Json;
  ItemSelector?: Json;
  MaxConcurrency?: number | string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  // Distributed mode only.
  ItemReader?: ItemReader;
  ResultWriter?: ResultWriter;
  ToleratedFailurePercentage?: number | string;
  ToleratedFailureCount?: number | string;
  Label?: string;
}

export interface ProcessorConfig {
  Mode?: 'INLINE' | 'DISTRIBUTED';
  ExecutionType?: 'STANDARD';
}

/** ItemReader of a distributed Map: one S3 object holding a JSON array or JSON Lines. */
export interface ItemReader {
  Resource: typeof S3_GET_OBJECT;
  ReaderConfig: { InputType: 'JSON' | 'JSONL'; MaxItems?: number | string };
  /** `{ Bucket, Key, VersionId? }`, each a value or a JSONata template. */
  Arguments: Json;
}

/** ResultWriter of a distributed Map: the results exported to S3 (Resource and Arguments) and/or shaped. */
export interface ResultWriter {
  Resource?: typeof S3_PUT_OBJECT;
  /** `{ Bucket, Prefix }`, each a value or a JSONata template. */
  Arguments?: Json;
  WriterConfig?: { OutputType?: 'JSON' | 'JSONL'; Transformation?: 'NONE' | 'COMPACT' | 'FLATTEN' };
}

/** A Map state whose iterations are child executions (ProcessorConfig.Mode DISTRIBUTED). */
export function isDistributed(state: MapState): boolean {
  return state.ItemProcessor.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/** The label of a distributed Map (its Map Run's and child executions' names): Label, else the state name. */
export function mapRunLabel(name: string, state: MapState): string {
  return state.Label ?? name;
}

/** The distributed Map states of a definition, at any depth of inline Maps and Parallel branches. */
export function distributedMaps(body: StateMachineBody): { name: string; state: MapState }[] {
  return Object.entries(body.States).flatMap(([name, state]) => {
    if (state.Type === 'Map') {
      if (isDistributed(state)) return [{ name, state }];
      return distributedMaps(state.ItemProcessor);
    }
    if (state.Type === 'Parallel') return state.Branches.flatMap(distributedMaps);
    return [];
  });
}
export interface ParallelState extends StateBase {
  Type: 'Parallel';
  Branches: StateMachineBody[];
  Arguments?: Json;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export type State =
  | TaskState
  | PassState
  | WaitState
  | ChoiceState
  | SucceedState
  | FailState
  | MapState
  | ParallelState;

export interface StateMachineBody {
  StartAt: string;
  States: Record<string, State>;
}

export interface StateMachineDefinition extends StateMachineBody {
  Comment?: string;
  /** The definition text after substitution, as DescribeStateMachine returns it. */
  text: string;
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_.-]+)\}/g;

/** Reads an ASL file, applies the definitionSubstitutions like CloudFormation does, parses and validates it. */
export async function loadDefinition(
  path: string | URL,
  substitutions: Record<string, string>,
): Promise<StateMachineDefinition> {
  const text = await readFile(path, 'utf8');
  return parseDefinition(text, substitutions, String(path));
}

export function parseDefinition(
  text: string,
  substitutions: Record<string, string> = {},
  source = 'definition',
): StateMachineDefinition {
  const unresolved = new Set<string>();
  const substituted = text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) {
      unresolved.add(name);
      return whole;
    }
    // The value lands inside a JSON string: escape it as JSON would.
    return JSON.stringify(value).slice(1, -1);
  });
  if (unresolved.size > 0) {
    throw new AslDefinitionError(
      `${source}: no substitution for placeholder(s) ${[...unresolved].map((name) => `\${${name}}`).join(', ')}`,
    );
  }
  return checkDefinition(substituted, source);
}

/**
 * Parses and validates a definition as written, without substitutions (a `${…}` left in it is plain
 * text, as it is for ValidateStateMachineDefinition on AWS).
 */
export function checkDefinition(substituted: string, source = 'definition'): StateMachineDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(substituted);
  } catch (error) {
    throw new AslDefinitionError(`${source}: not valid JSON (${(error as Error).message})`, 'INVALID_JSON_DESCRIPTION');
  }
  if (!isObject(parsed)) throw new AslDefinitionError(`${source}: the definition must be a JSON object`);
  checkFields(parsed, TOP_LEVEL_FIELDS, 'the top level', source);
  const topLanguage = parsed.QueryLanguage ?? 'JSONPath';
  if (topLanguage !== 'JSONata' && topLanguage !== 'JSONPath') {
    throw new AslDefinitionError(`${source}: unknown QueryLanguage ${JSON.stringify(topLanguage)}`);
  }
  validateBody(parsed, {
    source,
    language: topLanguage,
    where: 'the top level',
    pointer: '',
    outerVariables: new Set(),
  });
  const body = parsed as unknown as StateMachineBody;
  // The label names the child executions' machine (<machine>/<label>): two Maps cannot share one.
  const labels = new Set<string>();
  for (const { name, state } of distributedMaps(body)) {
    const label = mapRunLabel(name, state);
    if (labels.has(label)) {
      throw new AslDefinitionError(
        `${source}: two distributed Maps have the label "${label}"; give each a Label of its own`,
      );
    }
    labels.add(label);
  }
  return { ...body, text: substituted };
}

interface Scope {
  source: string;
  language: string;
  where: string;
  /** JSON pointer of this scope's body (`''` at the top level, `/States/<Map>/ItemProcessor` inside a Map). */
  pointer: string;
  /** Variables assigned in enclosing scopes: inner Map/Parallel states may read them but not assign them. */
  outerVariables: Set<string>;
  /** Inside the ItemProcessor of a distributed Map (a child execution's machine). */
  insideDistributed?: boolean;
  /** There: the parent execution's variables, which the child executions cannot read. */
  hiddenVariables?: Set<string>;
}

/** Fields of a Map in distributed mode only (AWS refuses them on an inline Map too). */
const DISTRIBUTED_FIELDS = [
  'ItemReader',
  'ResultWriter',
  'ToleratedFailurePercentage',
  'ToleratedFailureCount',
  'Label',
];
const TOP_LEVEL_FIELDS = new Set(['Comment', 'StartAt', 'States', 'QueryLanguage', 'Version']);
const COMMON_FIELDS = ['Type', 'Comment', 'QueryLanguage'];
const FLOW_FIELDS = ['Next', 'End'];
const FIELDS_BY_TYPE: Record<string, Set<string>> = {
  Task: new Set([
    ...COMMON_FIELDS,
    ...FLOW_FIELDS,
    'Resource',
    'Arguments',
    'Output',
    'Assign',
    'Retry',
    'Catch',
    'TimeoutSeconds',
    'HeartbeatSeconds',
  ]),
  Pass: new Set([...COMMON_FIELDS, ...FLOW_FIELDS, 'Output', 'Assign']),
  Wait: new Set([...COMMON_FIELDS, ...FLOW_FIELDS, 'Seconds', 'Timestamp', 'Output', 'Assign']),
  Choice: new Set([...COMMON_FIELDS, 'Choices', 'Default', 'Output', 'Assign']),
  Succeed: new Set([...COMMON_FIELDS, 'Output']),
  Fail: new Set([...COMMON_FIELDS, 'Error', 'Cause']),
  Map: new Set([
    ...COMMON_FIELDS,
    ...FLOW_FIELDS,
    'ItemProcessor',
    'Items',
    'ItemSelector',
    'MaxConcurrency',
    'Output',
    'Assign',
    'Retry',
    'Catch',
    ...DISTRIBUTED_FIELDS,
  ]),
  Parallel: new Set([...COMMON_FIELDS, ...FLOW_FIELDS, 'Branches', 'Arguments', 'Output', 'Assign', 'Retry', 'Catch']),
};

/** Fields that exist only in the JSONPath query language; named in the refusal so the author knows what to change. */
const JSONPATH_FIELDS = new Set([
  'InputPath',
  'OutputPath',
  'ResultPath',
  'Parameters',
  'ResultSelector',
  'Result',
  'ItemsPath',
  'SecondsPath',
  'TimestampPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'ErrorPath',
  'CausePath',
  'MaxConcurrencyPath',
  'Iterator',
]);

/** Fields of features this runtime does not implement (parts of the distributed Map, credentials). */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  ItemBatcher: 'Map ItemBatcher (batches of items per child execution)',
  ToleratedFailurePercentagePath:
    'Map ToleratedFailurePercentagePath (JSONPath; write a JSONata ToleratedFailurePercentage)',
  ToleratedFailureCountPath: 'Map ToleratedFailureCountPath (JSONPath; write a JSONata ToleratedFailureCount)',
  Credentials: 'Task Credentials (cross-account role)',
};

const RETRIER_FIELDS = new Set([
  'ErrorEquals',
  'IntervalSeconds',
  'MaxAttempts',
  'BackoffRate',
  'MaxDelaySeconds',
  'JitterStrategy',
  'Comment',
]);
const CATCHER_FIELDS = new Set(['ErrorEquals', 'Next', 'Output', 'Assign', 'Comment']);
// The JSONata Choice rule has Condition, Next and Assign (developer guide, "Choice Rules (JSONata)").
const CHOICE_RULE_FIELDS = new Set(['Condition', 'Next', 'Assign', 'Comment']);
/** The fields of a state whose values are templates (JSONata wherever a string is "{% … %}"). */
const TEMPLATE_FIELDS = [
  'Arguments',
  'Output',
  'Assign',
  'Items',
  'ItemSelector',
  'MaxConcurrency',
  'ToleratedFailurePercentage',
  'ToleratedFailureCount',
  'TimeoutSeconds',
  'HeartbeatSeconds',
  'Seconds',
  'Timestamp',
  'Error',
  'Cause',
];

function validateBody(body: Record<string, unknown>, scope: Scope): void {
  const { source, where } = scope;
  if (typeof body.StartAt !== 'string') throw new AslDefinitionError(`${source}: StartAt is missing in ${where}`);
  if (!isObject(body.States) || Object.keys(body.States).length === 0) {
    throw new AslDefinitionError(`${source}: States is missing or empty in ${where}`);
  }
  const states = body.States;
  if (!(body.StartAt in states)) {
    throw new AslDefinitionError(`${source}: StartAt names "${body.StartAt}", which is not a state of ${where}`);
  }
  // Variables assigned by states of this scope: visible to nested scopes as read-only outer variables.
  const assignedHere = new Set<string>();
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    for (const assign of [state.Assign, ...arrayOf(state.Catch).map((c) => (isObject(c) ? c.Assign : undefined))]) {
      if (isObject(assign)) for (const name of Object.keys(assign)) assignedHere.add(name);
    }
    for (const rule of arrayOf(state.Choices)) {
      if (isObject(rule) && isObject(rule.Assign)) for (const name of Object.keys(rule.Assign)) assignedHere.add(name);
    }
  }
  for (const [name, state] of Object.entries(states)) {
    try {
      if (!isObject(state)) throw new AslDefinitionError(`${source}: state "${name}" is not an object`);
      validateState(name, state, states, scope, assignedHere);
    } catch (error) {
      // The innermost state at fault names the location (a nested scope has set it already).
      if (error instanceof AslDefinitionError && error.location === undefined) {
        error.location = `${scope.pointer}/States/${name}`;
      }
      throw error;
    }
  }
}

function validateState(
  name: string,
  state: Record<string, unknown>,
  states: Record<string, unknown>,
  scope: Scope,
  assignedHere: Set<string>,
): void {
  const { source } = scope;
  const at = `${source}: state "${name}"`;
  const type = state.Type;
  if (typeof type !== 'string') throw new AslDefinitionError(`${at} has no Type`);
  const allowed = FIELDS_BY_TYPE[type];
  if (!allowed) throw new AslDefinitionError(`${at}: state type ${type} is not supported by the local runtime`);
  const language = state.QueryLanguage ?? scope.language;
  if (language !== 'JSONata') {
    throw new AslDefinitionError(
      `${at}: QueryLanguage ${String(language)} is not supported; the local runtime runs JSONata states only`,
    );
  }
  if (scope.language === 'JSONata' && state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONata') {
    throw new AslDefinitionError(`${at}: a state cannot switch to ${String(state.QueryLanguage)} in a JSONata machine`);
  }
  for (const field of Object.keys(state)) {
    if (JSONPATH_FIELDS.has(field)) {
      throw new AslDefinitionError(`${at}: ${field} is a JSONPath field; JSONata states use Arguments/Output/Assign`);
    }
    const unsupported = UNSUPPORTED_FIELDS[field];
    if (unsupported) throw new AslDefinitionError(`${at}: ${unsupported} is not supported by the local runtime`);
    if (!allowed.has(field)) throw new AslDefinitionError(`${at}: field ${field} is not supported in a ${type} state`);
  }

  const hasFlow = type !== 'Choice' && type !== 'Succeed' && type !== 'Fail';
  if (hasFlow) {
    if ((state.Next === undefined) === (state.End !== true)) {
      throw new AslDefinitionError(`${at} must have exactly one of Next or "End": true`);
    }
    if (state.Next !== undefined) checkTarget(state.Next, states, `${at} Next`);
  }
  if (state.Assign !== undefined) checkAssign(state.Assign, scope, at);

  for (const [index, retrier] of arrayOf(state.Retry).entries()) {
    if (!isObject(retrier)) throw new AslDefinitionError(`${at}: Retry[${index}] is not an object`);
    checkFields(retrier, RETRIER_FIELDS, `Retry[${index}]`, at);
    checkErrorEquals(retrier.ErrorEquals, index === arrayOf(state.Retry).length - 1, `${at} Retry[${index}]`);
    for (const field of ['IntervalSeconds', 'MaxAttempts', 'MaxDelaySeconds']) {
      const value = retrier[field];
      if (value !== undefined && (!Number.isInteger(value) || (value as number) < 0)) {
        throw new AslDefinitionError(`${at} Retry[${index}].${field} must be a non-negative integer`);
      }
    }
    if (retrier.BackoffRate !== undefined && (typeof retrier.BackoffRate !== 'number' || retrier.BackoffRate < 1)) {
      throw new AslDefinitionError(`${at} Retry[${index}].BackoffRate must be a number >= 1`);
    }
    if (
      retrier.JitterStrategy !== undefined &&
      retrier.JitterStrategy !== 'FULL' &&
      retrier.JitterStrategy !== 'NONE'
    ) {
      throw new AslDefinitionError(`${at} Retry[${index}].JitterStrategy must be FULL or NONE`);
    }
  }
  for (const [index, catcher] of arrayOf(state.Catch).entries()) {
    if (!isObject(catcher)) throw new AslDefinitionError(`${at}: Catch[${index}] is not an object`);
    for (const field of Object.keys(catcher)) {
      if (JSONPATH_FIELDS.has(field)) {
        throw new AslDefinitionError(`${at}: ${field} in Catch[${index}] is a JSONPath field; use Output/Assign`);
      }
    }
    checkFields(catcher, CATCHER_FIELDS, `Catch[${index}]`, at);
    checkErrorEquals(catcher.ErrorEquals, index === arrayOf(state.Catch).length - 1, `${at} Catch[${index}]`);
    checkTarget(catcher.Next, states, `${at} Catch[${index}].Next`);
    if (catcher.Assign !== undefined) checkAssign(catcher.Assign, scope, `${at} Catch[${index}]`);
  }
  if (state.Retry !== undefined && !Array.isArray(state.Retry)) throw new AslDefinitionError(`${at}: Retry not a list`);
  if (state.Catch !== undefined && !Array.isArray(state.Catch)) throw new AslDefinitionError(`${at}: Catch not a list`);
  checkExpressions(state, at, scope.hiddenVariables);

  switch (type) {
    case 'Task':
      if (state.Resource !== LAMBDA_INVOKE && state.Resource !== LAMBDA_INVOKE_WAIT) {
        throw new AslDefinitionError(
          `${at}: Resource ${JSON.stringify(state.Resource)} is not supported; the local runtime integrates ` +
            `${LAMBDA_INVOKE} and ${LAMBDA_INVOKE_WAIT} only`,
          'INVALID_RESOURCE',
        );
      }
      if (!isObject(state.Arguments) || state.Arguments.FunctionName === undefined) {
        throw new AslDefinitionError(`${at}: Arguments.FunctionName is required for a Lambda invoke`);
      }
      if (state.HeartbeatSeconds !== undefined && state.Resource !== LAMBDA_INVOKE_WAIT) {
        throw new AslDefinitionError(`${at}: HeartbeatSeconds is supported on ${LAMBDA_INVOKE_WAIT} tasks only`);
      }
      checkSeconds(state.TimeoutSeconds, `${at} TimeoutSeconds`);
      checkSeconds(state.HeartbeatSeconds, `${at} HeartbeatSeconds`);
      break;
    case 'Wait':
      if ((state.Seconds === undefined) === (state.Timestamp === undefined)) {
        throw new AslDefinitionError(`${at} must have exactly one of Seconds or Timestamp`);
      }
      checkSeconds(state.Seconds, `${at} Seconds`);
      if (state.Timestamp !== undefined && typeof state.Timestamp !== 'string') {
        throw new AslDefinitionError(`${at} Timestamp must be a string`);
      }
      break;
    case 'Choice': {
      if (!Array.isArray(state.Choices) || state.Choices.length === 0) {
        throw new AslDefinitionError(`${at}: Choices must be a non-empty list`);
      }
      for (const [index, rule] of state.Choices.entries()) {
        if (!isObject(rule)) throw new AslDefinitionError(`${at}: Choices[${index}] is not an object`);
        for (const field of Object.keys(rule)) {
          if (!CHOICE_RULE_FIELDS.has(field)) {
            throw new AslDefinitionError(
              `${at}: Choices[${index}].${field} is not supported; JSONata Choice rules use Condition`,
            );
          }
        }
        if (typeof rule.Condition !== 'string' && typeof rule.Condition !== 'boolean') {
          throw new AslDefinitionError(`${at}: Choices[${index}] needs a Condition`);
        }
        checkTarget(rule.Next, states, `${at} Choices[${index}].Next`);
        if (rule.Assign !== undefined) checkAssign(rule.Assign, scope, `${at} Choices[${index}]`);
      }
      if (state.Default !== undefined) checkTarget(state.Default, states, `${at} Default`);
      break;
    }
    case 'Fail':
      for (const field of ['Error', 'Cause']) {
        if (state[field] !== undefined && typeof state[field] !== 'string') {
          throw new AslDefinitionError(`${at}: ${field} must be a string`);
        }
      }
      break;
    case 'Map': {
      const processor = state.ItemProcessor;
      if (!isObject(processor)) throw new AslDefinitionError(`${at}: ItemProcessor is required`);
      const distributed = checkProcessorConfig(processor.ProcessorConfig, at);
      checkFields(processor, new Set(['ProcessorConfig', 'StartAt', 'States', 'Comment']), 'ItemProcessor', at);
      if (
        state.MaxConcurrency !== undefined &&
        expressionOf(state.MaxConcurrency) === undefined &&
        !(Number.isInteger(state.MaxConcurrency) && (state.MaxConcurrency as number) >= 0)
      ) {
        throw new AslDefinitionError(`${at}: MaxConcurrency must be a non-negative integer or a JSONata expression`);
      }
      if (distributed) {
        if (scope.insideDistributed) {
          throw new AslDefinitionError(
            `${at}: a distributed Map inside a distributed Map's ItemProcessor is not supported by the local runtime`,
          );
        }
        checkDistributedMap(name, state, at);
      } else {
        for (const field of DISTRIBUTED_FIELDS) {
          if (state[field] !== undefined) {
            throw new AslDefinitionError(`${at}: ${field} needs ItemProcessor.ProcessorConfig.Mode DISTRIBUTED`);
          }
        }
      }
      const inner = innerScope(scope, assignedHere, `the ItemProcessor of "${name}"`, `/States/${name}/ItemProcessor`);
      // A child execution has a scope of its own: the parent's variables are neither read nor assigned there.
      if (distributed) {
        const own = assignedAnywhere(processor);
        const hiddenVariables = new Set([...inner.outerVariables].filter((variable) => !own.has(variable)));
        validateBody(processor, { ...inner, outerVariables: new Set(), insideDistributed: true, hiddenVariables });
      } else validateBody(processor, inner);
      break;
    }
    case 'Parallel': {
      if (!Array.isArray(state.Branches) || state.Branches.length === 0) {
        throw new AslDefinitionError(`${at}: Branches must be a non-empty list`);
      }
      for (const [index, branch] of state.Branches.entries()) {
        if (!isObject(branch)) throw new AslDefinitionError(`${at}: Branches[${index}] is not an object`);
        checkFields(branch, new Set(['StartAt', 'States', 'Comment']), `Branches[${index}]`, at);
        validateBody(
          branch,
          innerScope(scope, assignedHere, `branch ${index} of "${name}"`, `/States/${name}/Branches/${index}`),
        );
      }
      break;
    }
  }
}

/** ProcessorConfig: INLINE (default) or DISTRIBUTED with ExecutionType STANDARD. True when distributed. */
function checkProcessorConfig(config: unknown, at: string): boolean {
  if (config === undefined) return false;
  if (!isObject(config)) throw new AslDefinitionError(`${at}: ItemProcessor.ProcessorConfig is not an object`);
  checkFields(config, new Set(['Mode', 'ExecutionType']), 'ItemProcessor.ProcessorConfig', at);
  const mode = config.Mode ?? 'INLINE';
  if (mode !== 'INLINE' && mode !== 'DISTRIBUTED') {
    throw new AslDefinitionError(`${at}: ProcessorConfig.Mode must be INLINE or DISTRIBUTED`);
  }
  if (mode === 'INLINE') {
    if (config.ExecutionType !== undefined) {
      throw new AslDefinitionError(`${at}: ProcessorConfig.ExecutionType is for Mode DISTRIBUTED only`);
    }
    return false;
  }
  if (config.ExecutionType === 'EXPRESS') {
    throw new AslDefinitionError(
      `${at}: ProcessorConfig.ExecutionType EXPRESS (express child workflows) is not supported by the local runtime; use STANDARD`,
    );
  }
  if (config.ExecutionType !== 'STANDARD') {
    throw new AslDefinitionError(`${at}: ProcessorConfig.ExecutionType STANDARD is required with Mode DISTRIBUTED`);
  }
  return true;
}

// AWS: a Map Run label has up to 40 characters, without whitespace, brackets, wildcards or punctuation.
const INVALID_LABEL_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

/** ItemReader, ResultWriter, Label and the tolerated failures of a distributed Map. */
function checkDistributedMap(name: string, state: Record<string, unknown>, at: string): void {
  const label = state.Label ?? name;
  if (typeof label !== 'string' || label.length === 0 || label.length > 40 || INVALID_LABEL_CHARACTER.test(label)) {
    throw new AslDefinitionError(
      state.Label === undefined
        ? `${at}: the state name cannot serve as the Map Run label (at most 40 characters, no spaces or punctuation); give the Map a Label`
        : `${at}: Label must have 1-40 characters without whitespace, brackets, wildcards or punctuation`,
    );
  }
  const percentage = state.ToleratedFailurePercentage;
  if (
    percentage !== undefined &&
    expressionOf(percentage) === undefined &&
    !(typeof percentage === 'number' && percentage >= 0 && percentage <= 100)
  ) {
    throw new AslDefinitionError(
      `${at}: ToleratedFailurePercentage must be a number from 0 to 100 or a JSONata expression`,
    );
  }
  const count = state.ToleratedFailureCount;
  if (
    count !== undefined &&
    expressionOf(count) === undefined &&
    !(Number.isInteger(count) && (count as number) >= 0)
  ) {
    throw new AslDefinitionError(`${at}: ToleratedFailureCount must be a non-negative integer or a JSONata expression`);
  }
  if (state.ItemReader !== undefined) {
    if (state.Items !== undefined) {
      throw new AslDefinitionError(`${at}: Items cannot be combined with ItemReader (the items are the object read)`);
    }
    checkItemReader(state.ItemReader, at);
  }
  if (state.ResultWriter !== undefined) checkResultWriter(state.ResultWriter, at);
}

function checkItemReader(reader: unknown, at: string): void {
  if (!isObject(reader)) throw new AslDefinitionError(`${at}: ItemReader is not an object`);
  if (reader.Parameters !== undefined) {
    throw new AslDefinitionError(`${at}: ItemReader.Parameters is a JSONPath field; JSONata states use Arguments`);
  }
  checkFields(reader, new Set(['Resource', 'ReaderConfig', 'Arguments']), 'ItemReader', at);
  if (reader.Resource !== S3_GET_OBJECT) {
    throw new AslDefinitionError(
      `${at}: ItemReader.Resource ${JSON.stringify(reader.Resource)} is not supported; the local runtime reads ${S3_GET_OBJECT} only`,
      'INVALID_RESOURCE',
    );
  }
  const config = reader.ReaderConfig;
  if (!isObject(config)) throw new AslDefinitionError(`${at}: ItemReader.ReaderConfig is required`);
  for (const field of Object.keys(config)) {
    if (field !== 'InputType' && field !== 'MaxItems') {
      throw new AslDefinitionError(`${at}: ItemReader.ReaderConfig.${field} is not supported by the local runtime`);
    }
  }
  if (config.InputType !== 'JSON' && config.InputType !== 'JSONL') {
    throw new AslDefinitionError(
      `${at}: ItemReader.ReaderConfig.InputType ${JSON.stringify(config.InputType)} is not supported; the local runtime reads JSON and JSONL`,
    );
  }
  const maxItems = config.MaxItems;
  if (
    maxItems !== undefined &&
    expressionOf(maxItems) === undefined &&
    !(Number.isInteger(maxItems) && (maxItems as number) > 0)
  ) {
    throw new AslDefinitionError(
      `${at}: ItemReader.ReaderConfig.MaxItems must be a positive integer or a JSONata expression`,
    );
  }
  checkTemplate(maxItems, 'ItemReader.ReaderConfig.MaxItems', at);
  const args = reader.Arguments;
  if (!isObject(args) || args.Bucket === undefined || args.Key === undefined) {
    throw new AslDefinitionError(`${at}: ItemReader.Arguments needs Bucket and Key`);
  }
  checkFields(args, new Set(['Bucket', 'Key', 'VersionId']), 'ItemReader.Arguments', at);
  checkTemplate(args, 'ItemReader.Arguments', at);
}

function checkResultWriter(writer: unknown, at: string): void {
  if (!isObject(writer)) throw new AslDefinitionError(`${at}: ResultWriter is not an object`);
  if (writer.Parameters !== undefined) {
    throw new AslDefinitionError(`${at}: ResultWriter.Parameters is a JSONPath field; JSONata states use Arguments`);
  }
  checkFields(writer, new Set(['Resource', 'Arguments', 'WriterConfig']), 'ResultWriter', at);
  if ((writer.Resource === undefined) !== (writer.Arguments === undefined)) {
    throw new AslDefinitionError(`${at}: ResultWriter needs Resource and Arguments together`);
  }
  if (writer.Resource === undefined && writer.WriterConfig === undefined) {
    throw new AslDefinitionError(`${at}: ResultWriter needs Resource and Arguments, WriterConfig, or all three`);
  }
  if (writer.Resource !== undefined) {
    if (writer.Resource !== S3_PUT_OBJECT) {
      throw new AslDefinitionError(
        `${at}: ResultWriter.Resource ${JSON.stringify(writer.Resource)} is not supported; the local runtime writes with ${S3_PUT_OBJECT}`,
        'INVALID_RESOURCE',
      );
    }
    const args = writer.Arguments;
    if (!isObject(args) || args.Bucket === undefined) {
      throw new AslDefinitionError(`${at}: ResultWriter.Arguments needs Bucket (and Prefix)`);
    }
    checkFields(args, new Set(['Bucket', 'Prefix']), 'ResultWriter.Arguments', at);
    checkTemplate(args, 'ResultWriter.Arguments', at);
  }
  const config = writer.WriterConfig;
  if (config !== undefined) {
    if (!isObject(config)) throw new AslDefinitionError(`${at}: ResultWriter.WriterConfig is not an object`);
    checkFields(config, new Set(['OutputType', 'Transformation']), 'ResultWriter.WriterConfig', at);
    if (config.OutputType !== undefined && config.OutputType !== 'JSON' && config.OutputType !== 'JSONL') {
      throw new AslDefinitionError(`${at}: ResultWriter.WriterConfig.OutputType must be JSON or JSONL`);
    }
    if (
      config.Transformation !== undefined &&
      !['NONE', 'COMPACT', 'FLATTEN'].includes(config.Transformation as string)
    ) {
      throw new AslDefinitionError(`${at}: ResultWriter.WriterConfig.Transformation must be NONE, COMPACT or FLATTEN`);
    }
  }
}

function innerScope(scope: Scope, assignedHere: Set<string>, where: string, pointer: string): Scope {
  return {
    ...scope,
    where,
    pointer: `${scope.pointer}${pointer}`,
    outerVariables: new Set([...scope.outerVariables, ...assignedHere]),
  };
}

function checkAssign(assign: unknown, scope: Scope, at: string): void {
  if (!isObject(assign)) throw new AslDefinitionError(`${at}: Assign must be an object`);
  for (const variable of Object.keys(assign)) {
    if (variable === 'states') throw new AslDefinitionError(`${at}: $states is reserved and cannot be assigned`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      throw new AslDefinitionError(`${at}: "${variable}" is not a valid variable name`);
    }
    // Inner Map/Parallel states read the outer variables but cannot assign them.
    if (scope.outerVariables.has(variable)) {
      throw new AslDefinitionError(`${at}: assigns $${variable}, which belongs to an outer scope (read-only here)`);
    }
  }
}

/**
 * AWS parses every JSONata expression of a definition when it is created: one that its JSONata (2.0.6)
 * does not parse is refused there, so it is refused here too, naming the field as the runtime would.
 */
function checkExpressions(state: Record<string, unknown>, at: string, hidden?: Set<string>): void {
  for (const field of TEMPLATE_FIELDS) checkTemplate(state[field], field, at, hidden);
  for (const [index, rule] of arrayOf(state.Choices).entries()) {
    if (!isObject(rule)) continue;
    checkTemplate(rule.Condition, `Choices[${index}].Condition`, at, hidden);
    checkTemplate(rule.Assign, `Choices[${index}].Assign`, at, hidden);
  }
  for (const [index, catcher] of arrayOf(state.Catch).entries()) {
    if (!isObject(catcher)) continue;
    checkTemplate(catcher.Output, `Catch[${index}].Output`, at, hidden);
    checkTemplate(catcher.Assign, `Catch[${index}].Assign`, at, hidden);
  }
}

/**
 * Parses the templates of a field. `hidden`: the parent's variables, inside a distributed Map's
 * ItemProcessor, where the child executions cannot read them (they would find nothing, and the state
 * fail with States.QueryEvaluationError): refused here, naming the variable and the way to pass it.
 */
function checkTemplate(value: unknown, field: string, at: string, hidden?: Set<string>): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkTemplate(item, `${field}[${index}]`, at, hidden);
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) checkTemplate(item, `${field}.${key}`, at, hidden);
  } else {
    const expression = expressionOf(value);
    if (expression === undefined) return;
    let compiled: ReturnType<typeof parseExpression>;
    try {
      compiled = parseExpression(expression);
    } catch (error) {
      if (!(error instanceof JsonataSyntaxError)) throw error;
      throw new AslDefinitionError(`${at}: ${field}: ${error.message}`, 'INVALID_JSONATA_EXPRESSION');
    }
    if (!hidden || hidden.size === 0) return;
    const { read, bound } = variablesOf(compiled.ast());
    const parent = [...read].find((name) => hidden.has(name) && !bound.has(name));
    if (parent !== undefined) {
      throw new AslDefinitionError(
        `${at}: ${field} reads $${parent}, a variable of the execution that runs the distributed Map; its child ` +
          `executions do not see the parent's variables: pass it through the Map's ItemSelector`,
      );
    }
  }
}

/** The variables an expression reads, and those it binds itself (`$x := …`, function parameters). */
function variablesOf(ast: unknown): { read: Set<string>; bound: Set<string> } {
  const read = new Set<string>();
  const bound = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isObject(node)) return;
    if (node.type === 'variable' && typeof node.value === 'string') read.add(node.value);
    if (node.type === 'bind' && isObject(node.lhs) && typeof node.lhs.value === 'string') bound.add(node.lhs.value);
    if (node.type === 'lambda') {
      for (const argument of arrayOf(node.arguments)) {
        if (isObject(argument) && typeof argument.value === 'string') bound.add(argument.value);
      }
    }
    for (const child of Object.values(node)) if (typeof child === 'object') visit(child);
  };
  visit(ast);
  return { read, bound };
}

/** Every variable a body assigns, at any depth (its inline Maps and Parallel branches included). */
function assignedAnywhere(body: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const state of Object.values(isObject(body.States) ? body.States : {})) {
    if (!isObject(state)) continue;
    const assigns = [
      state.Assign,
      ...arrayOf(state.Catch).map((c) => (isObject(c) ? c.Assign : undefined)),
      ...arrayOf(state.Choices).map((c) => (isObject(c) ? c.Assign : undefined)),
    ];
    for (const assign of assigns) if (isObject(assign)) for (const name of Object.keys(assign)) names.add(name);
    const nested = [state.ItemProcessor, ...arrayOf(state.Branches)];
    for (const inner of nested) if (isObject(inner)) for (const name of assignedAnywhere(inner)) names.add(name);
  }
  return names;
}

function checkErrorEquals(value: unknown, isLast: boolean, at: string): void {
  if (!Array.isArray(value) || value.length === 0 || value.some((name) => typeof name !== 'string')) {
    throw new AslDefinitionError(`${at}: ErrorEquals must be a non-empty list of error names`);
  }
  if (value.includes('States.ALL') && (value.length > 1 || !isLast)) {
    throw new AslDefinitionError(`${at}: States.ALL must appear alone and in the last retrier/catcher`);
  }
}

function checkSeconds(value: unknown, at: string): void {
  if (value === undefined) return;
  if (expressionOf(value) !== undefined) return;
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new AslDefinitionError(`${at} must be a non-negative integer or a JSONata expression`);
  }
}

function checkTarget(target: unknown, states: Record<string, unknown>, at: string): void {
  if (typeof target !== 'string' || !(target in states)) {
    throw new AslDefinitionError(`${at} names "${String(target)}", which is not a state of the same scope`);
  }
}

function checkFields(object: Record<string, unknown>, allowed: Set<string>, what: string, at: string): void {
  for (const field of Object.keys(object)) {
    if (!allowed.has(field)) throw new AslDefinitionError(`${at}: field ${field} is not supported in ${what}`);
  }
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
