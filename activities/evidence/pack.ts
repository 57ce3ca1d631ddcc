// An evidence pack for an auditor, as a pure function of one model's audit
// rows and their chain verification: which policy versions were in force,
// whether the model was evaluated throughout the period, each breach and
// what was done about it, each retrain step by step (MLflow run, gates,
// shadow verdict, approval, promotion, rollback), and whether the hash chain
// holds. Every item names the audit rows it rests on (`seq`), and a row the
// verification found altered, removed-before or reordered is marked
// wherever it is used.
//
// Row kinds are read generically — kind, outcome, `details.detail` or
// `details.summary` — so steps added to the workflows later (shadow,
// approval, promotion, bake, rollback) appear without a change here; the
// few fields read by name (`by`, `reason`, `version`, `fromVersion`,
// `toVersion`, `previousVersion`) are looked for in details, then inputs.
import { parseDuration } from '../../policies/duration.ts';
import type { AuditRow, ChainProblem, ChainReport } from '../audit/chain.ts';
import { type Cadence, type Coverage, coverage, type EvaluationPoint, inferCadence } from './coverage.ts';

export const PACK_FORMAT = 'ctpilot-evidence/v1';

export interface PackLinks {
  /** The Temporal UI page of a workflow (run when known). */
  workflow(workflowId: string, runId?: string): string | null;
  /** The MLflow UI page of a run. */
  run(runId: string): string | null;
  /** The MLflow UI page of the model, or of one version. */
  model(version?: string): string | null;
}

export interface PackInput {
  readonly model: string;
  /** Inclusive start and exclusive end of the period, ISO 8601. */
  readonly from: string;
  readonly to: string;
  readonly generatedAt: string;
  readonly generatedBy: string;
  /** Every row of the model's chain, in insertion order: earlier rows matter (the evaluation before the period, when a version was first seen). */
  readonly rows: readonly AuditRow[];
  /** The verification of that whole chain. */
  readonly chain: ChainReport;
  /** Cadences known from outside the rows, by policy version hash (the running controller, policy files). */
  readonly cadences?: Readonly<Record<string, Cadence>>;
  readonly links?: PackLinks;
  /** Where the data came from, for the record (addresses with secrets removed). */
  readonly sources?: Readonly<Record<string, string>>;
  /** What the chain was checked against outside PostgreSQL (cli/lib/audit-verify.ts), as it said. */
  readonly anchors?: PackAnchors;
}

/** The anchors a pack was checked against, and the keys its rows are signed with. */
export interface PackAnchors {
  /** In words, one line each: "Temporal histories: 14 appends in 3 runs", "checkpoints: …", "signatures: …". */
  readonly used: readonly string[];
  /** What could not be checked, and why. */
  readonly notChecked: readonly string[];
  /** Public keys (SPKI PEM) by key id: what the rows' signatures verify with. */
  readonly publicKeys: Readonly<Record<string, string>>;
  readonly temporalAppends: number;
  readonly checkpoints: number;
}

export type Integrity = 'altered' | 'removed-before' | 'reordered' | 'unsigned' | 'unknown-workflow';

export interface RowRef {
  readonly seq: number;
  readonly modelSeq: number;
  readonly at: string;
  readonly kind: string;
  readonly outcome: string;
  readonly policy: string;
  readonly policyVersion: string | null;
  readonly workflowId: string;
  readonly step: string;
  readonly mlflowRunId: string | null;
  readonly summary: string;
  readonly hash: string;
  readonly inPeriod: boolean;
  /** Problems the chain verification found at this row; empty when it is intact. */
  readonly integrity: readonly Integrity[];
}

export interface PolicyVersionEntry {
  readonly policy: string;
  readonly hash: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly firstSeenInPeriod: string;
  readonly lastSeenInPeriod: string;
  readonly rowsInPeriod: number;
  readonly evaluationsInPeriod: number;
  readonly cadence: Cadence | null;
}

export interface MetricBreach {
  readonly metric: string;
  readonly value: number | null;
  readonly objective: string | null;
  readonly reason: string;
}

