/**
 * The local S3's objects on disk, with an index in memory.
 *
 * <root>/<bucket>/bucket.json                   creation date, versioning status, CORS rules
 * <root>/<bucket>/objects/<h2>/<h>/<seq>.data   the bytes of one version (h = SHA-256 of the key)
 * <root>/<bucket>/objects/<h2>/<h>/<seq>.json   its key, version id, ETag, metadata; the commit point
 * <root>/<bucket>/uploads/<uploadId>/…          multipart uploads under way: upload.json, <n>.part, <n>.json
 * <root>/.tmp/                                  bodies being received
 *
 * Bodies are received into .tmp and renamed into place; the JSON file is written (write, then rename)
 * after its data, so a version exists once its JSON does and a crash leaves at most an orphaned data
 * file, removed at the next start. Every change to the index happens synchronously in one turn of the
 * event loop, which makes a conditional write (If-None-Match: *) and its commit one atomic step.
 * `seq` numbers a bucket's versions in creation order: a version's files are never rewritten, so a
 * GET that opened one keeps reading the bytes it started with while a newer version replaces it.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ChecksumAlgorithm } from './checksums.ts';
import { noSuchBucket, noSuchKey, S3Error } from './errors.ts';
import { compareKeys } from './keys.ts';

export type VersioningStatus = 'Enabled' | 'Suspended';

/** One rule of a bucket's CORS configuration, as PutBucketCors gave it (cors.ts reads and applies it). */
export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** One version of an object, or a delete marker. */
export interface StoredVersion {
  key: string;
  /** 'null' is the null version of an unversioned (or suspended) bucket, as S3 names it. */
  versionId: string;
  seq: number;
  deleteMarker: boolean;
  lastModified: string;
  size: number;
  /** Quoted, as S3 sends it: "<md5>" or "<md5 of part md5s>-<parts>". */
  etag: string;
  /** Content-Type, Content-Disposition, Content-Encoding, Content-Language, Cache-Control, Expires. */
  headers: Record<string, string>;
  /** x-amz-meta-* without the prefix. */
  metadata: Record<string, string>;
  checksum?: { algorithm: ChecksumAlgorithm; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
  partsCount?: number;
}

export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: string;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiated: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
  parts: Map<number, StoredPart>;
  /** Set while CompleteMultipartUpload assembles the parts: no part may change then. */
  completing?: boolean;
}

export interface Bucket {
  name: string;
  created: string;
  /** undefined: never versioned. Once enabled, a bucket can only be suspended (as on S3). */
  versioning?: VersioningStatus;
  /** PutBucketCors's rules, in order; undefined: no CORS configuration (S3's NoSuchCORSConfiguration). */
  cors?: CorsRule[];
  /** Every key that has at least one version (or delete marker), in S3's order. */
  keys: string[];
  /** Versions of each key, newest first. */
  versions: Map<string, StoredVersion[]>;
  uploads: Map<string, MultipartUpload>;
  seq: number;
}

export interface WriteConditions {
  /** '*' = only if no current object; anything else is an ETag the current object must not have. */
  ifNoneMatch?: string;
  /** The ETag the current object must have. */
  ifMatch?: string;
}

export type NewVersion = Omit<StoredVersion, 'key' | 'versionId' | 'seq' | 'deleteMarker' | 'lastModified'>;

/** Ids as S3's look: 32 URL-safe characters. */
export const newId = () => randomBytes(24).toString('base64url');
const ID = /^[A-Za-z0-9_-]{32}$/;
export const isWellFormedVersionId = (id: string) => id === 'null' || ID.test(id);

