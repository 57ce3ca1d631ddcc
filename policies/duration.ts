// Durations in policies are written the way operators write them in
// Prometheus and Kubernetes: `30s`, `5m`, `24h`, `7d`, or compound `1h30m`.
// Policies keep the text (it is what the user wrote and what explanations
// quote); code that needs a number calls `durationMs`.

/** The accepted forms, quoted in every "bad duration" error. */
export const DURATION_FORMS =
  'a number followed by a unit: ms, s, m, h, d or w — e.g. 30s, 5m, 24h, 7d, 1h30m';

/** One or more `<integer><unit>` groups, largest unit first is not enforced (1h30m and 30m1h both parse). */
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const cache = new Map<string, number>();

/** Milliseconds in a duration text, or `undefined` if the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  // A duration so long it loses integer precision is a typo, not a policy.
  if (!Number.isSafeInteger(total)) return undefined;
  if (cache.size < 10_000) cache.set(text, total);
  return total;
}

/** Milliseconds in a duration the schema has already validated; throws on anything else (a bug). */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new Error(`not a duration: ${JSON.stringify(text)} (expected ${DURATION_FORMS})`);
  return ms;
}

/** A compact human form: 90000 → "1m30s", 86400000 → "1d". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return sign + parts.join('');
}
