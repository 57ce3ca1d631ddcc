// Each stage of the diagnosis on small hand-built tables: it fires where it
// must, stays quiet where it must not, and turns degenerate input (no label
// column, no labels, one class, an empty window, a constant feature, an
// unseen category) into an inconclusive verdict or a named finding — never a
// NaN, never a throw. Plus the thresholds' checks and the cause rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Column, Table } from '../../../stats/columns.ts';
import { businessStage } from '../../../stats/diagnosis/business.ts';
import { chooseCause } from '../../../stats/diagnosis/cause.ts';
import { conceptStage } from '../../../stats/diagnosis/concept.ts';
import { covariateStage } from '../../../stats/diagnosis/covariate.ts';
import { DEFAULT_THRESHOLDS, resolveThresholds } from '../../../stats/diagnosis/defaults.ts';
import { diagnose } from '../../../stats/diagnosis/diagnose.ts';
import { driftEffect, featureDrifts } from '../../../stats/diagnosis/feature-drift.ts';
import {
  explainByLabelShift,
  type LabelShiftExplanation,
  labelShiftStage,
} from '../../../stats/diagnosis/label-shift.ts';
import { qualityStage } from '../../../stats/diagnosis/quality-stage.ts';
import type { DiagnosisRoles, StageResult } from '../../../stats/diagnosis/types.ts';
import { validityStage } from '../../../stats/diagnosis/validity.ts';
import { StatsConfigError } from '../../../stats/errors.ts';
import { binaryMetrics } from '../../../stats/metrics.ts';
import { Rng } from '../../../stats/random.ts';
import { wassersteinNormed } from '../../../stats/wasserstein.ts';
import { scenario } from '../../support/diagnosis-scenarios.ts';

const num = (values: ArrayLike<number>): Column => ({ kind: 'numeric', values: Float64Array.from(values) });
const cat = (values: readonly (string | null)[]): Column => ({ kind: 'categorical', values });
const fill = (n: number, f: (i: number) => number) => num(Array.from({ length: n }, (_, i) => f(i)));
const ROLES: DiagnosisRoles = { features: ['x', 'c'], score: 's', label: 'y', segment: 'g' };

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
}

/**
 * n rows: x ~ N(shift, 1), c in {a, b}, score s = σ(1.5x), label y ~ Bernoulli(truth(s)),
 * labelled with probability `labelled`; segment g in {p, q}.
 */
function world(
  seed: number,
  n: number,
  o: { shift?: number; labelled?: number; truth?: (s: number, g: string) => number } = {},
): Table {
  const rng = new Rng(seed);
  const x: number[] = [];
  const c: string[] = [];
  const s: number[] = [];
  const y: number[] = [];
  const g: string[] = [];
  for (let i = 0; i < n; i++) {
    const xi = (o.shift ?? 0) + gauss(rng);
    const si = 1 / (1 + Math.exp(-1.5 * xi));
    const gi = rng.nextDouble() < 0.5 ? 'p' : 'q';
    const yi = rng.nextDouble() < (o.truth ? o.truth(si, gi) : si) ? 1 : 0;
    x.push(xi);
    c.push(rng.nextDouble() < 0.6 ? 'a' : 'b');
    s.push(si);
    g.push(gi);
    y.push(rng.nextDouble() < (o.labelled ?? 1) ? yi : Number.NaN);
  }
  return { x: num(x), c: cat(c), s: num(s), y: num(y), g: cat(g) };
}

/** Evidence must survive JSON unchanged: no NaN, no ±∞, no typed arrays. */
function assertJsonSafe(r: StageResult): void {
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  assert.equal(typeof r.summary, 'string');
  assert.ok(!r.summary.includes('\n') && r.summary.length > 0);
}

