// Human tables for the operator verbs: borderless columns in the manner of
// kubectl, headed in bold on a terminal. cli-table3 measures cells by their
// visible width, so coloured cells line up.
import Table from 'cli-table3';
import type { Style } from './io.ts';

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** A table as text (one line per row, no trailing spaces), ending with a newline. */
export function renderTable(
  style: Style,
  head: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const table = new Table({
    head: head.map((h) => style.bold(h)),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    wordWrap: false,
  });
  for (const row of rows) table.push([...row]);
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}
