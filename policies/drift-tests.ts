// The drift tests a policy may name, taken from the statistics engine's
// registry (stats/registry.ts) so a policy, the drift provider and the
// evaluator agree on names, default thresholds and the direction of each
// verdict: a p-value test signals drift when p ≤ threshold, a distance when
// distance ≥ threshold.

import { DRIFT_TESTS as REGISTERED } from '../stats/registry.ts';

export type DriftDirection = 'pValue' | 'distance';

export interface DriftTestInfo {
  readonly name: string;
  readonly direction: DriftDirection;
  /** Default threshold when the policy gives none. */
  readonly threshold: number;
  readonly description: string;
}

export const DRIFT_TESTS: ReadonlyMap<string, DriftTestInfo> = new Map(
  REGISTERED.map((t) => [
    t.name,
    {
      name: t.name,
      direction: t.direction === 'p-value' ? 'pValue' : 'distance',
      threshold: t.defaultThreshold,
      description: t.title,
    } satisfies DriftTestInfo,
  ]),
);

/** `auto` lets the statistics engine pick by column type and reference size, like Evidently. */
export const DRIFT_TEST_NAMES = ['auto', ...REGISTERED.map((t) => t.name)] as [string, ...string[]];
