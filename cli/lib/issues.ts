// Printing policy issues for people: the editor-style location line, the
// offending source line with a caret under the column, and the hint.

import type { PolicyIssue } from '../../policies/issues.ts';
import type { Style } from './io.ts';

/** C0 control characters other than tab: the line is not printable text. */
function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09) return true;
  }
  return false;
}

export function formatIssue(issue: PolicyIssue, source: string | undefined, style: Style): string {
  const label = issue.severity === 'error' ? style.red('error') : style.yellow('warning');
  const where = issue.path ? ` ${style.dim(`(at ${issue.path})`)}` : '';
  const lines = [
    `${style.bold(`${issue.file}:${issue.line}:${issue.column}`)} ${label} ${issue.message}${where} ${style.dim(`[${issue.code}]`)}`,
  ];
  const text = source?.split('\n')[issue.line - 1];
  // Excerpts only for text lines of a sane length (not a binary blob or a minified file).
  if (text !== undefined && text.length <= 240 && !hasControlChars(text)) {
    const n = String(issue.line);
    lines.push(`  ${style.dim(`${n} |`)} ${text.replace(/\t/g, ' ')}`);
    lines.push(
      `  ${' '.repeat(n.length)} ${style.dim('|')} ${' '.repeat(Math.max(0, issue.column - 1))}${style.red('^')}`,
    );
  }
  if (issue.hint) lines.push(`  ${style.cyan('hint:')} ${issue.hint}`);
  return lines.join('\n');
}

/** JSON form of an issue (stable keys for `--json`). */
export function issueJson(i: PolicyIssue) {
  return {
    severity: i.severity,
    code: i.code,
    message: i.message,
    hint: i.hint ?? null,
    file: i.file,
    line: i.line,
    column: i.column,
    path: i.path,
  };
}
