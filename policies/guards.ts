// What may hold an action back, each returned as a Hold with its reason in
// words. Retrains are held by a rollback decided in the same evaluation, a
// retrain in flight, a maintenance window, the cooldown and the budget. Rollbacks are held only by the absence of a
// version to roll back to, or a rollback already under way: undoing a bad
// model must not wait for a cooldown.

import type { Hold } from './decision.ts';
import { durationMs, formatDuration } from './duration.ts';
import { activeMaintenance } from './maintenance.ts';
import type { Policy } from './schema/policy.ts';
import type { PolicyState } from './state.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function retrainHolds(
  policy: Policy,
  state: PolicyState,
  nowMs: number,
  earlierThisEvaluation: string | undefined,
  /** The champion this evaluation rolls back (the rollback condition acted first), if any. */
  rollingBack?: PolicyState['champion'] | undefined,
): Hold[] {
  const holds: Hold[] = [];
  const g = policy.guards;
  if (rollingBack) {
    holds.push({
      guard: 'rollingBack',
      detail: `this evaluation rolls version ${rollingBack.version} back to ${rollingBack.previousVersion ?? 'the previous champion'}; the breach was measured on the version being rolled back, so retraining waits for evidence on the restored champion (persistence starts over)`,
    });
  }
  if (earlierThisEvaluation !== undefined) {
    holds.push({
      guard: 'sameEvaluation',
      detail: `trigger \`${earlierThisEvaluation}\` already requested a retrain in this evaluation`,
    });
  }
  if (state.inFlight) {
    holds.push({
      guard: 'inFlight',
      detail: `a retrain is already running (requested by trigger \`${state.inFlight.trigger}\` at ${state.inFlight.decidedAt}, evaluation ${state.inFlight.evaluation})`,
    });
  }
  const window = activeMaintenance(g.maintenance, nowMs);
  if (window) {
    holds.push({
      guard: 'maintenance',
      detail: `maintenance window ${window.description}${window.until ? ` until ${window.until}` : ''}`,
      ...(window.until ? { until: window.until } : {}),
    });
  }
  if (state.failures && state.failures.count > 0) {
    // Doubling from `initial` per consecutive failure, capped at `max`.
    const { initial, max } = g.failureBackoff;
    const hold = Math.min(durationMs(max), durationMs(initial) * 2 ** Math.min(state.failures.count - 1, 30));
    const next = Date.parse(state.failures.lastAt) + hold;
    if (nowMs < next) {
      holds.push({
        guard: 'failureBackoff',
        detail: `${state.failures.count} retrain(s) in a row failed (the last at ${state.failures.lastAt}): backing off ${formatDuration(hold)}, until ${iso(next)} (guards.failureBackoff)`,
        until: iso(next),
      });
    }
  }
  if (g.cooldown !== undefined && state.lastRetrainAt !== null) {
    const next = Date.parse(state.lastRetrainAt) + durationMs(g.cooldown);
    if (nowMs < next) {
      holds.push({
        guard: 'cooldown',
        detail: `cooldown ${g.cooldown}: last retrain at ${state.lastRetrainAt}, next allowed at ${iso(next)}`,
        until: iso(next),
      });
    }
  }
  if (g.budget) {
    const per = durationMs(g.budget.per);
    const used = state.ledger.filter((t) => nowMs - Date.parse(t) < per).sort();
    if (used.length >= g.budget.retrains) {
      const next = Date.parse(used[used.length - g.budget.retrains] as string) + per;
      holds.push({
        guard: 'budget',
        detail: `budget: ${used.length} of ${g.budget.retrains} retrains and rollbacks used in the last ${g.budget.per}; the next one is allowed at ${iso(next)}`,
        until: iso(next),
      });
    }
  }
  return holds;
}

/** Guards that were checked and did not hold, in words, so an explanation can say the way was clear. */
export function clearGuards(policy: Policy, state: PolicyState, nowMs: number): string[] {
  const out: string[] = [];
  const g = policy.guards;
  if (g.cooldown !== undefined) {
    out.push(
      state.lastRetrainAt === null
        ? `cooldown ${g.cooldown} (no earlier retrain)`
        : `cooldown ${g.cooldown} (last retrain ${formatDuration(nowMs - Date.parse(state.lastRetrainAt))} ago)`,
    );
  }
  if (g.budget) {
    const per = durationMs(g.budget.per);
    const used = state.ledger.filter((t) => nowMs - Date.parse(t) < per).length;
    out.push(`budget ${used} of ${g.budget.retrains} used in the last ${g.budget.per}`);
  }
  if ((g.maintenance ?? []).length > 0) out.push('outside maintenance windows');
  return out;
}

export function rollbackHolds(state: PolicyState, earlierThisEvaluation: string | undefined): Hold[] {
  const holds: Hold[] = [];
  if (earlierThisEvaluation !== undefined) {
    holds.push({
      guard: 'sameEvaluation',
      detail: `\`${earlierThisEvaluation}\` already requested a rollback in this evaluation`,
    });
  }
  if (state.rollbackPending) {
    holds.push({
      guard: 'rollbackPending',
      detail: `a rollback requested by \`${state.rollbackPending.origin}\` at ${state.rollbackPending.decidedAt} is under way`,
    });
  }
  if (!state.champion?.previousVersion) {
    holds.push({
      guard: 'noPreviousChampion',
      detail: 'no previous champion version is recorded, so there is nothing to roll back to',
    });
  }
  return holds;
}

export function alertHolds(policy: Policy, nowMs: number): Hold[] {
  if (!policy.guards.holdAlertsInMaintenance) return [];
  const window = activeMaintenance(policy.guards.maintenance, nowMs);
  return window
    ? [
        {
          guard: 'maintenance',
          detail: `maintenance window ${window.description} (holdAlertsInMaintenance)`,
          ...(window.until ? { until: window.until } : {}),
        },
      ]
    : [];
}
