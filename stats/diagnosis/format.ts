// Numbers in words and in JSON for the diagnosis: every summary line and
// every evidence record goes through these, so a share always reads
// "45.0 %", a p-value "p = 0.003" or "p < 0.001", and a number that is not
// finite becomes null rather than NaN (which JSON cannot hold).

/**
 * A finite number, else null: evidence must survive JSON.
 *
 * @example
 * finiteOrNull(0.25); // 0.25
 * finiteOrNull(Number.NaN); // null
 */
export function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/**
 * A share as a percentage with one decimal.
 *
 * @example
 * pct(0.45); // '45.0 %'
 */
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/**
 * A number with at most `digits` significant digits, '—' when not finite.
 *
 * @example
 * num(0.851234); // '0.851'
 * num(1234.5); // '1230'
 */
export function num(x: number | null, digits = 3): string {
  if (x === null || !Number.isFinite(x)) return '—';
  return String(Number(x.toPrecision(digits)));
}

/**
 * A p-value in words.
 *
 * @example
 * pValue(0.0312); // 'p = 0.0312'
 * pValue(1e-9); // 'p < 0.001'
 */
export function pValue(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${num(p)}`;
}

/** "a, b and c" (at most `max` names, then "and N more"). */
export function names(list: readonly string[], max = 4): string {
  if (list.length === 0) return 'none';
  const shown = list.slice(0, max);
  const rest = list.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length === 1) return shown[0]!;
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}
