// The evaluator: (policy, state, measurements, now) → { decision, nextState }.
//
// Pure and deterministic: no clock (now is an argument), no I/O, no
// randomness. The controller workflow calls it from an activity so its
// inputs and its decision are recorded in the history, and can replay it.
//
// Order of work:
//   1. classify each metric's measurement (classify.ts): ok / breach / inconclusive / error;
//   2. metrics without usable data for `inconclusiveLimit` evaluations → an alert (never a retrain);
//   3. each trigger, in the order written: run the condition (three-valued, see cel/runtime.ts),
//      update persistence, and when it is met check requirements and guards and emit an action;
//   4. during a bake period, the promotion's rollback condition, likewise;
//   5. the decision's headline and the next state.

import { type CelInput, celMap } from '@bufbuild/cel';
import { type ConditionResult, runCondition } from './cel/runtime.ts';
import { bindingOf, classify, type MetricVerdict } from './classify.ts';
import type {
  Action,
  ActionKind,
  Decision,
  DiagnosisBrief,
  Hold,
  Outcome,
  TriggerVerdict,
} from './decision.ts';
import { observe } from './detector-objective.ts';
import { durationMs } from './duration.ts';
import { alertHolds, clearGuards, retrainHolds, rollbackHolds } from './guards.ts';
import { canonicalJson } from './hash.ts';
import type { LoadedPolicy } from './loader.ts';
import type { Measurement } from './measurement.ts';
import { fmt } from './number-format.ts';
import type { Policy } from './schema/policy.ts';
import type { Persistence, Trigger } from './schema/triggers.ts';
import {
  freshTrigger,
  initialState,
  type MetricState,
  type PolicyState,
  type TriggerState,
} from './state.ts';

export interface Evaluation {
  readonly decision: Decision;
  readonly nextState: PolicyState;
}

/** What the evaluator is told besides the measurements. */
export interface EvaluationContext {
  /**
   * The diagnosis run for this evaluation (activities/diagnosis.ts runs it when
   * a trigger is due): a retrain it does not confirm is held back by the
   * `diagnosis` guard, and the cause it alerts on becomes an alert action.
   */
  readonly diagnosis?: DiagnosisBrief;
}

/** Whether this decision has a trigger's retrain or alert going out: the moment a diagnosis is worth running. */
export function wantsDiagnosis(decision: Decision): boolean {
  return decision.actions.some(
    (a) =>
      (a.kind === 'retrain' || a.kind === 'alert') &&
      (a.status === 'act' || a.status === 'dryRun') &&
      !a.origin.startsWith('metric:'),
  );
}

/** The key under which the bake-period rollback condition keeps its persistence. Not a valid trigger name. */
export const ROLLBACK_ORIGIN = 'promotion.rollback';

const iso = (ms: number) => new Date(ms).toISOString();

function toMs(now: Date | string | number): number {
  const ms = now instanceof Date ? now.getTime() : typeof now === 'string' ? Date.parse(now) : now;
  if (!Number.isFinite(ms)) throw new RangeError(`evaluate: invalid time ${String(now)}`);
  return ms;
}

