/**
 * The local S3: a small, strict S3 REST server over node:http (path-style addressing), persisted on
 * disk by ObjectStore. It answers the operations the pipeline, the SDK's helpers and the AWS CLI use,
 * with S3's status codes, error codes and XML, and refuses every other operation by name with
 * NotImplemented. README.md beside this file lists what it implements and why it exists.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
  listMultipartUploads,
  listObjectsV1,
  listObjectsV2,
  listObjectVersions,
  putBucketVersioning,
} from './buckets.ts';
import { applyCorsHeaders, deleteBucketCors, getBucketCors, preflight, putBucketCors } from './cors.ts';
import { notImplemented, S3Error } from './errors.ts';
import type { Exchange, ObjectCreated, ServerContext } from './exchange.ts';
import { splitPath } from './keys.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  uploadPart,
} from './multipart.ts';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './objects.ts';
import { ObjectStore } from './store.ts';
import { xmlDocument } from './xml.ts';

export type { ObjectCreated } from './exchange.ts';

export interface S3ServerOptions {
  /** Directory of the buckets and objects; kept across restarts. */
  root: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  region?: string;
}

export interface S3Server {
  endpoint: string;
  port: number;
  /** Called, before the request is answered, for every object created (put, copy, completed upload). */
  onObjectCreated(listener: (event: ObjectCreated) => void): void;
  close(): Promise<void>;
}

// Subresources S3 has and this server does not: refused by name rather than misread as another call.
const BUCKET_SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'lifecycle',
  'logging',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'session',
  'tagging',
  'website',
];
const OBJECT_SUBRESOURCES = [
  'acl',
  'attributes',
  'legal-hold',
  'renameObject',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
];

function refuseSubresources(query: URLSearchParams, names: readonly string[], level: string): void {
  for (const name of names) if (query.has(name)) throw notImplemented(`the ${level} subresource ?${name}`);
}

/**
 * Any credentials are accepted (the local S3 has no accounts), but a request must be signed as a
 * real S3 requires: an Authorization header of SigV4 (or SigV2) in its documented shape, or a
 * presigned URL that has not expired. Signatures are not verified: there is no secret to verify with.
 */
export function checkAuthorization(request: IncomingMessage, query: URLSearchParams): void {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('AWS4-HMAC-SHA256 ') || authorization?.startsWith('AWS4-ECDSA-P256-SHA256 ')) {
    const fields = new Map(
      authorization
        .slice(authorization.indexOf(' ') + 1)
        .split(',')
        .map((part) => {
          const at = part.indexOf('=');
          return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
        }),
    );
    const credential = fields.get('Credential')?.split('/') ?? [];
    if (credential.length < 5 || !credential[0] || !fields.get('SignedHeaders') || !fields.get('Signature')) {
      throw new S3Error(
        'AuthorizationHeaderMalformed',
        'The authorization header is malformed; it must carry Credential=<key>/<date>/<region>/s3/aws4_request, SignedHeaders and Signature.',
      );
    }
    return;
  }
  if (authorization !== undefined) {
    if (/^AWS [^:\s]+:\S+$/.test(authorization)) return; // SigV2, still sent by some old clients
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', {
      fields: { ArgumentName: 'Authorization' },
    });
  }
  const algorithm = query.get('X-Amz-Algorithm');
  if (algorithm !== null) {
    if (!query.get('X-Amz-Credential') || !query.get('X-Amz-Signature') || !query.get('X-Amz-Date')) {
      throw new S3Error(
        'AuthorizationQueryParametersError',
        'A presigned URL needs X-Amz-Credential, X-Amz-Date and X-Amz-Signature.',
      );
    }
    const signed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
    const expires = Number(query.get('X-Amz-Expires') ?? '604800');
    if (signed) {
      const [, y, mo, d, h, mi, s] = signed.map(Number) as number[];
      const at = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
      if (Date.now() > at + expires * 1000) throw new S3Error('AccessDenied', 'Request has expired');
    }
    return;
  }
  if (query.get('AWSAccessKeyId') !== null && query.get('Signature') !== null) return; // presigned SigV2
  throw new S3Error(
    'AccessDenied',
    'Access Denied: the local S3 takes signed requests only; any credentials work (e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test)',
  );
}

