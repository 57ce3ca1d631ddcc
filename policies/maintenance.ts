// Is an instant inside one of the policy's maintenance windows? One-off
// windows are absolute instants; weekly windows are wall-clock times in a
// time zone (Intl does the zone arithmetic, so daylight-saving changes are
// handled by the platform's tz database).

import type { MaintenanceWindow, Weekday } from './schema/triggers.ts';

export interface ActiveWindow {
  readonly description: string;
  /** When the window ends (ISO), when it can be computed exactly. */
  readonly until?: string;
}

const DAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const formatters = new Map<string, Intl.DateTimeFormat>();

const lastParts = new Map<string, { minuteMs: number; parts: { day: Weekday; minute: number } }>();

function localParts(ms: number, timeZone: string): { day: Weekday; minute: number } {
  // Evaluations of many triggers ask about the same minute; Intl is the slow part, so remember the last answer per zone.
  const minuteMs = Math.floor(ms / 60_000) * 60_000;
  const hit = lastParts.get(timeZone);
  if (hit && hit.minuteMs === minuteMs) return hit.parts;
  const parts = computeParts(minuteMs, timeZone);
  lastParts.set(timeZone, { minuteMs, parts });
  return parts;
}

function computeParts(ms: number, timeZone: string): { day: Weekday; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  let day: Weekday = 'mon';
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(ms)) {
    if (p.type === 'weekday') day = p.value.slice(0, 3).toLowerCase() as Weekday;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function describe(w: MaintenanceWindow): string {
  const why = w.reason ? ` (${w.reason})` : '';
  if (w.weekly)
    return `weekly ${w.weekly.days.join(',')} ${w.weekly.start}–${w.weekly.end} ${w.weekly.timezone}${why}`;
  return `${w.from} – ${w.to}${why}`;
}

export function activeMaintenance(
  windows: readonly MaintenanceWindow[] | undefined,
  nowMs: number,
): ActiveWindow | undefined {
  for (const w of windows ?? []) {
    if (w.from !== undefined && w.to !== undefined) {
      // Half-open [from, to): at `to` the window is over.
      if (nowMs >= Date.parse(w.from) && nowMs < Date.parse(w.to))
        return { description: describe(w), until: new Date(Date.parse(w.to)).toISOString() };
      continue;
    }
    if (!w.weekly) continue;
    const { day, minute } = localParts(nowMs, w.weekly.timezone);
    const start = toMinutes(w.weekly.start);
    const end = toMinutes(w.weekly.end);
    const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7] as Weekday;
    const startsToday = w.weekly.days.includes(day);
    let left: number | undefined;
    if (start < end) {
      if (startsToday && minute >= start && minute < end) left = end - minute;
    } else {
      // end ≤ start: the window runs past midnight into the next day (equal means a full 24 hours).
      if (startsToday && minute >= start) left = 24 * 60 - minute + end;
      else if (w.weekly.days.includes(yesterday) && minute < end) left = end - minute;
    }
    if (left !== undefined) {
      // Wall-clock minutes; across a daylight-saving change the end is off by the shift, so it is given rounded to the minute.
      const until = new Date(Math.floor(nowMs / 60_000) * 60_000 + left * 60_000).toISOString();
      return { description: describe(w), until };
    }
  }
  return undefined;
}
