/**
 * Bucket CORS, as S3 does it: Put/Get/DeleteBucketCors keep a bucket's rules (persisted with the bucket),
 * and a browser's requests are answered by them. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) needs no signature; the first rule whose origin, method and every
 * requested header match answers 200 with the Access-Control-* headers, and no match is S3's
 * 403 AccessForbidden. An actual request with an Origin header gets Access-Control-Allow-Origin and
 * Access-Control-Expose-Headers when a rule matches its origin and method, whatever its outcome (so a
 * page can read S3's error too).
 */
import { S3Error } from './errors.ts';
import { type Exchange, header, sendEmpty, sendXml } from './exchange.ts';
import { receiveSmallBody } from './payload.ts';
import type { CorsRule } from './store.ts';
import { childrenNamed, childText, parseXml, type XmlChild } from './xml.ts';

// The methods a CORS rule may name, and S3's limits on a configuration.
const CORS_METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);
const MAX_RULES = 100;
const MAX_CONFIGURATION_BYTES = 64 * 1024;

// S3 varies a CORS answer on the request's origin, method and headers: a cache must not reuse it for another.
const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

const malformed = () =>
  new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

function oneWildcard(element: string, value: string): string {
  if (value.split('*').length > 2) {
    throw new S3Error('InvalidRequest', `${element} "${value}" can not have more than one wildcard.`);
  }
  return value;
}

/** The rules of a CORSConfiguration document, checked as S3 checks them. */
export function parseCorsConfiguration(body: string): CorsRule[] {
  const configuration = parseXml(body);
  if (configuration.name !== 'CORSConfiguration') throw malformed();
  const elements = childrenNamed(configuration, 'CORSRule');
  if (elements.length === 0) throw malformed();
  if (elements.length > MAX_RULES) {
    throw new S3Error(
      'InvalidRequest',
      `The number of CORS rules should not exceed allowed limit of ${MAX_RULES} rules.`,
    );
  }
  return elements.map((element) => {
    const texts = (name: string) => childrenNamed(element, name).map((child) => child.text.trim());
    const allowedMethods = texts('AllowedMethod');
    const allowedOrigins = texts('AllowedOrigin').map((origin) => oneWildcard('AllowedOrigin', origin));
    if (allowedMethods.length === 0 || allowedOrigins.length === 0) throw malformed();
    for (const method of allowedMethods) {
      if (!CORS_METHODS.has(method)) {
        throw new S3Error(
          'InvalidRequest',
          `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`,
        );
      }
    }
    const id = childText(element, 'ID');
    if (id !== undefined && id.length > 255) {
      throw new S3Error('InvalidArgument', 'The ID of a CORS rule must be at most 255 characters long.');
    }
    const maxAge = childText(element, 'MaxAgeSeconds');
    if (maxAge !== undefined && !/^\d+$/.test(maxAge)) throw malformed();
    return {
      ...(id ? { id } : {}),
      allowedOrigins,
      allowedMethods,
      allowedHeaders: texts('AllowedHeader').map((name) => oneWildcard('AllowedHeader', name)),
      exposeHeaders: texts('ExposeHeader'),
      ...(maxAge !== undefined ? { maxAgeSeconds: Number(maxAge) } : {}),
    };
  });
}

export async function putBucketCors(exchange: Exchange): Promise<void> {
  exchange.context.store.bucket(exchange.bucket);
  // S3 takes a bucket configuration only with a digest of it (Content-MD5, or a flexible checksum).
  const headers = Object.keys(exchange.request.headers);
  if (
    !headers.some((name) => name === 'content-md5' || name.startsWith('x-amz-checksum-') || name === 'x-amz-trailer')
  ) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-Md5');
  }
  const body = await receiveSmallBody(exchange.request, MAX_CONFIGURATION_BYTES);
  exchange.context.store.setCors(exchange.bucket, parseCorsConfiguration(body.toString('utf8')));
  sendEmpty(exchange, 200);
}

