// The evaluator's memory between evaluations: small, plain JSON, versioned.
// The controller workflow carries it through continue-as-new and returns it
// from its status query, so it holds counters and a few timestamps — never
// measurements or histories — and its size is bounded by the policy (one
// entry per trigger and metric, retrain times within the budget period).
//
// No Node built-ins or libraries here: workflow code may import this module.

export const STATE_VERSION = 1;

export interface TriggerState {
  /** Fingerprint of the trigger's definition; a changed definition starts over. */
  readonly fp: string;
  /** Consecutive decided evaluations on which the condition held. */
  readonly streak: number;
  /** The last decided results, oldest first, `T`/`F` (M-of-N persistence); at most N long. */
  readonly window: string;
  /** Consecutive evaluations on which the condition could not be decided. */
  readonly undecided: number;
  /** Alerts: when the current episode started firing (persistence met and notified). */
  readonly firingSince: string | null;
  /** Alerts: when a notification was last sent (for repeatEvery). */
  readonly lastSentAt: string | null;
}

export interface MetricState {
  /** Consecutive evaluations without a usable measurement (inconclusive or error). */
  readonly unusable: number;
  /** An alert about this metric being unusable has been sent and not yet resolved. */
  readonly alerted: boolean;
  /** A detector objective's state (policies/detector-objective.ts), JSON. */
  readonly detector?: unknown;
}

export interface PolicyState {
  readonly version: typeof STATE_VERSION;
  /** The policy version this state was last evaluated with. */
  readonly policyHash: string | null;
  /** Evaluations so far (the next decision's sequence number is this + 1). */
  readonly evaluations: number;
  readonly lastEvaluatedAt: string | null;
  readonly triggers: Readonly<Record<string, TriggerState>>;
  readonly metrics: Readonly<Record<string, MetricState>>;
  /** Times of retrains (and rollbacks) taken, within the budget period: the budget ledger. */
  readonly ledger: readonly string[];
  readonly lastRetrainAt: string | null;
  /** A retrain was decided and has not finished (cleared by `retrainFinished`). */
  readonly inFlight: {
    readonly trigger: string;
    readonly decidedAt: string;
    readonly evaluation: number;
  } | null;
  /** A rollback was decided and not yet confirmed (cleared by `rolledBack`). */
  readonly rollbackPending: { readonly origin: string; readonly decidedAt: string } | null;
  /** The serving version as reported by the controller, with what to roll back to and the bake period. */
  readonly champion: {
    readonly version: string;
    readonly previousVersion: string | null;
    readonly promotedAt: string | null;
    readonly bakeUntil: string | null;
  } | null;
  readonly lastDecision: {
    readonly at: string;
    readonly evaluation: number;
    readonly outcome: string;
    readonly summary: string;
  } | null;
  /** Retrains that failed in a row, and when the last did (guards.failureBackoff); absent in older state. */
  readonly failures?: { readonly count: number; readonly lastAt: string } | null;
  /** The cause the last diagnosis alerted on and since when: the same cause is not announced again while it lasts. */
  readonly diagnosis?: { readonly cause: string; readonly since: string } | null;
}

export function initialState(): PolicyState {
  return {
    version: STATE_VERSION,
    policyHash: null,
    evaluations: 0,
    lastEvaluatedAt: null,
    triggers: {},
    metrics: {},
    ledger: [],
    lastRetrainAt: null,
    inFlight: null,
    rollbackPending: null,
    champion: null,
    lastDecision: null,
    failures: null,
  };
}

export function freshTrigger(fp: string): TriggerState {
  return { fp, streak: 0, window: '', undecided: 0, firingSince: null, lastSentAt: null };
}

export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isIso = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Check state that comes back from outside (a workflow argument after
 * continue-as-new, a file). Unknown versions are refused rather than
 * guessed at; future versions add a migration here.
 */
export function parseState(input: unknown): PolicyState {
  if (!isObj(input)) throw new StateError('policy state must be an object');
  if (input.version !== STATE_VERSION) {
    throw new StateError(
      `policy state version ${String(input.version)} is not supported (this ctpilot reads version ${STATE_VERSION})`,
    );
  }
  const fail = (what: string) => {
    throw new StateError(`invalid policy state: ${what}`);
  };
  if (!(input.policyHash === null || typeof input.policyHash === 'string')) fail('policyHash');
  if (!isCount(input.evaluations)) fail('evaluations');
  if (!(input.lastEvaluatedAt === null || isIso(input.lastEvaluatedAt))) fail('lastEvaluatedAt');
  if (!isObj(input.triggers)) fail('triggers');
  for (const [k, t] of Object.entries(input.triggers as object)) {
    if (
      !isObj(t) ||
      typeof t.fp !== 'string' ||
      !isCount(t.streak) ||
      typeof t.window !== 'string' ||
      !/^[TF]*$/.test(t.window) ||
      !isCount(t.undecided) ||
      !(t.firingSince === null || isIso(t.firingSince)) ||
      !(t.lastSentAt === null || isIso(t.lastSentAt))
    ) {
      fail(`triggers.${k}`);
    }
  }
  if (!isObj(input.metrics)) fail('metrics');
  for (const [k, m] of Object.entries(input.metrics as object)) {
    if (!isObj(m) || !isCount(m.unusable) || typeof m.alerted !== 'boolean') fail(`metrics.${k}`);
  }
  if (!Array.isArray(input.ledger) || !input.ledger.every(isIso)) fail('ledger');
  if (!(input.lastRetrainAt === null || isIso(input.lastRetrainAt))) fail('lastRetrainAt');
  const f = input.inFlight;
  if (
    !(
      f === null ||
      (isObj(f) && typeof f.trigger === 'string' && isIso(f.decidedAt) && isCount(f.evaluation))
    )
  )
    fail('inFlight');
  const r = input.rollbackPending;
  if (!(r === null || (isObj(r) && typeof r.origin === 'string' && isIso(r.decidedAt))))
    fail('rollbackPending');
  const c = input.champion;
  if (
    !(
      c === null ||
      (isObj(c) &&
        typeof c.version === 'string' &&
        (c.previousVersion === null || typeof c.previousVersion === 'string') &&
        (c.promotedAt === null || isIso(c.promotedAt)) &&
        (c.bakeUntil === null || isIso(c.bakeUntil)))
    )
  ) {
    fail('champion');
  }
  const d = input.lastDecision;
  if (
    !(
      d === null ||
      (isObj(d) &&
        isIso(d.at) &&
        isCount(d.evaluation) &&
        typeof d.outcome === 'string' &&
        typeof d.summary === 'string')
    )
  ) {
    fail('lastDecision');
  }
  const fs = input.failures;
  if (!(fs === undefined || fs === null || (isObj(fs) && isCount(fs.count) && isIso(fs.lastAt))))
    fail('failures');
  const dg = input.diagnosis;
  if (!(dg === undefined || dg === null || (isObj(dg) && typeof dg.cause === 'string' && isIso(dg.since))))
    fail('diagnosis');
  return input as unknown as PolicyState;
}
