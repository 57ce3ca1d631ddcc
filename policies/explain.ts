// A policy in plain words, for `ctpilot explain`: what is watched, when it
// acts, what holds it back, how a retrain is carried out and what gates a
// promotion. Built from the validated policy only, so it explains exactly
// what the evaluator will do.

import { DRIFT_TESTS } from './drift-tests.ts';
import type { LoadedPolicy } from './loader.ts';
import { fmt } from './number-format.ts';
import type { Metric } from './schema/metrics.ts';
import { providerOf } from './schema/metrics.ts';
import type { Policy } from './schema/policy.ts';
import type { Persistence } from './schema/triggers.ts';

export interface ExplainSection {
  readonly title: string;
  readonly lines: readonly string[];
}

export interface PolicyExplanation {
  readonly name: string;
  readonly hash: string;
  readonly headline: string;
  readonly sections: readonly ExplainSection[];
}

/** Multi-line YAML blocks (queries, SQL) on one line. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

function persistenceWords(p: Persistence): string {
  if (typeof p === 'number') return p === 1 ? 'at a single evaluation' : `on ${p} consecutive evaluations`;
  return `on at least ${p.atLeast} of the last ${p.of} evaluations`;
}

function windowWords(w: {
  uri?: string | undefined;
  sql?: string | undefined;
  lookback?: string | undefined;
}): string {
  const where = w.uri !== undefined ? w.uri : `SQL \`${oneLine(w.sql ?? '')}\``;
  return w.lookback !== undefined ? `${where} (last ${w.lookback})` : where;
}

function sourceWords(m: Metric): string {
  switch (providerOf(m)) {
    case 'prometheus':
      return `Prometheus query \`${oneLine(m.prometheus?.query ?? '')}\``;
    case 'drift': {
      const d = m.drift as NonNullable<Metric['drift']>;
      const test =
        d.test === 'auto'
          ? 'a test chosen by column type and size (auto)'
          : `${DRIFT_TESTS.get(d.test)?.description ?? d.test}`;
      return `drift of feature \`${d.feature}\` between reference ${windowWords(d.reference)} and current ${windowWords(d.current)}, by ${test}`;
    }
    case 'estimate': {
      const e = m.estimate as NonNullable<Metric['estimate']>;
      return `${e.metric} estimated without labels (CBPE) on ${windowWords(e.current)}, calibrated on ${windowWords(e.reference)}`;
    }
    case 'quality': {
      const q = m.quality as NonNullable<Metric['quality']>;
      return `data quality of ${q.columns.map((c) => `\`${c}\``).join(', ')} (${q.checks?.join(', ') ?? 'every check'}) on ${windowWords(q.current)} against ${windowWords(q.reference)}`;
    }
    case 'mlflow':
      return `MLflow metric \`${m.mlflow?.metric}\` of the ${m.mlflow?.run} run`;
    case 'alert': {
      const a = m.alert as NonNullable<Metric['alert']>;
      const match = Object.entries(a.match)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      return `inbound ${a.source} alert${match ? ` matching ${match}` : ''}`;
    }
  }
}

function objectiveWords(m: Metric): string | undefined {
  const p = providerOf(m);
  if (p === 'drift') {
    const d = m.drift as NonNullable<Metric['drift']>;
    if (d.test === 'auto')
      return d.threshold !== undefined
        ? `drift at threshold ${fmt(d.threshold)} (p ≤ for tests, ≥ for distances)`
        : 'drift at each test’s default (p ≤ 0.05, distance ≥ 0.1)';
    const info = DRIFT_TESTS.get(d.test);
    const t = d.threshold ?? info?.threshold ?? 0;
    return info?.direction === 'pValue' ? `drift when p ≤ ${fmt(t)}` : `drift when ${d.test} ≥ ${fmt(t)}`;
  }
  if (p === 'alert') return 'breached while the alert fires';
  const o = m.objective;
  if (!o) return undefined;
  if (o.min !== undefined || o.max !== undefined) {
    if (o.min !== undefined && o.max !== undefined) return `between ${fmt(o.min)} and ${fmt(o.max)}`;
    return o.min !== undefined ? `at least ${fmt(o.min)}` : `at most ${fmt(o.max as number)}`;
  }
  if (o.change) {
    const c = o.change;
    const base =
      c.baseline.value !== undefined
        ? `the fixed baseline ${fmt(c.baseline.value)}`
        : c.baseline.offset !== undefined
          ? `its own value ${c.baseline.offset} earlier`
          : `the query \`${c.baseline.query}\``;
    const tol = [
      c.maxDrop !== undefined ? `${fmt(c.maxDrop)}` : '',
      c.maxRelativeDrop !== undefined ? `${fmt(c.maxRelativeDrop * 100)}%` : '',
    ]
      .filter(Boolean)
      .join(' or ');
    return `not worse than ${base} by more than ${tol} (${c.direction === 'higherIsBetter' ? 'higher is better' : 'lower is better'})`;
  }
  if (o.learned) {
    const l = o.learned;
    const ref =
      l.reference.lookback !== undefined
        ? `the last ${l.reference.lookback}`
        : `${l.reference.from} – ${l.reference.to}`;
    const side =
      l.side === 'lower' ? 'above mean − kσ' : l.side === 'upper' ? 'below mean + kσ' : 'within mean ± kσ';
    return `${side} with k = ${fmt(l.k)}, learned from ${ref} (step ${l.reference.step}, at least ${l.minPoints} points)`;
  }
  return undefined;
}

function noDataWords(mode: 'inconclusive' | 'breach' | 'ok'): string {
  return mode === 'inconclusive'
    ? 'inconclusive (never acts)'
    : mode === 'breach'
      ? 'a BREACH (may act)'
      : 'ok';
}

export function explainPolicy(loaded: Pick<LoadedPolicy, 'spec' | 'hash'>): PolicyExplanation {
  const p: Policy = loaded.spec;
  const sections: ExplainSection[] = [];
  const model = p.model.name !== undefined ? `MLflow registered model \`${p.model.name}\`` : fleetWords(p);
  const headline = `Policy ${p.metadata.name}${p.metadata.owner ? ` (owner ${p.metadata.owner})` : ''} watches ${model}${p.dryRun ? ' — DRY RUN: it decides but never acts' : ''}.`;

  const about: string[] = [];
  if (p.metadata.description) about.push(p.metadata.description);
  const labels = Object.entries(p.metadata.labels);
  if (labels.length) about.push(`Labels: ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}.`);
  about.push(
    `Aliases: champion \`${p.model.aliases.champion}\`, challenger \`${p.model.aliases.challenger}\`.`,
  );
  about.push(`Version ${loaded.hash}.`);
  sections.push({ title: 'Policy', lines: about });

  const cadence = [
    `Evaluated every ${p.evaluate.every}. Missing data (empty result, NaN, stale) counts as ${noDataWords(p.evaluate.onNoData)}; a failed measurement counts as ${p.evaluate.onError === 'error' ? 'an error (never acts)' : 'a BREACH (may act)'}.`,
    p.evaluate.inconclusiveLimit > 0
      ? `A metric without usable data for ${p.evaluate.inconclusiveLimit} evaluations in a row raises an alert (never a retrain).`
      : 'Metrics without usable data raise no alert.',
  ];
  sections.push({ title: 'Cadence', lines: cadence });

  const watched: string[] = [];
  for (const [name, m] of Object.entries(p.metrics)) {
    const obj = objectiveWords(m);
    const extras = [
      m.minSamples !== undefined ? `needs at least ${m.minSamples} samples` : '',
      m.maxAge !== undefined ? `data older than ${m.maxAge} counts as missing` : '',
      m.onNoData !== undefined ? `missing data counts as ${noDataWords(m.onNoData)}` : '',
      m.onError !== undefined ? `errors count as ${m.onError === 'breach' ? 'a BREACH' : 'errors'}` : '',
      m.inconclusiveLimit !== undefined
        ? m.inconclusiveLimit === 0
          ? 'no alert when data is missing'
          : `alert after ${m.inconclusiveLimit} evaluations without data`
        : '',
    ].filter(Boolean);
    watched.push(
      `${name}: ${m.description ? `${m.description} — ` : ''}${sourceWords(m)}. ${obj ? `Objective: ${obj}.` : 'No objective (informational; use its value in conditions).'}${extras.length ? ` ${capitalise(extras.join('; '))}.` : ''}`,
    );
  }
  sections.push({ title: 'What is watched', lines: watched });

  const acts: string[] = [];
  for (const [name, t] of Object.entries(p.triggers)) {
    const req = t.require === undefined ? [] : typeof t.require === 'string' ? [t.require] : t.require;
    const verb =
      t.action === 'retrain'
        ? 'RETRAIN'
        : t.action === 'rollback'
          ? 'ROLL BACK to the previous champion'
          : `ALERT (${t.severity ?? 'warning'})`;
    acts.push(
      `${name}${t.description ? ` (${t.description})` : ''}: ${verb} when \`${t.when}\` holds ${persistenceWords(t.for)}` +
        `${req.length ? `, provided ${req.map((r) => `\`${r}\``).join(' and ')}` : ''}.` +
        ` Undecidable evaluations (missing data) ${t.onInconclusive === 'hold' ? 'are skipped' : 'restart the count'}.` +
        `${t.dryRun ? ' DRY RUN: recorded, never acted on.' : ''}` +
        `${t.action === 'alert' ? (t.repeatEvery ? ` Repeated every ${t.repeatEvery} while it holds.` : ' Sent once per episode, resolved when it stops holding.') : ''}` +
        `${t.notify ? ` Notifies ${t.notify.join(', ')}.` : ''}`,
    );
  }
  sections.push({ title: 'When it acts', lines: acts });

  const g = p.guards;
  const guards: string[] = [];
  if (g.cooldown) guards.push(`At most one retrain every ${g.cooldown} (cooldown).`);
  if (g.budget)
    guards.push(`At most ${g.budget.retrains} retrains and rollbacks in any ${g.budget.per} (budget).`);
  for (const w of g.maintenance ?? []) {
    const when = w.weekly
      ? `every ${w.weekly.days.join(', ')} ${w.weekly.start}–${w.weekly.end} (${w.weekly.timezone})`
      : `from ${w.from} to ${w.to}`;
    guards.push(
      `No retraining ${when}${w.reason ? ` — ${w.reason}` : ''}${g.holdAlertsInMaintenance ? '; alerts are held too' : ''}.`,
    );
  }
  guards.push(
    'Only one retrain runs at a time. Rollbacks are never held back by cooldown, budget or maintenance.',
  );
  sections.push({ title: 'What holds it back', lines: guards });

  if (p.training) {
    const t = p.training;
    const l = t.launcher;
    const how = l.mlflowProject
      ? `runs the MLflow project ${l.mlflowProject.uri} (entry point ${l.mlflowProject.entryPoint}, env manager ${l.mlflowProject.envManager})`
      : l.command
        ? `runs \`${l.command.run.join(' ')}\``
        : `calls the webhook ${l.webhook?.url}`;
    const lines = [
      `A retrain ${how} as a run in MLflow experiment \`${t.experiment}\`, cancelled after ${t.timeout}; the model at artifact path \`${t.modelPath}\` is registered.`,
    ];
    const params = Object.entries(t.parameters);
    if (params.length) lines.push(`Parameters: ${params.map(([k, v]) => `${k}=${String(v)}`).join(', ')}.`);
    if (t.accept.length) {
      lines.push(
        `Accepted only if ${t.accept
          .map((a) =>
            [
              a.min !== undefined ? `${a.metric} ≥ ${fmt(a.min)}` : '',
              a.max !== undefined ? `${a.metric} ≤ ${fmt(a.max)}` : '',
              a.notWorseThan
                ? `${a.metric} is not worse than the champion's${a.tolerance ? ` by more than ${fmt(a.tolerance)}` : ''}`
                : '',
            ]
              .filter(Boolean)
              .join(' and '),
          )
          .join('; ')}.`,
      );
    } else lines.push('No offline acceptance gates.');
    sections.push({ title: 'How it retrains', lines });
  }

  const gates: string[] = [];
  if (p.shadow) {
    const s = p.shadow;
    gates.push(
      `Shadow (${s.mode === 'replay' ? 'ctpilot replays logged production requests to the challenger' : 'the platform mirrors traffic; per-version metrics are compared'}) for ${s.duration}${s.maxDuration ? `, extended up to ${s.maxDuration} while inconclusive` : ''}, with at least ${s.minSamples} samples; too few is inconclusive, never a pass.`,
    );
    for (const c of s.compare) {
      gates.push(
        `  ${c.metric}: challenger must be ${c.mustBe === 'better' ? `better than the champion by at least ${fmt(c.margin)}` : `no worse than the champion${c.margin ? ` by more than ${fmt(c.margin)}` : ''}`} at ${fmt(c.confidence * 100)}% confidence${c.query ? ` (query \`${c.query}\`)` : ''}.`,
      );
    }
  } else if (p.training)
    gates.push(
      'No shadow comparison: a retrained model that passes the acceptance gates goes straight to approval.',
    );
  if (p.promotion) {
    const pr = p.promotion;
    gates.push(
      pr.approval === 'auto'
        ? 'Promotion is automatic.'
        : `Promotion needs a manual approval (\`ctpilot approve\`${pr.approvers ? ` by ${pr.approvers.join(', ')}` : ''}) within ${pr.approvalTimeout}; on timeout the challenger is ${pr.onTimeout === 'reject' ? 'rejected' : 'promoted'}.`,
    );
    if (pr.bake !== '0s') {
      gates.push(
        pr.rollback
          ? `For ${pr.bake} after promotion, it rolls back to the previous champion if \`${pr.rollback.when}\` holds ${persistenceWords(pr.rollback.for)}.`
          : `Bake period ${pr.bake}, with no automatic rollback condition.`,
      );
    }
    if (pr.deployHook)
      gates.push(`After the alias moves, ${pr.deployHook.url} is called so serving reloads.`);
  } else if (p.training)
    gates.push(
      'No promotion section: manual approval with a 72h timeout (rejected on timeout) applies by default.',
    );
  if (gates.length) sections.push({ title: 'What gates a promotion', lines: gates });

  const notify = Object.entries(p.notify).map(
    ([name, r]) =>
      `${name}: ${r.webhook ? `webhook ${r.webhook.url}` : `Alertmanager ${r.alertmanager?.url}`}, ${r.on ? r.on.join(', ') : 'all events'}.`,
  );
  sections.push({
    title: 'Notifications',
    lines: notify.length ? notify : ['No receivers: decisions are only recorded.'],
  });
  return { name: p.metadata.name, hash: loaded.hash, headline, sections };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function fleetWords(p: Policy): string {
  const s = p.model.selector;
  const parts = [
    s?.matchTags
      ? `every registered model tagged ${Object.entries(s.matchTags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : '',
    s?.names ? `the models ${s.names.join(', ')}` : '',
  ].filter(Boolean);
  return `${parts.join(' among ')} (a fleet template: one controller per model)`;
}

/** The explanation as text, one section per block. */
export function explanationText(e: PolicyExplanation): string {
  return [
    e.headline,
    ...e.sections.map(
      (s) => `\n${s.title}\n${s.lines.map((l) => (l.startsWith('  ') ? `  ${l}` : `  • ${l}`)).join('\n')}`,
    ),
  ].join('\n');
}
