// ctpilot's object store: reports, evidence packs, shadow request logs and
// data windows, in S3 or any S3-compatible server (path-style addressing for
// local endpoints). Objects are named by key in the default bucket, or by a
// full s3://bucket/key URI.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  NoSuchKey,
  NotFound,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';

// The pinned SDK works on Node 20; its notice about future releases needing
// Node 22 would otherwise print in every ctpilot process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface ObjectStoreOptions {
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle?: boolean;
  /** Omitted: the AWS default credential chain (environment, profile, instance role). */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

export interface ObjectSummary extends ObjectLocation {
  readonly size: number;
  readonly lastModified?: Date;
}

/** Thrown when the object does not exist. */
export interface BucketProtection {
  readonly kind: 'object-lock' | 'versioning' | 'none';
  readonly detail: string;
}

export interface ObjectVersion extends ObjectLocation {
  readonly versionId?: string;
  readonly deleteMarker: boolean;
  readonly lastModified?: Date;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly location: ObjectLocation) {
    super(`no object at s3://${location.bucket}/${location.key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/** Thrown when a JSON Lines object has a line that is not JSON; names the line. */
export class JsonLinesError extends Error {
  constructor(
    readonly location: ObjectLocation,
    readonly line: number,
    reason: string,
  ) {
    super(`s3://${location.bucket}/${location.key} line ${line}: ${reason}`);
    this.name = 'JsonLinesError';
  }
}

/** Splits `s3://bucket/key`; anything else is a key in the default bucket. */
export function parseObjectRef(ref: string, defaultBucket: string): ObjectLocation {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref);
  if (match) return { bucket: match[1]!, key: match[2]! };
  if (ref.startsWith('s3://')) throw new Error(`not an object URI (expected s3://bucket/key): ${ref}`);
  return { bucket: defaultBucket, key: ref.replace(/^\/+/, '') };
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
}

export class ObjectStore {
  readonly bucket: string;
  private readonly s3: S3Client;

