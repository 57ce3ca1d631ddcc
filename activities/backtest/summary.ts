// What a backtest found, in numbers: how often the policy would have
// alerted, retrained or rolled back, when, where guards and requirements held
// it back, when each trigger's condition held, and which metrics had no
// usable data. Pure: computed from the step records.

import type { ActionKind, GuardName, Outcome } from '../../policies/decision.ts';
import type { StepRecord } from './types.ts';

export interface WouldAct {
  readonly at: string;
  readonly kind: ActionKind;
  readonly origin: string;
  /** `act`, or `dryRun` for a policy/trigger in dry run that nothing held back. */
  readonly status: 'act' | 'dryRun';
}

export interface HeldSummary {
  readonly guard: GuardName;
  readonly kind: ActionKind;
  readonly origin: string;
  readonly steps: number;
  readonly first: string;
  readonly last: string;
}

export interface Episode {
  readonly trigger: string;
  readonly from: string;
  readonly to: string;
  readonly steps: number;
}

export interface BacktestSummary {
  readonly steps: number;
  readonly outcomes: Readonly<Partial<Record<Outcome, number>>>;
  /** Actions that would have gone out (alerts, retrains, rollbacks; resolves left out). */
  readonly wouldAct: readonly WouldAct[];
  readonly counts: Readonly<Record<'retrain' | 'alert' | 'rollback', number>>;
  readonly held: readonly HeldSummary[];
  /** Runs of consecutive steps on which a trigger's condition held. */
  readonly episodes: readonly Episode[];
  /** Steps on which each metric had no usable measurement (inconclusive or error). */
  readonly unusable: Readonly<Record<string, number>>;
  /** When: each run of consecutive steps on which a metric had no usable measurement. */
  readonly gaps: readonly Gap[];
  /** No step had a usable measurement of any metric: the backtest says nothing about the policy. */
  readonly noUsableData: boolean;
}

export interface Gap {
  readonly metric: string;
  readonly from: string;
  readonly to: string;
  readonly steps: number;
}

export function summarise(steps: readonly StepRecord[]): BacktestSummary {
  const outcomes: Partial<Record<Outcome, number>> = {};
  const wouldAct: WouldAct[] = [];
  const held = new Map<
    string,
    { guard: GuardName; kind: ActionKind; origin: string; steps: number; first: string; last: string }
  >();
  const unusable: Record<string, number> = {};
  const gaps: Gap[] = [];
  const openGaps = new Map<string, { from: string; to: string; steps: number }>();
  let usableSteps = 0;
  const episodes: Episode[] = [];
  const open = new Map<string, { from: string; to: string; steps: number }>();

  for (const step of steps) {
    outcomes[step.outcome] = (outcomes[step.outcome] ?? 0) + 1;
    for (const a of step.actions) {
      if (a.kind === 'resolve') continue;
      if (a.status === 'act' || (a.status === 'dryRun' && a.heldBy.length === 0)) {
        wouldAct.push({ at: step.at, kind: a.kind, origin: a.origin, status: a.status });
      }
      for (const guard of a.heldBy) {
        const key = `${guard}\u0000${a.kind}\u0000${a.origin}`;
        const h = held.get(key);
        if (h) {
          h.steps++;
          h.last = step.at;
        } else
          held.set(key, { guard, kind: a.kind, origin: a.origin, steps: 1, first: step.at, last: step.at });
      }
    }
    let usable = false;
    for (const m of step.metrics) {
      const gap = openGaps.get(m.metric);
      if (m.phase === 'inconclusive' || m.phase === 'error') {
        unusable[m.metric] = (unusable[m.metric] ?? 0) + 1;
        if (gap) {
          gap.to = step.at;
          gap.steps++;
        } else openGaps.set(m.metric, { from: step.at, to: step.at, steps: 1 });
      } else {
        usable = true;
        if (gap) {
          gaps.push({ metric: m.metric, ...gap });
          openGaps.delete(m.metric);
        }
      }
    }
    if (usable) usableSteps++;
    const holding = new Set(step.holding);
    for (const [trigger, ep] of open) {
      if (!holding.has(trigger)) {
        episodes.push({ trigger, ...ep });
        open.delete(trigger);
      }
    }
    for (const trigger of holding) {
      const ep = open.get(trigger);
      if (ep) {
        ep.to = step.at;
        ep.steps++;
      } else open.set(trigger, { from: step.at, to: step.at, steps: 1 });
    }
  }
  for (const [trigger, ep] of open) episodes.push({ trigger, ...ep });
  for (const [metric, gap] of openGaps) gaps.push({ metric, ...gap });
  gaps.sort((a, b) => a.from.localeCompare(b.from) || a.metric.localeCompare(b.metric));
  episodes.sort((a, b) => a.from.localeCompare(b.from) || a.trigger.localeCompare(b.trigger));

  const count = (k: ActionKind) => wouldAct.filter((w) => w.kind === k).length;
  return {
    steps: steps.length,
    outcomes,
    wouldAct,
    counts: { retrain: count('retrain'), alert: count('alert'), rollback: count('rollback') },
    held: [...held.values()],
    episodes,
    unusable,
    gaps,
    noUsableData: steps.length > 0 && usableSteps === 0,
  };
}
