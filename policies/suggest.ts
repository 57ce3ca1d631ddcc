// "Did you mean …?" for unknown keys, metric names, fields and enum values.

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two adjacent letters (optimal string alignment), because `valeu` for
 * `value` is one slip of the fingers, not two. Exits early above `max`.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

/**
 * The closest candidate to `word`, if it is close enough to be a plausible
 * typo: a case-insensitive match, or about a third of the word's letters
 * changed (minimum 1, maximum 3).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.ceil(word.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl === lower) return c;
    // `labels-seen` for `labels_seen`, `drifted` vs `Drifted`: separators and case are cheap mistakes.
    const normalise = (s: string) => s.replace(/[-_.\s]/g, '');
    if (normalise(cl) === normalise(lower)) return c;
    const d = editDistance(lower, cl, bestDistance);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** "did you mean `x`?" or a list of what exists, for a hint line. */
export function suggestion(word: string, candidates: readonly string[], what = 'valid values'): string {
  const near = nearest(word, candidates);
  const list = candidates.length <= 16 ? candidates.join(', ') : `${candidates.slice(0, 16).join(', ')}, …`;
  if (near !== undefined) return `did you mean \`${near}\`? ${capitalise(what)}: ${list}`;
  return candidates.length === 0 ? `there are no ${what}` : `${capitalise(what)}: ${list}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