describe('validity', () => {
  const ref = world(1, 400);
  it('passes with enough labels, a large enough share and a labelled reference', () => {
    const r = validityStage(ref, world(2, 400, { labelled: 0.8 }), ROLES);
    assert.equal(r.verdict, 'pass', r.summary);
    assert.match(r.summary, /^3\d\d of 400 current rows labelled \(\d\d\.\d %\), reference 400 labelled$/);
    assertJsonSafe(r);
  });
  it('fails on too few labelled rows, and on too small a share, saying which', () => {
    const few = validityStage(ref, world(2, 150, { labelled: 1 }), ROLES);
    assert.equal(few.verdict, 'fail');
    assert.equal(few.summary, 'only 150 of 150 current rows labelled (need 200)');
    assert.deepEqual(few.features, ['y']);
    const share = validityStage(ref, world(3, 4000, { labelled: 0.06 }), ROLES);
    assert.equal(share.verdict, 'fail');
    assert.match(share.summary, /^only [56]\.\d % of current rows labelled \(need 10\.0 %\)$/);
  });
  it('fails when the reference itself has too few labels', () => {
    const r = validityStage(world(1, 400, { labelled: 0.3 }), world(2, 400), ROLES);
    assert.equal(r.verdict, 'fail');
    assert.match(r.summary, /^the reference has only 1\d\d labelled rows \(need 200\)$/);
  });
  it('checks the median label lag over labelled rows, only when a limit is given', () => {
    // Half the labels 2 h late, half 25 h, one of those 30 years: the median is 13.5 h either way.
    const lag = Array.from({ length: 300 }, (_, i) => (i === 0 ? 1e9 : i % 2 ? 7200 : 90000));
    const cur = { ...world(2, 300), lag: num(lag) };
    const roles = { ...ROLES, labelLag: 'lag' };
    assert.equal(validityStage(ref, cur, roles).verdict, 'pass');
    const late = validityStage(ref, cur, roles, { ...DEFAULT_THRESHOLDS.validity, maxLabelLagSeconds: 3600 });
    assert.equal(late.verdict, 'fail');
    assert.equal(late.summary, 'median label lag 13.5 h (limit 60 min)');
    assert.deepEqual(late.features, ['lag']);
    const fresh = validityStage(ref, cur, roles, {
      ...DEFAULT_THRESHOLDS.validity,
      maxLabelLagSeconds: 86400,
    });
    assert.equal(fresh.verdict, 'pass');
  });
  it('a lag limit without lag values is inconclusive', () => {
    const r = validityStage(
      ref,
      world(2, 300),
      { ...ROLES, labelLag: 'lag' },
      {
        ...DEFAULT_THRESHOLDS.validity,
        maxLabelLagSeconds: 60,
      },
    );
    assert.equal(r.verdict, 'inconclusive');
    assert.match(r.summary, /no label lag in 'lag'/);
  });
  it('no label column is inconclusive; all labels missing and an empty window fail', () => {
    const { y: _y, ...unlabelled } = world(2, 300);
    const none = validityStage(ref, unlabelled, ROLES);
    assert.equal(none.verdict, 'inconclusive');
    assert.match(none.summary, /no label column 'y' in the current window/);
    const missing = validityStage(ref, world(2, 300, { labelled: 0 }), ROLES);
    assert.equal(missing.verdict, 'fail');
    assert.equal(missing.evidence.labelled, 0);
    const empty = validityStage(ref, { x: num([]), s: num([]), y: num([]) }, ROLES);
    assert.equal(empty.verdict, 'fail');
    assert.equal(empty.evidence.share, 0);
    assertJsonSafe(empty);
  });
  it('reads categorical labels and counts the ones that are not classes', () => {
    const labels = Array.from({ length: 250 }, (_, i) => (i < 5 ? 'maybe' : i % 2 ? 'true' : '0'));
    const r = validityStage(ref, { y: cat(labels) }, ROLES);
    assert.equal(r.evidence.labelled, 245);
    assert.equal(r.evidence.invalidLabels, 5);
  });
});

