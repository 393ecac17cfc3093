/**
 * What the web console's page may do across origins, declared once.
 *
 * The browser calls S3 directly with the presigned URLs the approvals API hands out (a proposal's PUT,
 * single or one part at a time; a return report's or an export's GET), so the buckets behind those
 * URLs (proposals, exports) carry this rule for the console's origin: on AWS through the stack
 * (infra/constructs/console.ts), locally through provisioning (local/provision.ts), where the console
 * is the approvals server's own origin. The approvals HTTP API's CORS on AWS is CONSOLE_API_CORS.
 */
import { APPROVAL_ROUTES } from './contracts.ts';

/** One S3 CORS rule in S3's own terms (CORSRule of PutBucketCors). */
export interface BucketCorsRule {
  id: string;
  allowedOrigins: string[];
  allowedMethods: ('GET' | 'PUT' | 'HEAD')[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAgeSeconds: number;
}

/**
 * The console's rule on a bucket it reaches with presigned URLs. PUT covers a single upload and each
 * UploadPart of a multipart one (CreateMultipartUpload and CompleteMultipartUpload are the API's, not
 * the browser's); GET and HEAD the downloads. ETag is exposed because CompleteMultipartUpload needs
 * each part's ETag, which the browser can only read if S3 exposes it. Headers: the content type the
 * upload declares and the x-amz-* headers a presigned request may carry (checksums); S3 refuses any
 * x-amz-* header the URL's signature does not name, so allowing them grants nothing the URL does not.
 */
export function consoleBucketCorsRule(origins: readonly string[]): BucketCorsRule {
  if (origins.length === 0) throw new Error('consoleBucketCorsRule: at least one console origin');
  return {
    id: 'DtksConsole',
    allowedOrigins: [...origins],
    allowedMethods: ['PUT', 'GET', 'HEAD'],
    allowedHeaders: ['content-type', 'content-md5', 'x-amz-*'],
    exposedHeaders: ['ETag'],
    maxAgeSeconds: 3000,
  };
}

/**
 * The approvals HTTP API's CORS for the console's origin: the bearer token and JSON bodies, the methods
 * its routes use (APPROVAL_ROUTES), nothing else. Tokens travel in Authorization, never in cookies, so
 * credentials are not allowed.
 */
export const CONSOLE_API_CORS = {
  allowedHeaders: ['authorization', 'content-type'],
  allowedMethods: [...new Set(Object.values(APPROVAL_ROUTES).map((route) => route.method))].sort(),
  maxAgeSeconds: 600,
} as const;

/** The console's origins when it is served by the local approvals server (the same host by both names). */
export function localConsoleOrigins(apiPort: number): string[] {
  return [`http://127.0.0.1:${apiPort}`, `http://localhost:${apiPort}`];
}
