// The audit history's hash chain, as pure functions: how a row's content is
// written down, how its hash is computed, and how a model's rows are checked.
//
// content = canonical JSON of the row's fields (sorted keys, so the same
//           fields always give the same text, whatever produced them)
// hash    = sha256(prev_hash + "\n" + content)
//
// An edited row no longer matches its hash; a removed row leaves a gap in the
// model's positions and a prev_hash that points at nothing; reordered rows
// break the links. Every column that filters or orders rows is either in the
// hashed content (model, model_seq, recorded_at, kind, …) and compared with
// it, or (seq) checked to agree with the hashed order.
//
// An unkeyed hash can be recomputed by anyone who can write the table, so
// each row also carries an Ed25519 signature of its hash (signing.ts), made
// by a key the database never holds. And a row removed from the *end*, or a
// whole chain, leaves no trace in the table itself: that is what the anchors
// kept elsewhere are for (anchors.ts) — the controllers' Temporal histories
// and the signed checkpoints in the artefact store.
import { createHash } from 'node:crypto';
import { type AuditVerifier, rowMessage } from './signing.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records: one decision or one workflow step. */
export interface AuditEntry {
  readonly model: string;
  readonly policy: string;
  /** Content hash of the policy version in force. */
  readonly policyVersion?: string;
  readonly workflowId: string;
  /** Temporal run id of the workflow execution. */
  readonly workflowRun?: string;
  readonly mlflowRunId?: string;
  /** Unique within the workflow: a retried write of the same step is a no-op. */
  readonly step: string;
  /** What happened: `evaluation`, `retrain.started`, `training.launched`, `challenger.registered`, … */
  readonly kind: string;
  /** The decision or result: `retrain`, `inconclusive`, `ok`, `failed`, … */
  readonly outcome: string;
  /** ISO time of the event (workflow time, so a retry records the same instant). */
  readonly recordedAt: string;
  /** The values, thresholds and queries that mattered. */
  readonly inputs?: unknown;
  /** Anything else worth keeping: reasons, ids, links. */
  readonly details?: unknown;
}

/** A stored row: the entry, its place in the model's chain and its hashes. */
export interface AuditRow extends AuditEntry {
  readonly seq: number;
  readonly modelSeq: number;
  readonly content: string;
  readonly prevHash: string;
  readonly hash: string;
  /** Base64 Ed25519 signature of the row's hash (signing.ts), absent on rows written without a key. */
  readonly signature?: string;
  /** Which key signed it. */
  readonly keyId?: string;
}

/**
 * JSON with object keys sorted at every level and no insignificant space.
 * Non-finite numbers, which JSON cannot carry, are written as the strings
 * "NaN", "Infinity" and "-Infinity" so that they are not silently lost.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalise(v)));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = normalise(v);
  }
  return out;
}

/** The canonical content of an entry at a position in its model's chain. */
export function contentOf(entry: AuditEntry, modelSeq: number): string {
  return canonicalJson({
    model: entry.model,
    modelSeq,
    policy: entry.policy,
    policyVersion: entry.policyVersion ?? null,
    workflowId: entry.workflowId,
    workflowRun: entry.workflowRun ?? null,
    mlflowRunId: entry.mlflowRunId ?? null,
    step: entry.step,
    kind: entry.kind,
    outcome: entry.outcome,
    recordedAt: new Date(entry.recordedAt).toISOString(),
    inputs: entry.inputs ?? null,
    details: entry.details ?? null,
  });
}

export function chainHash(prevHash: string, content: string): string {
  return createHash('sha256').update(`${prevHash}\n${content}`).digest('hex');
}

export type ChainProblemKind =
  /** The row's content, a column, or its signature does not match. */
  | 'altered'
  /** Rows are missing (a gap, the end, or the whole chain). */
  | 'removed'
  | 'reordered'
  /** A row without a signature where rows must be signed. */
  | 'unsigned'
  /** A row that names a workflow Temporal has never run. */
  | 'unknown-workflow';

export interface ChainProblem {
  readonly kind: ChainProblemKind;
  readonly model: string;
  /** The row where the problem shows (for a removal: the row after the gap). */
  readonly seq?: number;
  readonly modelSeq: number;
  readonly message: string;
}

/** What the signatures said. */
export interface SignatureReport {
  /** `verified`: a public key was given and every signed row was checked with it; `unchecked`: no key to check with. */
  readonly checked: 'verified' | 'unchecked';
  readonly signed: number;
  /** Rows without a signature before the first signed one (written before a key was configured). */
  readonly unsignedBefore: number;
  /** Key ids that signed rows of this chain. */
  readonly keyIds: readonly string[];
}

export interface ChainReport {
  readonly model: string;
  readonly rows: number;
  readonly ok: boolean;
  readonly problems: readonly ChainProblem[];
  /** Position and hash of the last row: compare with a head kept elsewhere. */
  readonly head: { readonly modelSeq: number; readonly hash: string };
  readonly signatures: SignatureReport;
}