export interface ActionTaken {
  readonly kind: string;
  readonly status: string;
  readonly origin: string;
  readonly severity: string | null;
  readonly heldBy: ReadonlyArray<{ readonly guard: string; readonly detail: string }>;
  readonly explanation: string;
}

export interface IncidentEvaluation {
  readonly row: RowRef;
  readonly evaluation: number | null;
  readonly breached: readonly MetricBreach[];
  readonly triggersMet: readonly string[];
  readonly actions: readonly ActionTaken[];
  /** What the controller did about it: notifications sent, a retrain started (rows at the decision's instant). */
  readonly followUp: readonly RowRef[];
  /** The retrain this decision started, if any. */
  readonly retrainWorkflowId: string | null;
  /** What the diagnosis before acting found (policies with a diagnosis section). */
  readonly diagnosis: {
    readonly cause: string;
    readonly features: readonly string[];
    readonly action: string;
    readonly explanation: string;
    readonly stages: readonly {
      readonly stage: string;
      readonly verdict: string;
      readonly summary: string;
    }[];
  } | null;
}

/** Consecutive evaluations of one policy with a metric in breach or an action. */
export interface Episode {
  readonly policy: string;
  readonly from: string;
  readonly to: string;
  readonly evaluations: readonly IncidentEvaluation[];
  readonly metrics: readonly string[];
  readonly actions: readonly string[];
}

export interface StepEntry extends RowRef {
  readonly detail: string;
  readonly by: string | null;
  readonly reason: string | null;
  readonly version: string | null;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
}

export interface RetrainEntry {
  readonly workflowId: string;
  readonly policy: string;
  readonly attempt: number | null;
  readonly trigger: string | null;
  readonly startedAt: string;
  readonly endedAt: string;
  /** The last step's kind and outcome: how far it got. */
  readonly result: { readonly kind: string; readonly outcome: string };
  readonly mlflowRunId: string | null;
  readonly version: string | null;
  readonly steps: readonly StepEntry[];
  readonly gates: StepEntry | null;
  readonly shadow: StepEntry | null;
  readonly approval: StepEntry | null;
  readonly promotion: StepEntry | null;
  readonly rollback: StepEntry | null;
  readonly links: {
    readonly workflow: string | null;
    readonly run: string | null;
    readonly version: string | null;
  };
}

export interface Verification {
  readonly ok: boolean;
  readonly rowsInChain: number;
  readonly head: ChainReport['head'];
  readonly problems: readonly ChainProblem[];
  /** Problems at rows of the period (the rest are elsewhere in the model's chain). */
  readonly problemsInPeriod: number;
  readonly statement: string;
  /** The signatures: how many rows are signed, by which keys, and whether they were checked. */
  readonly signatures: ChainReport['signatures'];
  readonly anchors: PackAnchors | null;
}

export interface EvidencePack {
  readonly format: typeof PACK_FORMAT;
  readonly model: string;
  readonly period: { readonly from: string; readonly to: string };
  readonly generatedAt: string;
  readonly generatedBy: string;
  readonly sources: Readonly<Record<string, string>>;
  readonly verification: Verification;
  readonly summary: {
    readonly rows: number;
    readonly evaluations: number;
    readonly gaps: number;
    readonly episodes: number;
    readonly retrains: number;
    readonly retrainResults: Readonly<Record<string, number>>;
    readonly approvals: number;
    readonly promotions: number;
    readonly rollbacks: number;
  };
  readonly policyVersions: readonly PolicyVersionEntry[];
  readonly coverage: Coverage;
  readonly episodes: readonly Episode[];
  readonly retrains: readonly RetrainEntry[];
  readonly rollbacks: readonly StepEntry[];
  readonly links: { readonly model: string | null };
  readonly notes: readonly string[];
  /** Every row of the period, oldest first. */
  readonly timeline: readonly RowRef[];
}

// ---- reading rows generically ------------------------------------------------

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;

