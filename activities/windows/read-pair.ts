// A reference and a current window read as columns, for what needs every row
// (CBPE, the quality checks, the diagnosis): an empty window is no data, an
// unreadable one an error, one over the memory budget no data with what to do.

import { readWindow, type WindowDeps } from './read.ts';
import type { WindowDescription, WindowProblem, WindowResult } from './types.ts';

type Columns = Extract<WindowResult, { outcome: 'columns' }>;

export type WindowPair =
  | { readonly ok: true; readonly reference: Columns; readonly current: Columns }
  | { readonly ok: false; readonly kind: 'noData' | 'error'; readonly message: string };

export async function readWindowPair(
  windows: { readonly reference: WindowDescription; readonly current: WindowDescription },
  deps: WindowDeps,
  columns: { readonly reference: readonly string[]; readonly current: readonly string[] },
  /** Who needs every row, for the over-budget message: "CBPE", "the diagnosis". */
  needs: string,
): Promise<WindowPair> {
  const [reference, current] = await Promise.all([
    readWindow(windows.reference, deps, { columns: columns.reference }),
    readWindow(windows.current, deps, { columns: columns.current }),
  ]);
  for (const [which, r] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    if (r.outcome === 'empty')
      return { ok: false, kind: 'noData', message: `the ${which} window is empty: ${r.reason}` };
    if (r.outcome === 'error')
      return { ok: false, kind: 'error', message: `the ${which} window could not be read: ${r.message}` };
    if (r.outcome === 'summaries')
      return {
        ok: false,
        kind: 'noData',
        message: `the ${which} window is larger than the memory budget (${r.reason}); ${needs} needs every row: narrow the window`,
      };
  }
  return { ok: true, reference: reference as Columns, current: current as Columns };
}

/** Values that did not fit their column's type, per column (the quality checks' schema finding). */
export function typeViolations(problems: readonly WindowProblem[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of problems)
    if (p.code === 'type-mismatch' && p.column) out[p.column] = (out[p.column] ?? 0) + p.count;
  return out;
}
