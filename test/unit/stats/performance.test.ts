// Realised metrics, isotonic calibration, McNemar and quantiles against
// scikit-learn / statsmodels / NumPy (performance.json), and CBPE against
// the mathematics: with calibrated probabilities its expected counts equal
// the realised ones on average, and hand-checked small cases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pairedBootstrap } from '../../../stats/bootstrap.ts';
import { estimateBinary, estimateCbpe, fitCbpe } from '../../../stats/cbpe.ts';
import { fitIsotonic, predictIsotonic } from '../../../stats/isotonic.ts';
import { mcnemar, mcnemarPaired } from '../../../stats/mcnemar.ts';
import { binaryMetrics, multiclassMetrics, rocAuc } from '../../../stats/metrics.ts';
import { agreementRate, latencyQuantiles } from '../../../stats/paired.ts';
import { uniforms } from '../../../stats/random.ts';
import { chunkBounds, stdBand } from '../../../stats/thresholds.ts';
import { relDiff, sample } from './parity-data.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON fixture
const fx: any = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/performance.json', import.meta.url), 'utf8'),
);

/** Twin of classification_data in generate_parity.py. */
function classificationData(seed: number, n: number, k: number, quantum?: number | null) {
  const u = uniforms(seed, n * (k + 1));
  const probs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const raw = Array.from({ length: k }, (_, j) => u[i * (k + 1) + j]! + 0.05);
    let total = 0;
    for (const r of raw) total += r;
    let p = raw.map((r) => r / total);
    if (quantum) p = p.map((v) => Math.floor(v * quantum) / quantum);
    let acc = 0;
    let label = 0;
    for (let j = 0; j < k - 1; j++) {
      acc += p[j]!;
      if (u[i * (k + 1) + k]! >= acc) label++;
    }
    probs.push(p);
    labels.push(label);
  }
  return { probs, labels };
}

const near = (got: number, want: number, what: string, tol = 1e-12) =>
  assert.ok(relDiff(got, want) <= tol, `${what}: ${got} vs ${want}`);

describe('realised metrics and isotonic calibration match scikit-learn', () => {
  for (const c of fx.binary) {
    it(`binary n=${c.n}${c.quantum ? ' (tied scores)' : ''}`, () => {
      const { probs, labels } = classificationData(c.seed, c.n, 2, c.quantum);
      const score = probs.map((p) => p[1]!);
      const m = binaryMetrics(
        labels,
        score.map((s) => (s >= 0.5 ? 1 : 0)),
        score,
      );
      for (const k of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const) near(m[k], c[k], k);
      const iso = fitIsotonic(score, labels);
      const got = predictIsotonic(iso, c.isotonic_grid);
      for (let i = 0; i < got.length; i++)
        near(got[i]!, c.isotonic_pred[i], `isotonic at ${c.isotonic_grid[i]}`, 1e-9);
    });
  }
  for (const c of fx.multiclass) {
    it(`multiclass k=${c.k} n=${c.n} (macro)`, () => {
      const { probs, labels } = classificationData(c.seed, c.n, c.k);
      const pred = probs.map((p) => p.indexOf(Math.max(...p)));
      const classes = Array.from({ length: c.k }, (_, j) => j);
      const m = multiclassMetrics(labels, pred, probs, classes);
      for (const k of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const) near(m[k], c[k], k);
    });
  }
});

describe('McNemar and latency quantiles match statsmodels / NumPy', () => {
  for (const c of fx.mcnemar) {
    it(`b=${c.b} c=${c.c}`, () => {
      const r = mcnemar(c.b, c.c);
      near(r.pValue, c.pvalue, 'exact p', 1e-9);
      near(r.midP, c.midp, 'mid-p', 1e-9);
    });
  }
  it('quantiles', () => {
    const q = fx.quantiles[0];
    const got = latencyQuantiles(sample(q.spec), q.q);
    for (let i = 0; i < got.length; i++) near(got[i]!, q.values[i], `q${q.q[i]}`);
  });
  it('paired correctness vectors reduce to discordant counts', () => {
    const r = mcnemarPaired([true, true, false, true, false], [false, true, true, false, false]);
    assert.deepEqual([r.b, r.c], [2, 1]);
  });
});

