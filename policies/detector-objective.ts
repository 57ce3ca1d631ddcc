// A detector objective: a streaming change detector (stats/detectors/) run
// over a metric's values, one value per evaluation, its state carried in the
// policy state from evaluation to evaluation (and so through continue-as-new
// and replay: the state is part of the evaluation's recorded result).
//
// The defaults are for metrics in [0, 1] evaluated every few minutes or
// hours, not for River's per-prediction streams: with River's defaults ADWIN
// tests for a cut only every 32 values (32 hours at an hourly cadence) and
// Page–Hinkley's threshold of 50 is never reached by values below 1.

import { Adwin, type AdwinState } from '../stats/detectors/adwin.ts';
import { PageHinkley, type PageHinkleyState } from '../stats/detectors/page-hinkley.ts';
import type { Metric } from './schema/metrics.ts';

export type DetectorObjective = NonNullable<NonNullable<Metric['objective']>['detector']>;
export type DetectorState = PageHinkleyState | AdwinState;

export interface Observation {
  readonly state: DetectorState;
  /** A change in the objective's direction was detected with this value. */
  readonly breached: boolean;
  /** The objective in words, with its parameters. */
  readonly objective: string;
  /** Why, in words: "Page–Hinkley: a fall detected after 14 values (mean 0.81)". */
  readonly reason: string;
}

function pageHinkleyOptions(o: DetectorObjective) {
  return {
    minInstances: o.minInstances ?? 10,
    delta: o.delta ?? 0.005,
    threshold: o.threshold ?? 0.15,
    alpha: 1 - 1e-4,
    mode: o.direction,
  } as const;
}

function adwinOptions(o: DetectorObjective) {
  // Tested at every value (clock 1): an evaluation stream is short and slow.
  return {
    delta: o.delta ?? 0.002,
    clock: 1,
    maxBuckets: 5,
    minWindowLength: 5,
    gracePeriod: o.minInstances ?? 10,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The objective in words. */
export function describeDetector(o: DetectorObjective): string {
  if (o.method === 'adwin') {
    const a = adwinOptions(o);
    return `ADWIN (δ ${a.delta}, after ${a.gracePeriod} values), ${o.direction}`;
  }
  const p = pageHinkleyOptions(o);
  return `Page–Hinkley (threshold ${p.threshold}, δ ${p.delta}, after ${p.minInstances} values), ${o.direction}`;
}

/**
 * Feeds one value to the metric's detector. A prior state made with other
 * options (the policy changed) is dropped: the detector starts afresh.
 *
 * @example
 * let state;
 * const o = { method: 'page-hinkley', direction: 'down' };
 * const xs = [...Array(20).fill(0.9), ...Array(10).fill(0.7)];
 * xs.findIndex((x) => ({ state } = observe(o, state, x)).breached); // 20 (the first low value)
 */
export function observe(o: DetectorObjective, prior: unknown, value: number): Observation {
  const objective = describeDetector(o);
  if (o.method === 'adwin') {
    const options = adwinOptions(o);
    const previous = prior as AdwinState | undefined;
    const detector =
      previous?.kind === 'adwin' && same(previous.options, { ...previous.options, ...options })
        ? Adwin.fromJSON(previous)
        : new Adwin(options);
    const before = detector.width > 0 ? detector.estimation : value;
    detector.update(value);
    const fell = value < before;
    const breached =
      detector.driftDetected && (o.direction === 'both' || (o.direction === 'down' ? fell : !fell));
    return {
      state: detector.toJSON(),
      breached,
      objective,
      reason: detector.driftDetected
        ? `ADWIN: a ${fell ? 'fall' : 'rise'} detected (mean before ${before.toPrecision(4)}, now ${value})${breached ? '' : `, not ${o.direction}`}`
        : `ADWIN: no change over ${detector.width} values (mean ${detector.estimation.toPrecision(4)})`,
    };
  }
  const options = pageHinkleyOptions(o);
  const previous = prior as PageHinkleyState | undefined;
  const detector =
    previous?.kind === 'page-hinkley' && same(previous.options, options)
      ? PageHinkley.fromJSON(previous)
      : new PageHinkley(options);
  detector.update(value);
  const s = detector.toJSON();
  return {
    state: s,
    breached: detector.driftDetected,
    objective,
    reason: detector.driftDetected
      ? `Page–Hinkley: a ${o.direction === 'both' ? 'change' : o.direction === 'down' ? 'fall' : 'rise'} detected after ${s.n} values (running mean ${s.mean.toPrecision(4)})`
      : `Page–Hinkley: no change over ${s.n} values (running mean ${s.mean.toPrecision(4)})`,
  };
}
