// The two ways a statistics call can fail, as typed errors. Input problems
// (an empty window, an all-NaN column) are not errors of the caller's code:
// the drift layer turns them into an *inconclusive* outcome with the reason.
// Configuration problems (an unknown test name, a threshold outside its range)
// are the caller's mistake and are thrown at construction.

/** Why a window cannot be judged. Stable strings: they end up in audit rows. */
export type InconclusiveReason =
  | 'empty-window'
  | 'all-nan'
  | 'type-mismatch'
  | 'too-small'
  | 'constant'
  | 'not-finite'
  | 'invalid-input';

/**
 * Thrown by the low-level functions (`ks2samp`, `chiSquare`, …) when their
 * input cannot give a meaningful number. `reason` is machine-readable;
 * `message` says which argument and what to do.
 */
export class StatsInputError extends Error {
  override readonly name = 'StatsInputError';
  constructor(
    readonly reason: InconclusiveReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown when a test, detector or option is configured wrongly: an unknown
 * name, a parameter outside its domain. The message lists the valid values.
 */
export class StatsConfigError extends Error {
  override readonly name = 'StatsConfigError';
  constructor(
    message: string,
    readonly valid: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Throws a {@link StatsConfigError} unless `value` is one of `valid`. */
export function oneOf<T extends string>(what: string, value: string, valid: readonly T[]): T {
  if ((valid as readonly string[]).includes(value)) return value as T;
  throw new StatsConfigError(`No ${what} named '${value}'. Available: ${valid.join(', ')}.`, valid);
}

/** Throws a {@link StatsConfigError} unless `check` holds. */
export function requireConfig(check: boolean, message: string): void {
  if (!check) throw new StatsConfigError(message);
}
