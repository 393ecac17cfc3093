/**
 * The public self-registration endpoint (pendaftaran mandiri; HTTP API routes without an authorizer,
 * throttled; locally local/approvals-server.ts with a per-client token bucket):
 *   POST /registrations                    one family: answers 201 with a receipt and the period it joins
 *   GET  /registrations/{receipt}?nik=     the registration's status, for the NIK of one of its members
 * Nobody signs in, so the lookup must not be an oracle: an unknown receipt and a NIK that is not a
 * member get the same 404, and an answer carries a status and a period, never a name or another NIK.
 * Nothing personal is logged: not the body, not the receipt with a NIK.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CITIZEN_STATUS_WORDS, RECEIPT_PATTERN, receiptFrom, registrationPeriod } from '#core/registration.ts';
import { documents } from '#shared/clients.ts';
import { readConfig } from '#shared/config.ts';
import { registrationRouteOf } from '#shared/contracts.ts';
import { DtksError, ValidationError } from '#shared/errors.ts';
import { logger } from '#shared/logger.ts';
import { httpLambda, parseInput } from '#shared/middleware.ts';
import { MAX_REGISTRATION_BYTES, RECEIPT_LOOKUP, REGISTRATION_REQUEST } from '#shared/registrations.ts';
import { gatheringKey, proposalStatusOf, RegistrationsRepository } from '#shared/registrations-repository.ts';

const config = readConfig(['registrationsTable', 'proposalsTable', 'mandiriCutoffDay']);
const registrations = new RegistrationsRepository(documents, config.registrationsTable);

type Response = APIGatewayProxyStructuredResultV2;

const NOT_FOUND: Response = respond(404, {
  code: 'NOT_FOUND',
  message: 'Pendaftaran tidak ditemukan untuk nomor tanda terima dan NIK ini',
});

// The event is API Gateway's without an authorizer; httpLambda's type names the JWT one, which this API does not read.
export const handler = httpLambda(async (event): Promise<Response> => {
  try {
    const route = registrationRouteOf(event.routeKey);
    logger.appendKeys({ route: event.routeKey });
    if (route === 'register') return await register(event);
    if (route === 'lookup') return await lookup(event);
    return respond(404, { code: 'NOT_FOUND', message: 'Alamat tidak dikenal' });
  } catch (error) {
    return errorResponse(error);
  }
});

async function register(event: APIGatewayProxyEventV2): Promise<Response> {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  // API Gateway takes bodies up to 10 MB: the limit is ours, and checked before anything is parsed.
  if (Buffer.byteLength(text, 'utf8') > MAX_REGISTRATION_BYTES) return tooLarge();
  let json: unknown;
  try {
    json = JSON.parse(text || '{}');
  } catch {
    throw new ValidationError('Isi permintaan bukan JSON yang valid');
  }
  const body = parseInput(REGISTRATION_REQUEST, json);
  const now = new Date();
  const regency = body.members[0]!.kode_desa.slice(0, 4);
  const period = registrationPeriod(now, config.mandiriCutoffDay);
  for (let attempt = 0; attempt < 3; attempt++) {
    const receipt = receiptFrom(randomBytes(10));
    const created = await registrations.create({
      receipt,
      regency,
      period,
      gathering: gatheringKey(regency, period),
      receivedAt: now.toISOString(),
      members: body.members,
    });
    if (!created) continue;
    logger.info('Registration received', { regency, period, members: body.members.length });
    return respond(201, {
      code: 'RECEIVED',
      message: `Pendaftaran diterima. Simpan nomor tanda terima ${receipt}; pendaftaran ini ikut usulan bulan ${period}`,
      receipt,
      period,
    });
  }
  // 80 random bits colliding three times is not chance.
  throw new Error('Receipt collisions');
}

async function lookup(event: APIGatewayProxyEventV2): Promise<Response> {
  const receipt = event.pathParameters?.receipt ?? '';
  const { nik } = parseInput(RECEIPT_LOOKUP, { nik: event.queryStringParameters?.nik ?? '' });
  if (!RECEIPT_PATTERN.test(receipt)) return NOT_FOUND;
  const registration = await registrations.get(receipt);
  if (!registration?.members.some((member) => member.nik === nik)) return NOT_FOUND;
  if (registration.superseded) {
    return respond(200, {
      code: 'OK',
      status: 'SUPERSEDED',
      message: CITIZEN_STATUS_WORDS.SUPERSEDED,
      period: registration.period,
    });
  }
  const status = registration.proposalId
    ? ((await proposalStatusOf(documents, config.proposalsTable, registration.proposalId)) ?? 'GATHERED')
    : 'RECEIVED';
  // CHECKING and RECEIVED of a proposal both mean it is being looked at; RECEIVED alone names a registration.
  const stage = registration.proposalId && status === 'RECEIVED' ? 'GATHERED' : status;
  return respond(200, {
    code: 'OK',
    status: stage,
    message: CITIZEN_STATUS_WORDS[stage] ?? CITIZEN_STATUS_WORDS.GATHERED,
    period: registration.period,
  });
}

function tooLarge(): Response {
  return respond(413, {
    code: 'TOO_LARGE',
    message: `Isi pendaftaran terlalu besar (paling besar ${MAX_REGISTRATION_BYTES / 1024} KiB); daftarkan satu keluarga saja`,
  });
}

/** Typed errors answer with their status and message; anything else is an opaque 500. */
function errorResponse(error: unknown): Response {
  const name = (error as Error | undefined)?.name ?? '';
  if (error instanceof DtksError && error.clientMessage !== undefined) {
    const issues = error instanceof ValidationError ? { issues: error.issues } : {};
    if (error.httpStatus >= 500) logger.warn('Registrations API unavailable', { errorName: name });
    return respond(error.httpStatus, { code: error.apiCode, message: error.clientMessage, ...issues });
  }
  // The name only: a message of a failed write could quote the item.
  logger.error('Registrations API failure', { errorName: name });
  return respond(500, { code: 'INTERNAL', message: 'Terjadi kesalahan pada sistem; silakan coba lagi' });
}

function respond(statusCode: number, body: Record<string, unknown>): Response {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
