/**
 * Conformance of the JSONata evaluation (local/sfn/jsonata.ts) with the Step Functions developer guide,
 * "Transforming data with JSONata": "{% %}" templates, the functions Step Functions adds, $eval refused, the
 * JSONata 2.0.6 that Step Functions implements, and an expression without a value.
 */
import { describe, expect, it } from 'vitest';
import { AslDefinitionError, type Json } from '#local/sfn/definition.ts';
import { evaluateTemplate } from '#local/sfn/jsonata.ts';
import { harnessPerTest, invokeTask, lambdaArn, machine, output, ScriptedInvoker, startHarness } from './harness.ts';

const harnesses = harnessPerTest();
const { runMachine } = harnesses;

describe('JSONata evaluation', () => {
  it('evaluates "{% %}" strings at any depth of Arguments and leaves other strings literal', async () => {
    const invoker = new ScriptedInvoker();
    await runMachine(
      machine('Call', {
        Assign: undefined,
        Init: { Type: 'Pass', Assign: { customerName: 'Siti' }, Next: 'Call' },
        Call: {
          ...invokeTask('f'),
          Arguments: {
            FunctionName: lambdaArn('f'),
            Payload: {
              static: 'Hello',
              title: '{% $states.input.title %}',
              nested: [{ upper: '{% $uppercase($states.input.title) %}' }, 42, true, null],
              'not-evaluated': '$customerName',
              spaced: ' {% 1 + 1 %}',
            },
          },
          End: true,
        },
      }).replace('"Assign":null,', ''),
      { title: 'Kartu' },
      { invoker },
    );
    expect(invoker.calls[0]?.payload).toEqual({
      static: 'Hello',
      title: 'Kartu',
      nested: [{ upper: 'KARTU' }, 42, true, null],
      'not-evaluated': '$customerName',
      spaced: ' {% 1 + 1 %}',
    });
  });

  it('provides $partition, $range, $hash, $random with a seed, $uuid and $parse', async () => {
    const result = await runMachine(
      machine('Fns', {
        Fns: {
          Type: 'Pass',
          Output: {
            partition: '{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}',
            uneven: '{% $partition([1, 2, 3, 4, 5], 2) %}',
            range: '{% $range(0, 10, 2) %}',
            down: '{% $range(3, 1, -1) %}',
            md5: "{% $hash('', 'MD5') %}",
            sha1: "{% $hash('abc', 'SHA-1') %}",
            sha256: "{% $hash('abc', 'SHA-256') %}",
            sha384: "{% $hash('abc', 'SHA-384') %}",
            sha512: "{% $hash('abc', 'SHA-512') %}",
            sameSeed: '{% $random(7) = $random(7) %}',
            seeded: '{% $random(7) %}',
            unseeded: '{% $random() %}',
            uuid: '{% $uuid() %}',
            parsed: '{% $parse($states.input.json) %}',
          },
          End: true,
        },
      }),
      { json: '{"a": [1, {"b": null}]}' },
    );
    const values = output(result) as Record<string, Json>;
    expect(values).toMatchObject({
      partition: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      uneven: [[1, 2], [3, 4], [5]],
      range: [0, 2, 4, 6, 8, 10],
      down: [3, 2, 1],
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      sha384: 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
      sha512:
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      sameSeed: true,
      parsed: { a: [1, { b: null }] },
    });
    for (const key of ['seeded', 'unseeded']) {
      expect(values[key]).toBeGreaterThanOrEqual(0);
      expect(values[key]).toBeLessThan(1);
    }
    expect(values.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('fails with States.QueryEvaluationError when $eval is used (Step Functions offers $parse instead)', async () => {
    const result = await runMachine(machine('E', { E: { Type: 'Pass', Output: "{% $eval('1 + 1') %}", End: true } }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
  });

  it('speaks the JSONata of Step Functions (2.0.6): the ?? and ?: operators of JSONata 2.1 do not parse', async () => {
    // AWS, "Transforming data with JSONata": Step Functions implements the 2.0.6 specification, and parses
    // every expression when the definition is created: the machine is refused before it runs.
    for (const [expression, operator] of [
      ['{% $states.input.a ?? 1 %}', '??'],
      ['{% $states.input.a ?: 1 %}', '?:'],
    ] as const) {
      const loading = startHarness({
        machines: { Test: machine('E', { E: { Type: 'Pass', Output: expression, End: true } }) },
      });
      await expect(loading, expression).rejects.toBeInstanceOf(AslDefinitionError);
      await expect(loading, expression).rejects.toMatchObject({
        code: 'INVALID_JSONATA_EXPRESSION',
        message: expect.stringContaining('cannot parse JSONata'),
      });
      await expect(loading, expression).rejects.toMatchObject({
        message: expect.stringContaining(`the ${operator} operator`),
      });
      // Evaluated all the same (a definition that bypassed the checker), the state fails, naming the operator.
      const evaluation = evaluateTemplate(expression, { states: { input: { a: 0 } } }, 'Output');
      await expect(evaluation, expression).rejects.toMatchObject({
        error: 'States.QueryEvaluationError',
        message: expect.stringContaining('cannot parse JSONata'),
      });
      await expect(evaluation, expression).rejects.toMatchObject({
        message: expect.stringContaining(`the ${operator} operator`),
      });
    }
  });

  it('fails with States.QueryEvaluationError when an expression has no value', async () => {
    const result = await runMachine(
      machine('E', { E: { Type: 'Pass', Output: { a: '{% $states.input.missing %}' }, End: true } }),
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
    expect(result.cause).toContain('Output.a');
  });
});
