// Edge cases a reviewer found, against SciPy 1.17.1 (values computed with it
// and written here): a category absent from both sides in chi-square, NaN in
// Cramér–von Mises, infinities in Wasserstein and energy distance, and the
// inputs that are not distributions at all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquareContingency, chiSquareGof } from '../../../stats/chisquare.ts';
import { cramerVonMises2samp } from '../../../stats/cramer-von-mises.ts';
import { hellinger, jensenShannon, klDivergence } from '../../../stats/divergence.ts';
import { StatsInputError } from '../../../stats/errors.ts';
import { energyDistance, wasserstein } from '../../../stats/wasserstein.ts';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);
const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof StatsInputError && e.reason === 'invalid-input' && message.test(e.message),
  );

describe('chi-square goodness of fit with empty categories', () => {
  it('a category absent from both is left out with its degree of freedom (SciPy on the rest)', () => {
    // scipy.stats.chisquare([10, 20], [15, 15])
    const r = chiSquareGof([10, 0, 20], [15, 0, 15]);
    close(r.statistic, 3.3333333333333335);
    close(r.pValue, 0.06788915486182893);
    assert.equal(r.dof, 1);
  });

  it('a category seen but never expected makes p = 0, as the docstring says', () => {
    const r = chiSquareGof([10, 5, 0, 15], [15, 0, 0, 15]);
    assert.equal(r.statistic, Number.POSITIVE_INFINITY);
    assert.equal(r.pValue, 0);
  });

  it('negative counts, and totals that differ, are refused as SciPy refuses them', () => {
    invalid(() => chiSquareGof([10, -1], [5, 4]), /non-negative; category 1/);
    invalid(() => chiSquareGof([10, 20], [10, 10]), /totals differ \(30 vs 20\)/);
    assert.throws(() => chiSquareGof([0, 10], [0, 10]), /at least two categories with counts/);
  });

  it('a contingency table with a negative or missing cell is refused', () => {
    invalid(
      () =>
        chiSquareContingency([
          [5, -1],
          [3, 4],
        ]),
      /cell \[0\]\[1\] .* -1/,
    );
    invalid(() => chiSquareContingency([[5, 1], [3]]), /row 1 .* 1 cells, not 2/);
  });
});

describe('Cramér–von Mises with NaN', () => {
  it('omits NaN: the result is SciPy’s on the values without it', () => {
    // scipy.stats.cramervonmises_2samp([1, 3, 4], [2, 5, 6])
    const r = cramerVonMises2samp([1, Number.NaN, 3, 4], [2, 5, 6]);
    close(r.statistic, 0.19444444444444453);
    close(r.pValue, 0.6);
  });
});

describe('Wasserstein and energy distance with infinities', () => {
  it('∞ where the distributions differ over an unbounded stretch, as SciPy', () => {
    for (const [a, b] of [
      [
        [0, 1, Number.POSITIVE_INFINITY],
        [0, 1, 2],
      ],
      [
        [0, 1, Number.NEGATIVE_INFINITY],
        [0, 1, 2],
      ],
      [
        [0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
        [0, 1, 2],
      ],
    ]) {
      assert.equal(wasserstein(a!, b!), Number.POSITIVE_INFINITY, `${a} vs ${b}`);
      assert.equal(energyDistance(a!, b!), Number.POSITIVE_INFINITY, `${a} vs ${b}`);
    }
  });

  it('the same infinite mass on both sides is NaN, as SciPy (0 · ∞)', () => {
    assert.ok(Number.isNaN(wasserstein([0, 1, Number.POSITIVE_INFINITY], [0, 1, Number.POSITIVE_INFINITY])));
  });

  it('finite inputs are unchanged', () => {
    assert.equal(wasserstein([0, 1, 3], [5, 6, 8]), 5);
    close(energyDistance([0], [2]), 2);
  });
});

describe('divergences of things that are not distributions', () => {
  it('different lengths, negative weights and all-zero weights are refused, naming which', () => {
    for (const f of [jensenShannon, klDivergence, hellinger]) {
      invalid(() => f([0.5, 0.5], [0.2, 0.3, 0.5]), /2 and 3 bins/);
      invalid(() => f([0.5, -0.5], [0.5, 0.5]), /first distribution: weight 1 is -0\.5/);
      invalid(() => f([0.5, 0.5], [0, 0]), /second distribution: every weight is 0/);
    }
  });
});