  constructor(options: ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.s3 = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
    });
  }

  location(ref: string): ObjectLocation {
    return parseObjectRef(ref, this.bucket);
  }

  uri(ref: string): string {
    const { bucket, key } = this.location(ref);
    return `s3://${bucket}/${key}`;
  }

  async put(
    ref: string,
    body: string | Uint8Array,
    contentType = 'application/octet-stream',
  ): Promise<ObjectLocation> {
    const location = this.location(ref);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: contentType,
      }),
    );
    return location;
  }

  async get(ref: string): Promise<Uint8Array> {
    const location = this.location(ref);
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      if (!answer.Body) return new Uint8Array();
      return await answer.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(location);
      throw error;
    }
  }

  /** Size and modification time of one object, without reading it. */
  async head(ref: string): Promise<ObjectSummary> {
    const location = this.location(ref);
    try {
      const answer = await this.s3.send(
        new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }),
      );
      return { ...location, size: answer.ContentLength ?? 0, lastModified: answer.LastModified };
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(location);
      throw error;
    }
  }

  /**
   * The object's bytes as they arrive, whole or only `[start, end)` with a
   * range request: data windows read objects larger than memory this way,
   * and Parquet readers fetch a footer or a column chunk without the rest.
   * `size` is the number of bytes the body will carry.
   */
  async openRead(
    ref: string,
    range?: { readonly start: number; readonly end: number },
  ): Promise<{ body: AsyncIterable<Uint8Array>; size: number }> {
    const location = this.location(ref);
    if (range && !(range.start >= 0 && range.end >= range.start)) {
      throw new RangeError(`bad byte range [${range.start}, ${range.end}) for ${this.uri(ref)}`);
    }
    // An empty range cannot be expressed as an HTTP Range header.
    if (range && range.end === range.start) return { body: (async function* () {})(), size: 0 };
    try {
      const answer = await this.s3.send(
        new GetObjectCommand({
          Bucket: location.bucket,
          Key: location.key,
          ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
        }),
      );
      const body = (answer.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
      return { body, size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(location);
      throw error;
    }
  }

  async getText(ref: string): Promise<string> {
    return new TextDecoder('utf-8', { fatal: true }).decode(await this.get(ref));
  }

  async putJson(ref: string, value: unknown): Promise<ObjectLocation> {
    return this.put(ref, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
  }

  async getJson(ref: string): Promise<unknown> {
    return JSON.parse(await this.getText(ref));
  }

  async exists(ref: string): Promise<boolean> {
    const location = this.location(ref);
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async delete(ref: string): Promise<void> {
    const location = this.location(ref);
    await this.s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: location.key }));
  }

  /** Every object under the prefix, page by page. */
  async *list(prefix: string, bucket = this.bucket): AsyncGenerator<ObjectSummary> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key) yield { bucket, key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Writes records as JSON Lines (one JSON value per line). */
  async putJsonLines(ref: string, records: Iterable<unknown>): Promise<ObjectLocation> {
    const lines: string[] = [];
    for (const record of records) lines.push(JSON.stringify(record));
    return this.put(ref, lines.length > 0 ? `${lines.join('\n')}\n` : '', 'application/x-ndjson');
  }

  /**
   * Reads a JSON Lines object record by record as it streams in, so a large
   * log is never held whole. Blank lines are skipped; a line that is not
   * JSON stops the read with a JsonLinesError naming it.
   */
  async *readJsonLines(ref: string): AsyncGenerator<unknown> {
    const location = this.location(ref);
    let body: AsyncIterable<Uint8Array>;
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      body = (answer.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(location);
      throw error;
    }
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let pending = '';
    let lineNumber = 0;
    const parse = (line: string): unknown => {
      try {
        return JSON.parse(line);
      } catch (error) {
        throw new JsonLinesError(location, lineNumber, (error as Error).message);
      }
    };
    for await (const chunk of body) {
      const lines = (pending + decoder.decode(chunk, { stream: true })).split('\n');
      pending = lines.pop() ?? ''; // the last piece may continue in the next chunk
      for (const line of lines) {
        lineNumber++;
        if (line.trim() !== '') yield parse(line);
      }
    }
    pending += decoder.decode();
    lineNumber++;
    if (pending.trim() !== '') yield parse(pending);
  }

  /** Creates the bucket when it does not exist (local servers; on AWS, buckets are usually made by infrastructure code). */
  /**
   * A bucket whose objects cannot be deleted or overwritten before their
   * retention ends: created with Object Lock and a default COMPLIANCE
   * retention where the store offers it, else with versioning (a deletion
   * leaves the old version and a delete marker), else plain. Says which.
   */
  async ensureProtectedBucket(bucket: string, retentionDays: number): Promise<BucketProtection> {
    let exists = true;
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      exists = false;
    }
    if (!exists) {
      try {
        await this.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
          // A store without Object Lock: a plain bucket, versioned below if it can be.
          await this.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((again: Error) => {
            const n = (again as { name?: string }).name;
            if (n !== 'BucketAlreadyOwnedByYou' && n !== 'BucketAlreadyExists') throw again;
          });
        }
      }
    }
    try {
      await this.s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: bucket,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: retentionDays } },
          },
        }),
      );
    } catch {
      // No Object Lock on this bucket: versioning is the next best.
      await this.s3
        .send(
          new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
        )
        .catch(() => {});
    }
    return this.protection(bucket);
  }

  /** What keeps a bucket's objects from being deleted: Object Lock, versioning, or nothing. */
  async protection(bucket: string): Promise<BucketProtection> {
    try {
      const lock = await this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      const rule = lock.ObjectLockConfiguration?.Rule?.DefaultRetention;
      if (lock.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled')
        return {
          kind: 'object-lock',
          detail: rule
            ? `Object Lock, ${rule.Mode} retention ${rule.Days ?? rule.Years} ${rule.Days ? 'days' : 'years'}`
            : 'Object Lock',
        };
    } catch {
      // not configured, or not supported
    }
    try {
      const versioning = await this.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
      if (versioning.Status === 'Enabled')
        return { kind: 'versioning', detail: 'versioning (deletions keep the old version)' };
    } catch {
      // not supported
    }
    return { kind: 'none', detail: 'no Object Lock or versioning: a deleted object is gone' };
  }

  /** Every version of every object under the prefix, delete markers included (a versioned bucket). */
  async *listVersions(prefix: string, bucket = this.bucket): AsyncGenerator<ObjectVersion> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of page.Versions ?? [])
        if (v.Key)
          yield {
            bucket,
            key: v.Key,
            versionId: v.VersionId,
            deleteMarker: false,
            lastModified: v.LastModified,
          };
      for (const m of page.DeleteMarkers ?? [])
        if (m.Key)
          yield {
            bucket,
            key: m.Key,
            versionId: m.VersionId,
            deleteMarker: true,
            lastModified: m.LastModified,
          };
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
  }

  /** One version of an object (or the current one without a version id). */
  async getVersion(location: ObjectLocation, versionId?: string): Promise<Uint8Array> {
    try {
      const answer = await this.s3.send(
        new GetObjectCommand({
          Bucket: location.bucket,
          Key: location.key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      return answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(location);
      throw error;
    }
  }

  async ensureBucket(bucket = this.bucket): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }

  destroy(): void {
    this.s3.destroy();
  }
}
