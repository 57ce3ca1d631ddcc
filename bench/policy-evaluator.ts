// Evaluator throughput: decisions per second for a 20-metric policy.
//
//   node --import tsx bench/policy-evaluator.ts [evaluations]
//
// The policy mixes the providers and objectives a real one uses (min/max,
// change vs baseline, learned band, drift, alert, minSamples/maxAge) and 10
// triggers with persistence, requirements and guards. Measurements vary
// between healthy, breaching and missing so every path runs; the state is
// carried from one evaluation to the next as the controller carries it.

import { evaluate } from '../policies/evaluate.ts';
import { retrainFinished } from '../policies/lifecycle.ts';
import { loadPolicyOrThrow } from '../policies/loader.ts';
import type { Measurement, Outcome } from '../policies/measurement.ts';
import { providerOf } from '../policies/schema/metrics.ts';
import { initialState, type PolicyState } from '../policies/state.ts';

const N = Number(process.argv[2] ?? 50_000);

const metrics: string[] = [];
for (let i = 0; i < 8; i++)
  metrics.push(
    `  perf_${i}: { prometheus: { query: 'avg(perf_${i}{model="{{ model.name }}"})', samples: 'sum(perf_${i}_rows)' }, objective: { min: 0.8 }, minSamples: 100, maxAge: 1h }`,
  );
for (let i = 0; i < 4; i++)
  metrics.push(
    `  kpi_${i}: { prometheus: { query: 'sum(rate(kpi_${i}[1h]))' }, objective: { change: { baseline: { offset: 7d }, maxRelativeDrop: 0.05 } } }`,
  );
for (let i = 0; i < 3; i++)
  metrics.push(
    `  band_${i}: { prometheus: { query: 'avg(band_${i})' }, objective: { learned: { k: 3, reference: { lookback: 14d } } } }`,
  );
for (let i = 0; i < 3; i++)
  metrics.push(
    `  drift_${i}: { drift: { feature: f${i}, reference: { uri: 's3://r' }, current: { uri: 's3://c' } } }`,
  );
metrics.push(`  vendor_alert: { alert: { source: alertmanager, match: { alertname: ModelDrift } } }`);
metrics.push(`  labels: { prometheus: { query: 'sum(labels_total)' } }`);

const triggers = [
  `  perf-drop: { when: "perf_0.breached || perf_1.breached || perf_2.breached", for: 3, require: "labels.value >= 500", action: retrain }`,
  `  perf-window: { when: "perf_3.breached && perf_4.breached", for: { atLeast: 3, of: 5 }, action: retrain }`,
  `  perf-any: { when: "[perf_5, perf_6, perf_7].exists(m, m.breached)", for: 2, action: alert }`,
  `  kpi: { when: "kpi_0.breached || kpi_1.breached", for: 4, action: retrain }`,
  `  kpi-warn: { when: "kpi_2.breached || kpi_3.breached", action: alert, repeatEvery: 1h }`,
  `  band: { when: "band_0.breached && !drift_0.drifted", for: 6, action: retrain, onInconclusive: reset }`,
  `  band-alert: { when: "band_1.breached || band_2.breached", for: 2, action: alert }`,
  `  drift: { when: "drift_0.drifted || drift_1.drifted || drift_2.drifted", action: alert }`,
  `  vendor: { when: vendor_alert.firing, for: 2, action: alert }`,
  `  guarded: { when: "perf_0.value < 0.7 && labels.value > 100", action: retrain, dryRun: true }`,
];

const policy = loadPolicyOrThrow(
  `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: bench }
model: { name: bench-model }
metrics:
${metrics.join('\n')}
triggers:
${triggers.join('\n')}
guards: { cooldown: 6h, budget: { retrains: 3, per: 7d }, maintenance: [ { weekly: { days: [sun], start: '02:00', end: '04:00', timezone: Europe/Paris } } ] }
training: { experiment: bench, launcher: { command: { run: [train] } } }
notify: { oncall: { webhook: { url: 'https://hooks.example.com' } } }
`,
  'bench.yaml',
);
if (Object.keys(policy.spec.metrics).length !== 20) throw new Error('expected 20 metrics');

// A deterministic pseudo-random stream (mulberry32), so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const reference = Array.from({ length: 56 }, () => 0.5 + rand() * 0.1);

function measurementsAt(ms: number): Measurement[] {
  const at = new Date(ms).toISOString();
  return Object.entries(policy.spec.metrics).map(([name, spec]) => {
    const r = rand();
    const provider = providerOf(spec);
    let outcome: Outcome;
    if (r < 0.05) outcome = { kind: 'error', message: 'timeout' };
    else if (r < 0.1) outcome = { kind: 'noData', reason: 'empty result' };
    else if (provider === 'drift') outcome = { kind: 'value', value: rand() * 0.2, test: 'ks' };
    else if (provider === 'alert') outcome = { kind: 'value', value: rand() < 0.2 ? 1 : 0 };
    else outcome = { kind: 'value', value: 0.55 + rand() * 0.4, samples: Math.floor(rand() * 2000) };
    return {
      metric: name,
      provider,
      source: { query: spec.prometheus?.query ?? name },
      takenAt: at,
      outcome,
      ...(spec.objective?.change ? { baseline: { source: {}, outcome: { kind: 'value', value: 0.8 } } } : {}),
      ...(spec.objective?.learned ? { reference: { values: reference } } : {}),
    } satisfies Measurement;
  });
}

// Measurements are generated before timing: the benchmark measures the evaluator, not the generator.
const t0 = Date.parse('2025-06-02T00:00:00Z');
const inputs = Array.from({ length: N }, (_, i) => measurementsAt(t0 + i * 300_000));

function runAll(): { ms: number; actions: number; perDecision: number[] } {
  let state: PolicyState = initialState();
  let actions = 0;
  const perDecision: number[] = [];
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const now = t0 + i * 300_000;
    const s = performance.now();
    const { decision, nextState } = evaluate(policy, state, inputs[i] as Measurement[], now);
    perDecision.push(performance.now() - s);
    actions += decision.actions.length;
    state = nextState.inFlight
      ? retrainFinished(nextState, { at: decision.at, outcome: 'failed' })
      : nextState;
  }
  return { ms: performance.now() - start, actions, perDecision };
}

runAll(); // warm-up (JIT, CEL plan cache)
const { ms, actions, perDecision } = runAll();
perDecision.sort((a, b) => a - b);
const q = (p: number) => (perDecision[Math.floor(p * (perDecision.length - 1))] as number) * 1000;
console.log(`evaluator: 20 metrics, 10 triggers, ${N} evaluations (after a warm-up run of the same size)`);
console.log(`  decisions/s      ${Math.round(N / (ms / 1000))}`);
console.log(`  per decision     p50 ${q(0.5).toFixed(1)} µs, p99 ${q(0.99).toFixed(1)} µs`);
console.log(`  actions emitted  ${actions}`);
console.log(`  node ${process.version}, ${process.arch}`);