describe('quality', () => {
  const ref = world(1, 500);
  it('passes on a clean window and does not check the label or the segment', () => {
    const cur = world(2, 500, { labelled: 0.2 });
    const r = qualityStage(ref, cur, ROLES);
    assert.equal(r.verdict, 'pass', r.summary);
    assert.equal(r.summary, 'no quality problem in 3 columns');
    assert.deepEqual(r.evidence.columns, ['x', 'c', 's']);
  });
  it('names the missing column with its rate and the reference rate', () => {
    const cur = world(2, 1000);
    const x = cur.x!.values as Float64Array;
    for (let i = 0; i < 450; i++) x[i] = Number.NaN;
    const r = qualityStage(ref, cur, ROLES);
    assert.equal(r.verdict, 'fail');
    assert.equal(r.summary, 'x 45.0 % missing (reference 0.0 %)');
    assert.deepEqual(r.features, ['x']);
    assertJsonSafe(r);
  });
  it('ranks findings by how far past their limit they are', () => {
    const cur = world(2, 1000);
    const x = cur.x!.values as Float64Array;
    for (let i = 0; i < 80; i++) x[i] = Number.NaN; // 8 %: 3 points over 5 %
    const c = cur.c!.values as (string | null)[];
    for (let i = 0; i < 300; i++) c[i] = 'z'; // 30 % unseen: 29 points over 1 %
    const r = qualityStage(ref, cur, ROLES);
    assert.deepEqual(r.features, ['c', 'x']);
    assert.match(
      r.summary,
      /^c 30\.0 % of values in categories the reference never saw \(z\); 1 more finding$/,
    );
  });
  it('an unseen category below the limit passes; a constant feature fails', () => {
    const cur = world(2, 1000);
    (cur.c!.values as (string | null)[])[0] = 'z';
    assert.equal(qualityStage(ref, cur, ROLES).verdict, 'pass');
    const constant = { ...cur, x: fill(1000, () => 0.5) };
    const r = qualityStage(ref, constant, ROLES);
    assert.equal(r.verdict, 'fail');
    assert.equal(r.summary, 'x holds a single value in the current window');
  });
  it('type violations and a missing column are schema findings', () => {
    const cur = world(2, 500);
    const v = qualityStage(ref, cur, ROLES, undefined, { x: 12, y: 40 });
    assert.equal(v.verdict, 'fail');
    assert.equal(v.summary, "12 value(s) of 'x' did not fit its type");
    assert.deepEqual(v.features, ['x']);
    const { x: _x, ...noX } = cur;
    const gone = qualityStage(ref, noX, ROLES);
    assert.equal(gone.verdict, 'fail');
    assert.equal(gone.features[0], 'x');
    assert.match(gone.summary, /Column 'x' is missing from the current window/);
  });
});

describe('covariate', () => {
  const ref = world(1, 1500);
  it('flags shifted features, largest effect first, and blames only those', () => {
    const cur = world(2, 1200, { shift: 0.6 });
    const c = cur.c!.values as (string | null)[];
    for (let i = 0; i < 400; i++) c[i] = 'b';
    const r = covariateStage(ref, cur, ROLES, { score: false, multivariate: false });
    assert.equal(r.verdict, 'fail');
    assert.deepEqual(r.features, ['x', 'c']);
    const [x, cc] = r.evidence.drift;
    assert.ok(x!.effect > cc!.effect && cc!.effect > 0.1);
    // The numeric effect is the normed Wasserstein distance (reference std > 0).
    assert.ok(
      Math.abs(x!.effect - wassersteinNormed(ref.x!.values as Float64Array, cur.x!.values as Float64Array)) <
        1e-12,
    );
    assertJsonSafe(r);
  });
  it('stays quiet on a window from the same world', () => {
    const r = covariateStage(ref, world(2, 1200), ROLES);
    assert.equal(r.verdict, 'pass', r.summary);
    assert.deepEqual(r.features, []);
    assert.ok(r.evidence.drift.every((d) => d.effect < 0.1));
  });
  it('a drifted score alone fails the stage, blaming no feature', () => {
    const cur = world(2, 1200);
    const s = cur.s!.values as Float64Array;
    for (let i = 0; i < s.length; i++) s[i] = Math.min(1, s[i]! * 0.5 + 0.45);
    const r = covariateStage(ref, cur, ROLES);
    assert.equal(r.verdict, 'fail');
    assert.deepEqual(r.features, []);
    assert.match(r.summary, /^score s drifted: wasserstein [\d.]+ \(threshold 0\.1\), effect [\d.]+$/);
  });
  it('a constant feature: effect 0 when unchanged, the raw shift when it moves (std 0 → divisor 1)', () => {
    const a = fill(1200, () => 3);
    assert.equal(
      driftEffect(
        a,
        fill(800, () => 3),
      ),
      0,
    );
    assert.equal(
      driftEffect(
        a,
        fill(800, () => 3.25),
      ),
      0.25,
    );
    const r = featureDrifts({ k: a }, { k: fill(800, () => 3) }, ['k']);
    assert.equal(r.drift[0]!.drifted, false);
  });
  it('an unseen category is drift with a positive Jensen–Shannon effect', () => {
    const cur = world(2, 1200);
    const c = cur.c!.values as (string | null)[];
    for (let i = 0; i < 300; i++) c[i] = 'new';
    const d = featureDrifts(ref, cur, ['c']).drift[0]!;
    assert.equal(d.test, 'jensenshannon');
    assert.ok(d.drifted && d.effect > 0.2, `${d.effect}`);
  });
  it('an empty current window or no features is inconclusive', () => {
    const empty = covariateStage(ref, { x: num([]), c: cat([]), s: num([]) }, ROLES);
    assert.equal(empty.verdict, 'inconclusive');
    assert.match(empty.summary, /no feature could be judged \(The current window of 'x' has no rows\.\)/);
    assertJsonSafe(empty);
    assert.equal(
      covariateStage(ref, ref, { ...ROLES, features: [] }, { score: false, multivariate: false }).verdict,
      'inconclusive',
    );
  });
  it('the joint MMD sees a correlation flip that the marginals do not', () => {
    const pair = (seed: number, n: number, sign: number): Table => {
      const rng = new Rng(seed);
      const u: number[] = [];
      const v: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = gauss(rng);
        u.push(a);
        v.push(sign * 0.9 * a + Math.sqrt(1 - 0.81) * gauss(rng));
      }
      return { u: num(u), v: num(v) };
    };
    const roles = { features: ['u', 'v'], score: 's', label: 'y' };
    const a = pair(1, 1500, 1);
    const b = pair(2, 1200, -1);
    const marginal = covariateStage(a, b, roles, { score: false, multivariate: false });
    assert.equal(marginal.verdict, 'pass', marginal.summary);
    const joint = covariateStage(a, b, roles, { score: false, multivariate: true }, { seed: 5 });
    assert.equal(joint.verdict, 'fail', joint.summary);
    assert.match(joint.summary, /^features jointly \(MMD p = 0\.0099\)$/);
    const same = covariateStage(
      a,
      pair(3, 1200, 1),
      roles,
      { score: false, multivariate: true },
      { seed: 5 },
    );
    assert.equal(same.verdict, 'pass', same.summary);
  });
});

