/**
 * Presigned S3 URLs for the console: the browser uploads a proposal and downloads a report or an export
 * straight from S3, under a link the approvals API signs with its own credentials (so it can grant no
 * more than the function's role may do) and that expires within PRESIGN_SECONDS.
 *
 * The request is built by the S3 client itself (serialisation, endpoint, path-style locally) and stopped
 * before it is sent: a middleware just ahead of the signing step takes it and signs its query with the
 * client's own SigV4 signer, which is what @aws-sdk/s3-request-presigner does, without the extra
 * package. The client computes no checksums (WHEN_REQUIRED): a checksum header of the empty body it
 * would sign for a PUT would refuse the browser's file.
 */
import { type GetObjectCommand, type PutObjectCommand, S3Client, type UploadPartCommand } from '@aws-sdk/client-s3';

/** How long a link works: short, and long enough for a part of a slow upload to start. */
export const PRESIGN_SECONDS = 300;

const presigner = new S3Client({
  forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
  requestChecksumCalculation: 'WHEN_REQUIRED',
});

interface PresignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

interface Presigner {
  presign(request: PresignableRequest, options: Record<string, unknown>): Promise<PresignableRequest>;
}

/** A link for one GetObject, PutObject or UploadPart, valid for PRESIGN_SECONDS from now. */
export async function presignedUrl(
  command: GetObjectCommand | PutObjectCommand | UploadPartCommand,
): Promise<{ url: string; expiresAt: string }> {
  const expiresAt = new Date(Date.now() + PRESIGN_SECONDS * 1000).toISOString();
  let signed: PresignableRequest | undefined;
  // The stack is typed per command; the middleware only reads the built request, the same for all three.
  const stack = command.middlewareStack as unknown as { addRelativeTo(middleware: unknown, options: unknown): void };
  stack.addRelativeTo(
    (_next: unknown, context: Record<string, unknown>) => async (args: { request: PresignableRequest }) => {
      const { request } = args;
      // Retry bookkeeping and the SDK's user agent mean nothing in a link, and a browser could not repeat them.
      for (const name of ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent', 'user-agent']) {
        delete request.headers[name];
      }
      // The body is the browser's: its hash is not known here.
      request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      const config = presigner.config as unknown as { signer: (scheme?: unknown) => Promise<Presigner> };
      const signer = await config.signer();
      signed = await signer.presign(request, {
        expiresIn: PRESIGN_SECONDS,
        signingRegion: context.signing_region,
        signingService: context.signing_service,
        // The browser sets its own content type; a signed one would have to match to the byte.
        unsignableHeaders: new Set(['content-type']),
      });
      return { response: {}, output: { $metadata: {} } };
    },
    { name: 'presignIntercept', relation: 'before', toMiddleware: 'httpSigningMiddleware', override: true },
  );
  // biome-ignore lint/suspicious/noExplicitAny: the three commands share the one client; send is overloaded per command.
  await presigner.send(command as any);
  if (!signed) throw new Error('The S3 request was not presigned');
  return { url: formatUrl(signed), expiresAt };
}

function formatUrl({ protocol, hostname, port, path, query }: PresignableRequest): string {
  const search = Object.entries(query)
    .flatMap(([name, value]) =>
      value === null ? [uriEscape(name)] : [value].flat().map((item) => `${uriEscape(name)}=${uriEscape(item)}`),
    )
    .join('&');
  return `${protocol}//${hostname}${port ? `:${port}` : ''}${path}${search ? `?${search}` : ''}`;
}

/** RFC 3986 escaping, as SigV4 canonicalises the query. */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
