// The backtest's pure parts: range results read back per step, the evaluator
// carried in simulated time (persistence, cooldown, a retrain in flight,
// maintenance), the summary and the report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replay } from '../../../activities/backtest/engine.ts';
import { metricsOfOrigin, renderReport, summarise } from '../../../activities/backtest/index.ts';
import { outcomesAt, referenceAt } from '../../../activities/backtest/range-series.ts';
import { requiredValue } from '../../../activities/backtest/report/html.ts';
import { renderChart, timeTicks } from '../../../activities/backtest/report/svg-chart.ts';
import { chunksOf, stepsOf } from '../../../activities/backtest/timeline.ts';
import type { BacktestResult } from '../../../activities/backtest/types.ts';
import type { QueryResult } from '../../../activities/prometheus/client.ts';
import { loadPolicyOrThrow } from '../../../policies/loader.ts';
import { type Measurement, outcomeOf } from '../../../policies/measurement.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const policy = (guards: string) =>
  loadPolicyOrThrow(
    `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: p }
model: { name: m }
evaluate: { every: 5m }
metrics:
  precision:
    prometheus: { query: 'avg(precision)' }
    objective: { min: 0.9 }
triggers:
  decay: { when: precision.breached, for: 2, action: retrain }
${guards}
training:
  experiment: e
  launcher: { mlflowProject: { uri: ./x } }
`,
    'p.yaml',
  );

/** Precision per step: a function of the step's instant. */
const measure =
  (value: (at: number) => number) =>
  (at: number): Measurement[] => [
    {
      metric: 'precision',
      provider: 'prometheus',
      takenAt: iso(at),
      dataAt: iso(at),
      source: {},
      outcome: outcomeOf(value(at)),
    },
  ];

const matrix = (series: Array<Array<[number, number]>>): QueryResult => ({
  kind: 'matrix',
  warnings: [],
  series: series.map((points) => ({
    labels: {},
    points: points.map(([t, v]) => ({ timestamp: t / 1000, value: v })),
  })),
});

describe('range results per step', () => {
  it('gives what an instant query would: a value, no data, NaN, several series, an error', () => {
    const at = [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN];
    const out = outcomesAt(
      [
        {
          fromMs: T0,
          toMs: T0 + 3 * MIN,
          result: matrix([
            [
              [T0, 0.95],
              [T0 + 2 * MIN, Number.NaN],
              [T0 + 3 * MIN, 1],
            ],
            [[T0 + 3 * MIN, 2]],
          ]),
        },
      ],
      at,
    );
    assert.deepEqual(out.get(T0), { kind: 'value', value: 0.95 });
    assert.equal(out.get(T0 + MIN)?.kind, 'noData');
    assert.deepEqual(out.get(T0 + 2 * MIN), { kind: 'nonFinite', value: 'NaN' });
    assert.match((out.get(T0 + 3 * MIN) as { message: string }).message, /2 series/);
    const failed = outcomesAt(
      [{ fromMs: T0, toMs: T0, result: { kind: 'error', error: 'bad_data', message: 'parse error' } }],
      [T0],
    );
    assert.deepEqual(failed.get(T0), { kind: 'error', message: 'Prometheus bad_data: parse error' });
  });

  it('takes a learned reference from the wide query’s points inside the lookback', () => {
    const pieces = [
      {
        fromMs: T0,
        toMs: T0 + 10 * MIN,
        result: matrix([Array.from({ length: 11 }, (_, i) => [T0 + i * MIN, i] as [number, number])]),
      },
    ];
    assert.deepEqual(referenceAt(pieces, T0 + 10 * MIN, 3 * MIN), { values: [7, 8, 9, 10] });
    assert.deepEqual(referenceAt([], T0, MIN), { error: 'the reference period has no data' });
  });

  it('cuts long spans into queries of at most 11,000 points on the same grid', () => {
    const span = { fromMs: T0, toMs: T0 + 25_000 * MIN, stepMs: MIN };
    const chunks = chunksOf(span);
    assert.equal(chunks.length, 3);
    assert.equal(chunks[1]?.fromMs, T0 + 11_000 * MIN);
    assert.equal(chunks.at(-1)?.toMs, T0 + 25_000 * MIN);
    assert.equal(stepsOf({ fromMs: T0, toMs: T0 + 9 * MIN, stepMs: 5 * MIN }).length, 2);
  });
});