describe('label shift', () => {
  const labels = (k: number, n: number, missing = 0) =>
    num(Array.from({ length: n + missing }, (_, i) => (i >= n ? Number.NaN : i < k ? 1 : 0)));
  it('fails when the positive rate moved, with the class weights q/p', () => {
    const r = labelShiftStage({ y: labels(300, 1000) }, { y: labels(450, 1000, 500) }, ROLES);
    assert.equal(r.verdict, 'fail');
    assert.equal(r.summary, 'positive rate 45.0 % vs reference 30.0 % (z = 6.93, p < 0.001, 1000 labelled)');
    assert.deepEqual(r.evidence.weights, { 0: 0.55 / 0.7, 1: 1.5 });
    assertJsonSafe(r);
  });
  it('passes when it did not', () => {
    const r = labelShiftStage({ y: labels(300, 1000) }, { y: labels(155, 500) }, ROLES);
    assert.equal(r.verdict, 'pass');
    assert.ok(r.evidence.pValue! > 0.5);
  });
  it('fewer than 30 labelled rows, or no label column, is inconclusive', () => {
    const few = labelShiftStage({ y: labels(300, 1000) }, { y: labels(20, 29, 2000) }, ROLES);
    assert.equal(few.verdict, 'inconclusive');
    assert.equal(
      few.summary,
      'too few labels to compare the class mix (29 current, 1000 reference; need 30 each)',
    );
    assert.equal(labelShiftStage({ y: labels(300, 1000) }, {}, ROLES).verdict, 'inconclusive');
    assertJsonSafe(few);
  });
  it('a shift generated by class (P(x|y) fixed) explains the drift; a covariate shift does not', () => {
    const small = { referenceRows: 2500, currentRows: 2000 };
    for (const [name, explained] of [
      ['label-shift', true],
      ['covariate-drift', false],
    ] as const) {
      const s = scenario(name, small);
      const list = featureDrifts(s.reference, s.current, s.roles.features);
      assert.ok(
        list.drift.some((d) => d.drifted),
        name,
      );
      const e = explainByLabelShift(s.reference, s.current, s.roles, list, { seed: 1 })!;
      assert.equal(e.explained, explained, `${name}: ${e.summary}`);
      assert.equal(e.hadDrift, true);
      if (!explained) assert.ok(e.stillDrifted.includes('age'));
    }
  });
  it('cannot explain without labels', () => {
    const s = scenario('label-shift', { referenceRows: 500, currentRows: 300 });
    const list = featureDrifts(s.reference, s.current, s.roles.features);
    const { churned: _c, ...unlabelled } = s.current;
    assert.equal(explainByLabelShift(s.reference, unlabelled, s.roles, list), null);
  });
});

