// The drift tests a policy may name, with the direction of each verdict.
// Evidently leaves the direction implicit (and gets it asymmetric); here it
// is data: a p-value test signals drift when p ≤ threshold, a distance when
// distance ≥ threshold. Names and defaults follow the statistics engine
// (`stats/`, issue 4) and Evidently's defaults.

export type DriftDirection = 'pValue' | 'distance';

export interface DriftTestInfo {
  readonly name: string;
  readonly direction: DriftDirection;
  /** Default threshold when the policy gives none. */
  readonly threshold: number;
  readonly description: string;
}

const tests: DriftTestInfo[] = [
  {
    name: 'ks',
    direction: 'pValue',
    threshold: 0.05,
    description: 'two-sample Kolmogorov–Smirnov (numeric)',
  },
  {
    name: 'chisquare',
    direction: 'pValue',
    threshold: 0.05,
    description: 'chi-square against reference proportions (categorical)',
  },
  {
    name: 'ztest',
    direction: 'pValue',
    threshold: 0.05,
    description: 'two-proportion z-test (binary categorical)',
  },
  { name: 'fisher', direction: 'pValue', threshold: 0.05, description: "Fisher's exact test (2×2)" },
  {
    name: 'anderson',
    direction: 'pValue',
    threshold: 0.05,
    description: 'Anderson–Darling k-sample (numeric)',
  },
  { name: 'cvm', direction: 'pValue', threshold: 0.05, description: 'Cramér–von Mises (numeric)' },
  {
    name: 'mmd',
    direction: 'pValue',
    threshold: 0.05,
    description: 'maximum mean discrepancy, permutation p-value (multivariate)',
  },
  { name: 'psi', direction: 'distance', threshold: 0.1, description: 'population stability index' },
  { name: 'jensenshannon', direction: 'distance', threshold: 0.1, description: 'Jensen–Shannon distance' },
  { name: 'hellinger', direction: 'distance', threshold: 0.1, description: 'Hellinger distance' },
  { name: 'kl', direction: 'distance', threshold: 0.1, description: 'Kullback–Leibler divergence' },
  { name: 'tvd', direction: 'distance', threshold: 0.1, description: 'total variation distance' },
  {
    name: 'wasserstein',
    direction: 'distance',
    threshold: 0.1,
    description: 'Wasserstein-1 normed by the reference standard deviation',
  },
  { name: 'energy', direction: 'distance', threshold: 0.1, description: 'energy distance' },
];

export const DRIFT_TESTS: ReadonlyMap<string, DriftTestInfo> = new Map(tests.map((t) => [t.name, t]));

/** `auto` lets the statistics engine pick by column type and reference size, like Evidently. */
export const DRIFT_TEST_NAMES = ['auto', ...tests.map((t) => t.name)] as const;