/** A field by name from details, then inputs. */
function field(row: AuditRow, ...names: string[]): string | null {
  for (const source of [obj(row.details), obj(row.inputs)])
    for (const name of names) {
      const v = str(source[name]);
      if (v !== null) return v;
    }
  return null;
}

function summaryOf(row: AuditRow): string {
  const d = obj(row.details);
  return (str(d.summary) ?? str(d.detail) ?? str(d.reason) ?? str(d.error) ?? '')
    .split('\n')[0]!
    .slice(0, 500);
}

const isController = (workflowId: string) => workflowId.startsWith('policy:');
const kindIs = (row: { kind: string }, ...prefixes: string[]) =>
  prefixes.some((p) => row.kind === p || row.kind.startsWith(`${p}.`));

/** Appends to the list under `key` (creating it): copying the list per row made a year of rows take minutes. */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// ---- the pack ------------------------------------------------------------------

export function buildPack(input: PackInput): EvidencePack {
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  const inPeriod = (row: AuditRow) => {
    const at = Date.parse(row.recordedAt);
    return at >= from && at < to;
  };
  const notes: string[] = [];

  const integrityBySeq = new Map<number, Integrity[]>();
  for (const p of input.chain.problems) {
    if (p.seq === undefined) continue;
    const kind: Integrity = p.kind === 'removed' ? 'removed-before' : p.kind;
    push(integrityBySeq, p.seq, kind);
  }
  const ref = (row: AuditRow): RowRef => ({
    seq: row.seq,
    modelSeq: row.modelSeq,
    at: row.recordedAt,
    kind: row.kind,
    outcome: row.outcome,
    policy: row.policy,
    policyVersion: row.policyVersion ?? null,
    workflowId: row.workflowId,
    step: row.step,
    mlflowRunId: row.mlflowRunId ?? null,
    summary: summaryOf(row),
    hash: row.hash,
    inPeriod: inPeriod(row),
    integrity: integrityBySeq.get(row.seq) ?? [],
  });
  const step = (row: AuditRow): StepEntry => ({
    ...ref(row),
    detail: summaryOf(row),
    by: field(row, 'by', 'approvedBy', 'rejectedBy'),
    reason: kindIs(row, 'approval', 'rollback', 'promotion') ? field(row, 'reason') : null,
    version: field(row, 'version', 'challengerVersion'),
    fromVersion: field(row, 'fromVersion', 'previousVersion', 'previousChampion'),
    toVersion: field(row, 'toVersion', 'championVersion'),
  });

  const rows = input.rows;
  const periodRows = rows.filter(inPeriod);

  // ---- evaluations and cadences ----
  const evaluationRows = rows.filter((r) => r.kind === 'evaluation');
  const points: EvaluationPoint[] = evaluationRows
    .map((r) => ({
      at: r.recordedAt,
      policy: r.policy,
      policyVersion: r.policyVersion ?? null,
      outcome: r.outcome,
      reason: str(obj(r.inputs).reason),
    }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const cadences = new Map<string, Cadence | null>();
  const cadenceOf = (version: string | null): Cadence | undefined => {
    if (version === null) return undefined;
    if (!cadences.has(version)) {
      const recorded = evaluationRows.find((r) => r.policyVersion === version && str(obj(r.inputs).every));
      const every = recorded ? str(obj(recorded.inputs).every)! : null;
      const ms = every ? parseDuration(every) : undefined;
      const cadence: Cadence | null =
        every && ms
          ? { every, ms, source: 'recorded' }
          : (input.cadences?.[version] ?? inferCadence(points, version) ?? null);
      cadences.set(version, cadence);
      if (cadence?.source === 'inferred')
        notes.push(
          `The cadence of policy version ${version.slice(0, 19)} (${cadence.every}) is inferred from the intervals between its scheduled evaluations: neither the audit rows, the running controller nor the given policy files state it.`,
        );
      if (!cadence)
        notes.push(
          `The cadence of policy version ${version.slice(0, 19)} is unknown (no scheduled evaluations to infer it from); intervals under it are not assessed. Give its policy file with --policies.`,
        );
    }
    return cadences.get(version) ?? undefined;
  };
  const cover = coverage(points, { from: input.from, to: input.to, now: input.generatedAt }, cadenceOf);

  // ---- policy versions ----
  const versions = new Map<
    string,
    { policy: string; hash: string | null; all: AuditRow[]; period: AuditRow[] }
  >();
  for (const r of rows) {
    const key = `${r.policy}\u0000${r.policyVersion ?? ''}`;
    const v = versions.get(key) ?? { policy: r.policy, hash: r.policyVersion ?? null, all: [], period: [] };
    v.all.push(r);
    if (inPeriod(r)) v.period.push(r);
    versions.set(key, v);
  }
  const policyVersions: PolicyVersionEntry[] = [...versions.values()]
    .filter((v) => v.period.length > 0)
    .map((v) => ({
      policy: v.policy,
      hash: v.hash,
      firstSeen: v.all[0]!.recordedAt,
      lastSeen: v.all.at(-1)!.recordedAt,
      firstSeenInPeriod: v.period[0]!.recordedAt,
      lastSeenInPeriod: v.period.at(-1)!.recordedAt,
      rowsInPeriod: v.period.length,
      evaluationsInPeriod: v.period.filter((r) => r.kind === 'evaluation').length,
      cadence: cadenceOf(v.hash) ?? null,
    }))
    .sort((a, b) => Date.parse(a.firstSeenInPeriod) - Date.parse(b.firstSeenInPeriod));

  // ---- breaches and the actions taken ----
  const atInstant = new Map<string, AuditRow[]>();
  for (const r of rows) {
    if (r.kind === 'evaluation' || !isController(r.workflowId)) continue;
    const key = `${r.policy}\u0000${Date.parse(r.recordedAt)}`;
    push(atInstant, key, r);
  }
  const byPolicy = new Map<string, AuditRow[]>();
  for (const r of periodRows.filter((x) => x.kind === 'evaluation')) push(byPolicy, r.policy, r);
  const episodes: Episode[] = [];
  for (const [policy, evals] of byPolicy) {
    let current: IncidentEvaluation[] = [];
    const close = () => {
      if (current.length === 0) return;
      episodes.push({
        policy,
        from: current[0]!.row.at,
        to: current.at(-1)!.row.at,
        evaluations: current,
        metrics: [...new Set(current.flatMap((e) => e.breached.map((b) => b.metric)))],
        actions: [...new Set(current.flatMap((e) => e.actions.map((a) => `${a.kind}:${a.status}`)))],
      });
      current = [];
    };
    for (const r of evals) {
      const d = obj(r.details);
      const metrics = Array.isArray(d.metrics) ? d.metrics.map(obj) : [];
      const breached: MetricBreach[] = metrics
        .filter((m) => m.phase === 'breach')
        .map((m) => ({
          metric: str(m.metric) ?? '?',
          value: typeof m.value === 'number' ? m.value : null,
          objective: str(m.objective),
          reason: str(m.reason) ?? '',
        }));
      const actions: ActionTaken[] = (Array.isArray(d.actions) ? d.actions.map(obj) : []).map((a) => ({
        kind: str(a.kind) ?? '?',
        status: str(a.status) ?? '?',
        origin: str(a.origin) ?? '?',
        severity: str(a.severity),
        heldBy: (Array.isArray(a.heldBy) ? a.heldBy.map(obj) : []).map((h) => ({
          guard: str(h.guard) ?? '?',
          detail: str(h.detail) ?? '',
        })),
        explanation: str(a.explanation) ?? '',
      }));
      if (breached.length === 0 && actions.length === 0) {
        close();
        continue;
      }
      const dg = d.diagnosis === undefined ? undefined : obj(d.diagnosis);
      const diagnosis = dg
        ? {
            cause: str(dg.cause) ?? '?',
            features: (Array.isArray(dg.features) ? dg.features : []).map((f) => String(f)),
            action: str(dg.action) ?? '?',
            explanation: str(dg.explanation) ?? '',
            stages: (Array.isArray(dg.stages) ? dg.stages.map(obj) : []).map((s) => ({
              stage: str(s.stage) ?? '?',
              verdict: str(s.verdict) ?? '?',
              summary: str(s.summary) ?? '',
            })),
          }
        : null;
      const followUp = atInstant.get(`${r.policy}\u0000${Date.parse(r.recordedAt)}`) ?? [];
      const started = followUp.find((f) => f.kind === 'retrain.started');
      const triggers = Array.isArray(d.triggers) ? d.triggers.map(obj) : [];
      current.push({
        row: ref(r),
        evaluation: Number(/^evaluation:(\d+):/.exec(r.step)?.[1]) || null,
        breached,
        triggersMet: triggers.filter((t) => t.met === true).map((t) => str(t.trigger) ?? '?'),
        actions,
        diagnosis,
        followUp: followUp.map(ref),
        retrainWorkflowId: started ? field(started, 'retrainWorkflowId') : null,
      });
    }
    close();
  }
  episodes.sort((a, b) => Date.parse(a.from) - Date.parse(b.from));

  // ---- retrains: every workflow other than a controller with a row in the period ----
  const touched = new Set(periodRows.filter((r) => !isController(r.workflowId)).map((r) => r.workflowId));
  for (const r of periodRows)
    if (r.kind === 'retrain.started') {
      const id = field(r, 'retrainWorkflowId');
      if (id) touched.add(id);
    }
  // Indexed once: a year of rows times each retrain was the slow part otherwise.
  const byWorkflow = new Map<string, AuditRow[]>();
  const startedRows = new Map<string, AuditRow>();
  for (const r of rows) {
    if (touched.has(r.workflowId)) push(byWorkflow, r.workflowId, r);
    if (r.kind === 'retrain.started') {
      const id = field(r, 'retrainWorkflowId');
      if (id && !startedRows.has(id)) startedRows.set(id, r);
    }
  }
  const retrains: RetrainEntry[] = [];
  for (const workflowId of touched) {
    const own = byWorkflow.get(workflowId) ?? [];
    const startedBy = startedRows.get(workflowId);
    const all = [...(startedBy ? [startedBy] : []), ...own];
    if (all.length === 0) continue;
    const steps = all.map(step);
    const last = (...kinds: string[]) => [...all].reverse().find((r) => kindIs(r, ...kinds));
    const asStep = (r: AuditRow | undefined) => (r ? step(r) : null);
    const runId = all.find((r) => r.mlflowRunId)?.mlflowRunId ?? null;
    const registered = last('challenger');
    const promotion = asStep(last('promotion', 'promoted'));
    const version =
      promotion?.version ?? promotion?.toVersion ?? (registered ? field(registered, 'version') : null);
    const final = own.at(-1) ?? all.at(-1)!;
    retrains.push({
      workflowId,
      policy: all[0]!.policy,
      attempt: Number(field(all.find((r) => field(r, 'attempt')) ?? all[0]!, 'attempt')) || null,
      trigger: field(all.find((r) => field(r, 'trigger')) ?? all[0]!, 'trigger'),
      startedAt: all[0]!.recordedAt,
      endedAt: final.recordedAt,
      result: { kind: final.kind, outcome: final.outcome },
      mlflowRunId: runId,
      version,
      steps,
      gates: asStep(last('gates')),
      shadow: asStep(last('shadow')),
      approval: asStep(last('approval')),
      promotion,
      rollback: asStep(last('rollback')),
      links: {
        workflow: input.links?.workflow(workflowId, own[0]?.workflowRun) ?? null,
        run: runId ? (input.links?.run(runId) ?? null) : null,
        version: version ? (input.links?.model(version) ?? null) : null,
      },
    });
  }
  // A retrain decided but never started (the child could not be started) is audited on the controller.
  for (const r of periodRows)
    if (r.kind === 'retrain.failed' && isController(r.workflowId)) {
      const s = step(r);
      retrains.push({
        workflowId: `${r.workflowId} (${r.step})`,
        policy: r.policy,
        attempt: null,
        trigger: field(r, 'trigger'),
        startedAt: r.recordedAt,
        endedAt: r.recordedAt,
        result: { kind: r.kind, outcome: r.outcome },
        mlflowRunId: null,
        version: null,
        steps: [s],
        gates: null,
        shadow: null,
        approval: null,
        promotion: null,
        rollback: null,
        links: {
          workflow: input.links?.workflow(r.workflowId, r.workflowRun) ?? null,
          run: null,
          version: null,
        },
      });
    }
  retrains.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));

  const rollbacks = periodRows.filter((r) => kindIs(r, 'rollback')).map(step);

  // ---- verification ----
  const periodSeqs = new Set(periodRows.map((r) => r.seq));
  const problemsInPeriod = input.chain.problems.filter(
    (p) => p.seq !== undefined && periodSeqs.has(p.seq),
  ).length;
  const verification: Verification = {
    ok: input.chain.ok,
    rowsInChain: input.chain.rows,
    head: input.chain.head,
    problems: input.chain.problems,
    problemsInPeriod,
    statement: input.chain.ok
      ? `The audit chain of model ${input.model} verifies: all ${input.chain.rows} rows match their hashes and link in order; none was altered, removed or reordered${input.chain.signatures.checked === 'verified' && input.chain.signatures.signed > 0 ? `; ${input.chain.signatures.signed} rows carry signatures that verify with key ${input.chain.signatures.keyIds.join(', ')}` : ''}${input.anchors && input.anchors.used.length > 0 ? `; it agrees with ${input.anchors.used.join('; ')}` : ''}. Head: position ${input.chain.head.modelSeq}, hash ${input.chain.head.hash}.`
      : `The audit chain of model ${input.model} does NOT verify: ${input.chain.problems.length} problem(s), ${problemsInPeriod} of them at rows of this period. The rows named below were altered, follow removed rows, are out of order, are unsigned or disagree with an anchor; what this pack says about them cannot be relied on.`,
    signatures: input.chain.signatures,
    anchors: input.anchors ?? null,
  };
  if (input.chain.signatures.signed === 0)
    notes.push(
      'The rows of this chain are not signed: someone with write access to the database could recompute the whole chain, and only the anchors outside it would show that. Configure CTPILOT_AUDIT_SIGNING_KEY on the workers.',
    );
  else if (input.chain.signatures.checked !== 'verified')
    notes.push('The rows are signed, but no public key was given to check the signatures with.');
  if (!input.anchors || input.anchors.used.length === 0)
    notes.push(
      'Rows removed from the end of a chain leave no trace in it, and no anchor outside the database was checked: compare the head above with the head recorded in an earlier pack (a later head must be at a later position).',
    );
  for (const n of input.anchors?.notChecked ?? []) notes.push(`Not checked: ${n}`);

  const retrainResults: Record<string, number> = {};
  for (const r of retrains) {
    const k = `${r.result.kind}:${r.result.outcome}`;
    retrainResults[k] = (retrainResults[k] ?? 0) + 1;
  }
  return {
    format: PACK_FORMAT,
    model: input.model,
    period: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    generatedAt: input.generatedAt,
    generatedBy: input.generatedBy,
    sources: input.sources ?? {},
    verification,
    summary: {
      rows: periodRows.length,
      evaluations: cover.evaluations,
      gaps: cover.gaps.length,
      episodes: episodes.length,
      retrains: retrains.length,
      retrainResults,
      approvals: retrains.filter((r) => r.approval).length,
      promotions: retrains.filter((r) => r.promotion).length,
      rollbacks: rollbacks.length,
    },
    policyVersions,
    coverage: cover,
    episodes,
    retrains,
    rollbacks,
    links: { model: input.links?.model() ?? null },
    notes,
    timeline: periodRows.map(ref),
  };
}
