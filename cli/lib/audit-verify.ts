// `ctpilot audit verify`: every chain the audit history should hold, checked
// against what is kept outside PostgreSQL. For each model it
//   - verifies the chain and its signatures (activities/audit/chain.ts);
//   - compares it with every head the Temporal histories and the signed
//     checkpoints recorded (activities/audit/anchors.ts);
//   - checks that each workflow a row names exists in Temporal (within the
//     namespace's retention: older ones are gone by design);
// and it knows which chains must exist — the running controllers' models,
// the registered models ctpilot has versioned, the checkpointed ones — so a
// deleted chain is a failure, not an empty success.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { type Anchor, anchorsInResult, checkAnchors } from '../../activities/audit/anchors.ts';
import type { AuditRow, ChainProblem, ChainReport } from '../../activities/audit/chain.ts';
import { verifyChain } from '../../activities/audit/chain.ts';
import {
  checkpointTrust,
  readCheckpoints,
  type StoredCheckpoint,
} from '../../activities/audit/checkpoints.ts';
import type { BucketProtection } from '../../activities/s3/client.ts';
import type { Clients } from '../../workers/clients.ts';
import type { Config } from '../../workers/config.ts';
import { UserError } from './errors.ts';

export interface AnchorsUsed {
  readonly temporal:
    | {
        readonly checked: true;
        readonly runs: number;
        readonly appends: number;
        readonly retentionDays: number | null;
      }
    | { readonly checked: false; readonly why: string };
  readonly checkpoints:
    | {
        readonly checked: true;
        readonly bucket: string;
        readonly count: number;
        readonly protection: BucketProtection;
      }
    | { readonly checked: false; readonly why: string };
  readonly keys:
    | { readonly checked: true; readonly keyIds: readonly string[] }
    | { readonly checked: false; readonly why: string };
}

export interface ModelVerification {
  readonly model: string;
  readonly report: ChainReport;
  /** Why the chain must exist, when it was expected from outside the table. */
  readonly expectedBy: readonly string[];
  readonly anchors: { readonly temporal: number; readonly checkpoints: number };
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly models: readonly ModelVerification[];
  readonly anchors: AnchorsUsed;
  readonly warnings: readonly string[];
}

type Event = temporal.api.history.v1.IHistoryEvent;