describe('concept', () => {
  const ref = world(1, 3000);
  it('passes when the labels still follow the calibrated scores (even under covariate shift)', () => {
    const r = conceptStage(ref, world(2, 2000, { shift: 0.7 }), ROLES);
    assert.equal(r.verdict, 'pass', r.summary);
    const p = r.evidence.performance;
    assert.ok(p.lower! <= p.realized! && p.realized! <= p.upper!, r.summary);
    assertJsonSafe(r);
  });
  it('fails when P(y|x) changed in one segment, and finds the segment', () => {
    const cur = world(2, 2000, { truth: (s, g) => (g === 'q' ? 1 - s : s) });
    const r = conceptStage(ref, cur, ROLES);
    assert.equal(r.verdict, 'fail', r.summary);
    assert.deepEqual(r.features, ['g']);
    assert.equal(r.evidence.worstSegment?.value, 'q');
    assert.ok(r.evidence.z! < -r.evidence.criticalZ);
    assert.ok(r.evidence.gap! >= 0.02);
    assert.ok(r.evidence.worstSegment!.gap > r.evidence.gap!);
  });
  it('a significant but small gap is not concept drift (minGap)', () => {
    const cur = world(2, 2000, { truth: (s, g) => (g === 'q' ? 1 - s : s) });
    const r = conceptStage(ref, cur, ROLES, { ...DEFAULT_THRESHOLDS.concept, minGap: 0.5 });
    assert.equal(r.verdict, 'pass');
  });
  it('another metric: realized from the labels, estimated by CBPE, no interval', () => {
    const cur = world(2, 2000);
    const r = conceptStage(ref, cur, ROLES, { ...DEFAULT_THRESHOLDS.concept, metric: 'precision' });
    const y = cur.y!.values as Float64Array;
    const s = cur.s!.values as Float64Array;
    const m = binaryMetrics(
      y,
      Array.from(s, (v) => (v >= 0.5 ? 1 : 0)),
      s,
    );
    assert.equal(r.evidence.performance.realized, m.precision);
    assert.equal(r.evidence.performance.lower, null);
    assert.ok(Math.abs(r.evidence.performance.estimated! - m.precision) < 0.03);
  });
  it('corrects the calibration for a label shift when told the class mix moved', () => {
    // Current labels from the reference posterior re-weighted by class, w = q/p for a
    // prior moving from 0.5 (the reference's: x is symmetric) to 0.8.
    const priorShift = { referenceRate: 0.5, rate: 0.8 };
    const w1 = priorShift.rate / priorShift.referenceRate;
    const w0 = (1 - priorShift.rate) / (1 - priorShift.referenceRate);
    const cur = world(2, 3000, { truth: (s) => (w1 * s) / (w1 * s + w0 * (1 - s)) });
    const plain = conceptStage(ref, cur, ROLES);
    const fixed = conceptStage(ref, cur, ROLES, undefined, { priorShift });
    assert.equal(fixed.verdict, 'pass', fixed.summary);
    // Uncorrected, the same window reads as concept drift.
    assert.equal(plain.verdict, 'fail', plain.summary);
    assert.equal(fixed.evidence.adjustedForLabelShift, true);
    const err = (r: typeof plain) =>
      Math.abs(r.evidence.performance.estimated! - r.evidence.performance.realized!);
    assert.ok(err(fixed) < 0.015, `adjusted error ${err(fixed)}`);
    assert.ok(err(plain) > 2 * err(fixed), `unadjusted error ${err(plain)}`);
    assert.equal(fixed.evidence.unadjusted?.estimated, plain.evidence.performance.estimated);
  });
  it('inconclusive: too few labels, one class in the reference, no label or score column', () => {
    const few = conceptStage(ref, world(2, 2000, { labelled: 0.05 }), ROLES);
    assert.equal(few.verdict, 'inconclusive');
    assert.match(few.summary, /^only \d+ labelled, scored current rows \(need 200\)/);
    const oneClass = { ...ref, y: fill(3000, () => 0) };
    const one = conceptStage(oneClass, world(2, 2000), ROLES);
    assert.equal(one.verdict, 'inconclusive');
    assert.equal(one.summary, 'the reference has only class 0: cannot calibrate the scores');
    const { y: _y, ...noLabel } = world(2, 500);
    assert.equal(conceptStage(ref, noLabel, ROLES).summary, "no label column 'y'");
    const { s: _s, ...noScore } = world(2, 500);
    assert.equal(conceptStage(ref, noScore, ROLES).summary, "no score column 's'");
    const empty = conceptStage(ref, { s: num([]), y: num([]) }, ROLES);
    assert.equal(empty.verdict, 'inconclusive');
    for (const r of [few, one, empty]) assertJsonSafe(r);
  });
});

