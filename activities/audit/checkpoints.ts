// Signed checkpoints of the audit history in the artefact store: now and
// then (CTPILOT_AUDIT_CHECKPOINT_EVERY), the worker writes a model's head —
// its position and hash — to its own object, signed with the audit key, in a
// bucket with Object Lock or versioning. PostgreSQL's credentials reach none
// of it, so a chain cut short, rewritten or deleted in the database still
// has to match the last head written here.
//
//   s3://<CTPILOT_AUDIT_BUCKET>/checkpoints/<model>/<position, 12 digits>.json
import type { ObjectStore } from '../s3/client.ts';
import { type AuditRow, canonicalJson } from './chain.ts';
import type { AuditSigner, AuditVerifier } from './signing.ts';

export const CHECKPOINT_FORMAT = 'ctpilot-audit-checkpoint/v1';
const PREFIX = 'checkpoints/';

export interface Checkpoint {
  readonly format: string;
  readonly model: string;
  readonly modelSeq: number;
  readonly hash: string;
  /** When the row at that position was recorded. */
  readonly recordedAt: string;
  readonly writtenAt: string;
  /** The first signed position of the chain: rows from there on must be signed. Null: none signed. */
  readonly signedFrom: number | null;
  readonly keyId: string | null;
  /** Base64 Ed25519 signature of the checkpoint's other fields; null when the worker has no key. */
  readonly signature: string | null;
}

export function checkpointKey(model: string, modelSeq: number): string {
  return `${PREFIX}${encodeURIComponent(model)}/${String(modelSeq).padStart(12, '0')}.json`;
}

function message(checkpoint: Omit<Checkpoint, 'signature'>): Buffer {
  const { signature: _, ...fields } = checkpoint as Checkpoint;
  return Buffer.from(`${CHECKPOINT_FORMAT}\n${canonicalJson(fields)}`, 'utf8');
}

export function makeCheckpoint(
  row: Pick<AuditRow, 'model' | 'modelSeq' | 'hash' | 'recordedAt'>,
  signedFrom: number | null,
  signer: AuditSigner | undefined,
  writtenAt: string,
): Checkpoint {
  const fields = {
    format: CHECKPOINT_FORMAT,
    model: row.model,
    modelSeq: row.modelSeq,
    hash: row.hash,
    recordedAt: row.recordedAt,
    writtenAt,
    signedFrom,
    keyId: signer?.keyId ?? null,
  };
  return { ...fields, signature: signer ? signer.sign(message(fields)) : null };
}

export type CheckpointTrust = 'signed' | 'unsigned' | 'bad-signature' | 'unchecked';

export function checkpointTrust(
  checkpoint: Checkpoint,
  verifier: AuditVerifier | undefined,
): CheckpointTrust {
  if (checkpoint.signature === null) return 'unsigned';
  if (!verifier) return 'unchecked';
  return verifier.verify(message(checkpoint), checkpoint.signature, checkpoint.keyId ?? '')
    ? 'signed'
    : 'bad-signature';
}

export function isCheckpoint(value: unknown): value is Checkpoint {
  const c = value as Partial<Checkpoint> | null;
  return (
    c !== null &&
    typeof c === 'object' &&
    c.format === CHECKPOINT_FORMAT &&
    typeof c.model === 'string' &&
    typeof c.modelSeq === 'number' &&
    typeof c.hash === 'string'
  );
}

/**
 * Writes checkpoints as rows are appended: the first row of a model this
 * process appends, then at most one per model every `everyMs`. A write that
 * fails is reported and tried again with the next row; it never fails the
 * append (the row is in the history; the checkpoint only anchors it).
 */
export class Checkpointer {
  private readonly last = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      readonly store: ObjectStore;
      readonly bucket: string;
      readonly signer?: AuditSigner;
      readonly everyMs: number;
      /** The first signed position of a model's chain (a query): checkpoints carry it. */
      readonly signedFrom: (model: string) => Promise<number | null>;
      readonly onError?: (error: Error, model: string) => void;
      readonly now?: () => number;
    },
  ) {}

  readonly onAppended = (row: AuditRow): void => {
    const now = (this.options.now ?? Date.now)();
    const last = this.last.get(row.model);
    if (last !== undefined && now - last < this.options.everyMs) return;
    this.last.set(row.model, now);
    const write = this.write(row, now).catch((error: Error) => {
      this.last.delete(row.model);
      this.options.onError?.(error, row.model);
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  };

  private async write(row: AuditRow, now: number): Promise<void> {
    const signedFrom = await this.options.signedFrom(row.model);
    const checkpoint = makeCheckpoint(row, signedFrom, this.options.signer, new Date(now).toISOString());
    await this.options.store.putJson(
      `s3://${this.options.bucket}/${checkpointKey(row.model, row.modelSeq)}`,
      checkpoint,
    );
  }

  /** Waits for the writes under way (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}

export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly key: string;
  readonly versionId?: string;
  /** The object was deleted (its version is only behind a delete marker): the deletion is itself evidence. */
  readonly deleted: boolean;
}

export interface CheckpointListing {
  readonly bucket: string;
  readonly checkpoints: readonly StoredCheckpoint[];
  /** Objects under the prefix that are not checkpoints (edited, or foreign). */
  readonly unreadable: readonly string[];
  /** The bucket does not exist: no worker has written a checkpoint there. */
  readonly missingBucket: boolean;
}

const noBucket = (error: unknown) => (error as { name?: string }).name === 'NoSuchBucket';

/** Every checkpoint in the bucket (of one model, or all), deleted ones included where the bucket keeps versions. */
export async function readCheckpoints(
  store: ObjectStore,
  bucket: string,
  model?: string,
): Promise<CheckpointListing> {
  const prefix = model === undefined ? PREFIX : `${PREFIX}${encodeURIComponent(model)}/`;
  const versions: { key: string; versionId?: string; deleteMarker: boolean }[] = [];
  try {
    for await (const v of store.listVersions(prefix, bucket)) versions.push(v);
  } catch (error) {
    if (noBucket(error)) return { bucket, checkpoints: [], unreadable: [], missingBucket: true };
    try {
      for await (const o of store.list(prefix, bucket)) versions.push({ key: o.key, deleteMarker: false });
    } catch (again) {
      if (noBucket(again)) return { bucket, checkpoints: [], unreadable: [], missingBucket: true };
      throw again;
    }
  }
  const deletedKeys = new Set(versions.filter((v) => v.deleteMarker).map((v) => v.key));
  const checkpoints: StoredCheckpoint[] = [];
  const unreadable: string[] = [];
  for (const v of versions) {
    if (v.deleteMarker) continue;
    try {
      const body = JSON.parse(
        new TextDecoder().decode(await store.getVersion({ bucket, key: v.key }, v.versionId)),
      ) as unknown;
      if (!isCheckpoint(body)) throw new Error('not a checkpoint');
      checkpoints.push({
        checkpoint: body,
        key: v.key,
        ...(v.versionId ? { versionId: v.versionId } : {}),
        deleted: deletedKeys.has(v.key),
      });
    } catch {
      unreadable.push(v.key);
    }
  }
  return { bucket, checkpoints, unreadable, missingBucket: false };
}