/** FNV-1a, 32 bits: a short, stable fingerprint of a trigger definition. Not a security hash. */
function fingerprint(value: unknown): string {
  const s = canonicalJson(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const fingerprints = new WeakMap<object, string>();

/** Only what changes the meaning of persistence resets it; severity, notify and dryRun do not. */
function triggerFingerprint(
  t: Pick<Trigger, 'when' | 'for'> & Partial<Pick<Trigger, 'require' | 'action' | 'onInconclusive'>>,
): string {
  return fingerprint({
    when: t.when,
    for: t.for,
    require: t.require ?? null,
    action: t.action ?? null,
    onInconclusive: t.onInconclusive ?? 'hold',
  });
}

/** Bring a state up to date with a (possibly new) policy version: drop what no longer exists, restart what changed. */
export function reconcileState(policy: Policy, state: PolicyState, nowMs: number): PolicyState {
  const triggers: Record<string, TriggerState> = {};
  for (const [name, t] of Object.entries(policy.triggers)) {
    // Policies are immutable once loaded, so a trigger object's fingerprint is computed once.
    let fp = fingerprints.get(t);
    if (fp === undefined) {
      fp = triggerFingerprint(t);
      fingerprints.set(t, fp);
    }
    const prev = state.triggers[name];
    triggers[name] = prev && prev.fp === fp ? prev : freshTrigger(fp);
  }
  const rb = policy.promotion?.rollback;
  if (rb) {
    let fp = fingerprints.get(rb);
    if (fp === undefined) {
      fp = triggerFingerprint({ when: rb.when, for: rb.for, action: 'rollback' });
      fingerprints.set(rb, fp);
    }
    const prev = state.triggers[ROLLBACK_ORIGIN];
    triggers[ROLLBACK_ORIGIN] = prev && prev.fp === fp ? prev : freshTrigger(fp);
  }
  const metrics: Record<string, MetricState> = {};
  for (const name of Object.keys(policy.metrics))
    metrics[name] = state.metrics[name] ?? { unusable: 0, alerted: false };
  // The ledger only matters within the budget period; older entries are dropped so the state stays small.
  const per = policy.guards.budget ? durationMs(policy.guards.budget.per) : 0;
  const ledger = state.ledger.filter((t) => nowMs - Date.parse(t) < per);
  return { ...state, triggers, metrics, ledger };
}

function windowSize(p: Persistence): number {
  return typeof p === 'number' ? p : p.of;
}

function advance(
  t: TriggerState,
  p: Persistence,
  r: ConditionResult,
  onInconclusive: 'hold' | 'reset',
): TriggerState {
  if (!r.decided) {
    // Undetermined evaluations never count towards a trigger. `hold` skips
    // them (the streak survives a scrape failure between two breaches);
    // `reset` makes persistence start over.
    return onInconclusive === 'reset'
      ? { ...t, streak: 0, window: '', undecided: t.undecided + 1 }
      : { ...t, undecided: t.undecided + 1 };
  }
  const window = typeof p === 'number' ? '' : (t.window + (r.value ? 'T' : 'F')).slice(-windowSize(p));
  return { ...t, streak: r.value ? t.streak + 1 : 0, window, undecided: 0 };
}

function isMet(t: TriggerState, p: Persistence): boolean {
  if (typeof p === 'number') return t.streak >= p;
  return [...t.window].filter((c) => c === 'T').length >= p.atLeast;
}

function persistenceText(t: TriggerState, p: Persistence): string {
  if (typeof p === 'number') {
    return p === 1
      ? t.streak > 0
        ? 'held this evaluation'
        : 'did not hold'
      : `held on ${t.streak} consecutive evaluation${t.streak === 1 ? '' : 's'} (${p} needed)`;
  }
  const hits = [...t.window].filter((c) => c === 'T').length;
  return `held on ${hits} of the last ${t.window.length} decided evaluation${t.window.length === 1 ? '' : 's'} (${p.atLeast} of ${p.of} needed)`;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;
const referenced = new WeakMap<readonly string[], Map<string, string[]>>();
/** Metric names an expression mentions (a cheap scan; the loader has already checked the expression). */
function metricsIn(expr: string, names: readonly string[]): string[] {
  let byExpr = referenced.get(names);
  if (!byExpr) {
    byExpr = new Map();
    referenced.set(names, byExpr);
  }
  const key = expr;
  let r = byExpr.get(key);
  if (!r) {
    const found = new Set<string>();
    // Strip string literals so `phase == "precision"` does not count.
    for (const m of expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""').matchAll(IDENT)) {
      if (names.includes(m[0]) && !found.has(m[0])) found.add(m[0]);
    }
    r = [...found];
    byExpr.set(key, r);
  }
  return r;
}

/** "precision: breach — 0.871 is below min 0.92 (2451 samples; query: …)". */
function evidenceLine(v: MetricVerdict): string {
  const detail = [
    v.samples !== undefined ? `${fmt(v.samples)} samples` : '',
    v.query !== undefined ? `query: ${v.query.replace(/\s+/g, ' ').trim()}` : '',
    v.inputs !== undefined && v.query === undefined
      ? Object.entries(v.inputs)
          .map(([k, x]) => `${k}: ${String(x)}`)
          .join(', ')
      : '',
  ].filter(Boolean);
  return `${v.metric}: ${v.phase} — ${v.reason}${detail.length ? ` (${detail.join('; ')})` : ''}`;
}

function evidenceOf(names: readonly string[], verdicts: ReadonlyMap<string, MetricVerdict>): string {
  return names.map((n) => evidenceLine(verdicts.get(n) as MetricVerdict)).join('; ');
}

function undeterminedWhy(
  expr: string,
  verdicts: ReadonlyMap<string, MetricVerdict>,
  names: readonly string[],
  fallback: string,
): string {
  const missing = metricsIn(expr, names)
    .map((n) => verdicts.get(n))
    .filter((v): v is MetricVerdict => v !== undefined && !v.decided);
  if (missing.length === 0) return fallback;
  return missing.map((v) => `${v.metric} is ${v.phase} (${v.reason})`).join('; ');
}

function receivers(
  policy: Policy,
  event: 'alert' | 'retrain' | 'rollback',
  explicit: readonly string[] | undefined,
): string[] {
  if (explicit) return [...explicit];
  return Object.entries(policy.notify)
    .filter(([, r]) => r.on === undefined || r.on.includes(event))
    .map(([name]) => name);
}

const namesOf = new WeakMap<Policy, readonly string[]>();
function metricNames(policy: Policy): readonly string[] {
  let n = namesOf.get(policy);
  if (!n) {
    n = Object.keys(policy.metrics);
    namesOf.set(policy, n);
  }
  return n;
}

export function evaluate(
  loaded: Pick<LoadedPolicy, 'spec' | 'hash'>,
  prior: PolicyState | null | undefined,
  measurements: readonly Measurement[],
  now: Date | string | number,
  context: EvaluationContext = {},
): Evaluation {
  const policy = loaded.spec;
  const diagnosis = context.diagnosis;
  const nowMs = toMs(now);
  const at = iso(nowMs);
  let state = reconcileState(policy, prior ?? initialState(), nowMs);
  const evaluation = state.evaluations + 1;
  const names = metricNames(policy);
  const warnings: string[] = [];
  const modelName = policy.model.name ?? `fleet ${policy.metadata.name}`;

  // 1. Classify.
  const byMetric = new Map<string, Measurement>();
  for (const m of measurements) {
    if (!Object.hasOwn(policy.metrics, m.metric)) {
      warnings.push(`ignored a measurement for \`${m.metric}\`, which is not a metric of this policy`);
    } else if (byMetric.has(m.metric)) {
      warnings.push(`ignored a second measurement for \`${m.metric}\`; the first one counts`);
    } else {
      byMetric.set(m.metric, m);
    }
  }
  const verdicts = new Map<string, MetricVerdict>();
  const bindings: Record<string, unknown> = {};
  const detectors: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(policy.metrics)) {
    let v = classify(name, spec, byMetric.get(name), policy, nowMs);
    const detector = spec.objective?.detector;
    const prior = state.metrics[name]?.detector;
    if (prior !== undefined) detectors[name] = prior;
    if (detector && v.decided && v.value !== undefined) {
      // The detector sees each decided value once; missing data is not fed to it.
      const o = observe(detector, prior, v.value);
      detectors[name] = o.state;
      v = {
        ...v,
        phase: o.breached ? 'breach' : 'ok',
        reason: `${fmt(v.value)}: ${o.reason}`,
        objective: o.objective,
      };
    }
    verdicts.set(name, v);
    // Converted to a CEL map once per evaluation: the CEL library would otherwise convert the plain object at every field access.
    bindings[name] = celMap(new Map(Object.entries(bindingOf(v)) as [string, CelInput][]));
  }

  const actions: Action[] = [];
  const triggerVerdicts: TriggerVerdict[] = [];
  const dryPolicy = policy.dryRun;

  // 2. Metrics that have been unusable for too long: tell someone (alert only — never a retrain).
  const metricStates: Record<string, MetricState> = {};
  for (const [name, spec] of Object.entries(policy.metrics)) {
    const v = verdicts.get(name) as MetricVerdict;
    const prev = state.metrics[name] ?? { unusable: 0, alerted: false };
    // Unusable means no usable measurement: none, a failed or stale one, or one over fewer than
    // minSamples. A usable value the objective could not judge yet (a learned reference still warming
    // up, a zero baseline) says nothing about the source being broken, so it does not count.
    const thin = spec.minSamples !== undefined && !(v.samples !== undefined && v.samples >= spec.minSamples);
    const measured = v.decided || (v.value !== undefined && !v.noData && !thin);
    const unusable = measured ? 0 : prev.unusable + 1;
    const limit = spec.inconclusiveLimit ?? policy.evaluate.inconclusiveLimit;
    let alerted = prev.alerted;
    if (limit > 0 && !measured && unusable >= limit && !prev.alerted) {
      // Also in dry run: the simulated alert is remembered, so it is not re-announced every evaluation.
      alerted = true;
      actions.push({
        kind: 'alert',
        status: dryPolicy ? 'dryRun' : 'act',
        origin: `metric:${name}`,
        severity: 'warning',
        explanation:
          `Metric \`${name}\` of ${modelName} has had no usable measurement for ${unusable} consecutive evaluations (inconclusiveLimit ${limit}); ` +
          `triggers that depend on it cannot fire. Latest: ${evidenceLine(v)}.${dryPolicy ? ' Dry run: no alert was sent.' : ''}`,
        heldBy: [],
        notify: receivers(policy, 'alert', undefined),
        evidence: [name],
      });
    } else if (measured && prev.alerted) {
      alerted = false;
      actions.push({
        kind: 'resolve',
        status: dryPolicy ? 'dryRun' : 'act',
        origin: `metric:${name}`,
        severity: 'info',
        explanation: `Metric \`${name}\` of ${modelName} has a usable measurement again after ${prev.unusable} evaluations without: ${evidenceLine(v)}.`,
        heldBy: [],
        notify: receivers(policy, 'alert', undefined),
        evidence: [name],
      });
    }
    metricStates[name] = {
      unusable,
      alerted,
      ...(detectors[name] !== undefined ? { detector: detectors[name] } : {}),
    };
  }
  state = { ...state, metrics: metricStates };

  // 3 and 4. Triggers, then the bake-period rollback condition.
  const triggerStates: Record<string, TriggerState> = { ...state.triggers };
  let retrainBy: string | undefined;
  let rollbackBy: string | undefined;

  type Spec = {
    name: string;
    when: string;
    for: Persistence;
    require: readonly string[];
    action: 'retrain' | 'alert' | 'rollback';
    dryRun: boolean;
    onInconclusive: 'hold' | 'reset';
    severity: 'critical' | 'warning' | 'info';
    description?: string;
    repeatEvery?: string;
    notify?: readonly string[];
  };
  const specs: Spec[] = Object.entries(policy.triggers).map(([name, t]) => ({
    name,
    when: t.when,
    for: t.for,
    require: t.require === undefined ? [] : typeof t.require === 'string' ? [t.require] : t.require,
    action: t.action,
    dryRun: t.dryRun || dryPolicy,
    onInconclusive: t.onInconclusive,
    severity: t.severity ?? (t.action === 'alert' ? 'warning' : 'critical'),
    ...(t.description !== undefined ? { description: t.description } : {}),
    ...(t.repeatEvery !== undefined ? { repeatEvery: t.repeatEvery } : {}),
    ...(t.notify !== undefined ? { notify: t.notify } : {}),
  }));
  const rb = policy.promotion?.rollback;
  const bakeUntil = state.champion?.bakeUntil ? Date.parse(state.champion.bakeUntil) : undefined;
  const baking = rb !== undefined && bakeUntil !== undefined && nowMs < bakeUntil;
  if (rb && baking) {
    // First: a breach during the bake period is the new champion's. Rolling
    // it back comes before any retrain, which would train again on the
    // window that has just failed; see the rollingBack hold below.
    specs.unshift({
      name: ROLLBACK_ORIGIN,
      when: rb.when,
      for: rb.for,
      require: [],
      action: 'rollback',
      dryRun: dryPolicy,
      onInconclusive: 'hold',
      severity: 'critical',
      description: `bake period of version ${state.champion?.version} until ${state.champion?.bakeUntil}`,
    });
  } else if (rb) {
    // Outside a bake period the rollback condition is not watched; it starts fresh at the next promotion.
    triggerStates[ROLLBACK_ORIGIN] = {
      ...(triggerStates[ROLLBACK_ORIGIN] as TriggerState),
      streak: 0,
      window: '',
      undecided: 0,
    };
  }

  for (const t of specs) {
    const r = runCondition(t.when, bindings);
    let ts = advance(triggerStates[t.name] ?? freshTrigger(''), t.for, r, t.onInconclusive);
    const met = isMet(ts, t.for);
    const persistence = persistenceText(ts, t.for);
    const why = r.decided ? undefined : undeterminedWhy(t.when, verdicts, names, r.why);
    triggerVerdicts.push({
      trigger: t.name,
      action: t.action,
      condition: r.decided ? (r.value ? 'true' : 'false') : 'undetermined',
      ...(why !== undefined ? { why } : {}),
      persistence,
      met,
    });

    const evidenceNames = metricsIn(t.when, names);
    // Explanations are built only for actions (most evaluations emit none).
    const label = t.name === ROLLBACK_ORIGIN ? 'the promotion’s rollback condition' : `trigger \`${t.name}\``;

    // Alerts that stop holding resolve (only on a decided false: missing data does not resolve an alert).
    if (t.action === 'alert' && ts.firingSince !== null && r.decided && !met) {
      actions.push({
        kind: 'resolve',
        status: t.dryRun ? 'dryRun' : 'act',
        origin: t.name,
        severity: 'info',
        explanation: `Resolved: ${label} no longer holds (firing since ${ts.firingSince}). Evidence: ${evidenceOf(evidenceNames, verdicts)}.`,
        heldBy: [],
        notify: receivers(policy, 'alert', t.notify),
        evidence: evidenceNames,
      });
      ts = { ...ts, firingSince: null, lastSentAt: null };
    }

    if (met) {
      // Should an action go out this evaluation?
      let due = true;
      if (t.action === 'alert' && ts.firingSince !== null) {
        // Already firing: repeat only when asked, at most every repeatEvery.
        due =
          t.repeatEvery !== undefined &&
          ts.lastSentAt !== null &&
          nowMs - Date.parse(ts.lastSentAt) >= durationMs(t.repeatEvery);
      }
      if (due) {
        // Requirements: each must be decided true.
        const holds: Hold[] = [];
        const reqNotes: string[] = [];
        for (const req of t.require) {
          const rr = runCondition(req, bindings);
          const vals = metricsIn(req, names)
            .map((n) => verdicts.get(n) as MetricVerdict)
            .map((v) =>
              v.decided && v.value !== undefined ? `${v.metric} = ${fmt(v.value)}` : `${v.metric} ${v.phase}`,
            )
            .join(', ');
          if (rr.decided && rr.value) reqNotes.push(`\`${req}\` holds${vals ? ` (${vals})` : ''}`);
          else if (rr.decided)
            holds.push({
              guard: 'require',
              detail: `requirement \`${req}\` is false${vals ? ` (${vals})` : ''}`,
            });
          else
            holds.push({
              guard: 'require',
              detail: `requirement \`${req}\` cannot be decided: ${undeterminedWhy(req, verdicts, names, rr.why)}`,
            });
        }
        if (t.action === 'retrain') {
          holds.push(
            ...retrainHolds(
              policy,
              state,
              nowMs,
              retrainBy,
              rollbackBy !== undefined ? state.champion : undefined,
            ),
          );
          // The diagnosis confirms a retrain only on concept drift (the routing decides).
          if (diagnosis && diagnosis.action !== 'retrain')
            holds.push({ guard: 'diagnosis', detail: diagnosis.explanation });
        } else if (t.action === 'rollback') holds.push(...rollbackHolds(state, rollbackBy));
        else holds.push(...alertHolds(policy, nowMs));

        const kind: ActionKind = t.action;
        const status = t.dryRun ? 'dryRun' : holds.length > 0 ? 'held' : 'act';
        const verb =
          kind === 'retrain'
            ? `Retrain ${modelName}`
            : kind === 'rollback'
              ? `Roll back ${modelName}${state.champion ? ` from version ${state.champion.version} to ${state.champion.previousVersion ?? '(unknown)'}` : ''}`
              : `Alert on ${modelName}`;
        const parts = [
          `${verb} — ${label}${t.description ? ` (${t.description})` : ''}: \`${t.when}\` ${persistence}.`,
          `Evidence: ${evidenceOf(evidenceNames, verdicts)}.`,
        ];
        if (reqNotes.length) parts.push(`Requirements met: ${reqNotes.join('; ')}.`);
        if (kind === 'retrain' && holds.length === 0) {
          const clear = clearGuards(policy, state, nowMs);
          if (clear.length) parts.push(`Guards clear: ${clear.join('; ')}.`);
        }
        if (holds.length)
          parts.push(
            `${status === 'dryRun' ? 'Would be held back' : 'Held back'} by ${holds.map((h) => `${h.guard} — ${h.detail}`).join('; ')}.`,
          );
        if (status === 'dryRun')
          parts.push(
            `Dry run: nothing was done${holds.length ? '' : '; without dry run this would have acted'}.`,
          );
        actions.push({
          kind,
          status,
          origin: t.name,
          severity: t.severity,
          explanation: parts.join(' '),
          heldBy: holds,
          notify: receivers(policy, kind, t.notify),
          evidence: evidenceNames,
        });

        if (status === 'act') {
          if (kind === 'retrain') {
            retrainBy = t.name;
            state = {
              ...state,
              inFlight: { trigger: t.name, decidedAt: at, evaluation },
              lastRetrainAt: at,
              ledger: [...state.ledger, at],
            };
          } else if (kind === 'rollback') {
            rollbackBy = t.name;
            state = {
              ...state,
              rollbackPending: { origin: t.name, decidedAt: at },
              ledger: [...state.ledger, at],
            };
          }
        }
        const tookOrSimulated = status === 'act' || (status === 'dryRun' && holds.length === 0);
        // Held by a rollback in this evaluation: the evidence was measured on
        // the version going away, so persistence starts over on the restored one.
        if (holds.some((h) => h.guard === 'rollingBack')) ts = { ...ts, streak: 0, window: '' };
        if (kind === 'alert') {
          if (tookOrSimulated) ts = { ...ts, firingSince: ts.firingSince ?? at, lastSentAt: at };
        } else if (tookOrSimulated) {
          // Retrains and rollbacks need fresh evidence before they fire again. A
          // held action keeps its persistence, so it goes out as soon as the guard lifts.
          ts = { ...ts, streak: 0, window: '' };
        }
      }
    }
    triggerStates[t.name] = ts;
  }
  state = { ...state, triggers: triggerStates };

  // The diagnosis's own alert: to the cause's receivers, once per cause while it lasts.
  if (diagnosis) {
    const known = state.diagnosis?.cause === diagnosis.cause;
    if (diagnosis.action === 'alert' && !known) {
      const holds = alertHolds(policy, nowMs);
      const status = dryPolicy ? 'dryRun' : holds.length > 0 ? 'held' : 'act';
      actions.push({
        kind: 'alert',
        status,
        origin: `diagnosis:${diagnosis.cause}`,
        severity: diagnosis.cause === 'dataQuality' ? 'critical' : 'warning',
        explanation: `Diagnosis of ${modelName}: ${diagnosis.explanation}. ${diagnosis.summary}.${
          holds.length ? ` Held back by ${holds.map((h) => `${h.guard} — ${h.detail}`).join('; ')}.` : ''
        }${status === 'dryRun' ? ' Dry run: no alert was sent.' : ''}`,
        heldBy: holds,
        notify: [...diagnosis.receivers],
        evidence: [],
      });
    }
    state = {
      ...state,
      diagnosis:
        diagnosis.cause === 'none'
          ? null
          : { cause: diagnosis.cause, since: known ? state.diagnosis!.since : at },
    };
  } else if (state.diagnosis && !triggerVerdicts.some((t) => t.met)) {
    // Nothing is due any more: the next diagnosis announces its cause afresh.
    state = { ...state, diagnosis: null };
  }

  // 5. Headline and next state.
  const acted = (k: ActionKind) => actions.some((a) => a.kind === k && a.status === 'act');
  const outcome: Outcome = acted('rollback')
    ? 'rollback'
    : acted('retrain')
      ? 'retrain'
      : acted('alert')
        ? 'alert'
        : actions.some((a) => a.status === 'held')
          ? 'held'
          : actions.some((a) => a.status === 'dryRun' && a.kind !== 'resolve')
            ? 'dryRun'
            : triggerVerdicts.some((t) => t.condition === 'undetermined')
              ? 'inconclusive'
              : 'ok';
  const summary = summarise(outcome, actions, triggerVerdicts);
  const decision: Decision = {
    policy: policy.metadata.name,
    policyHash: loaded.hash,
    evaluation,
    at,
    outcome,
    summary,
    metrics: [...verdicts.values()],
    triggers: triggerVerdicts,
    actions,
    warnings,
    ...(diagnosis ? { diagnosis } : {}),
  };
  const nextState: PolicyState = {
    ...state,
    policyHash: loaded.hash,
    evaluations: evaluation,
    lastEvaluatedAt: at,
    lastDecision: { at, evaluation, outcome, summary },
  };
  return { decision, nextState };
}

function summarise(
  outcome: Outcome,
  actions: readonly Action[],
  triggers: readonly TriggerVerdict[],
): string {
  const main = actions.filter((a) => a.kind !== 'resolve');
  const list = (as: readonly Action[]) =>
    as.map((a) => `${a.kind} ${a.status === 'act' ? '' : `${a.status} `}by ${a.origin}`).join(', ');
  switch (outcome) {
    case 'ok': {
      const holding = triggers.filter((t) => t.condition === 'true');
      const rest = actions.length ? `; ${list(actions)}` : '';
      return holding.length === 0
        ? `ok: all ${triggers.length} trigger${triggers.length === 1 ? '' : 's'} quiet${rest}`
        : `ok, no action: ${holding.map((t) => `${t.trigger} ${t.persistence}`).join('; ')}${rest}`;
    }
    case 'inconclusive': {
      const u = triggers.filter((t) => t.condition === 'undetermined');
      return `inconclusive: ${u.map((t) => `${t.trigger} undetermined (${t.why ?? 'missing data'})`).join('; ')}`;
    }
    case 'held':
      return `held: ${main
        .filter((a) => a.status === 'held')
        .map((a) => `${a.kind} by ${a.origin} held (${a.heldBy.map((h) => h.guard).join(', ')})`)
        .join('; ')}`;
    default:
      return `${outcome}: ${list(main)}`;
  }
}