async function route(exchange: Exchange): Promise<void> {
  const { request, query, bucket, key } = exchange;
  const method = request.method ?? 'GET';
  if (Object.keys(request.headers).some((name) => name.startsWith('x-amz-server-side-encryption-customer-'))) {
    throw notImplemented('server-side encryption with customer keys (SSE-C)');
  }
  if (method === 'OPTIONS' && bucket !== '') return preflight(exchange);
  if (bucket === '') {
    if (method === 'GET') return listBuckets(exchange);
    throw methodNotAllowed(method, 'Service');
  }
  if (key === '') {
    refuseSubresources(query, BUCKET_SUBRESOURCES, 'bucket');
    switch (method) {
      case 'PUT':
        if (query.has('cors')) return putBucketCors(exchange);
        return query.has('versioning') ? putBucketVersioning(exchange) : createBucket(exchange);
      case 'GET':
        if (query.has('cors')) return getBucketCors(exchange);
        if (query.has('versioning')) return getBucketVersioning(exchange);
        if (query.has('location')) return getBucketLocation(exchange);
        if (query.has('versions')) return listObjectVersions(exchange);
        if (query.has('uploads')) return listMultipartUploads(exchange);
        if (query.get('list-type') === '2') return listObjectsV2(exchange);
        if (query.has('list-type')) throw new S3Error('InvalidArgument', 'Invalid list type specified');
        return listObjectsV1(exchange);
      case 'HEAD':
        return headBucket(exchange);
      case 'DELETE':
        if (query.has('cors')) return deleteBucketCors(exchange);
        return deleteBucket(exchange);
      case 'POST':
        if (query.has('delete')) return deleteObjects(exchange);
        throw notImplemented('this POST on a bucket');
      default:
        throw methodNotAllowed(method, 'Bucket');
    }
  }
  refuseSubresources(query, OBJECT_SUBRESOURCES, 'object');
  switch (method) {
    case 'PUT':
      if (query.has('uploadId')) return uploadPart(exchange);
      if (request.headers['x-amz-copy-source'] !== undefined) return copyObject(exchange);
      return putObject(exchange);
    case 'GET':
      if (query.has('uploadId')) return listParts(exchange);
      return getObject(exchange, false);
    case 'HEAD':
      return getObject(exchange, true);
    case 'DELETE':
      if (query.has('uploadId')) return abortMultipartUpload(exchange);
      return deleteObject(exchange);
    case 'POST':
      if (query.has('uploads')) return createMultipartUpload(exchange);
      if (query.has('uploadId')) return completeMultipartUpload(exchange);
      throw notImplemented('this POST on an object');
    default:
      throw methodNotAllowed(method, 'Object');
  }
}

const methodNotAllowed = (method: string, resourceType: string) =>
  new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    fields: { Method: method, ResourceType: resourceType },
  });

function sendError(
  request: IncomingMessage,
  response: ServerResponse,
  error: unknown,
  requestId: string,
  resource: string,
) {
  const failure =
    error instanceof S3Error
      ? error
      : new S3Error(
          'InternalError',
          `We encountered an internal error: ${error instanceof Error ? error.message : String(error)}`,
        );
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const headers: Record<string, string> = { ...failure.details.headers };
  if (request.method === 'HEAD') {
    response.writeHead(failure.status, { ...headers, 'content-length': '0' });
    response.end();
    return;
  }
  const body = xmlDocument(
    'Error',
    [
      ['Code', failure.code],
      ['Message', failure.message],
      ...Object.entries(failure.details.fields ?? {}),
      ['Resource', resource],
      ['RequestId', requestId],
    ],
    false,
  );
  response.writeHead(failure.status, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  mkdirSync(options.root, { recursive: true });
  const store = new ObjectStore(options.root);
  const listeners: ((event: ObjectCreated) => void)[] = [];
  const host = options.host ?? '127.0.0.1';
  let endpoint = '';
  const context: ServerContext = {
    store,
    region: options.region ?? 'ap-southeast-3',
    endpoint: () => endpoint,
    objectCreated(event) {
      for (const listener of listeners) listener(event);
    },
  };
  const server: Server = createServer((request, response) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    response.setHeader('x-amz-request-id', requestId);
    response.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    response.setHeader('server', 'AmazonS3');
    const target = request.url ?? '/';
    // The raw target, not WHATWG URL: that would resolve "." and ".." segments that are part of a key.
    const queryAt = target.indexOf('?');
    const pathname = queryAt < 0 ? target : target.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? '' : target.slice(queryAt + 1));
    let resource = pathname;
    (async () => {
      const { bucket, key } = splitPath(pathname);
      resource = key ? `/${bucket}/${key}` : `/${bucket}`;
      const exchange: Exchange = { context, request, response, bucket, key, query };
      // A browser's preflight carries no credentials: S3 answers it from the bucket's CORS rules alone.
      if (request.method !== 'OPTIONS') {
        applyCorsHeaders(exchange);
        checkAuthorization(request, query);
      }
      await route(exchange);
    })().catch((error: unknown) => sendError(request, response, error, requestId, resource));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  endpoint = `http://${host}:${port}`;
  return {
    endpoint,
    port,
    onObjectCreated: (listener) => void listeners.push(listener),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