describe('business', () => {
  const kpi = { metric: 'ctr', value: 0.031, baseline: 0.042, detail: 'ctr 0.031 vs 0.042 (−26 %)' };
  it('reads the KPI: absent passes, dropped fails, held passes, unknown is inconclusive', () => {
    assert.deepEqual(businessStage(undefined).evidence, { declared: false });
    assert.equal(businessStage(undefined).verdict, 'pass');
    assert.equal(businessStage({ ...kpi, dropped: true }).verdict, 'fail');
    assert.equal(
      businessStage({ ...kpi, dropped: true }).summary,
      'KPI ctr dropped: ctr 0.031 vs 0.042 (−26 %)',
    );
    assert.equal(businessStage({ ...kpi, dropped: false }).verdict, 'pass');
    const u = businessStage({ ...kpi, value: Number.NaN, dropped: 'unknown' });
    assert.equal(u.verdict, 'inconclusive');
    assertJsonSafe(u);
  });
});

describe('thresholds', () => {
  it('defaults, and overrides merged field by field', () => {
    assert.deepEqual(resolveThresholds(), DEFAULT_THRESHOLDS);
    assert.equal(DEFAULT_THRESHOLDS.quality.maxMissingRate, 0.05);
    const t = resolveThresholds({ validity: { minLabelled: 50 }, concept: { metric: 'f1' } });
    assert.equal(t.validity.minLabelled, 50);
    assert.equal(t.validity.minLabelShare, 0.1);
    assert.equal(t.concept.metric, 'f1');
    assert.equal(t.concept.confidence, 0.95);
  });
  it('rejects bad values naming the field and the range, and unknown keys', () => {
    const bad: [unknown, RegExp][] = [
      [{ labelShift: { alpha: 5 } }, /labelShift\.alpha must be a number in \(0, 1\), got 5/],
      [{ validity: { minLabelled: 0 } }, /validity\.minLabelled must be an integer ≥ 1/],
      [{ concept: { confidence: 0.3 } }, /concept\.confidence must be a number in \(0\.5, 1\)/],
      [{ concept: { metric: 'acc' } }, /No concept\.metric named 'acc'\. Available: accuracy/],
      [{ quality: { maxMissingRate: -1 } }, /quality\.maxMissingRate must be a number in \[0, 1\]/],
      [{ covariate: { columns: { x: { test: 'kss' } } } }, /No test named 'kss'/],
      [{ covariate: { columns: { x: { test: 'ks', threshold: 2 } } } }, /p-value in \[0, 1\], got 2/],
      [{ validity: { minLabeled: 5 } }, /No validity threshold named 'minLabeled'/],
      [{ drift: {} }, /No threshold section named 'drift'/],
    ];
    for (const [o, re] of bad) {
      assert.throws(
        () => resolveThresholds(o as Parameters<typeof resolveThresholds>[0]),
        (e: unknown) => e instanceof StatsConfigError && re.test(e.message),
        JSON.stringify(o),
      );
    }
  });
});

