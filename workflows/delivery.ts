// What became of one notification, in words: for the audit row's summary,
// the controller's status and the worker's warning. Pure, so the workflows
// and the worker say it the same way.
import type { DeliveryResult } from '../activities/notify.ts';

export interface DeliveryFailure {
  readonly at: string;
  /** The kind of notification (alert, rollback, approval, …) and what it was about. */
  readonly event: string;
  readonly name: string;
  readonly receiver: string;
  readonly error: string;
  readonly attempts: number;
}

export interface DeliveryReport {
  /** Every receiver that was meant to get it did (skipped ones were not meant to). */
  readonly ok: boolean;
  readonly summary: string;
  readonly failed: readonly DeliveryResult[];
}

function reason(r: DeliveryResult): string {
  return `${r.error ?? (r.status ? `HTTP ${r.status}` : 'not delivered')}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}`;
}

export function describeDeliveries(results: readonly DeliveryResult[]): DeliveryReport {
  const delivered = results.filter((r) => r.delivered).map((r) => r.receiver);
  const skipped = results.filter((r) => r.skipped).map((r) => r.receiver);
  const failed = results.filter((r) => !r.delivered && !r.skipped);
  const parts = [
    ...failed.map((r) => `not delivered to ${r.receiver}: ${reason(r)}`),
    delivered.length > 0 ? `delivered to ${delivered.join(', ')}` : null,
    skipped.length > 0 ? `not sent to ${skipped.join(', ')} (not subscribed to this event)` : null,
  ].filter((p): p is string => p !== null);
  return { ok: failed.length === 0, summary: parts.join('; ') || 'no receiver', failed };
}

/** The first failed delivery of a notification, for the status; undefined when all went out. */
export function firstFailure(
  results: readonly DeliveryResult[],
  about: { at: string; event: string; name: string },
): DeliveryFailure | undefined {
  const r = describeDeliveries(results).failed[0];
  return r ? { ...about, receiver: r.receiver, error: reason(r), attempts: r.attempts } : undefined;
}
