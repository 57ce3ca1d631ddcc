// Inbound alerts as measurements: 1 while a matching alert fires, 0 once it
// resolved (or was not repeated for `resolveAfter`) — and 0 before any
// matching alert arrived: a monitor that has not alerted is a monitor that
// sees nothing wrong. The controller keeps the alerts it received (by
// signal); this provider only reads them.
import { type Measurement, outcomeOf } from '../../policies/measurement.ts';
import type { Provider, ReceivedAlert } from './provider.ts';

export function matches(
  alert: ReceivedAlert,
  source: string,
  match: Readonly<Record<string, string>>,
): boolean {
  if (alert.source !== source) return false;
  return Object.entries(match).every(([label, value]) => alert.labels[label] === value);
}

export const alertProvider: Provider<'alert'> = async (request, context): Promise<Measurement> => {
  const takenAt = new Date().toISOString();
  const source = { inputs: { source: request.source, match: JSON.stringify(request.match) } };
  const base = { metric: request.metric, provider: 'alert' as const, takenAt, source };
  const latest = context.alerts
    .filter((a) => matches(a, request.source, request.match))
    .sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt))
    .at(-1);
  if (!latest) return { ...base, outcome: outcomeOf(0) };
  const stale =
    request.resolveAfterMs !== undefined &&
    Date.parse(request.at) - Date.parse(latest.receivedAt) > request.resolveAfterMs;
  const firing = latest.status === 'firing' && !stale;
  return { ...base, outcome: outcomeOf(firing ? 1 : 0), dataAt: latest.receivedAt };
};