describe('the cause rule', () => {
  const s = (stage: StageResult['stage'], verdict: StageResult['verdict'], features: string[] = []) =>
    ({ stage, verdict, summary: '', features, evidence: {} }) as StageResult;
  const base = {
    validity: s('validity', 'pass'),
    quality: s('quality', 'pass'),
    covariate: s('covariate', 'pass'),
    labelShift: s('labelShift', 'pass'),
    concept: s('concept', 'pass'),
    drift: [{ feature: 'age', test: 'wasserstein', value: 0.4, threshold: 0.1, drifted: true, effect: 0.4 }],
    explanation: null as LabelShiftExplanation | null,
    breached: false,
    label: 'y',
  };
  const explanation = (explained: boolean) => ({
    explained,
    hadDrift: true,
    stillDrifted: [],
    newlyDrifted: [],
    retested: [],
    weights: { 0: 1, 1: 1 },
    rows: 1,
    summary: '',
  });
  it('applies the rules in order', () => {
    const cases: [Partial<typeof base> & Record<string, unknown>, string, string[]][] = [
      [{}, 'none', []],
      [{ breached: true }, 'unexplained', []],
      [
        { quality: s('quality', 'fail', ['income']), concept: s('concept', 'fail') },
        'dataQuality',
        ['income'],
      ],
      [{ validity: s('validity', 'fail', ['y']), concept: s('concept', 'fail') }, 'evaluation', ['y']],
      [
        { validity: s('validity', 'fail'), covariate: s('covariate', 'fail', ['age']) },
        'covariateDrift',
        ['age'],
      ],
      [{ validity: s('validity', 'fail'), labelShift: s('labelShift', 'fail') }, 'labelShift', ['y']],
      [{ labelShift: s('labelShift', 'fail') }, 'labelShift', ['y']],
      [
        {
          labelShift: s('labelShift', 'fail'),
          covariate: s('covariate', 'fail'),
          explanation: explanation(true),
        },
        'labelShift',
        ['y', 'age'],
      ],
      [
        {
          labelShift: s('labelShift', 'fail'),
          covariate: s('covariate', 'fail'),
          explanation: explanation(false),
        },
        'covariateDrift',
        ['age'],
      ],
      [{ labelShift: s('labelShift', 'fail'), concept: s('concept', 'fail', ['g']) }, 'conceptDrift', ['g']],
      [{ concept: s('concept', 'fail'), covariate: s('covariate', 'fail') }, 'conceptDrift', ['age']],
      [{ covariate: s('covariate', 'fail') }, 'covariateDrift', ['age']],
      [{ concept: s('concept', 'inconclusive'), breached: true }, 'unexplained', []],
    ];
    for (const [over, cause, features] of cases) {
      const c = chooseCause({ ...base, ...over } as Parameters<typeof chooseCause>[0]);
      assert.equal(c.cause, cause, JSON.stringify(over));
      assert.deepEqual(c.features, features, JSON.stringify(over));
    }
  });
});

describe('diagnose', () => {
  const ref = world(1, 1500);
  const cur = world(2, 1000);
  it('passes events through sorted by time, and counts rows', () => {
    const d = diagnose({
      reference: ref,
      current: cur,
      roles: ROLES,
      events: [
        { at: '2026-03-02T10:00:00Z', text: 'release 4.2' },
        { at: '2026-03-01T08:00:00Z', text: 'campaign', tags: ['marketing'] },
      ],
    });
    assert.deepEqual(
      d.events.map((e) => e.text),
      ['campaign', 'release 4.2'],
    );
    assert.deepEqual(d.rows, { reference: 1500, current: 1000 });
    assert.equal(d.primaryCause, 'none', d.summary);
    assert.equal(d.findings.length >= 6, true);
    assert.match(d.findings.at(-1)!, /^cause: none \(rule 6\)$/);
  });
  it('a breach the stages do not explain is unexplained', () => {
    const d = diagnose({ reference: ref, current: cur, roles: ROLES, breached: true });
    assert.equal(d.primaryCause, 'unexplained');
    assert.match(
      d.summary,
      /^unexplained breach: accuracy 0\.\d+ realized vs 0\.\d+ estimated, reference 0\.\d+; no stage accounts for it$/,
    );
  });
  it('thresholds reach the stages', () => {
    const d = diagnose({
      reference: ref,
      current: cur,
      roles: ROLES,
      thresholds: { validity: { minLabelled: 5000 } },
    });
    assert.equal(d.stages[0]!.verdict, 'fail');
    assert.equal(d.stages[4]!.verdict, 'inconclusive');
    assert.equal(d.primaryCause, 'evaluation');
  });
});
