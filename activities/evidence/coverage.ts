// Monitoring coverage, as a pure function of a model's evaluation rows: was
// the model evaluated throughout the period, and where was it not? A gap is
// an interval without an evaluation longer than twice the cadence of the
// policy version in force; the period's edges count (no evaluation since the
// last one before the period, none until the end).
//
// Coverage is the model's, not one policy's: a policy renamed or replaced
// mid-period leaves the model covered, and the per-policy counts show who
// covered it.
import { formatDuration } from './duration-text.ts';

export interface EvaluationPoint {
  readonly at: string;
  readonly policy: string;
  readonly policyVersion: string | null;
  readonly outcome: string;
  readonly reason: string | null;
}

export interface Cadence {
  readonly every: string;
  readonly ms: number;
  /** `recorded`: in the audit rows; `controller`/`policy-file`: read from there; `inferred`: median interval between scheduled evaluations. */
  readonly source: 'recorded' | 'controller' | 'policy-file' | 'inferred';
}

export interface Gap {
  readonly from: string;
  readonly to: string;
  readonly ms: number;
  /** Twice the cadence: the longest interval that is not a gap. */
  readonly allowedMs: number;
  /** `start`: before the period's first evaluation; `between`; `end`: after the last; `none`: no evaluation at all. */
  readonly where: 'start' | 'between' | 'end' | 'none';
  readonly policyVersion: string | null;
  readonly text: string;
}

export interface Coverage {
  readonly evaluations: number;
  readonly byOutcome: Readonly<Record<string, number>>;
  readonly byReason: Readonly<Record<string, number>>;
  readonly byPolicy: Readonly<Record<string, number>>;
  readonly first: string | null;
  readonly last: string | null;
  /** The end of what could be covered: the period's end, or the export time if earlier. */
  readonly coveredUntil: string;
  readonly longestIntervalMs: number | null;
  readonly gaps: readonly Gap[];
  /** Intervals that could not be assessed because the cadence of the version in force is unknown. */
  readonly unassessed: number;
  readonly ok: boolean;
}

const count = (values: readonly string[]) => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

/**
 * @param all every evaluation of the model, oldest first (the one before the period matters for the first gap)
 * @param cadenceOf the cadence of a policy version, when known
 */
export function coverage(
  all: readonly EvaluationPoint[],
  period: { from: string; to: string; now: string },
  cadenceOf: (version: string | null) => Cadence | undefined,
): Coverage {
  const from = Date.parse(period.from);
  const end = Math.min(Date.parse(period.to), Date.parse(period.now));
  const inPeriod = all.filter((e) => {
    const at = Date.parse(e.at);
    return at >= from && at < end;
  });
  const before = all.filter((e) => Date.parse(e.at) < from).at(-1);
  const gaps: Gap[] = [];
  let unassessed = 0;
  let longest: number | null = null;

  const check = (
    startMs: number,
    endMs: number,
    version: string | null,
    where: Gap['where'],
    describe: (length: string, allowed: string) => string,
  ) => {
    const ms = endMs - startMs;
    if (where === 'between') longest = Math.max(longest ?? 0, ms);
    const cadence = cadenceOf(version);
    if (!cadence) {
      unassessed++;
      return;
    }
    const allowedMs = 2 * cadence.ms;
    if (ms <= allowedMs) return;
    gaps.push({
      from: new Date(startMs).toISOString(),
      to: new Date(endMs).toISOString(),
      ms,
      allowedMs,
      where,
      policyVersion: version,
      text: describe(
        formatDuration(ms),
        `${formatDuration(allowedMs)} (twice the cadence of ${cadence.every})`,
      ),
    });
  };

  const first = inPeriod[0];
  const last = inPeriod.at(-1);
  if (!first) {
    if (before)
      check(
        Date.parse(before.at),
        end,
        before.policyVersion,
        'end',
        (l, a) =>
          `no evaluation in the period; the last one was at ${before.at}, ${l} before its end (allowed: ${a})`,
      );
    else
      gaps.push({
        from: new Date(from).toISOString(),
        to: new Date(end).toISOString(),
        ms: end - from,
        allowedMs: 0,
        where: 'none',
        policyVersion: null,
        text: 'no evaluation of this model in the period, nor before it',
      });
  } else {
    if (before)
      check(
        Date.parse(before.at),
        Date.parse(first.at),
        first.policyVersion,
        'start',
        (l, a) =>
          `${l} between the last evaluation before the period (${before.at}) and the first in it (allowed: ${a})`,
      );
    else
      check(
        from,
        Date.parse(first.at),
        first.policyVersion,
        'start',
        (l, a) =>
          `${l} from the start of the period to the first evaluation of this model (allowed: ${a}); there is none earlier`,
      );
    for (let i = 1; i < inPeriod.length; i++) {
      const a = inPeriod[i - 1]!;
      const b = inPeriod[i]!;
      check(
        Date.parse(a.at),
        Date.parse(b.at),
        b.policyVersion,
        'between',
        (l, allowed) => `${l} without an evaluation (allowed: ${allowed})`,
      );
    }
    check(
      Date.parse(last!.at),
      end,
      last!.policyVersion,
      'end',
      (l, a) => `${l} from the last evaluation to the end of the period (allowed: ${a})`,
    );
  }
  return {
    evaluations: inPeriod.length,
    byOutcome: count(inPeriod.map((e) => e.outcome)),
    byReason: count(inPeriod.map((e) => e.reason ?? 'unknown')),
    byPolicy: count(inPeriod.map((e) => e.policy)),
    first: first?.at ?? null,
    last: last?.at ?? null,
    coveredUntil: new Date(end).toISOString(),
    longestIntervalMs: longest,
    gaps,
    unassessed,
    // Covered means shown to be covered: an interval under an unknown cadence is not.
    ok: gaps.length === 0 && unassessed === 0,
  };
}

/**
 * The cadence of a policy version from its evaluations alone: the median
 * interval before a scheduled evaluation (an on-demand one in between
 * restarts the cadence, so it counts as the interval's start, not its end).
 */
export function inferCadence(all: readonly EvaluationPoint[], version: string): Cadence | undefined {
  const intervals: number[] = [];
  for (let i = 1; i < all.length; i++) {
    const b = all[i]!;
    if (b.policyVersion !== version || b.reason !== 'schedule') continue;
    intervals.push(Date.parse(b.at) - Date.parse(all[i - 1]!.at));
  }
  if (intervals.length === 0) return undefined;
  intervals.sort((x, y) => x - y);
  const median = intervals[Math.floor((intervals.length - 1) / 2)]!;
  const ms = Math.max(1000, Math.round(median / 1000) * 1000);
  return { every: formatDuration(ms), ms, source: 'inferred' };
}
