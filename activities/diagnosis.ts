// Running a policy's diagnosis: read its reference and current windows, run
// the staged triage (stats/diagnosis/), route the cause to an action
// (policies/diagnosis-routing.ts), and — when it alerts or retrains — write a
// sample of the hardest recent cases for people to review. Called from the
// evaluation activity when a trigger is due, and by `ctpilot diagnose`.
//
// A diagnosis that cannot run (a window unreadable, empty, over the memory
// budget) is inconclusive: it alerts and holds the retrain, never lets it
// through unexamined.

import type { DiagnosisBrief, MetricVerdict } from '../policies/decision.ts';
import { briefOf, diagnosisOverrides, kpiReading, routeOverrides } from '../policies/diagnosis.ts';
import { routeDiagnosis } from '../policies/diagnosis-routing.ts';
import { durationMs } from '../policies/duration.ts';
import type { LoadedPolicy } from '../policies/loader.ts';
import { templateValues, windowRequest } from '../policies/requests.ts';
import type { Table } from '../stats/columns.ts';
import { type Diagnosis, diagnose, type ExternalEvent, hardCases } from '../stats/diagnosis/index.ts';

import type { ObjectStore } from './s3/client.ts';
import { readWindow, readWindowPair, typeViolations, type WindowDeps } from './windows/index.ts';

export interface DiagnosisDeps extends WindowDeps {
  readonly store: ObjectStore;
}

type EventsSpec = NonNullable<NonNullable<LoadedPolicy['spec']['diagnosis']>['events']>;