describe('CBPE', () => {
  it('hand-checked binary expected counts', () => {
    // p = [0.9, 0.6, 0.2], predictions [1, 1, 0]: TP 1.5, FP 0.5, FN 0.2, TN 0.8.
    const e = estimateBinary([0.9, 0.6, 0.2], [1, 1, 0]);
    near(e.accuracy, 2.3 / 3, 'accuracy');
    near(e.precision, 1.5 / 2, 'precision');
    near(e.recall, 1.5 / 1.7, 'recall');
    near(e.f1, 3 / 3.7, 'f1');
  });
  it('with calibrated scores the estimate tracks the realised metrics (n = 20,000)', () => {
    const ref = classificationData(431, 20000, 2);
    const cur = classificationData(432, 20000, 2);
    const model = fitCbpe(
      ref.labels,
      ref.probs.map((p) => p[1]!),
    );
    const score = cur.probs.map((p) => p[1]!);
    const est = estimateCbpe(model, score);
    const real = binaryMetrics(
      cur.labels,
      score.map((s) => (s >= 0.5 ? 1 : 0)),
      score,
    );
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const) {
      assert.ok(Math.abs(est[k] - real[k]) < 0.02, `${k}: estimated ${est[k]} vs realised ${real[k]}`);
    }
  });
  it('multiclass estimate tracks the realised accuracy and macro F1', () => {
    const ref = classificationData(441, 15000, 3);
    const cur = classificationData(442, 15000, 3);
    const model = fitCbpe(ref.labels, ref.probs, { classes: [0, 1, 2] });
    const est = estimateCbpe(model, cur.probs);
    const pred = cur.probs.map((p) => p.indexOf(Math.max(...p)));
    const real = multiclassMetrics(cur.labels, pred, cur.probs, [0, 1, 2]);
    assert.ok(Math.abs(est.accuracy - real.accuracy) < 0.02, `${est.accuracy} vs ${real.accuracy}`);
    assert.ok(Math.abs(est.f1 - real.f1) < 0.03, `${est.f1} vs ${real.f1}`);
  });
  it('isotonic calibration is monotone and within [0, 1] (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
          maxLength: 80,
        }),
        (rows) => {
          const m = fitIsotonic(
            rows.map((r) => r[0]),
            rows.map((r) => r[1]),
          );
          const grid = Array.from({ length: 21 }, (_, i) => i / 20);
          const p = predictIsotonic(m, grid);
          for (let i = 1; i < p.length; i++) assert.ok(p[i]! >= p[i - 1]! - 1e-15);
          for (const v of p) assert.ok(v >= 0 && v <= 1);
        },
      ),
    );
  });
  it('thresholds from reference chunks: mean ± 3σ', () => {
    const { probs, labels } = classificationData(451, 5000, 2);
    const acc = chunkBounds(5000, 500).map(([s, e]) => {
      const sl = labels.slice(s, e);
      return binaryMetrics(
        sl,
        probs.slice(s, e).map((p) => (p[1]! >= 0.5 ? 1 : 0)),
      ).accuracy;
    });
    const band = stdBand(acc, 3);
    assert.equal(band.chunks, 10);
    assert.ok(band.lower < band.mean && band.mean < band.upper);
    for (const a of acc) assert.ok(a >= band.lower && a <= band.upper);
  });
});

describe('paired bootstrap and agreement', () => {
  it('is reproducible from the seed and brackets the estimate', () => {
    const { probs, labels } = classificationData(461, 800, 2);
    const champ = probs.map((p) => (p[1]! >= 0.5 ? 1 : 0));
    const chall = probs.map((p) => (p[1]! >= 0.45 ? 1 : 0));
    const acc = (pred: number[]) => (rows: number[]) =>
      rows.reduce((s, i) => s + (pred[i] === labels[i] ? 1 : 0), 0) / rows.length;
    const a = pairedBootstrap(800, acc(chall), acc(champ), { seed: 3, resamples: 500 });
    const b = pairedBootstrap(800, acc(chall), acc(champ), { seed: 3, resamples: 500 });
    assert.deepEqual(a, b);
    assert.ok(a.lower <= a.estimate && a.estimate <= a.upper);
    assert.ok(agreementRate(champ, chall) > 0.8);
  });
  it('ROC AUC is NaN (not a verdict) when a class is missing', () => {
    assert.ok(Number.isNaN(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])));
  });
});
