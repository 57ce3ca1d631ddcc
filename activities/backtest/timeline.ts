// The evaluation instants of a backtest: from, from + step, … up to `to`.
// The same instants a Prometheus range query evaluates at (start + k·step),
// which is what lets one range query stand in for one instant query per step.

import type { BacktestSpan } from './types.ts';

/** Prometheus refuses range queries of more than 11,000 points per series. */
export const MAX_POINTS_PER_QUERY = 11_000;

/** A backtest longer than this many steps is refused: a finer step than the data can support, most likely. */
export const MAX_STEPS = 200_000;

export function stepsOf(span: BacktestSpan): number[] {
  if (!(span.stepMs > 0)) throw new RangeError('the step must be positive');
  if (!(span.toMs >= span.fromMs)) throw new RangeError('`to` must not be before `from`');
  const n = Math.floor((span.toMs - span.fromMs) / span.stepMs) + 1;
  if (n > MAX_STEPS)
    throw new RangeError(`${n} steps is more than ${MAX_STEPS}; use a larger step or a shorter span`);
  return Array.from({ length: n }, (_, k) => span.fromMs + k * span.stepMs);
}

/**
 * The span cut into pieces of at most `maxPoints` steps, each a valid range
 * query on the same grid (every piece starts on a step of the whole span).
 */
export function chunksOf(
  span: BacktestSpan,
  maxPoints = MAX_POINTS_PER_QUERY,
): Array<{ fromMs: number; toMs: number }> {
  const steps = stepsOf(span);
  const out: Array<{ fromMs: number; toMs: number }> = [];
  for (let i = 0; i < steps.length; i += maxPoints) {
    const piece = steps.slice(i, i + maxPoints);
    out.push({ fromMs: piece[0] as number, toMs: piece[piece.length - 1] as number });
  }
  return out;
}