function eventTime(v: unknown): string | undefined {
  const ms =
    typeof v === 'number' ? (v > 1e11 ? v : v * 1000) : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * The external events in [at − lookback, at]: annotation rows of a window
 * (columns `at`, `text`), or Grafana's annotations API. Context only: a
 * source that cannot be read gives no events and says why.
 */
async function readEvents(
  spec: EventsSpec,
  at: string,
  values: Record<string, string>,
  deps: DiagnosisDeps,
): Promise<{ events: ExternalEvent[]; problem?: string }> {
  const toMs = Date.parse(at);
  const fromMs = toMs - durationMs(spec.lookback);
  const inSpan = (e: ExternalEvent) => Date.parse(e.at) >= fromMs && Date.parse(e.at) <= toMs;
  try {
    if (spec.grafana) {
      const g = spec.grafana;
      const base = (await deps.secrets!.interpolate(g.url)).reveal().replace(/\/$/, '');
      const query = new URLSearchParams({ from: String(fromMs), to: String(toMs), limit: '100' });
      for (const tag of g.tags ?? []) query.append('tags', tag);
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const [k, v] of Object.entries(g.headers ?? {}))
        headers[k.toLowerCase()] = (await deps.secrets!.interpolate(v)).reveal();
      const response = await fetch(`${base}/api/annotations?${query}`, {
        headers,
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok)
        return { events: [], problem: `Grafana answered ${response.status} ${response.statusText}` };
      const body = (await response.json()) as { time?: number; text?: string; tags?: string[] }[];
      const events = (Array.isArray(body) ? body : []).flatMap((a) => {
        const when = eventTime(a.time);
        return when && typeof a.text === 'string'
          ? [{ at: when, text: a.text, ...(a.tags?.length ? { tags: a.tags } : {}) }]
          : [];
      });
      return { events: events.filter(inSpan) };
    }
    const rendered = windowRequest(spec.window!, values, toMs);
    if (rendered.errors.length) return { events: [], problem: rendered.errors.join('; ') };
    const result = await readWindow(rendered.request, deps, { columns: ['at', 'text'] });
    if (result.outcome === 'empty') return { events: [] };
    if (result.outcome !== 'columns')
      return { events: [], problem: result.outcome === 'error' ? result.message : result.reason };
    const atColumn = result.columns.at;
    const textColumn = result.columns.text;
    const n = atColumn?.values.length ?? 0;
    const events: ExternalEvent[] = [];
    for (let i = 0; i < n; i++) {
      const when = eventTime(atColumn!.values[i]);
      const text = textColumn?.values[i];
      if (when && text !== null && text !== undefined) events.push({ at: when, text: String(text) });
    }
    return { events: events.filter(inSpan) };
  } catch (error) {
    return { events: [], problem: (error as Error).message };
  }
}

export type DiagnosisRun =
  | {
      readonly ok: true;
      readonly diagnosis: Diagnosis;
      readonly brief: DiagnosisBrief;
      /** The windows as read, for a report's distributions. */
      readonly windows: { readonly reference: Table; readonly current: Table };
    }
  | { readonly ok: false; readonly error: string; readonly brief: DiagnosisBrief };

/** The columns the diagnosis reads: features, score, and the optional roles. */
function columnsOf(spec: NonNullable<LoadedPolicy['spec']['diagnosis']>): string[] {
  const c = spec.columns;
  return [
    ...new Set([
      ...c.features,
      c.score,
      c.label,
      ...[c.prediction, c.segment, c.labelLag].filter((x): x is string => x !== undefined),
    ]),
  ];
}

/** What a diagnosis that could not run tells the decision: hold, alert, say why. */
function inconclusive(policy: LoadedPolicy, error: string): DiagnosisRun {
  const receivers = routeOverrides(policy.spec).unexplained?.receivers ?? [];
  return {
    ok: false,
    error,
    brief: {
      cause: 'unexplained',
      features: [],
      summary: `diagnosis inconclusive: ${error}`,
      action: 'alert',
      explanation: `held: the diagnosis could not run (${error}); alerting ${receivers.join(', ') || 'no one'}; not retraining without it`,
      receivers,
      stages: [],
    },
  };
}

export async function runDiagnosis(
  policy: LoadedPolicy,
  at: string,
  verdicts: readonly MetricVerdict[],
  deps: DiagnosisDeps,
  options: {
    readonly model: string;
    readonly seed?: number;
    /** Write the hard cases when the policy asks for them (default true; `ctpilot diagnose` writes nothing). */
    readonly writeSamples?: boolean;
  } = { model: policy.spec.metadata.name },
): Promise<DiagnosisRun> {
  const spec = policy.spec.diagnosis;
  if (!spec) return inconclusive(policy, 'the policy has no diagnosis section');
  const nowMs = Date.parse(at);
  const values = templateValues(policy.spec, {});
  const reference = windowRequest(spec.reference, values, nowMs);
  const current = windowRequest(spec.current, values, nowMs);
  const renderErrors = [...reference.errors, ...current.errors];
  if (renderErrors.length) return inconclusive(policy, renderErrors.join('; '));
  const columns = columnsOf(spec);
  const pair = await readWindowPair(
    { reference: reference.request, current: current.request },
    deps,
    { reference: columns, current: columns },
    'the diagnosis',
  );
  if (!pair.ok) return inconclusive(policy, pair.message);
  const ref = pair.reference;
  const cur = pair.current;
  const violations = typeViolations(cur.problems);
  const kpi = kpiReading(policy.spec, verdicts);
  const events = spec.events ? await readEvents(spec.events, at, values, deps) : { events: [] };
  let diagnosis: Diagnosis;
  try {
    diagnosis = diagnose({
      reference: ref.columns as Table,
      current: cur.columns as Table,
      roles: {
        features: spec.columns.features,
        score: spec.columns.score,
        label: spec.columns.label,
        threshold: spec.threshold,
        ...(spec.columns.prediction ? { prediction: spec.columns.prediction } : {}),
        ...(spec.columns.segment ? { segment: spec.columns.segment } : {}),
        ...(spec.columns.labelLag ? { labelLag: spec.columns.labelLag } : {}),
      },
      thresholds: diagnosisOverrides(spec),
      violations,
      // Run because a trigger is due: a breach no stage explains is `unexplained`, not `none`.
      breached: true,
      ...(kpi ? { kpi } : {}),
      events: events.events,
      at,
      seed: options.seed ?? 0,
    });
    if (events.problem)
      diagnosis = {
        ...diagnosis,
        findings: [...diagnosis.findings, `events could not be read: ${events.problem}`],
      };
  } catch (error) {
    return inconclusive(policy, (error as Error).message);
  }
  const routing = routeDiagnosis(diagnosis, routeOverrides(policy.spec));
  let samplesUri: string | undefined;
  const wanted = spec.samples && options.writeSamples !== false;
  if (wanted && spec.samples && (routing.action === 'alert' || routing.action === 'retrain')) {
    try {
      const cases = hardCases(ref.columns as Table, cur.columns as Table, diagnosis, {
        roles: { ...spec.columns, threshold: spec.threshold },
        size: spec.samples.size,
      });
      const base = spec.samples.to.endsWith('/') ? spec.samples.to : `${spec.samples.to}/`;
      const uri = `${base}${options.model}/${at.replace(/[:.]/g, '-')}/hard-cases.jsonl`;
      await deps.store.putJsonLines(uri, cases);
      samplesUri = deps.store.uri(uri);
    } catch {
      // The sample helps people review; failing to write it does not change the decision.
    }
  }
  return {
    ok: true,
    diagnosis,
    brief: briefOf(diagnosis, routing, samplesUri),
    windows: { reference: ref.columns as Table, current: cur.columns as Table },
  };
}
