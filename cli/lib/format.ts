// Small formatting helpers shared by the operator verbs: relative times,
// short hashes, decision outcomes in colour.
import type { Style } from './io.ts';

function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 && h < 10 ? `${h}h${m % 60}m` : `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** "3m ago", "in 2h", "now" — relative to `now`. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = at - now;
  if (Math.abs(diff) < 1000) return 'now';
  return diff < 0 ? `${span(diff)} ago` : `in ${span(diff)}`;
}

/** Milliseconds as "90s", "2h", "3d". */
export function duration(ms: number): string {
  return span(ms);
}

/** `sha256:3f9a1c2b4d5e` — enough to tell versions apart. */
export function shortHash(hash: string | null | undefined): string {
  if (!hash) return '—';
  return hash.startsWith('sha256:') ? hash.slice(0, 19) : hash.slice(0, 12);
}

/** A decision outcome coloured by how much attention it needs. */
export function outcome(style: Style, text: string): string {
  switch (text) {
    case 'rollback':
    case 'retrain':
    case 'failed':
    case 'breach':
    case 'error':
    case 'rejected':
      return style.red(text);
    case 'alert':
    case 'held':
    case 'inconclusive':
    case 'paused':
    case 'dryRun':
      return style.yellow(text);
    case 'ok':
    case 'promoted':
    case 'registered':
    case 'approved':
      return style.green(text);
    default:
      return text;
  }
}

/** First line of a text, cut to `max` characters. */
export function oneLine(text: string | undefined, max = 100): string {
  const line = (text ?? '').split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