describe('replay in simulated time', () => {
  const steps = stepsOf({ fromMs: T0, toMs: T0 + 4 * 60 * MIN, stepMs: 5 * MIN });
  const bad = (at: number) => (at >= T0 + 60 * MIN ? 0.8 : 0.95);

  it('retrains once persistence is met, then the cooldown holds it back', async () => {
    const records = await replay(policy('guards: { cooldown: 2h }'), steps, measure(bad));
    const s = summarise(records);
    assert.deepEqual(
      s.wouldAct.map((w) => w.at),
      [iso(T0 + 65 * MIN), iso(T0 + 185 * MIN)],
    );
    const held = s.held.find((h) => h.guard === 'cooldown');
    assert.equal(held?.first, iso(T0 + 75 * MIN));
    // …and again after the second retrain, to the end of the span.
    assert.equal(held?.last, iso(T0 + 240 * MIN));
  });

  it('holds later retrains while a simulated retrain runs (--retrain-takes)', async () => {
    const records = await replay(policy('guards: {}'), steps, measure(bad), { retrainTakesMs: 30 * MIN });
    const s = summarise(records);
    assert.equal(s.wouldAct[0]?.at, iso(T0 + 65 * MIN));
    assert.equal(s.wouldAct[1]?.at, iso(T0 + 95 * MIN));
    assert.ok(s.held.some((h) => h.guard === 'inFlight'));
  });

  it('respects maintenance windows at the simulated time, and the budget', async () => {
    const maint = `guards:
  maintenance: [{ from: ${iso(T0)}, to: ${iso(T0 + 90 * MIN)} }]
  budget: { retrains: 1, per: 7d }`;
    const s = summarise(await replay(policy(maint), steps, measure(bad)));
    assert.deepEqual(
      s.wouldAct.map((w) => w.at),
      [iso(T0 + 90 * MIN)],
    );
    assert.ok(s.held.some((h) => h.guard === 'maintenance' && h.first === iso(T0 + 65 * MIN)));
    assert.ok(s.held.some((h) => h.guard === 'budget'));
  });

  it('reports progress and episodes', async () => {
    const seen: number[] = [];
    const records = await replay(policy('guards: {}'), steps, measure(bad), { onStep: (d) => seen.push(d) });
    assert.equal(seen.at(-1), steps.length);
    const s = summarise(records);
    assert.deepEqual(s.episodes, [
      { trigger: 'decay', from: iso(T0 + 60 * MIN), to: iso(T0 + 240 * MIN), steps: 37 },
    ]);
    assert.equal(s.steps, steps.length);
  });
});

