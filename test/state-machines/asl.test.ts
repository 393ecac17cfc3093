import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { closingPeriod } from '#core/period.ts';
import { FUNCTIONS } from '#shared/contracts.ts';

// asl-validator ships no type declarations; its CommonJS export is typed here from its source (src/validator.ts).
type AslValidator = (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Resource?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number }[];
  ItemProcessor?: Machine & { ProcessorConfig?: { Mode?: string } };
  Branches?: Machine[];
  Assign?: Record<string, unknown>;
  Arguments?: { FunctionName?: string; Payload?: unknown };
  [field: string]: unknown;
}
interface Machine {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage?: string;
}

const FILES = ['proposal', 'stipulation', 'quality-control'] as const;
/** `${Name}`, as the files spell a placeholder (built, not written, to keep the linter's template check meaningful). */
const placeholder = (name: string) => ['$', '{', name, '}'].join('');
const sourceOf = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../state-machines/${name}.asl.json`, import.meta.url)), 'utf8');
const machineOf = (name: string) => JSON.parse(sourceOf(name)) as Machine;

/** Placeholders that are not function ARNs, each set by infra/ and by the local runtime. */
const DOCUMENTED_EXTRA_PLACEHOLDERS = ['ApprovalTimeoutSeconds'];
const FUNCTION_PLACEHOLDERS: string[] = Object.values(FUNCTIONS).flatMap(({ placeholder }) =>
  placeholder ? [placeholder] : [],
);

/** The subset the local runtime implements (DESIGN.md: anything else is refused by name). */
const ALLOWED_RESOURCES = ['arn:aws:states:::lambda:invoke', 'arn:aws:states:::lambda:invoke.waitForTaskToken'];
const ALLOWED_TYPES = ['Task', 'Choice', 'Pass', 'Succeed', 'Fail', 'Map', 'Parallel', 'Wait'];
const JSONPATH_FIELDS = ['InputPath', 'OutputPath', 'Parameters', 'ResultPath', 'ResultSelector', 'ItemsPath'];
const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
];

/** Every state of a machine with its path, including those nested in Map and Parallel. */
function allStates(machine: Machine, prefix = ''): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => {
    const path = `${prefix}${name}`;
    const nested = [...(state.ItemProcessor ? [state.ItemProcessor] : []), ...(state.Branches ?? [])].flatMap((inner) =>
      allStates(inner, `${path}/`),
    );
    return [[path, state] as [string, State], ...nested];
  });
}

function transitionsOf(state: State): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((choice) => choice.Next),
    ...(state.Catch ?? []).map((catcher) => catcher.Next),
  ];
}

/** State names of one level not reachable from StartAt (nested machines checked on their own). */
function unreachable(machine: Machine): string[] {
  const seen = new Set<string>();
  const queue = [machine.StartAt];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = machine.States[name];
    if (state) queue.push(...transitionsOf(state));
  }
  const nested = Object.values(machine.States).flatMap((state) =>
    [...(state.ItemProcessor ? [state.ItemProcessor] : []), ...(state.Branches ?? [])].flatMap(unreachable),
  );
  return [...Object.keys(machine.States).filter((name) => !seen.has(name)), ...nested];
}

describe.each(FILES)('%s.asl.json', (name) => {
  const machine = machineOf(name);
  const states = allStates(machine);

  it('is valid Amazon States Language (asl-validator, ARN and path checks on)', () => {
    const result = aslValidator(machine, { checkPaths: true, checkArn: true });
    expect(result.errorsText(), result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses the JSONata query language throughout', () => {
    expect(machine.QueryLanguage).toBe('JSONata');
    const overridden = states.filter(
      ([, state]) => state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONata',
    );
    expect(overridden.map(([path]) => path)).toEqual([]);
    const jsonPath = states.filter(([, state]) => JSONPATH_FIELDS.some((field) => field in state));
    expect(jsonPath.map(([path]) => path)).toEqual([]);
  });

  it('names only function placeholders of the contracts or documented extras', () => {
    const placeholders = [...sourceOf(name).matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]);
    expect(placeholders.length).toBeGreaterThan(0);
    const unknown = placeholders.filter(
      (placeholder) =>
        !FUNCTION_PLACEHOLDERS.includes(placeholder as string) &&
        !DOCUMENTED_EXTRA_PLACEHOLDERS.includes(placeholder as string),
    );
    expect(unknown).toEqual([]);
  });

  it('invokes functions only through an ARN placeholder, never a literal name', () => {
    const tasks = states.filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const [path, task] of tasks) {
      expect(task.Arguments?.FunctionName, path).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
    }
  });

  it('uses only the state types and task resources the local runtime implements', () => {
    for (const [path, state] of states) {
      expect(ALLOWED_TYPES, path).toContain(state.Type);
      if (state.Type === 'Task') expect(ALLOWED_RESOURCES, path).toContain(state.Resource);
      if (state.Type === 'Map') {
        // Inline, or the distributed subset of local/sfn/README.md (STANDARD children, S3 objects in and out).
        const config = state.ItemProcessor?.ProcessorConfig as { Mode?: string; ExecutionType?: string } | undefined;
        expect(['INLINE', 'DISTRIBUTED'], path).toContain(config?.Mode ?? 'INLINE');
        if (config?.Mode === 'DISTRIBUTED') expect(config.ExecutionType, path).toBe('STANDARD');
        expect(state, path).not.toHaveProperty('ItemBatcher');
        const reader = state.ItemReader as { Resource?: string } | undefined;
        if (reader) expect(reader.Resource, path).toBe('arn:aws:states:::s3:getObject');
        const writer = state.ResultWriter as { Resource?: string } | undefined;
        if (writer?.Resource) expect(writer.Resource, path).toBe('arn:aws:states:::s3:putObject');
      }
    }
  });

  it('reaches every state from StartAt', () => {
    expect(unreachable(machine)).toEqual([]);
  });

  it('catches errors in every non-terminal work state', () => {
    const uncaught = states.filter(
      ([, state]) =>
        state.End !== true &&
        !['Choice', 'Pass', 'Succeed', 'Fail'].includes(state.Type) &&
        !(state.Catch ?? []).some((catcher) => catcher.ErrorEquals.includes('States.ALL')),
    );
    expect(uncaught.map(([path]) => path)).toEqual([]);
  });

  it('retries every task on transient Lambda errors with backoff and jitter', () => {
    for (const [path, task] of states.filter(([, state]) => state.Type === 'Task')) {
      const retrier = (task.Retry ?? []).find((retry) => TRANSIENT_ERRORS.every((e) => retry.ErrorEquals.includes(e)));
      expect(retrier, path).toBeDefined();
      expect(retrier?.BackoffRate ?? 1, path).toBeGreaterThan(1);
      expect(retrier?.JitterStrategy, path).toBe('FULL');
    }
  });

  it('parses every JSONata expression', () => {
    const expressions = [...sourceOf(name).matchAll(/"\{% (.+?) %\}"/g)].map((match) =>
      JSON.parse(`"${match[1]}"`),
    ) as string[];
    expect(expressions.length).toBeGreaterThan(0);
    for (const expression of expressions) expect(() => jsonata(expression), expression).not.toThrow();
  });
});

describe('the two workflows together', () => {
  it('invoke every function placeholder of the contracts', () => {
    const used = new Set(FILES.flatMap((name) => [...sourceOf(name).matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1])));
    expect(FUNCTION_PLACEHOLDERS.filter((placeholder) => !used.has(placeholder))).toEqual([]);
  });
});

describe('proposal workflow', () => {
  const { States } = machineOf('proposal');

  it('ends a repeated S3 event for the same object quietly (DUPLICATE → Succeed)', () => {
    const route = States.WasThisUploadReceivedBefore;
    const duplicate = route?.Choices?.find((choice) => JSON.stringify(choice).includes("'DUPLICATE'"));
    expect(States[duplicate?.Next ?? '']?.Type).toBe('Succeed');
  });

  it('turns an approval timeout into EXPIRED and other errors into FAILED', () => {
    for (const level of ['AwaitRegencyApproval', 'AwaitProvinceApproval']) {
      const state = States[level];
      expect(state?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(state?.TimeoutSeconds).toContain(placeholder('ApprovalTimeoutSeconds'));
      expect(state?.Catch?.map((c) => [c.ErrorEquals, c.Next])).toEqual([
        [['States.Timeout'], 'RecordExpired'],
        [['States.ALL'], 'RecordFailed'],
      ]);
    }
  });

  it('continues after every waiting task only through VerifyDecision, and no Choice goes on by default', () => {
    const waiting = Object.entries(States).filter(
      ([, state]) => state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    );
    expect(waiting.map(([name]) => name)).toEqual([
      'AwaitRegencyApproval',
      'AwaitProvinceApproval',
      'AwaitStipulation',
    ]);
    for (const [name, state] of waiting) {
      const verify = States[state.Next ?? ''];
      expect(verify?.Arguments?.FunctionName, name).toBe(placeholder('VerifyDecisionFunctionArn'));
      expect(JSON.stringify(verify?.Arguments?.Payload), name).toContain('"received":"{% $states.input %}"');
      const choice = States[verify?.Next ?? ''];
      expect(choice?.Type, name).toBe('Choice');
      // The default of a decision is the failure path, never the next step of the workflow.
      const fallback = States[choice?.Default ?? ''];
      expect(fallback?.Next, name).toBe('RecordFailed');
      expect(JSON.stringify(fallback?.Output), name).toContain('DecisionNotRecordedError');
    }
  });

  it('records every terminal status through record-outcome', () => {
    const recorded = Object.values(States)
      .filter((state) => state.Arguments?.FunctionName === placeholder('RecordOutcomeFunctionArn'))
      .map((state) => (state.Arguments?.Payload as { status?: string } | undefined)?.status)
      .sort();
    expect(recorded).toEqual(['EXPIRED', 'FAILED', 'REJECTED', 'RETURNED', 'STIPULATED']);
  });

  it('passes the task token to the approval and stipulation tasks', () => {
    for (const name of ['AwaitRegencyApproval', 'AwaitProvinceApproval', 'AwaitStipulation']) {
      expect((States[name]?.Arguments?.Payload as { taskToken?: string } | undefined)?.taskToken).toBe(
        '{% $states.context.Task.Token %}',
      );
    }
  });

  it('builds the ingest payload from the EventBridge Object Created event, leaving out absent fields', async () => {
    const payload = String(States.Ingest?.Arguments?.Payload).replace(/^\{% | %\}$/g, '');
    const states = {
      input: {
        detail: { bucket: { name: 'dtks-proposals' }, object: { key: 'proposals/3371/2026-11/u.csv', size: 42 } },
      },
      context: { Execution: { Id: 'arn:aws:states:ap-southeast-3:000000000000:execution:proposal:e1' } },
    };
    expect(await jsonata(payload).evaluate({}, { states })).toEqual({
      bucket: 'dtks-proposals',
      key: 'proposals/3371/2026-11/u.csv',
      size: 42,
      executionId: 'arn:aws:states:ap-southeast-3:000000000000:execution:proposal:e1',
    });
  });
});

describe('stipulation workflow', () => {
  const { States } = machineOf('stipulation');
  const periodExpression = String(States.DetermineClosingPeriod?.Assign?.period).replace(/^\{% | %\}$/g, '');
  const periodAt = (input: object, startTime: string) =>
    jsonata(periodExpression).evaluate({}, { states: { input, context: { Execution: { StartTime: startTime } } } });

  it('closes the previous calendar month in Asia/Jakarta when the scheduler sends {}', async () => {
    // 2026-12-01 01:00 WIB (the scheduled moment) is 2026-11-30T18:00Z.
    expect(await periodAt({}, '2026-11-30T18:00:00.000Z')).toBe('2026-11');
    // 23:59 WIB on 30 November is still November in Jakarta: the closing month is October.
    expect(await periodAt({}, '2026-11-30T16:59:00.000Z')).toBe('2026-10');
    // Across the year boundary.
    expect(await periodAt({}, '2026-12-31T18:00:00.000Z')).toBe('2026-12');
    expect(await periodAt({}, '2027-01-01T05:00:00.000Z')).toBe('2026-12');
  });

  it('stipulates the period given in the input (rerun or backfill)', async () => {
    expect(await periodAt({ period: '2026-07' }, '2026-11-30T18:00:00.000Z')).toBe('2026-07');
  });

  it('closes the same period as core/period.ts closingPeriod, around every midnight WIB of two years', async () => {
    const instants: Date[] = [];
    for (let month = 0; month < 25; month++) {
      const midnightWib = Date.UTC(2026, month, 1) - 7 * 3600_000;
      for (const offset of [-60_000, -1, 0, 1, 3600_000, 15 * 24 * 3600_000])
        instants.push(new Date(midnightWib + offset));
    }
    for (const at of instants) {
      expect({ at: at.toISOString(), period: await periodAt({}, at.toISOString()) }).toEqual({
        at: at.toISOString(),
        period: closingPeriod(at),
      });
    }
  });

  it('skips Apply when nothing changed, applies and exports under the master write lease and loops each shard until done', () => {
    expect(States.IsASignOffRequired?.Choices?.[0]?.Next).toBe('TakeMasterWriteLease');
    expect(States.DidTheMinistrySignOff?.Choices?.[0]?.Next).toBe('TakeMasterWriteLease');
    expect(States.TakeMasterWriteLease?.Next).toBe('IsThereAnythingToApply');
    expect(States.IsThereAnythingToApply?.Choices?.[0]?.Next).toBe('ListRegencies');
    expect(States.IsThereAnythingToApply?.Default).toBe('ApplyShards');
    expect(States.ApplyShards?.Next).toBe('ListRegencies');
    // The exports read the master: the lease is given back only once the manifest is written.
    expect(States.FinaliseExport?.Next).toBe('ReleaseMasterWriteLease');
    expect(States.ReleaseMasterWriteLease?.Next).toBe('ReleaseProposals');
    // Every state that holds the lease fails through ReleaseMasterWriteLeaseAfterFailure, which keeps it
    // until the slices still running have ended (RELEASE_AFTER_FAILURE), on its way to StipulationFailed.
    for (const name of ['ApplyShards', 'ListRegencies', 'ExportRegencies', 'FinaliseExport']) {
      expect(
        States[name]?.Catch?.map((c) => c.Next),
        name,
      ).toEqual(['ReleaseMasterWriteLeaseAfterFailure']);
    }
    expect(States.ReleaseMasterWriteLeaseAfterFailure?.Next).toBe('StipulationFailed');
    const afterFailure = States.ReleaseMasterWriteLeaseAfterFailure as unknown as {
      Arguments: { Payload: { action: string } };
    };
    expect(afterFailure.Arguments.Payload.action).toBe('RELEASE_AFTER_FAILURE');
    // Each export unit renews the lease before it reads the master.
    const unit = States.ExportRegencies?.ItemProcessor as unknown as {
      StartAt: string;
      States: Record<string, { Next?: string; Arguments?: { Payload?: { action?: string } } }>;
    };
    expect(unit.StartAt).toBe('RenewMasterWriteLease');
    expect(unit.States.RenewMasterWriteLease?.Arguments?.Payload?.action).toBe('RENEW');
    expect(unit.States.RenewMasterWriteLease?.Next).toBe('ExportRegency');
    const child = States.ApplyShards?.ItemProcessor?.States ?? {};
    expect(child.IsTheSliceDone?.Default).toBe('ApplySlice');
    expect(child.ApplySlice?.Next).toBe('IsTheSliceDone');
  });

  it('exports regencies and releases proposals as bounded distributed Maps over lists in S3, results to S3', () => {
    const lists = { ExportRegencies: '{% $regenciesKey %}', ReleaseProposals: '{% $proposalsKey %}' };
    for (const [name, key] of Object.entries(lists)) {
      const state = States[name] as unknown as {
        ItemProcessor: { ProcessorConfig: unknown };
        ItemReader: unknown;
        ResultWriter: { Resource: string };
        ToleratedFailurePercentage: number;
        MaxConcurrency: number;
        Items?: unknown;
      };
      expect(state.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(state.ItemReader).toEqual({
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Arguments: { Bucket: '{% $proposalsBucket %}', Key: key },
      });
      expect(state.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
      expect(state.ToleratedFailurePercentage).toBe(0);
      expect(state.MaxConcurrency).toBeGreaterThan(0);
      // A tenth of Lambda's default 1,000 concurrent executions at most: the account's proposal workflows and
      // the APIs run on the same concurrency (issue 12: no quota raise beyond it).
      expect(state.MaxConcurrency).toBeLessThanOrEqual(100);
      expect(state.Items).toBeUndefined();
    }
  });

  it('keeps only a summary per regency in the ExportRegencies Map result, never its file list', async () => {
    const output = States.ExportRegencies?.ItemProcessor?.States.ExportRegency?.Output as Record<string, string>;
    const states = {
      result: {
        StatusCode: 200,
        Payload: {
          regency: '3371',
          province: '33',
          records: 120,
          files: [{ key: 'exports/period=2026-11/province=33/regency-3371.parquet', bytes: 1, sha256: 'ab' }],
        },
      },
    };
    const evaluated: Record<string, unknown> = {};
    for (const [field, template] of Object.entries(output)) {
      evaluated[field] = await jsonata(template.replace(/^\{% | %\}$/g, '')).evaluate({}, { states });
    }
    expect(evaluated).toEqual({ regency: '3371', province: '33', records: 120 });
  });

  it('hands FinaliseExport the keys of the regencies and proposals lists, never a list (the 256 KiB payload limit)', () => {
    const payload = States.FinaliseExport?.Arguments?.Payload as Record<string, string>;
    expect(Object.keys(payload).sort()).toEqual(['carriedForward', 'period', 'proposalsKey', 'regenciesKey']);
    // No state's arguments carry the collected proposals themselves.
    expect(JSON.stringify(States)).not.toContain('$proposals ');
    expect(JSON.stringify(States)).not.toContain('$proposals %');
  });

  it('resolves in three steps: the plan, a distributed Map over the NIK shards, the summary with the shards list', () => {
    expect(States.PlanResolution?.Next).toBe('ResolveShards');
    expect(States.PlanResolution?.Assign).toMatchObject({ planKey: expect.any(String), shards: expect.any(String) });
    const map = States.ResolveShards as unknown as {
      ItemProcessor: { ProcessorConfig: unknown; States: Record<string, { Arguments: { FunctionName: string } }> };
      ItemReader: { Arguments: unknown };
      ItemSelector: Record<string, string>;
      ResultWriter: { Resource: string };
      ToleratedFailurePercentage: number;
      MaxConcurrency: number;
      Next: string;
    };
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemReader.Arguments).toEqual({ Bucket: '{% $proposalsBucket %}', Key: '{% $resolutionItemsKey %}' });
    // The children do not see this execution's variables: the shard count and the plan come through ItemSelector.
    expect(map.ItemSelector).toEqual({
      period: '{% $period %}',
      shard: '{% $states.context.Map.Item.Value.shard %}',
      shards: '{% $shards %}',
      planKey: '{% $planKey %}',
    });
    expect(map.ItemProcessor.States.ResolveShard?.Arguments.FunctionName).toContain('ResolveFunctionArn');
    expect(map.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
    expect(map.ToleratedFailurePercentage).toBe(0);
    expect(map.MaxConcurrency).toBe(64);
    expect(map.Next).toBe('SummariseResolution');
    // The later states read the shards' list (each shard's change set in it), the count and whether nothing changed.
    expect(Object.keys(States.SummariseResolution?.Assign ?? {})).toEqual(
      expect.arrayContaining(['shardsKey', 'changes', 'carriedForward']),
    );
  });

  it('ends a rerun of a stipulated period right after Collect, before anything is resolved, applied or exported', () => {
    expect(States.CollectApprovedProposals?.Next).toBe('WasThePeriodStipulatedBefore');
    const route = States.WasThePeriodStipulatedBefore;
    expect(route?.Choices?.map((choice) => choice.Next)).toEqual(['PeriodAlreadyStipulated']);
    expect(route?.Default).toBe('PlanResolution');
    expect(States.PeriodAlreadyStipulated).toMatchObject({ Type: 'Fail', Error: 'PeriodAlreadyStipulated' });
    // RecordPeriod tells its own retry from a rerun by the execution.
    expect((States.RecordPeriod?.Arguments?.Payload as { executionId?: string } | undefined)?.executionId).toBe(
      '{% $states.context.Execution.Id %}',
    );
  });

  it('records the period only after every proposal is released', () => {
    expect(States.ReleaseProposals?.Next).toBe('RecordPeriod');
    expect(States.RecordPeriod?.Next).toBe('PeriodStipulated');
  });
});
