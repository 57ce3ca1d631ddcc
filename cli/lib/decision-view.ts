// A decision for people: the headline, each metric's verdict, each trigger,
// and each action with what held it back. Shared by `status`, `evaluate` and
// `history --explain`.

import type { Decision } from '../../policies/decision.ts';
import { fmt } from '../../policies/number-format.ts';
import { oneLine, outcome, relative } from './format.ts';
import type { Style } from './io.ts';
import { renderTable } from './table.ts';

const indent = (text: string, by = '    ') =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

export function decisionHeadline(style: Style, d: Decision, now = Date.now()): string {
  return `#${d.evaluation} ${outcome(style, d.outcome)} ${style.dim(relative(d.at, now))} — ${d.summary}`;
}

/** The verdicts, triggers and actions of a decision as indented tables. */
export function decisionDetail(style: Style, d: Decision): string {
  const parts: string[] = [];
  if (d.metrics.length > 0) {
    parts.push(
      indent(
        renderTable(
          style,
          ['METRIC', 'PHASE', 'VALUE', 'OBJECTIVE', 'REASON'],
          d.metrics.map((m) => [
            m.metric,
            outcome(style, m.phase),
            m.value === undefined ? '—' : fmt(m.value),
            m.objective ?? '—',
            oneLine(m.reason, 70),
          ]),
        ),
      ),
    );
  }
  if (d.triggers.length > 0) {
    parts.push(
      indent(
        renderTable(
          style,
          ['TRIGGER', 'ACTION', 'CONDITION', 'PERSISTENCE'],
          d.triggers.map((t) => [
            t.trigger,
            t.action,
            t.condition === 'true'
              ? style.red('true')
              : t.condition === 'undetermined'
                ? style.yellow('undetermined')
                : 'false',
            `${t.persistence}${t.met ? style.bold(' (met)') : ''}`,
          ]),
        ),
      ),
    );
  }
  if (d.diagnosis) {
    const dg = d.diagnosis;
    const mark = (v: string) =>
      v === 'fail' ? style.red('fail') : v === 'inconclusive' ? style.yellow(v) : v;
    parts.push(
      `    ${style.bold('diagnosis')} ${dg.cause}${dg.features.length ? ` (${dg.features.join(', ')})` : ''} → ${dg.action}: ${oneLine(dg.explanation, 300)}`,
    );
    for (const st of dg.stages)
      parts.push(`      ${st.stage.padEnd(10)} ${mark(st.verdict)} ${oneLine(st.summary, 120)}`);
    if (dg.samplesUri) parts.push(`      hard cases: ${dg.samplesUri}`);
  }
  for (const a of d.actions) {
    const held = a.heldBy.map((h) => `${h.guard}: ${h.detail}`).join('; ');
    parts.push(
      `    ${style.bold(a.kind)} ${outcome(style, a.status === 'act' ? a.kind : a.status)} ${style.dim(`(${a.origin})`)}${held ? ` — held by ${held}` : ''}`,
    );
    parts.push(indent(oneLine(a.explanation, 400), '      '));
  }
  for (const w of d.warnings) parts.push(`    ${style.yellow('warning:')} ${w}`);
  return parts.join('\n').replace(/\n+$/, '');
}
