// The table every fault test prints at its end: each injected fault, when it
// hit, what came of it and how long the scenario took. docs/faults.md keeps
// a copy from a CI run.
export interface FaultRow {
  readonly fault: string;
  readonly during: string;
  readonly outcome: string;
  readonly seconds: number;
}

export function faultTable(rows: readonly FaultRow[]): string {
  const lines = [
    '| fault | during | outcome | s |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.fault} | ${r.during} | ${r.outcome} | ${r.seconds.toFixed(0)} |`),
  ];
  return lines.join('\n');
}

/** Printed on stdout, so it lands in the CI log beside the test results. */
export function printFaultTable(title: string, rows: readonly FaultRow[]): void {
  process.stdout.write(`\nfaults injected — ${title}:\n${faultTable(rows)}\n\n`);
}

/**
 * Which activities needed more than one attempt in a workflow's history (the
 * evidence that a fault bit, and that a retry — not luck — carried the run
 * through): `recordAudit ×3, awaitTrainingRun ×2`.
 */
export async function retriedActivities(handle: {
  fetchHistory(): Promise<{ events?: readonly HistoryEvent[] | null }>;
}): Promise<string> {
  const history = await handle.fetchHistory();
  const names = new Map<string, string>();
  const retried: string[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled && event.eventId != null)
      names.set(String(event.eventId), scheduled.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started && (started.attempt ?? 1) > 1)
      retried.push(`${names.get(String(started.scheduledEventId)) ?? '?'} ×${started.attempt}`);
  }
  return retried.length > 0 ? retried.join(', ') : 'no activity retried';
}

interface HistoryEvent {
  readonly eventId?: { toString(): string } | null;
  readonly activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  readonly activityTaskStartedEventAttributes?: {
    attempt?: number | null;
    scheduledEventId?: { toString(): string } | null;
  } | null;
}