export interface VerifyOptions {
  /** A head recorded elsewhere (an earlier pack): the chain must reach it with the same hash. */
  readonly expectedHead?: { modelSeq: number; hash: string };
  /** The public keys rows may be signed with: every signature is checked, and rows must be signed. */
  readonly verifier?: AuditVerifier;
  /**
   * Rows from this position on must be signed (a signed checkpoint says
   * signing had begun there): stripping signatures off a chain does not
   * pass it off as one written before signing.
   */
  readonly signedFrom?: number;
}

/** The columns a row repeats from its content, for finding a column edited without its content. */
const MIRRORED: ReadonlyArray<keyof AuditEntry> = [
  'model',
  'policy',
  'policyVersion',
  'workflowId',
  'workflowRun',
  'mlflowRunId',
  'step',
  'kind',
  'outcome',
];

/** The same instant, however written (a column read back from PostgreSQL vs the ISO text hashed). */
function sameInstant(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return a === b;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return Number.isFinite(x) && x === y;
}

/**
 * Checks one model's rows, given in insertion order (by `seq`). Reports every
 * problem found, each naming the row and what is wrong with it.
 */
export function verifyChain(
  model: string,
  rows: readonly AuditRow[],
  options: VerifyOptions = {},
): ChainReport {
  const { expectedHead, verifier } = options;
  const problems: ChainProblem[] = [];
  let expectedSeq = 1;
  let previous: AuditRow | undefined;
  let signed = 0;
  let unsignedBefore = 0;
  const keyIds = new Set<string>();
  for (const row of rows) {
    const where = `row seq ${row.seq} (position ${row.modelSeq} of model ${model})`;
    const problem = (kind: ChainProblemKind, message: string) =>
      problems.push({ kind, model, seq: row.seq, modelSeq: row.modelSeq, message });
    if (chainHash(row.prevHash, row.content) !== row.hash) {
      problem('altered', `${where}: its content does not match its hash`);
    } else {
      let content: Record<string, unknown> = {};
      try {
        content = JSON.parse(row.content) as Record<string, unknown>;
      } catch {
        problem('altered', `${where}: content is not JSON`);
      }
      const changed: string[] = MIRRORED.filter((field) => (content[field] ?? null) !== (row[field] ?? null));
      if (content.modelSeq !== row.modelSeq) changed.push('modelSeq');
      if (!sameInstant(content.recordedAt, row.recordedAt)) changed.push('recordedAt');
      if (changed.length > 0)
        problem('altered', `${where}: column(s) ${changed.join(', ')} differ from the hashed content`);
    }

    // Signatures: each must verify; once rows are signed, every later one must be.
    if (row.signature !== undefined) {
      signed++;
      if (row.keyId) keyIds.add(row.keyId);
      if (verifier && !verifier.verify(rowMessage(row.hash), row.signature, row.keyId ?? ''))
        problem(
          'altered',
          verifier.keys.has(row.keyId ?? '')
            ? `${where}: its signature does not verify with key ${row.keyId} (the row was forged or recomputed without the key)`
            : `${where}: signed by key ${row.keyId ?? '(none named)'}, which is not one of the known public keys (${[...verifier.keys.keys()].join(', ') || 'none'})`,
        );
    } else if (signed > 0 || (options.signedFrom !== undefined && row.modelSeq >= options.signedFrom)) {
      problem(
        'unsigned',
        `${where}: has no signature, but rows ${signed > 0 ? 'before it are' : `from position ${options.signedFrom} on are`} signed: it was written without the key`,
      );
    } else unsignedBefore++;

    if (row.modelSeq > expectedSeq) {
      const missing =
        row.modelSeq - expectedSeq === 1 ? `${expectedSeq}` : `${expectedSeq}–${row.modelSeq - 1}`;
      problem('removed', `position(s) ${missing} of model ${model} are missing before ${where}`);
    } else if (row.modelSeq < expectedSeq) {
      problem('reordered', `${where} comes after position ${expectedSeq - 1}`);
    } else {
      const wantPrev = previous?.hash ?? GENESIS_HASH;
      if (row.prevHash !== wantPrev)
        problem(
          'reordered',
          `${where}: does not link to the row before it (that row was altered, or rows were reordered)`,
        );
    }
    expectedSeq = Math.max(expectedSeq, row.modelSeq + 1);
    previous = row;
  }
  const head = { modelSeq: previous?.modelSeq ?? 0, hash: previous?.hash ?? GENESIS_HASH };
  if (expectedHead && (expectedHead.modelSeq !== head.modelSeq || expectedHead.hash !== head.hash)) {
    const kind: ChainProblemKind = expectedHead.modelSeq > head.modelSeq ? 'removed' : 'altered';
    problems.push({
      kind,
      model,
      modelSeq: expectedHead.modelSeq,
      message:
        kind === 'removed'
          ? `the chain ends at position ${head.modelSeq}, but a head recorded elsewhere is at position ${expectedHead.modelSeq}: rows were removed from the end`
          : `the head recorded elsewhere (position ${expectedHead.modelSeq}) does not match this chain`,
    });
  }
  return {
    model,
    rows: rows.length,
    ok: problems.length === 0,
    problems,
    head,
    signatures: {
      checked: verifier ? 'verified' : 'unchecked',
      signed,
      unsignedBefore,
      keyIds: [...keyIds],
    },
  };
}
