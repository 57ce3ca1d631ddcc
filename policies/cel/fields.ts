// The fields a metric exposes to conditions, and their types. This is the
// contract between the checker (load time) and the bindings (run time):
// `bindings.ts` sets exactly these fields, and leaves out the ones that
// have no value in a given evaluation (see there for why).

import type { Metric, ProviderKind } from '../schema/metrics.ts';
import { providerOf } from '../schema/metrics.ts';

export type FieldType = 'bool' | 'number' | 'string';

export interface FieldInfo {
  readonly type: FieldType;
  readonly doc: string;
  /**
   * Reading this field is an explicit statement about missing data or
   * failures (`precision.inconclusive`, `has(x.value)`): a condition using
   * one has opted in to act on them.
   */
  readonly aboutMissingData?: boolean;
}

const COMMON: Record<string, FieldInfo> = {
  value: { type: 'number', doc: 'the measured value; absent unless the measurement is ok or breach' },
  ok: { type: 'bool', doc: 'the objective holds; absent unless the measurement was decided' },
  breached: { type: 'bool', doc: 'the objective is breached; absent unless the measurement was decided' },
  inconclusive: { type: 'bool', doc: 'no usable data this evaluation', aboutMissingData: true },
  error: { type: 'bool', doc: 'the measurement failed', aboutMissingData: true },
  noData: {
    type: 'bool',
    doc: 'the source answered with no data (empty result, NaN, stale)',
    aboutMissingData: true,
  },
  phase: { type: 'string', doc: '"ok", "breach", "inconclusive" or "error"', aboutMissingData: true },
  reason: { type: 'string', doc: 'why the measurement was classified as it was', aboutMissingData: true },
  samples: { type: 'number', doc: 'how many observations back the value, when the provider reports it' },
};

const BY_PROVIDER: Record<ProviderKind, Record<string, FieldInfo>> = {
  prometheus: {},
  drift: {
    drifted: { type: 'bool', doc: 'the drift test signals drift (same as breached)' },
    test: { type: 'string', doc: 'the test that ran (useful with test: auto)' },
  },
  estimate: {},
  quality: {},
  mlflow: {},
  alert: { firing: { type: 'bool', doc: 'the inbound alert is firing (same as breached)' } },
};

/** Fields of one metric in conditions. */
export function metricFields(m: Metric): Record<string, FieldInfo> {
  const fields: Record<string, FieldInfo> = { ...COMMON, ...BY_PROVIDER[providerOf(m)] };
  if (m.objective?.change)
    fields.baseline = { type: 'number', doc: 'the baseline value the change is measured against' };
  if (m.objective?.learned) {
    fields.lower = { type: 'number', doc: 'learned lower threshold (mean − kσ)' };
    fields.upper = { type: 'number', doc: 'learned upper threshold (mean + kσ)' };
  }
  return fields;
}

/** Whether `breached`/`ok` mean anything for this metric (it has an objective, or an implicit one). */
export function hasObjective(m: Metric): boolean {
  const p = providerOf(m);
  return m.objective !== undefined || p === 'drift' || p === 'alert' || p === 'quality';
}