describe('the HTML report', () => {
  it('is one self-contained page with a chart per metric, thresholds and markers', async () => {
    const p = policy('guards: { cooldown: 2h }');
    const steps = stepsOf({ fromMs: T0, toMs: T0 + 120 * MIN, stepMs: 5 * MIN });
    const records = await replay(
      p,
      steps,
      measure((at) => (at >= T0 + 60 * MIN ? 0.8 : 0.95)),
    );
    const result: BacktestResult = {
      policy: 'p <script>',
      policyHash: 'sha256:x',
      from: iso(T0),
      to: iso(T0 + 120 * MIN),
      stepMs: 5 * MIN,
      steps: records,
      limitations: [],
      source: { mode: 'range', prometheusQueries: 1, windowReads: 0, elapsedMs: 1 },
    };
    const html = renderReport(result, summarise(records), p.spec, metricsOfOrigin(p.spec));
    assert.doesNotMatch(html, /<script|<link|src=|href=|url\(/);
    assert.match(html, /&lt;script&gt;/);
    assert.equal(html.match(/<svg class="chart"/g)?.length, 1);
    assert.match(html, /class="threshold" [^>]*><title>min 0.9<\/title>/);
    assert.match(html, new RegExp(`class="marker retrain" data-at="${iso(T0 + 65 * MIN)}"`));
    assert.equal(html.match(/class="marker held"/g)?.length, 1, 'one marker per run of held steps');
  });
});

describe('what a reviewer backtesting a week found', () => {
  const resultOf = (records: BacktestResult['steps'], toMs: number): BacktestResult => ({
    policy: 'p',
    policyHash: 'sha256:x',
    from: iso(T0),
    to: iso(toMs),
    stepMs: MIN,
    steps: records,
    limitations: [],
    source: { mode: 'range', prometheusQueries: 1, windowReads: 0, elapsedMs: 1 },
  });

  it('every would-be action is in the Actions table, runs of held steps collapsed into one row each', async () => {
    // A retrain, then 700 evaluations held by the cooldown, then a second retrain once it ends.
    const p = policy('guards: { cooldown: 12h }');
    const steps = stepsOf({ fromMs: T0, toMs: T0 + 800 * MIN, stepMs: MIN });
    const records = await replay(
      p,
      steps,
      measure(() => 0.5),
    );
    const summary = summarise(records);
    assert.equal(summary.counts.retrain, 2, 'retrained at the start and once the cooldown ended');
    const html = renderReport(resultOf(records, T0 + 800 * MIN), summary, p.spec, metricsOfOrigin(p.spec));
    const rows = html.match(/<tr class="action [^"]*"/g) ?? [];
    assert.equal(rows.filter((r) => / retrain act"/.test(r)).length, 2, 'both retrains listed');
    const held = html.match(/<tr class="action retrain held"[\s\S]*?<\/tr>/g) ?? [];
    assert.equal(held.length, 2, 'one row per run of held steps (between and after the retrains)');
    assert.match(held[0]!, /× \d{3} steps/);
  });

  it('says when each metric had no usable data, and when no step had any', () => {
    const step = (at: number, phase: 'ok' | 'inconclusive') => ({
      at: iso(at),
      outcome: phase === 'ok' ? ('ok' as const) : ('inconclusive' as const),
      summary: '',
      metrics: [{ metric: 'precision', phase, reason: '' }],
      holding: [],
      actions: [],
    });
    const some = summarise([
      step(T0, 'ok'),
      step(T0 + MIN, 'inconclusive'),
      step(T0 + 2 * MIN, 'inconclusive'),
      step(T0 + 3 * MIN, 'ok'),
      step(T0 + 4 * MIN, 'inconclusive'),
    ]);
    assert.deepEqual(some.gaps, [
      { metric: 'precision', from: iso(T0 + MIN), to: iso(T0 + 2 * MIN), steps: 2 },
      { metric: 'precision', from: iso(T0 + 4 * MIN), to: iso(T0 + 4 * MIN), steps: 1 },
    ]);
    assert.equal(some.noUsableData, false);
    assert.equal(summarise([step(T0, 'inconclusive'), step(T0 + MIN, 'inconclusive')]).noUsableData, true);
    assert.equal(summarise([]).noUsableData, false);
  });

  it('ticks the time axis at round times: midnights over a week, round hours over a day', () => {
    const week = timeTicks(Date.parse('2026-01-05T09:35:00Z'), Date.parse('2026-01-12T09:35:00Z'));
    assert.deepEqual(
      week.map(iso),
      ['2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10', '2026-01-11', '2026-01-12'].map(
        (d) => `${d}T00:00:00.000Z`,
      ),
    );
    const day = timeTicks(Date.parse('2026-01-05T09:35:00Z'), Date.parse('2026-01-06T09:35:00Z'));
    assert.ok(day.length >= 4 && day.length <= 8);
    for (const t of day) assert.equal(t % (3 * 3_600_000), 0, `${iso(t)} is a multiple of 3 h`);
    const chart = renderChart({
      metric: 'x',
      points: [
        { t: T0 + 95 * MIN, value: 1 },
        { t: T0 + 7 * 24 * 60 * MIN + 95 * MIN, value: 2 },
      ],
      thresholds: [],
      markers: [],
    });
    const labels = [...chart.matchAll(/<text class="tick time"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(labels, [
      '2026-01-06',
      '2026-01-07',
      '2026-01-08',
      '2026-01-09',
      '2026-01-10',
      '2026-01-11',
      '2026-01-12',
    ]);
  });

  it('draws held-back markers after the actions, as stubs from the top, so one beside a retrain shows', () => {
    const chart = renderChart({
      metric: 'x',
      points: [
        { t: T0, value: 1 },
        { t: T0 + 60 * MIN, value: 2 },
      ],
      thresholds: [],
      markers: [
        { t: T0 + 10 * MIN, kind: 'held', label: 'held' },
        { t: T0 + 10 * MIN, kind: 'retrain', label: 'retrain' },
      ],
    });
    const retrain = chart.indexOf('class="marker retrain"');
    const held = chart.indexOf('class="marker held"');
    assert.ok(retrain >= 0 && held > retrain, 'the held marker is drawn on top');
    const y = (cls: string) => {
      const m = new RegExp(`class="marker ${cls}"[^>]* y1="([\\d.]+)" y2="([\\d.]+)"`).exec(chart)!;
      return Number(m[2]) - Number(m[1]);
    };
    assert.ok(y('held') < y('retrain') / 4, 'a stub, not the full height');
  });

  it('the legend lists only the kinds of marker the charts show; a require on a metric is a line on its chart', async () => {
    const p = loadPolicyOrThrow(
      `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: p }
model: { name: m }
evaluate: { every: 5m }
metrics:
  precision:
    prometheus: { query: 'avg(precision)' }
    objective: { min: 0.9 }
  labels_seen:
    prometheus: { query: 'sum(labels)' }
triggers:
  decay: { when: precision.breached, for: 2, action: alert, require: labels_seen.value >= 500 }
`,
      'p.yaml',
    );
    const steps = stepsOf({ fromMs: T0, toMs: T0 + 60 * MIN, stepMs: 5 * MIN });
    const records = await replay(p, steps, (at) => [
      ...measure(() => 0.5)(at),
      { ...measure(() => 800)(at)[0]!, metric: 'labels_seen' },
    ]);
    const result: BacktestResult = {
      policy: 'p',
      policyHash: 'sha256:x',
      from: iso(T0),
      to: iso(T0 + 60 * MIN),
      stepMs: 5 * MIN,
      steps: records,
      limitations: [],
      source: { mode: 'range', prometheusQueries: 1, windowReads: 0, elapsedMs: 1 },
    };
    const html = renderReport(result, summarise(records), p.spec, metricsOfOrigin(p.spec));
    const legend = /<div class="legend">([\s\S]*?)<\/div>/.exec(html)![1]!;
    assert.match(legend, /would alert/);
    assert.doesNotMatch(legend, /would retrain|would rollback|held back/);
    const labelsChart = /<svg class="chart" data-metric="labels_seen"[\s\S]*?<\/svg>/.exec(html)![0];
    assert.match(labelsChart, /class="threshold" [^>]*><title>decay requires &gt;= 500<\/title>/);
    assert.deepEqual(requiredValue('500 <= labels_seen.value', 'labels_seen'), { op: '>=', value: 500 });
    assert.equal(requiredValue('labels_seen.value >= 500 && precision.ok', 'labels_seen'), undefined);
    assert.equal(requiredValue('labels_seen_total.value >= 5', 'labels_seen'), undefined);
  });
});
