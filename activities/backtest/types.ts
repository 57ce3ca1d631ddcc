// The shapes a backtest works with: the span and cadence it replays, one
// record per simulated evaluation (compact: what a chart and a summary need,
// not the full decision), and the result. Plain JSON, so `--json` prints
// them as they are.

import type { Phase } from '../../policies/classify.ts';
import type { ActionKind, ActionStatus, GuardName, Outcome } from '../../policies/decision.ts';

export interface BacktestSpan {
  /** First evaluation instant (ms since the epoch). */
  readonly fromMs: number;
  /** Last evaluation instant is at or before this. */
  readonly toMs: number;
  /** Simulated cadence. */
  readonly stepMs: number;
}

export interface StepMetric {
  readonly metric: string;
  readonly phase: Phase;
  readonly value?: number;
  /** Thresholds in force at this step, when the objective has them (learned bands vary by step). */
  readonly lower?: number;
  readonly upper?: number;
  readonly baseline?: number;
  readonly reason: string;
}

export interface StepAction {
  readonly kind: ActionKind;
  readonly status: ActionStatus;
  readonly origin: string;
  readonly heldBy: readonly GuardName[];
  readonly explanation: string;
}

export interface StepRecord {
  readonly at: string;
  readonly outcome: Outcome;
  readonly summary: string;
  readonly metrics: readonly StepMetric[];
  /** Triggers whose condition held this step (before persistence). */
  readonly holding: readonly string[];
  readonly actions: readonly StepAction[];
  /** The diagnosis at this step, when the policy has one and a retrain or alert would have gone out. */
  readonly diagnosis?: {
    readonly cause: string;
    readonly features: readonly string[];
    readonly action: string;
    readonly explanation: string;
  };
}

/** A metric the backtest cannot replay, and what it did instead. */
export interface Limitation {
  readonly metric: string;
  readonly reason: string;
}

export interface BacktestResult {
  readonly policy: string;
  readonly policyHash: string;
  readonly from: string;
  readonly to: string;
  readonly stepMs: number;
  readonly steps: readonly StepRecord[];
  readonly limitations: readonly Limitation[];
  /** How the measurements were taken (for the record: range queries, windows read, time spent). */
  readonly source: {
    readonly mode: 'range' | 'instant';
    readonly prometheusQueries: number;
    readonly windowReads: number;
    readonly elapsedMs: number;
  };
}
