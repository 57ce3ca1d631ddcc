// The diagnosis thresholds: their defaults and the checked merge of a
// policy's overrides. A value outside its range is a configuration mistake
// and throws a StatsConfigError naming the field and what it accepts, so a
// policy with `labelShift: { alpha: 5 }` fails when loaded, not silently
// when the triage runs.

import { oneOf, requireConfig } from '../errors.ts';
import { METRICS } from '../metrics.ts';
import { DEFAULT_QUALITY_OPTIONS } from '../quality.ts';
import { getDriftTest } from '../registry.ts';
import type { DiagnosisOverrides, DiagnosisThresholds } from './types.ts';

export const DEFAULT_THRESHOLDS: DiagnosisThresholds = {
  validity: { minLabelled: 200, minLabelShare: 0.1 },
  quality: { ...DEFAULT_QUALITY_OPTIONS },
  covariate: { score: true, multivariate: false },
  labelShift: { alpha: 0.05 },
  concept: { metric: 'accuracy', confidence: 0.95, minGap: 0.02 },
};

const KEYS: { readonly [K in keyof DiagnosisThresholds]: readonly string[] } = {
  validity: ['minLabelled', 'minLabelShare', 'maxLabelLagSeconds'],
  quality: [
    'maxMissingRate',
    'maxMissingIncrease',
    'maxOutOfRangeRate',
    'maxNewCategoryRate',
    'ranges',
    'violations',
  ],
  covariate: ['columns', 'score', 'multivariate'],
  labelShift: ['alpha'],
  concept: ['metric', 'confidence', 'minGap'],
};
const SECTIONS = Object.keys(KEYS) as (keyof DiagnosisThresholds)[];

/** The defaults with the given fields replaced (fields given as undefined keep their default). */
function merge<T extends object>(base: T, over: Partial<T> | undefined): T {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {}))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function inUnit(field: string, v: unknown, open = false): void {
  const ok = isNum(v) && (open ? v > 0 && v < 1 : v >= 0 && v <= 1);
  requireConfig(ok, `${field} must be a number in ${open ? '(0, 1)' : '[0, 1]'}, got ${String(v)}.`);
}

function validate(t: DiagnosisThresholds): void {
  const v = t.validity;
  requireConfig(
    Number.isInteger(v.minLabelled) && v.minLabelled >= 1,
    `validity.minLabelled must be an integer ≥ 1, got ${String(v.minLabelled)}.`,
  );
  inUnit('validity.minLabelShare', v.minLabelShare);
  if (v.maxLabelLagSeconds !== undefined) {
    requireConfig(
      isNum(v.maxLabelLagSeconds) && v.maxLabelLagSeconds >= 0,
      `validity.maxLabelLagSeconds must be a number of seconds ≥ 0, got ${String(v.maxLabelLagSeconds)}.`,
    );
  }
  const q = t.quality;
  for (const k of [
    'maxMissingRate',
    'maxMissingIncrease',
    'maxOutOfRangeRate',
    'maxNewCategoryRate',
  ] as const) {
    if (q[k] !== undefined) inUnit(`quality.${k}`, q[k]);
  }
  for (const [col, range] of Object.entries(q.ranges ?? {})) {
    requireConfig(
      Array.isArray(range) &&
        range.length === 2 &&
        isNum(range[0]) &&
        isNum(range[1]) &&
        range[0] <= range[1],
      `quality.ranges.${col} must be [min, max] with finite min ≤ max, got ${JSON.stringify(range)}.`,
    );
  }
  for (const [col, n] of Object.entries(q.violations ?? {})) {
    requireConfig(
      Number.isInteger(n) && n >= 0,
      `quality.violations.${col} must be an integer ≥ 0, got ${String(n)}.`,
    );
  }
  const c = t.covariate;
  requireConfig(
    typeof c.score === 'boolean',
    `covariate.score must be true or false, got ${String(c.score)}.`,
  );
  requireConfig(
    typeof c.multivariate === 'boolean',
    `covariate.multivariate must be true or false, got ${String(c.multivariate)}.`,
  );
  for (const [col, choice] of Object.entries(c.columns ?? {})) {
    const test = choice.test === undefined ? undefined : getDriftTest(choice.test);
    if (choice.threshold !== undefined) {
      const p = test?.direction !== 'distance';
      requireConfig(
        isNum(choice.threshold) && choice.threshold >= 0 && (!p || !test || choice.threshold <= 1),
        `covariate.columns.${col}.threshold must be ${test && p ? 'a p-value in [0, 1]' : 'a number ≥ 0'}, got ${String(choice.threshold)}.`,
      );
    }
  }
  inUnit('labelShift.alpha', t.labelShift.alpha, true);
  oneOf('concept.metric', t.concept.metric, METRICS);
  const conf = t.concept.confidence;
  requireConfig(
    isNum(conf) && conf > 0.5 && conf < 1,
    `concept.confidence must be a number in (0.5, 1), got ${String(conf)}.`,
  );
  inUnit('concept.minGap', t.concept.minGap);
}

/**
 * The thresholds a diagnosis runs with: the defaults, overridden field by
 * field, checked — a typo'd key or a value out of range throws.
 *
 * @example
 * resolveThresholds({ labelShift: { alpha: 0.01 } }).labelShift.alpha; // 0.01
 * resolveThresholds().validity.minLabelled; // 200
 */
export function resolveThresholds(overrides: DiagnosisOverrides = {}): DiagnosisThresholds {
  for (const section of Object.keys(overrides)) {
    const s = oneOf('threshold section', section, SECTIONS);
    for (const key of Object.keys(overrides[s] ?? {})) oneOf(`${s} threshold`, key, KEYS[s]);
  }
  const t: DiagnosisThresholds = {
    validity: merge(DEFAULT_THRESHOLDS.validity, overrides.validity),
    quality: merge(DEFAULT_THRESHOLDS.quality, overrides.quality),
    covariate: merge(DEFAULT_THRESHOLDS.covariate, overrides.covariate),
    labelShift: merge(DEFAULT_THRESHOLDS.labelShift, overrides.labelShift),
    concept: merge(DEFAULT_THRESHOLDS.concept, overrides.concept),
  };
  validate(t);
  return t;
}
