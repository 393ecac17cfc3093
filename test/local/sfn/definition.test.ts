import { describe, expect, it } from 'vitest';
import { localSubstitutions } from '#local/functions.ts';
import { AslDefinitionError, loadDefinition, parseDefinition } from '#local/sfn/definition.ts';
import { invokeTask, machine } from './harness.ts';

const pass = { Type: 'Pass', End: true };

function refusal(text: string, substitutions: Record<string, string> = {}): string {
  try {
    parseDefinition(text, substitutions, 'test.asl.json');
  } catch (error) {
    expect(error).toBeInstanceOf(AslDefinitionError);
    return (error as Error).message;
  }
  throw new Error('the definition was accepted');
}

describe('loadDefinition', () => {
  it('loads every state machine of state-machines/ with the local substitutions', async () => {
    const substitutions = { ...localSubstitutions(), ApprovalTimeoutSeconds: '1209600' };
    for (const file of ['proposal.asl.json', 'stipulation.asl.json', 'quality-control.asl.json']) {
      const definition = await loadDefinition(
        new URL(`../../../state-machines/${file}`, import.meta.url),
        substitutions,
      );
      expect(Object.keys(definition.States).length).toBeGreaterThan(3);
      expect(definition.text).not.toMatch(/\$\{[A-Za-z]/);
    }
  });

  it('names every placeholder without a substitution', async () => {
    const text = machine('A', {
      A: invokeTask('x', {
        Arguments: { FunctionName: `\${IngestFunctionArn}` },
        TimeoutSeconds: `\${Timeout}`,
        End: true,
      }),
    });
    const message = refusal(text);
    expect(message).toContain(`\${IngestFunctionArn}`);
    expect(message).toContain(`\${Timeout}`);
  });

  it('substitutes placeholders as JSON string content', () => {
    const text = machine('A', { A: { Type: 'Pass', Output: `\${Greeting}`, End: true } });
    const definition = parseDefinition(text, { Greeting: 'say "halo"' });
    expect(definition.States.A).toMatchObject({ Output: 'say "halo"' });
  });

  it('refuses a JSONPath machine (no QueryLanguage) naming the state', () => {
    const message = refusal(JSON.stringify({ StartAt: 'A', States: { A: pass } }));
    expect(message).toMatch(/state "A".*QueryLanguage JSONPath/);
  });

  it('accepts JSONata declared per state', () => {
    const definition = parseDefinition(
      JSON.stringify({ StartAt: 'A', States: { A: { ...pass, QueryLanguage: 'JSONata' } } }),
    );
    expect(definition.StartAt).toBe('A');
  });

  it.each([
    ['InputPath', { Type: 'Pass', InputPath: '$.a', End: true }],
    ['ResultPath', invokeTask('f', { ResultPath: '$.r', End: true })],
    ['Parameters', { Type: 'Pass', Parameters: { a: 1 }, End: true }],
    ['OutputPath', { Type: 'Pass', OutputPath: '$.a', End: true }],
    ['ResultSelector', invokeTask('f', { ResultSelector: { a: 1 }, End: true })],
    ['TimeoutSecondsPath', invokeTask('f', { TimeoutSecondsPath: '$.t', End: true })],
  ])('refuses the JSONPath field %s by name and state', (field, state) => {
    const message = refusal(machine('Broken', { Broken: state }));
    expect(message).toContain(field);
    expect(message).toContain('"Broken"');
  });

  it('refuses integrations other than lambda:invoke and lambda:invoke.waitForTaskToken', () => {
    const message = refusal(
      machine('Put', {
        Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Arguments: { TableName: 't' }, End: true },
      }),
    );
    expect(message).toContain('arn:aws:states:::dynamodb:putItem');
    expect(message).toContain('"Put"');
  });

  it('refuses a distributed Map of EXPRESS child executions (the distributed subset: distributed-map.test.ts)', () => {
    const message = refusal(
      machine('Fan', {
        Fan: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'P',
            States: { P: pass },
          },
          End: true,
        },
      }),
    );
    expect(message).toMatch(/"Fan".*ExecutionType EXPRESS.*not supported/);
  });

  it.each([
    ['ItemReader', { Resource: 'arn:aws:states:::s3:getObject', Arguments: { Bucket: 'b', Key: 'k' } }],
    ['ItemBatcher', { MaxItemsPerBatch: 10 }],
    ['ResultWriter', { Resource: 'arn:aws:states:::s3:putObject' }],
    ['ToleratedFailurePercentage', 5],
  ])('refuses Map %s on an inline Map by name', (field, value) => {
    const message = refusal(
      machine('Fan', {
        Fan: { Type: 'Map', [field]: value, ItemProcessor: { StartAt: 'P', States: { P: pass } }, End: true },
      }),
    );
    expect(message).toContain(field);
    expect(message).toContain('"Fan"');
  });

  it('refuses JSONPath Choice rules', () => {
    const message = refusal(
      machine('Pick', {
        Pick: { Type: 'Choice', Choices: [{ Variable: '$.a', StringEquals: 'x', Next: 'Done' }] },
        Done: { Type: 'Succeed' },
      }),
    );
    expect(message).toMatch(/"Pick".*Variable/);
  });

  it('refuses an Output inside a Choice rule (JSONata rules have Condition, Next and Assign)', () => {
    const message = refusal(
      machine('Pick', {
        Pick: { Type: 'Choice', Choices: [{ Condition: '{% true %}', Output: 1, Next: 'Done' }] },
        Done: { Type: 'Succeed' },
      }),
    );
    expect(message).toMatch(/"Pick".*Choices\[0\]\.Output/);
  });

  it('refuses an unknown state type', () => {
    expect(refusal(machine('A', { A: { Type: 'Magic', End: true } }))).toMatch(/"A".*Magic/);
  });

  it('refuses a transition to a state that does not exist', () => {
    expect(refusal(machine('A', { A: { Type: 'Pass', Next: 'Nowhere' } }))).toMatch(/"A" Next names "Nowhere"/);
  });

  it('refuses HeartbeatSeconds on a task that does not wait for a token', () => {
    expect(refusal(machine('A', { A: invokeTask('f', { HeartbeatSeconds: 10, End: true }) }))).toContain(
      'HeartbeatSeconds',
    );
  });

  it('refuses States.ALL that is not alone in the last catcher', () => {
    const message = refusal(
      machine('A', {
        A: invokeTask('f', {
          Catch: [
            { ErrorEquals: ['States.ALL'], Next: 'B' },
            { ErrorEquals: ['X'], Next: 'B' },
          ],
          End: true,
        }),
        B: pass,
      }),
    );
    expect(message).toContain('States.ALL');
  });

  it('refuses by name the ?? and ?: operators of JSONata 2.1, which Step Functions (JSONata 2.0.6) does not parse', () => {
    // AWS, "Transforming data with JSONata": Step Functions implements the 2.0.6 specification, and parses
    // every expression when the definition is created: such a definition would never deploy.
    const cases = [
      { expression: '{% $states.input.a ?? 1 %}', operator: '??', instead: '$exists(a) ? a : b' },
      { expression: '{% $states.input.a ?: 1 %}', operator: '?:', instead: 'a ? a : b' },
    ];
    for (const { expression, operator, instead } of cases) {
      const message = refusal(machine('E', { E: { Type: 'Pass', Output: { v: expression }, End: true } }));
      expect(message, expression).toContain(`the ${operator} operator`);
      expect(message, expression).toContain('JSONata 2.0.6');
      expect(message, expression).toContain(instead);
      expect(message, expression).toMatch(/state "E".*Output\.v/);
    }
  });

  it('refuses an expression that does not parse, in any field and scope, naming the field and the parser error', () => {
    const unparsable = '{% 1 + %}';
    const cases: [string, string, RegExp][] = [
      [
        'Arguments',
        machine('T', { T: invokeTask('f', { Arguments: { FunctionName: 'f', Payload: [unparsable] }, End: true }) }),
        /"T".*Arguments\.Payload\[0\]/,
      ],
      [
        'Condition',
        machine('C', { C: { Type: 'Choice', Choices: [{ Condition: unparsable, Next: 'D' }], Default: 'D' }, D: pass }),
        /"C".*Choices\[0\]\.Condition/,
      ],
      [
        'Catch Assign',
        machine('T', {
          T: invokeTask('f', {
            Catch: [{ ErrorEquals: ['States.ALL'], Assign: { x: unparsable }, Next: 'D' }],
            End: true,
          }),
          D: pass,
        }),
        /"T".*Catch\[0\]\.Assign\.x/,
      ],
      ['Fail Cause', machine('F', { F: { Type: 'Fail', Cause: unparsable } }), /"F".*Cause/],
      ['Wait Seconds', machine('W', { W: { Type: 'Wait', Seconds: unparsable, End: true } }), /"W".*Seconds/],
      [
        'inside a Map',
        machine('M', {
          M: {
            Type: 'Map',
            Items: '{% [1] %}',
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', Output: unparsable, End: true } } },
            End: true,
          },
        }),
        /"I".*Output/,
      ],
    ];
    for (const [where, text, field] of cases) {
      const message = refusal(text);
      expect(message, where).toMatch(field);
      expect(message, where).toContain('Unexpected end of expression');
    }
    // An expression inside a string literal, or text that is not a whole "{% %}", is not JSONata.
    expect(() =>
      parseDefinition(machine('P', { P: { Type: 'Pass', Output: { a: 'x ?? y', b: ' {% 1 + %}' }, End: true } })),
    ).not.toThrow();
  });

  it('refuses an inner Map state that assigns a variable of the outer scope', () => {
    const message = refusal(
      machine('Init', {
        Init: { Type: 'Pass', Assign: { total: 0 }, Next: 'Fan' },
        Fan: {
          Type: 'Map',
          Items: '{% [1, 2] %}',
          ItemProcessor: { StartAt: 'Add', States: { Add: { Type: 'Pass', Assign: { total: 1 }, End: true } } },
          End: true,
        },
      }),
    );
    expect(message).toMatch(/"Add".*\$total.*outer scope/);
  });
});
