import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EXPORT_REGENCY_INPUT, INGEST_INPUT, REQUEST_APPROVAL_INPUT } from '#shared/contracts.ts';
import { ProposalNotFoundError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { lambda, parseInput } from '#shared/middleware.ts';
import { lambdaContext } from '../../support/lambda.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode: status } });
}

const ANY = z.unknown();

describe('the handler wrapper', () => {
  it('passes the result through', async () => {
    const handler = lambda(z.object({ n: z.number() }), async (event) => ({ doubled: event.n * 2 }));
    expect(await handler({ n: 21 }, lambdaContext())).toEqual({ doubled: 42 });
  });

  it('keeps the name of a domain error, which the state machines catch', async () => {
    const handler = lambda(ANY, async () => {
      throw new ProposalNotFoundError('p1');
    });
    await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'ProposalNotFoundError' });
  });

  it('turns throttling and server errors of AWS into TransientError, which the state machines retry', async () => {
    for (const error of [awsError('ThrottlingException', 400), awsError('InternalServerError', 500)]) {
      const handler = lambda(ANY, async () => {
        throw error;
      });
      await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'TransientError', cause: error });
    }
  });

  it('logs a failed step’s error without the text a SyntaxError quotes (a stored row may name a person)', async () => {
    const handler = lambda(ANY, async () => JSON.parse('SITI AMINAH 3371010101800001'));
    const logged = vi.spyOn(logger, 'error');
    try {
      await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'SyntaxError' });
      expect(logged).toHaveBeenCalledWith('Step failed', expect.objectContaining({ errorName: 'SyntaxError' }));
      expect(JSON.stringify(logged.mock.calls)).not.toMatch(/SITI|3371010/);
    } finally {
      logged.mockRestore();
    }
  });

  it('leaves a client error of AWS as it is', async () => {
    const handler = lambda(ANY, async () => {
      throw awsError('ValidationException', 400);
    });
    await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('gives a bad payload one ValidationError that names every field wrong, in Bahasa Indonesia', async () => {
    let called = false;
    const handler = lambda(INGEST_INPUT, async () => {
      called = true;
    });
    const error = await handler({ bucket: '', size: 'big', executionId: 7 } as never, lambdaContext()).catch(
      (caught: unknown) => caught,
    );
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(ValidationError);
    const { message, issues } = error as ValidationError;
    expect(issues.map((issue) => issue.split(':')[0])).toEqual(['bucket', 'key', 'size', 'executionId']);
    expect(message).toMatch(/^Masukan Ingest tidak valid: bucket: .+; key: .+; size: .+; executionId: .+$/);
    expect(message).not.toMatch(/Invalid|expected|received/);
  });

  it('names a nested field by its path and a rule across fields by the field it is about', () => {
    const error = (() => {
      try {
        return parseInput(EXPORT_REGENCY_INPUT, { period: '2026-13', regency: '3371', province: '32' });
      } catch (caught) {
        return caught;
      }
    })() as ValidationError;
    expect(error.name).toBe('ValidationError');
    expect(error.issues).toEqual([
      'period: periode harus berbentuk YYYY-MM',
      'regency: kabupaten/kota tidak termasuk provinsi ini',
    ]);
    expect(() => parseInput(EXPORT_REGENCY_INPUT, { period: '2026-11', regency: '3371', province: '32' })).toThrow(
      'Masukan ExportRegency tidak valid: regency: kabupaten/kota tidak termasuk provinsi ini',
    );
    expect(() => parseInput(z.object({ a: z.object({ b: z.string() }) }), { a: {} })).toThrow(/a\.b: /);
  });

  it('never quotes a value of the payload: it can carry a task token or a NIK', () => {
    const payload = { proposalId: 'p1', level: 'TOKEN-AQl0secret', taskToken: 3371010101010001 };
    expect(() => parseInput(REQUEST_APPROVAL_INPUT, payload)).toThrow(
      /^Masukan RequestApproval tidak valid: level: .+; taskToken: /,
    );
    try {
      parseInput(REQUEST_APPROVAL_INPUT, payload);
    } catch (error) {
      const { message, issues } = error as ValidationError;
      expect(`${message} ${issues.join(' ')}`).not.toMatch(/AQl0secret|3371010101010001/);
    }
  });

  it('hands the parsed input, defaults applied and unknown fields dropped, to the function', async () => {
    const handler = lambda(z.object({ n: z.number(), note: z.string().default('') }), async (input) => input);
    expect(await handler({ n: 1, extra: true } as never, lambdaContext())).toEqual({ n: 1, note: '' });
  });
});
