// Parity of the two-sample tests and distances with SciPy and Evidently's
// stattests (test/fixtures/stats/tests.json, from generate_parity.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { andersonKsamp } from '../../../stats/anderson.ts';
import { binCategories, binNumericEvidently } from '../../../stats/binning.ts';
import { chiSquareCategories, chiSquareContingency, chiSquareGof } from '../../../stats/chisquare.ts';
import { cramerVonMises2samp } from '../../../stats/cramer-von-mises.ts';
import { hellinger, jensenShannon, klDivergence } from '../../../stats/divergence.ts';
import { fisherExact } from '../../../stats/fisher.ts';
import { hellingerNumericEvidently } from '../../../stats/hellinger-evidently.ts';
import { mmdTest } from '../../../stats/mmd.ts';
import { psi, psiFromShares } from '../../../stats/psi.ts';
import { betainc, studentTSf } from '../../../stats/special/beta.ts';
import { tTestInd } from '../../../stats/ttest.ts';
import { energyDistance, wasserstein, wassersteinNormed } from '../../../stats/wasserstein.ts';
import { zTestCategories } from '../../../stats/ztest.ts';
import { type CategorySpec, categories, relDiff, type SampleSpec, sample } from './parity-data.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON fixture
const fx: any = JSON.parse(readFileSync(new URL('../../fixtures/stats/tests.json', import.meta.url), 'utf8'));

function close(got: number, want: number, tol: number, what: string) {
  if (want === Number.POSITIVE_INFINITY || want === 0) return assert.equal(got, want, what);
  assert.ok(relDiff(got, want) <= tol, `${what}: ${got} vs ${want} (rel ${relDiff(got, want)})`);
}

describe('numeric distances and tests match SciPy / Evidently', () => {
  for (const c of fx.numeric as { name: string; a: SampleSpec; b: SampleSpec; [k: string]: unknown }[]) {
    const a = sample(c.a);
    const b = sample(c.b);
    // biome-ignore lint/suspicious/noExplicitAny: JSON fixture
    const w = c as any;
    it(`${c.name}: wasserstein, normed, energy (1e-9)`, () => {
      close(wasserstein(a, b), w.wasserstein, 1e-9, 'wasserstein');
      close(wassersteinNormed(a, b), w.wasserstein_normed, 1e-9, 'wasserstein normed');
      close(energyDistance(a, b), w.energy, 1e-9, 'energy');
    });
    it(`${c.name}: Evidently PSI, Jensen–Shannon, KL, Hellinger (1e-9)`, () => {
      close(psi(a, b), w.psi, 1e-9, 'psi');
      const raw = binNumericEvidently(a, b, false);
      close(jensenShannon(raw.reference, raw.current), w.jensenshannon, 1e-9, 'js');
      const filled = binNumericEvidently(a, b);
      close(klDivergence(filled.reference, filled.current), w.kl_div, 1e-9, 'kl');
      close(hellingerNumericEvidently(a, b), w.hellinger, 1e-9, 'hellinger');
    });
    it(`${c.name}: Anderson–Darling k-sample, Cramér–von Mises (1e-9)`, () => {
      const ad = andersonKsamp([a, b]);
      close(ad.statistic, w.anderson.statistic, 1e-9, 'AD statistic');
      close(ad.pValue, w.anderson.pvalue, 1e-9, 'AD p');
      close(ad.pValue, w.anderson_evidently_p, 1e-9, 'AD p (Evidently)');
      const cvm = cramerVonMises2samp(a, b);
      close(cvm.statistic, w.cvm.statistic, 1e-9, 'CvM statistic');
      // SciPy's asymptotic CvM p-value is 1 − CDF: in the far tail it carries
      // an absolute error of ~1e-15, so compare absolutely there.
      assert.ok(Math.abs(cvm.pValue - w.cvm.pvalue) <= Math.max(1e-6 * w.cvm.pvalue, 1e-13), 'CvM p');
    });
    it(`${c.name}: Student and Welch t-tests (1e-9)`, () => {
      close(tTestInd(a, b).pValue, w.t_student, 1e-9, 'Student');
      close(tTestInd(a, b).pValue, w.t_evidently_p, 1e-9, 'Student (Evidently t_test)');
      close(tTestInd(a, b, { equalVar: false }).pValue, w.t_welch, 1e-9, 'Welch');
    });
    it(`${c.name}: MMD equals the NumPy twin with the same seed scheme (1e-9)`, () => {
      const r = mmdTest(a, b, {
        permutations: w.mmd.permutations,
        seed: w.mmd.seed,
        maxSamples: w.mmd.max_samples,
      });
      close(r.sigma, w.mmd.sigma, 1e-9, 'sigma');
      close(r.statistic, w.mmd.statistic, 1e-9, 'MMD²');
      assert.equal(r.pValue, w.mmd.pvalue, 'permutation p');
    });
  }
});

describe('categorical tests match Evidently', () => {
  for (const c of fx.categorical as {
    name: string;
    a: CategorySpec;
    b: CategorySpec;
    [k: string]: unknown;
  }[]) {
    // biome-ignore lint/suspicious/noExplicitAny: JSON fixture
    const w = c as any;
    it(c.name, () => {
      const a = categories(c.a);
      const b = categories(c.b);
      close(chiSquareCategories(a, b).pValue, w.chisquare_p, 1e-9, 'chi-square p');
      // Evidently's z p-value is 2·(1 − Φ(|z|)): equal to ours up to that cancellation.
      if (w.z_p !== null) assert.ok(Math.abs(zTestCategories(a, b).pValue - w.z_p) <= 1e-15 + 1e-9 * w.z_p);
      const filled = binCategories(a, b);
      close(psiFromShares(filled.reference, filled.current), w.psi, 1e-9, 'psi');
      close(klDivergence(filled.reference, filled.current), w.kl_div, 1e-9, 'kl');
      const raw = binCategories(a, b, false);
      close(jensenShannon(raw.reference, raw.current), w.jensenshannon, 1e-9, 'js');
      close(hellinger(raw.reference, raw.current), w.hellinger, 1e-9, 'hellinger');
    });
  }
});

describe('Student t tail and incomplete beta match SciPy', () => {
  for (const t of fx.student_t) {
    it(`t.sf(${t.t}, ${t.df})`, () => close(studentTSf(t.t, t.df), t.sf, 1e-9, 't.sf'));
  }
  for (const b of fx.betainc) {
    it(`betainc(${b.a}, ${b.b}, ${b.x})`, () => close(betainc(b.a, b.b, b.x), b.value, 1e-9, 'betainc'));
  }
});

describe('contingency, Fisher and goodness of fit match SciPy', () => {
  for (const t of fx.contingency) {
    it(`chi2_contingency ${JSON.stringify(t.table)}`, () => {
      const r = chiSquareContingency(t.table);
      assert.equal(r.dof, t.dof);
      close(r.statistic, t.statistic, 1e-9, 'statistic');
      close(r.pValue, t.pvalue, 1e-9, 'p');
    });
  }
  for (const t of fx.fisher) {
    it(`fisher_exact ${JSON.stringify(t.table)}`, () => {
      for (const alt of ['two-sided', 'less', 'greater'] as const)
        close(fisherExact(t.table, alt).pValue, t[alt], 1e-9, alt);
    });
  }
  for (const t of fx.gof) {
    it(`chisquare ${JSON.stringify(t.observed)}`, () => {
      const r = chiSquareGof(t.observed, t.expected);
      close(r.statistic, t.statistic, 1e-9, 'statistic');
      close(r.pValue, t.pvalue, 1e-9, 'p');
    });
  }
});