function decodePayloads(payloads: { data?: Uint8Array | null }[] | null | undefined): unknown[] {
  return (payloads ?? []).flatMap((p) => {
    try {
      return [JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8'))];
    } catch {
      return [];
    }
  });
}

/** The positions and hashes a workflow run's activities were told when they appended. */
function appendsIn(events: readonly Event[]): { modelSeq: number; hash: string }[] {
  const found: { modelSeq: number; hash: string }[] = [];
  for (const e of events) {
    const results = e.activityTaskCompletedEventAttributes?.result?.payloads;
    if (results) for (const v of decodePayloads(results)) found.push(...anchorsInResult(v));
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity')
      for (const d of Object.values(marker.details ?? {}))
        for (const v of decodePayloads(d.payloads)) found.push(...anchorsInResult(v));
  }
  return found;
}

interface TemporalAnchors {
  readonly byModel: Map<string, Anchor[]>;
  readonly running: Map<string, string[]>;
  readonly runs: number;
  readonly retentionMs: number | null;
  readonly workflowIds: Set<string>;
}

async function temporalAnchors(client: Client, config: Config, model?: string): Promise<TemporalAnchors> {
  const byModel = new Map<string, Anchor[]>();
  const running = new Map<string, string[]>();
  const workflowIds = new Set<string>();
  const query = model ? `CtModel = '${model.replace(/'/g, "\\'")}'` : 'CtModel IS NOT NULL';
  let runs = 0;
  for await (const w of client.workflow.list({ query, pageSize: 200 })) {
    workflowIds.add(w.workflowId);
    const m = (w.searchAttributes?.CtModel as string[] | undefined)?.[0];
    if (!m) continue;
    if (w.type === 'policyControllerWorkflow' && w.status.name === 'RUNNING')
      running.set(m, [...(running.get(m) ?? []), w.workflowId]);
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    runs++;
    const anchors = byModel.get(m) ?? [];
    for (const a of appendsIn(history.events ?? []))
      anchors.push({ ...a, source: 'temporal', where: `the history of ${w.workflowId} (run ${w.runId})` });
    byModel.set(m, anchors);
  }
  const ns = await client.workflowService.describeNamespace({ namespace: config.temporal.namespace });
  const ttl = ns.config?.workflowExecutionRetentionTtl?.seconds;
  return { byModel, running, runs, retentionMs: ttl ? Number(ttl) * 1000 : null, workflowIds };
}

/** Models ctpilot has registered versions of (their versions carry `ctpilot.policy`). */
async function versionedModels(clients: Clients): Promise<Set<string>> {
  const names = new Set<string>();
  let pageToken: string | undefined;
  for (let page = 0; page < 50; page++) {
    const answer = await clients.mlflow.searchModelVersions({
      maxResults: 200,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const v of answer.versions)
      if ((v.tags ?? []).some((t) => t.key === 'ctpilot.policy')) names.add(v.name);
    pageToken = answer.nextPageToken;
    if (!pageToken) break;
  }
  return names;
}

export interface VerifyRequest {
  readonly config: Config;
  readonly clients: Clients;
  /** Temporal, when it can be reached; undefined turns that anchor off (said in the result). */
  readonly temporal?: Client;
  readonly temporalWhyNot?: string;
  readonly model?: string;
  readonly checkpoints: boolean;
  readonly now?: number;
}

export async function verifyAudit(request: VerifyRequest): Promise<AuditVerification> {
  const { config, clients, model } = request;
  const warnings: string[] = [];
  const verifier = clients.auditKeys.verifier;
  for (const p of clients.auditKeys.problems) warnings.push(p);

  // Anchors outside PostgreSQL.
  let t: TemporalAnchors | undefined;
  let temporalUsed: AnchorsUsed['temporal'] = { checked: false, why: request.temporalWhyNot ?? 'not asked' };
  if (request.temporal) {
    try {
      t = await temporalAnchors(request.temporal, config, model);
      const appends = [...t.byModel.values()].reduce((n, a) => n + a.length, 0);
      temporalUsed = {
        checked: true,
        runs: t.runs,
        appends,
        retentionDays: t.retentionMs === null ? null : t.retentionMs / 86_400_000,
      };
    } catch (error) {
      temporalUsed = {
        checked: false,
        why: `Temporal could not be read: ${(error as Error).message.split('\n')[0]}`,
      };
    }
  }
  let stored: StoredCheckpoint[] = [];
  let checkpointsUsed: AnchorsUsed['checkpoints'] = { checked: false, why: '--no-checkpoints' };
  if (request.checkpoints) {
    try {
      const listing = await readCheckpoints(clients.store, config.audit.bucket, model);
      stored = [...listing.checkpoints];
      if (listing.missingBucket)
        warnings.push(
          `the checkpoint bucket s3://${config.audit.bucket} does not exist: no worker with this configuration has written a checkpoint`,
        );
      for (const key of listing.unreadable)
        warnings.push(
          `s3://${config.audit.bucket}/${key} is not a readable checkpoint (edited, or not ctpilot's)`,
        );
      checkpointsUsed = {
        checked: true,
        bucket: config.audit.bucket,
        count: stored.length,
        protection: listing.missingBucket
          ? { kind: 'none', detail: 'the bucket does not exist' }
          : await clients.store.protection(config.audit.bucket),
      };
    } catch (error) {
      checkpointsUsed = {
        checked: false,
        why: `the checkpoints in s3://${config.audit.bucket} could not be read: ${(error as Error).message.split('\n')[0]}`,
      };
    }
  }

  // Which chains must exist.
  const expected = new Map<string, string[]>();
  const expect = (m: string, why: string) => expected.set(m, [...(expected.get(m) ?? []), why]);
  for (const [m, ids] of t?.running ?? []) expect(m, `its controller ${ids.join(', ')} is running`);
  for (const [m, anchors] of t?.byModel ?? [])
    if (anchors.length > 0) expect(m, 'Temporal histories recorded appends to it');
  for (const s of stored) expect(s.checkpoint.model, `checkpoint ${s.key} names it`);
  try {
    for (const m of await versionedModels(clients)) expect(m, 'ctpilot registered versions of it in MLflow');
  } catch (error) {
    warnings.push(
      `MLflow could not be asked which models ctpilot versioned: ${(error as Error).message.split('\n')[0]}`,
    );
  }

  const inTable = await clients.audit.models();
  let names = [...new Set([...inTable, ...expected.keys()])].sort();
  if (model !== undefined) {
    if (!inTable.includes(model) && !expected.has(model))
      throw new UserError(
        `no audit chain, controller, checkpoint or registered version knows model ${JSON.stringify(model)}`,
        `check the name; the models with chains are: ${inTable.join(', ') || '(none)'}`,
      );
    names = [model];
  }
  if (model === undefined) {
    // A model known only from MLflow and never audited (registered by hand, no controller) is not expected.
    names = names.filter(
      (m) => inTable.includes(m) || (expected.get(m) ?? []).some((w) => !w.includes('MLflow')),
    );
  }

  const now = request.now ?? Date.now();
  const models: ModelVerification[] = [];
  for (const name of names) {
    const rows = await clients.audit.rows({ model: name });
    const mine = stored.filter((s) => s.checkpoint.model === name);
    const trusted = mine.filter((s) => {
      const trust = checkpointTrust(s.checkpoint, verifier);
      if (trust === 'bad-signature')
        warnings.push(`checkpoint ${s.key} has a signature that does not verify: ignored`);
      return trust !== 'bad-signature';
    });
    const signedFrom = trusted
      .map((s) => s.checkpoint.signedFrom)
      .filter((v): v is number => typeof v === 'number')
      .sort((a, b) => a - b)[0];
    const chain = verifyChain(name, rows, {
      ...(verifier ? { verifier } : {}),
      ...(signedFrom !== undefined ? { signedFrom } : {}),
    });
    const temporalAnchorsOfModel = t?.byModel.get(name) ?? [];
    const checkpointAnchors: Anchor[] = trusted.map((s) => ({
      modelSeq: s.checkpoint.modelSeq,
      hash: s.checkpoint.hash,
      source: 'checkpoint',
      where: `checkpoint s3://${config.audit.bucket}/${s.key}${s.deleted ? ' (deleted from the bucket, kept as an earlier version)' : ''}`,
    }));
    const problems: ChainProblem[] = [
      ...chain.problems,
      ...checkAnchors(name, rows, [...temporalAnchorsOfModel, ...checkpointAnchors]),
    ];
    if (rows.length === 0 && !problems.some((p) => p.kind === 'removed'))
      problems.push({
        kind: 'removed',
        model: name,
        modelSeq: 0,
        message: `the chain of model ${name} is gone: it must exist because ${(expected.get(name) ?? []).join('; ')}`,
      });
    for (const s of mine.filter((c) => c.deleted))
      problems.push({
        kind: 'removed',
        model: name,
        modelSeq: s.checkpoint.modelSeq,
        message: `checkpoint s3://${config.audit.bucket}/${s.key} was deleted (the bucket kept its earlier version)`,
      });
    if (t && request.temporal)
      problems.push(...(await unknownWorkflows(request.temporal, name, rows, t, now)));
    const report: ChainReport = { ...chain, ok: problems.length === 0, problems };
    models.push({
      model: name,
      report,
      expectedBy: expected.get(name) ?? [],
      anchors: { temporal: temporalAnchorsOfModel.length, checkpoints: checkpointAnchors.length },
    });
  }

  const keys: AnchorsUsed['keys'] = verifier
    ? { checked: true, keyIds: [...verifier.keys.keys()] }
    : {
        checked: false,
        why: 'no public key is configured (CTPILOT_AUDIT_SIGNING_KEY or CTPILOT_AUDIT_PUBLIC_KEYS): signatures were not checked, and a chain recomputed by someone with database rights would pass',
      };
  return {
    ok: models.every((m) => m.report.ok),
    models,
    anchors: { temporal: temporalUsed, checkpoints: checkpointsUsed, keys },
    warnings,
  };
}

/** Rows naming a workflow Temporal has never run (within its retention: older ones are deleted by design). */
async function unknownWorkflows(
  client: Client,
  model: string,
  rows: readonly AuditRow[],
  t: TemporalAnchors,
  now: number,
): Promise<ChainProblem[]> {
  const problems: ChainProblem[] = [];
  const known = new Map<string, boolean>();
  const exists = async (id: string): Promise<boolean> => {
    if (t.workflowIds.has(id)) return true;
    const cached = known.get(id);
    if (cached !== undefined) return cached;
    let found = true;
    try {
      await client.workflow.getHandle(id).describe();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      found = false;
    }
    known.set(id, found);
    return found;
  };
  const reported = new Set<string>();
  for (const row of rows) {
    if (reported.has(row.workflowId)) continue;
    if (t.retentionMs !== null && now - Date.parse(row.recordedAt) > t.retentionMs) continue;
    if (await exists(row.workflowId)) continue;
    reported.add(row.workflowId);
    problems.push({
      kind: 'unknown-workflow',
      model,
      seq: row.seq,
      modelSeq: row.modelSeq,
      message: `row seq ${row.seq} (position ${row.modelSeq} of model ${model}) names workflow ${row.workflowId}, which Temporal has no record of (recorded ${row.recordedAt}, within the namespace's retention): the row was not written by ctpilot`,
    });
  }
  return problems;
}
