// Shared helpers for the policy tests: load examples and inline policies,
// build measurements tersely, run a sequence of evaluations.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Evaluation, evaluate } from '../../../policies/evaluate.ts';
import type { PolicyIssue } from '../../../policies/issues.ts';
import { type LoadedPolicy, loadPolicy } from '../../../policies/loader.ts';
import type { Measurement, Outcome } from '../../../policies/measurement.ts';
import { providerOf } from '../../../policies/schema/metrics.ts';
import type { PolicyState } from '../../../policies/state.ts';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

export function load(text: string, file = 'test.yaml'): LoadedPolicy {
  const r = loadPolicy(text, file);
  if (!r.ok)
    throw new Error(
      `expected a valid policy, got:\n${r.issues.map((i) => `${i.line}:${i.column} ${i.code} ${i.message}`).join('\n')}`,
    );
  return r.policy;
}

export function issuesOf(text: string | Uint8Array, file = 'test.yaml'): readonly PolicyIssue[] {
  const r = loadPolicy(text, file);
  if (r.ok) throw new Error('expected the policy to be rejected');
  return r.issues;
}

export function example(name: string): LoadedPolicy {
  const file = `policies/examples/${name}`;
  return load(readFileSync(`${root}${file}`, 'utf8'), file);
}

/** Outcomes in shorthand: a number, 'nodata', 'nan', 'error', or a full Outcome. */
export type Short =
  | number
  | 'nodata'
  | 'nan'
  | 'inf'
  | 'error'
  | Outcome
  | {
      value: number;
      samples?: number;
      test?: string;
      baseline?: number;
      reference?: number[];
      dataAt?: string;
    };

export function outcome(s: Short): Outcome {
  if (typeof s === 'number') return { kind: 'value', value: s };
  if (s === 'nodata') return { kind: 'noData', reason: 'empty result' };
  if (s === 'nan') return { kind: 'nonFinite', value: 'NaN' };
  if (s === 'inf') return { kind: 'nonFinite', value: '+Inf' };
  if (s === 'error') return { kind: 'error', message: 'connection refused' };
  if ('kind' in s) return s;
  return {
    kind: 'value',
    value: s.value,
    ...(s.samples !== undefined ? { samples: s.samples } : {}),
    ...(s.test !== undefined ? { test: s.test } : {}),
  };
}

/** Measurements for a policy from a map of shorthand outcomes, taken at `at`. */
export function measure(policy: LoadedPolicy, values: Record<string, Short>, at: string): Measurement[] {
  return Object.entries(values).map(([metric, s]) => {
    const spec = policy.spec.metrics[metric];
    if (!spec) throw new Error(`no metric ${metric}`);
    const extra = typeof s === 'object' && !('kind' in s) ? s : undefined;
    return {
      metric,
      provider: providerOf(spec),
      source: { query: spec.prometheus?.query ?? `${metric}-source` },
      takenAt: at,
      ...(extra?.dataAt ? { dataAt: extra.dataAt } : {}),
      outcome: outcome(s),
      ...(extra?.baseline !== undefined
        ? { baseline: { source: {}, outcome: { kind: 'value', value: extra.baseline } } }
        : {}),
      ...(extra?.reference !== undefined ? { reference: { values: extra.reference } } : {}),
    } satisfies Measurement;
  });
}

export const T0 = Date.parse('2025-06-02T12:00:00Z');
export const minutes = (n: number) => n * 60_000;
export const hours = (n: number) => n * 3_600_000;
export const days = (n: number) => n * 86_400_000;
export const iso = (ms: number) => new Date(ms).toISOString();

/** Run evaluations in sequence, `every` apart, returning every evaluation. */
export function run(
  policy: LoadedPolicy,
  steps: readonly Record<string, Short>[],
  options: { start?: number; every?: number; state?: PolicyState } = {},
): Evaluation[] {
  const every = options.every ?? minutes(5);
  let state = options.state;
  let t = options.start ?? T0;
  const out: Evaluation[] = [];
  for (const step of steps) {
    const e = evaluate(policy, state, measure(policy, step, iso(t)), t);
    out.push(e);
    state = e.nextState;
    t += every;
  }
  return out;
}

/** The acted kinds per evaluation, e.g. [[], [], ['retrain']]. */
export function acted(evals: readonly Evaluation[]): string[][] {
  return evals.map((e) =>
    e.decision.actions.filter((a) => a.status === 'act').map((a) => `${a.kind}:${a.origin}`),
  );
}