export function getBucketCors(exchange: Exchange): void {
  const rules = exchange.context.store.bucket(exchange.bucket).cors;
  if (!rules) {
    throw new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist', {
      fields: { BucketName: exchange.bucket },
    });
  }
  const elements: XmlChild[] = rules.map((rule) => [
    'CORSRule',
    [
      ['ID', rule.id],
      ...rule.allowedHeaders.map((name): XmlChild => ['AllowedHeader', name]),
      ...rule.allowedMethods.map((method): XmlChild => ['AllowedMethod', method]),
      ...rule.allowedOrigins.map((origin): XmlChild => ['AllowedOrigin', origin]),
      ...rule.exposeHeaders.map((name): XmlChild => ['ExposeHeader', name]),
      ['MaxAgeSeconds', rule.maxAgeSeconds],
    ],
  ]);
  sendXml(exchange, 'CORSConfiguration', elements);
}

export function deleteBucketCors(exchange: Exchange): void {
  exchange.context.store.setCors(exchange.bucket, undefined);
  sendEmpty(exchange, 204);
}

/** A pattern of a CORS rule (at most one `*`, matching any run of characters) against a value. */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

/** The first rule that allows the origin, the method and (for a preflight) every requested header. */
export function matchCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestedHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedOrigins.some((allowed) => wildcardMatch(allowed, origin)) &&
      rule.allowedMethods.includes(method) &&
      requestedHeaders.every((name) =>
        rule.allowedHeaders.some((allowed) => wildcardMatch(allowed.toLowerCase(), name.toLowerCase())),
      ),
  );
}

/** The Access-Control-* headers S3 answers a matching rule with. */
function allowHeaders(rule: CorsRule, origin: string): Record<string, string> {
  // A rule open to every origin answers `*` (and so can allow no credentials); any other echoes the origin.
  const anyOrigin = rule.allowedOrigins.includes('*');
  return {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(anyOrigin ? {} : { 'access-control-allow-credentials': 'true' }),
    ...(rule.exposeHeaders.length ? { 'access-control-expose-headers': rule.exposeHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
  };
}

const corsForbidden = (method: string, resourceType: string, message: string) =>
  new S3Error('AccessForbidden', `CORSResponse: ${message}`, {
    fields: { Method: method, ResourceType: resourceType },
  });

/** OPTIONS on a bucket or an object: S3's answer to a browser's preflight. */
export function preflight(exchange: Exchange): void {
  const origin = header(exchange, 'origin');
  if (origin === undefined) {
    throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  }
  const method = header(exchange, 'access-control-request-method');
  if (method === undefined) throw new S3Error('BadRequest', 'Invalid Access-Control-Request-Method: null');
  const resourceType = exchange.key ? 'OBJECT' : 'BUCKET';
  const rules = exchange.context.store.bucket(exchange.bucket).cors;
  if (!rules) throw corsForbidden(method, resourceType, 'CORS is not enabled for this bucket.');
  const requested = (header(exchange, 'access-control-request-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const rule = matchCorsRule(rules, origin, method, requested);
  if (!rule) {
    throw corsForbidden(
      method,
      resourceType,
      "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  sendEmpty(exchange, 200, {
    ...allowHeaders(rule, origin),
    ...(requested.length ? { 'access-control-allow-headers': requested.join(', ') } : {}),
    vary: VARY,
  });
}

/**
 * Before an actual request is routed: the CORS headers of its answer, set on the response so they go out
 * with whatever it turns out to be (an object, an error). Nothing for a request without Origin, a bucket
 * without CORS or a request no rule allows, as on S3.
 */
export function applyCorsHeaders(exchange: Exchange): void {
  const origin = header(exchange, 'origin');
  if (origin === undefined || !exchange.bucket || !exchange.context.store.hasBucket(exchange.bucket)) return;
  const rules = exchange.context.store.bucket(exchange.bucket).cors;
  if (!rules) return;
  exchange.response.setHeader('vary', VARY);
  const rule = matchCorsRule(rules, origin, exchange.request.method ?? 'GET');
  if (!rule) return;
  for (const [name, value] of Object.entries(allowHeaders(rule, origin))) exchange.response.setHeader(name, value);
}
