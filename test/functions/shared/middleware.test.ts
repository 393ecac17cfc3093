import { describe, expect, it } from 'vitest';
import { ProposalNotFoundError } from '#shared/errors.ts';
import { lambda } from '#shared/middleware.ts';
import { lambdaContext } from '../../support/lambda.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode: status } });
}

describe('the handler wrapper', () => {
  it('passes the result through', async () => {
    const handler = lambda(async (event: { n: number }) => ({ doubled: event.n * 2 }));
    expect(await handler({ n: 21 }, lambdaContext())).toEqual({ doubled: 42 });
  });

  it('keeps the name of a domain error, which the state machines catch', async () => {
    const handler = lambda(async () => {
      throw new ProposalNotFoundError('p1');
    });
    await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'ProposalNotFoundError' });
  });

  it('turns throttling and server errors of AWS into TransientError, which the state machines retry', async () => {
    for (const error of [awsError('ThrottlingException', 400), awsError('InternalServerError', 500)]) {
      const handler = lambda(async () => {
        throw error;
      });
      await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'TransientError', cause: error });
    }
  });

  it('leaves a client error of AWS as it is', async () => {
    const handler = lambda(async () => {
      throw awsError('ValidationException', 400);
    });
    await expect(handler({}, lambdaContext())).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
