import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type PairedSample, type ShadowComparison, shadowVerdict } from '../../../policies/shadow-verdict.ts';
import { Rng } from '../../../stats/index.ts';

const compare = (c: Partial<ShadowComparison> & { metric: string }): ShadowComparison => ({
  mustBe: 'notWorse',
  margin: 0,
  confidence: 0.95,
  ...c,
});

/** n labelled requests over 4 classes; each model right with its own probability. */
function samples(n: number, championRight: number, challengerRight: number, seed = 7): PairedSample[] {
  const rng = new Rng(seed);
  const classes = ['billing', 'technical', 'account', 'shipping'];
  return Array.from({ length: n }, (_, i) => {
    const label = classes[i % 4]!;
    const wrong = classes[(i + 1) % 4]!;
    return {
      id: `r${String(i).padStart(6, '0')}`,
      at: 1_700_000_000_000 + i * 1000,
      label,
      champion: rng.nextDouble() < championRight ? label : wrong,
      challenger: rng.nextDouble() < challengerRight ? label : wrong,
      championLatencyMs: 10 + rng.nextDouble() * 5,
      challengerLatencyMs: 10 + rng.nextDouble() * 5,
    };
  });
}

describe('shadow verdict', () => {
  it('a clearly better challenger passes notWorse and better, with the interval and McNemar in words', () => {
    const s = samples(2000, 0.8, 0.93);
    const v = shadowVerdict(
      [
        compare({ metric: 'accuracy', margin: 0.01 }),
        compare({ metric: 'f1', mustBe: 'better', margin: 0.05 }),
      ],
      s,
      500,
    );
    assert.equal(v.verdict, 'pass', v.summary);
    const accuracy = v.comparisons[0]!;
    assert.ok(
      accuracy.improvement!.lower > 0.06 && accuracy.improvement!.upper < 0.16,
      JSON.stringify(accuracy.improvement),
    );
    assert.ok((accuracy.pValue ?? 1) < 1e-10);
    assert.match(
      accuracy.explanation,
      /challenger 0\.9\d+ vs champion 0\.8\d+ on 2000 paired samples; improvement .* \(95% interval .*\), McNemar mid-p .*: pass/,
    );
  });

  it('a worse challenger fails; an equal one is inconclusive for `better`', () => {
    assert.equal(
      shadowVerdict([compare({ metric: 'accuracy', margin: 0.01 })], samples(2000, 0.9, 0.75), 500).verdict,
      'fail',
    );
    const same = shadowVerdict(
      [compare({ metric: 'accuracy', mustBe: 'better', margin: 0.005 })],
      samples(2000, 0.9, 0.9),
      500,
    );
    assert.notEqual(same.verdict, 'pass');
  });

  it('too few samples is inconclusive, never a pass, however good the challenger looks', () => {
    const v = shadowVerdict([compare({ metric: 'accuracy' })], samples(100, 0.5, 1), 500);
    assert.equal(v.verdict, 'inconclusive');
    assert.match(v.summary, /100 labelled paired samples, fewer than the 500 needed/);
  });

  it('requests the challenger could not score count in error_rate and are left out of accuracy', () => {
    const s = samples(1000, 0.9, 0.9).map((x, i) => (i % 5 === 0 ? { ...x, challenger: null } : x));
    const v = shadowVerdict(
      [compare({ metric: 'error_rate', margin: 0.01 }), compare({ metric: 'accuracy', margin: 0.05 })],
      s,
      500,
    );
    assert.equal(v.comparisons[0]?.status, 'fail', v.comparisons[0]?.explanation);
    assert.equal(v.comparisons[1]?.samples, 800);
    assert.deepEqual(v.samples, { scored: 800, failed: 200, labelled: 1000 });
    assert.equal(v.verdict, 'fail');
  });

  it('a slower challenger fails a latency comparison (lower is better)', () => {
    const s = samples(1000, 0.9, 0.9).map((x) => ({
      ...x,
      challengerLatencyMs: (x.challengerLatencyMs ?? 0) + 20,
    }));
    const v = shadowVerdict([compare({ metric: 'latency_p95', margin: 5 })], s, 500);
    assert.equal(v.verdict, 'fail');
    assert.equal(v.comparisons[0]?.higherIsBetter, false);
    // The rank test beside the interval: the challenger is slower on the whole distribution.
    assert.ok((v.comparisons[0]?.pValue ?? 1) < 1e-10, String(v.comparisons[0]?.pValue));
    assert.match(v.comparisons[0]!.explanation, /Mann–Whitney p .* that the challenger is slower/);
    // The same latencies: no evidence either way.
    const same = shadowVerdict([compare({ metric: 'latency_p50', margin: 5 })], samples(1000, 0.9, 0.9), 500);
    assert.ok((same.comparisons[0]?.pValue ?? 0) > 0.01, String(same.comparisons[0]?.pValue));
  });

  it('a metric replay cannot compute is inconclusive and says which ones it can', () => {
    const v = shadowVerdict([compare({ metric: 'roc_auc' })], samples(1000, 0.9, 0.9), 100);
    assert.equal(v.verdict, 'inconclusive');
    assert.match(v.summary, /roc_auc cannot be computed from replayed requests/);
  });

  it('the same samples in any order give the same verdict and numbers (property)', () => {
    const s = samples(600, 0.85, 0.88);
    const reference = shadowVerdict([compare({ metric: 'accuracy', margin: 0.02 })], s, 500);
    fc.assert(
      fc.property(fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }), (shuffled) => {
        assert.deepEqual(
          shadowVerdict([compare({ metric: 'accuracy', margin: 0.02 })], shuffled, 500),
          reference,
        );
      }),
      { numRuns: 20 },
    );
  });
});