function writeJson(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value)}\n`);
  renameSync(temporary, path);
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function insertSorted(keys: string[], key: string): void {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keys[middle] as string, key) < 0) low = middle + 1;
    else high = middle;
  }
  if (keys[low] !== key) keys.splice(low, 0, key);
}

function removeSorted(keys: string[], key: string): void {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keys[middle] as string, key) < 0) low = middle + 1;
    else high = middle;
  }
  if (keys[low] === key) keys.splice(low, 1);
}

export class ObjectStore {
  private readonly buckets = new Map<string, Bucket>();
  readonly tmp: string;

  constructor(readonly root: string) {
    this.tmp = join(root, '.tmp');
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(root, entry.name, 'bucket.json'))) this.load(entry.name);
    }
  }

  /** A fresh path in the store's scratch directory, on the same file system as the objects. */
  temporaryPath(): string {
    return join(this.tmp, newId());
  }

  // --- buckets -------------------------------------------------------------------------------------

  listBuckets(): Bucket[] {
    return [...this.buckets.values()].sort((a, b) => compareKeys(a.name, b.name));
  }

  bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  createBucket(name: string): Bucket {
    if (this.buckets.has(name)) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        { fields: { BucketName: name } },
      );
    }
    const bucket: Bucket = {
      name,
      created: new Date().toISOString(),
      keys: [],
      versions: new Map(),
      uploads: new Map(),
      seq: 0,
    };
    mkdirSync(join(this.root, name), { recursive: true });
    this.saveBucket(bucket);
    this.buckets.set(name, bucket);
    return bucket;
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.keys.length || bucket.uploads.size) {
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', {
        fields: { BucketName: name },
      });
    }
    this.buckets.delete(name);
    rmSync(join(this.root, name), { recursive: true, force: true });
  }

  setVersioning(name: string, status: VersioningStatus): void {
    const bucket = this.bucket(name);
    bucket.versioning = status;
    this.saveBucket(bucket);
  }

  /** Replaces the bucket's CORS configuration; undefined removes it (DeleteBucketCors). */
  setCors(name: string, rules: CorsRule[] | undefined): void {
    const bucket = this.bucket(name);
    if (rules) bucket.cors = rules;
    else delete bucket.cors;
    this.saveBucket(bucket);
  }

  private saveBucket(bucket: Bucket): void {
    writeJson(join(this.root, bucket.name, 'bucket.json'), {
      created: bucket.created,
      ...(bucket.versioning ? { versioning: bucket.versioning } : {}),
      ...(bucket.cors ? { cors: bucket.cors } : {}),
    });
  }

  // --- objects -------------------------------------------------------------------------------------

  versionsOf(bucket: Bucket, key: string): readonly StoredVersion[] {
    return bucket.versions.get(key) ?? [];
  }

  /** The current version of a key (possibly a delete marker), or undefined when the key has none. */
  current(bucket: Bucket, key: string): StoredVersion | undefined {
    return bucket.versions.get(key)?.[0];
  }

  /** The current object, or NoSuchKey (with the delete marker's headers when one hides it). */
  currentObject(bucket: Bucket, key: string): StoredVersion {
    const current = this.current(bucket, key);
    if (!current) throw noSuchKey(key);
    if (current.deleteMarker) {
      throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': current.versionId });
    }
    return current;
  }

  version(bucket: Bucket, key: string, versionId: string): StoredVersion {
    if (!isWellFormedVersionId(versionId)) throw new S3Error('InvalidArgument', 'Invalid version id specified');
    const found = this.versionsOf(bucket, key).find((v) => v.versionId === versionId);
    if (!found) {
      throw new S3Error('NoSuchVersion', 'The specified version does not exist.', {
        fields: { Key: key, VersionId: versionId },
      });
    }
    return found;
  }

  /** Opens a version's bytes now, so that a newer version replacing it cannot pull them away. */
  open(bucket: Bucket, version: StoredVersion): number {
    return openSync(join(this.keyDir(bucket, version.key), `${version.seq}.data`), 'r');
  }

  checkConditions(bucket: Bucket, key: string, conditions: WriteConditions): void {
    const current = this.current(bucket, key);
    const live = current && !current.deleteMarker ? current : undefined;
    if (conditions.ifNoneMatch !== undefined) {
      if (live && (conditions.ifNoneMatch === '*' || etagsMatch(conditions.ifNoneMatch, live.etag))) {
        throw preconditionFailed('If-None-Match');
      }
    }
    if (conditions.ifMatch !== undefined) {
      if (!live) throw noSuchKey(key);
      if (!etagsMatch(conditions.ifMatch, live.etag)) throw preconditionFailed('If-Match');
    }
  }

  /**
   * Makes the body received at `dataPath` the new current version of `key`. Synchronous from the
   * check of `conditions` to the index change: no other request can slip in between.
   */
  commit(
    bucket: Bucket,
    key: string,
    dataPath: string,
    fields: NewVersion,
    conditions: WriteConditions = {},
  ): StoredVersion {
    this.checkConditions(bucket, key, conditions);
    const version: StoredVersion = {
      ...fields,
      key,
      versionId: bucket.versioning === 'Enabled' ? newId() : 'null',
      seq: ++bucket.seq,
      deleteMarker: false,
      lastModified: new Date().toISOString(),
    };
    const dir = this.keyDir(bucket, key);
    mkdirSync(dir, { recursive: true });
    renameSync(dataPath, join(dir, `${version.seq}.data`));
    this.add(bucket, version);
    return version;
  }

  /** DeleteObject without a version id: what it removes depends on the bucket's versioning. */
  deleteCurrent(bucket: Bucket, key: string): StoredVersion | undefined {
    if (!bucket.versioning) {
      const removed = this.versionsOf(bucket, key).find((v) => v.versionId === 'null');
      if (removed) this.remove(bucket, removed);
      return undefined;
    }
    const marker: StoredVersion = {
      key,
      versionId: bucket.versioning === 'Enabled' ? newId() : 'null',
      seq: ++bucket.seq,
      deleteMarker: true,
      lastModified: new Date().toISOString(),
      size: 0,
      etag: '',
      headers: {},
      metadata: {},
    };
    mkdirSync(this.keyDir(bucket, key), { recursive: true });
    this.add(bucket, marker);
    return marker;
  }

  /** Removes one version (or delete marker) for good; undefined when there was no such version. */
  deleteVersion(bucket: Bucket, key: string, versionId: string): StoredVersion | undefined {
    if (!isWellFormedVersionId(versionId)) throw new S3Error('InvalidArgument', 'Invalid version id specified');
    const found = this.versionsOf(bucket, key).find((v) => v.versionId === versionId);
    if (found) this.remove(bucket, found);
    return found;
  }

  private add(bucket: Bucket, version: StoredVersion): void {
    const dir = this.keyDir(bucket, version.key);
    writeJson(join(dir, `${version.seq}.json`), version);
    // A null version replaces the previous null version wherever it stood; it is removed after the new
    // one is in the list, so that the key (and its directory) never looks empty in between.
    const previous =
      version.versionId === 'null'
        ? this.versionsOf(bucket, version.key).find((v) => v.versionId === 'null')
        : undefined;
    const versions = bucket.versions.get(version.key);
    if (versions) versions.unshift(version);
    else {
      bucket.versions.set(version.key, [version]);
      insertSorted(bucket.keys, version.key);
    }
    if (previous) this.remove(bucket, previous);
  }

  private remove(bucket: Bucket, version: StoredVersion): void {
    const dir = this.keyDir(bucket, version.key);
    rmSync(join(dir, `${version.seq}.json`), { force: true });
    rmSync(join(dir, `${version.seq}.data`), { force: true });
    const versions = (bucket.versions.get(version.key) ?? []).filter((v) => v !== version);
    if (versions.length) bucket.versions.set(version.key, versions);
    else {
      bucket.versions.delete(version.key);
      removeSorted(bucket.keys, version.key);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private keyDir(bucket: Bucket, key: string): string {
    const hash = createHash('sha256').update(key).digest('hex');
    return join(this.root, bucket.name, 'objects', hash.slice(0, 2), hash);
  }

  // --- multipart uploads ---------------------------------------------------------------------------

  createUpload(bucket: Bucket, upload: Omit<MultipartUpload, 'uploadId' | 'initiated' | 'parts'>): MultipartUpload {
    const created: MultipartUpload = {
      ...upload,
      uploadId: newId(),
      initiated: new Date().toISOString(),
      parts: new Map(),
    };
    const dir = this.uploadDir(bucket, created.uploadId);
    mkdirSync(dir, { recursive: true });
    const { parts: _parts, completing: _completing, ...persisted } = created;
    writeJson(join(dir, 'upload.json'), persisted);
    bucket.uploads.set(created.uploadId, created);
    return created;
  }

  upload(bucket: Bucket, key: string, uploadId: string): MultipartUpload {
    const upload = bucket.uploads.get(uploadId);
    if (!upload || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
  }

  commitPart(bucket: Bucket, upload: MultipartUpload, dataPath: string, part: StoredPart): void {
    if (upload.completing || !bucket.uploads.has(upload.uploadId)) {
      rmSync(dataPath, { force: true });
      throw noSuchUpload(upload.uploadId);
    }
    const dir = this.uploadDir(bucket, upload.uploadId);
    renameSync(dataPath, join(dir, `${part.partNumber}.part`));
    writeJson(join(dir, `${part.partNumber}.json`), part);
    upload.parts.set(part.partNumber, part);
  }

  partPath(bucket: Bucket, upload: MultipartUpload, partNumber: number): string {
    return join(this.uploadDir(bucket, upload.uploadId), `${partNumber}.part`);
  }

  removeUpload(bucket: Bucket, upload: MultipartUpload): void {
    bucket.uploads.delete(upload.uploadId);
    rmSync(this.uploadDir(bucket, upload.uploadId), { recursive: true, force: true });
  }

  private uploadDir(bucket: Bucket, uploadId: string): string {
    return join(this.root, bucket.name, 'uploads', uploadId);
  }

  // --- start-up ------------------------------------------------------------------------------------

  private load(name: string): void {
    const saved = readJson<{ created: string; versioning?: VersioningStatus; cors?: CorsRule[] }>(
      join(this.root, name, 'bucket.json'),
    );
    const bucket: Bucket = {
      name,
      created: saved.created,
      ...(saved.versioning ? { versioning: saved.versioning } : {}),
      ...(saved.cors ? { cors: saved.cors } : {}),
      keys: [],
      versions: new Map(),
      uploads: new Map(),
      seq: 0,
    };
    const objects = join(this.root, name, 'objects');
    for (const prefix of existsSync(objects) ? readdirSync(objects) : []) {
      for (const hash of readdirSync(join(objects, prefix))) {
        const dir = join(objects, prefix, hash);
        const files = readdirSync(dir);
        const committed = new Set<string>();
        for (const file of files.filter((f) => f.endsWith('.json'))) {
          const version = readJson<StoredVersion>(join(dir, file));
          committed.add(String(version.seq));
          bucket.seq = Math.max(bucket.seq, version.seq);
          const versions = bucket.versions.get(version.key) ?? [];
          versions.push(version);
          bucket.versions.set(version.key, versions);
        }
        // Data whose JSON never got written belongs to a write that did not finish.
        for (const file of files) {
          if (file.endsWith('.data') && !committed.has(file.slice(0, -'.data'.length))) unlinkSync(join(dir, file));
          if (file.endsWith('.tmp')) unlinkSync(join(dir, file));
        }
      }
    }
    for (const [key, versions] of bucket.versions) {
      versions.sort((a, b) => b.seq - a.seq);
      // A crash between writing a new null version and removing the old one leaves both: the newer wins.
      const nulls = versions.filter((v) => v.versionId === 'null');
      for (const stale of nulls.slice(1)) {
        const dir = this.keyDir(bucket, key);
        rmSync(join(dir, `${stale.seq}.json`), { force: true });
        rmSync(join(dir, `${stale.seq}.data`), { force: true });
        versions.splice(versions.indexOf(stale), 1);
      }
      bucket.keys.push(key);
    }
    bucket.keys.sort(compareKeys);
    const uploads = join(this.root, name, 'uploads');
    for (const uploadId of existsSync(uploads) ? readdirSync(uploads) : []) {
      const dir = join(uploads, uploadId);
      if (!existsSync(join(dir, 'upload.json'))) continue;
      const upload: MultipartUpload = {
        ...readJson<Omit<MultipartUpload, 'parts'>>(join(dir, 'upload.json')),
        parts: new Map(),
      };
      for (const file of readdirSync(dir).filter((f) => /^\d+\.json$/.test(f))) {
        const part = readJson<StoredPart>(join(dir, file));
        upload.parts.set(part.partNumber, part);
      }
      bucket.uploads.set(uploadId, upload);
    }
    this.buckets.set(name, bucket);
  }
}

const noSuchUpload = (uploadId: string) =>
  new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { fields: { UploadId: uploadId } },
  );

const preconditionFailed = (condition: string) =>
  new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    fields: { Condition: condition },
  });

/** Compares ETags as HTTP does: quotes optional, a list of them matches any. */
export function etagsMatch(condition: string, etag: string): boolean {
  const bare = etag.replaceAll('"', '');
  return condition.split(',').some((candidate) => {
    const c = candidate.trim().replace(/^W\//, '').replaceAll('"', '');
    return c === '*' || c === bare;
  });
}
