import { describe, expect, it } from 'vitest';
import {
  AlreadyDecidedError,
  ConfigurationError,
  DecisionNotRecordedError,
  DtksError,
  DuplicateProposalError,
  ExportPartMissingError,
  ForbiddenError,
  NotAwaitingDecisionError,
  PeriodAlreadyStipulatedError,
  ProposalNotFoundError,
  StagedRowsMissingError,
  TransientError,
  ValidationError,
} from '#shared/errors.ts';

describe('typed errors carry how the approvals API answers them', () => {
  it('gives the caller’s errors their 4xx status, stable code and own message', () => {
    const cases: [DtksError, number, string][] = [
      [new ValidationError('Keputusan tidak valid', ['note']), 400, 'INVALID_REQUEST'],
      [new ForbiddenError('Anda tidak berwenang'), 403, 'FORBIDDEN'],
      [new ProposalNotFoundError('p-1'), 404, 'NOT_FOUND'],
      [new AlreadyDecidedError('p-1'), 409, 'ALREADY_DECIDED'],
      [new NotAwaitingDecisionError('p-1'), 409, 'NOT_AWAITING_DECISION'],
    ];
    for (const [error, status, code] of cases) {
      expect(error).toBeInstanceOf(DtksError);
      expect({ name: error.name, status: error.httpStatus, code: error.apiCode }).toEqual({
        name: error.name,
        status,
        code,
      });
      expect(error.clientMessage).toBe(error.message);
    }
  });

  it('answers a transient error 503 TRY_AGAIN with a message for the approver, not the state machine’s', () => {
    const error = new TransientError();
    expect([error.httpStatus, error.apiCode]).toEqual([503, 'TRY_AGAIN']);
    expect(error.clientMessage).toBe(
      'Layanan sedang sibuk; silakan kirim ulang sebentar lagi (keputusan yang sudah tercatat tidak hilang)',
    );
  });

  it('keeps the system’s own errors opaque: 500 INTERNAL and no message for a client', () => {
    const errors: DtksError[] = [
      new ConfigurationError(['PROPOSALS_TABLE']),
      new DuplicateProposalError('p-1'),
      new StagedRowsMissingError('p-1'),
      new ExportPartMissingError('2026-11', ['3371']),
      new DecisionNotRecordedError('p-1', 'REGENCY', 'tidak ada keputusan'),
      new PeriodAlreadyStipulatedError('2026-11'),
    ];
    for (const error of errors) {
      expect([error.name, error.httpStatus, error.apiCode, error.clientMessage]).toEqual([
        error.name,
        500,
        'INTERNAL',
        undefined,
      ]);
    }
  });
});
