/**
 * S3's error responses: a code from S3's documented list, its HTTP status and a message. The server
 * answers each as S3 does, `<Error><Code>…</Code><Message>…</Message>…</Error>` (or the status alone
 * for a HEAD), so the SDK and the AWS CLI raise the same named errors they raise against AWS.
 */

const STATUS: Record<string, number> = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BadRequest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  XAmzContentSHA256Mismatch: 400,
};

export class S3Error extends Error {
  readonly status: number;

  constructor(
    readonly code: keyof typeof STATUS | (string & {}),
    message: string,
    /** Extra elements of the error document (BucketName, Key, VersionId, …) and response headers. */
    readonly details: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = code;
    this.status = STATUS[code] ?? 400;
  }
}

export const noSuchBucket = (bucket: string) =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist', { fields: { BucketName: bucket } });

export const noSuchKey = (key: string, headers?: Record<string, string>) =>
  new S3Error('NoSuchKey', 'The specified key does not exist.', {
    fields: { Key: key },
    ...(headers ? { headers } : {}),
  });

export const notImplemented = (what: string) =>
  new S3Error(
    'NotImplemented',
    `A header or query you provided implies functionality that is not implemented: ${what} is not supported by the local S3 (local/s3/README.md lists what is)`,
  );
