// PromQL in policies: parsed at load time with Prometheus's own Lezer
// grammar, and templated with placeholders whose values are escaped for the
// exact position they land in. A model called `a"} or vector(1) #` must
// become one label value, not a second query: inside a "…" or '…' string
// the value is string-escaped, inside a regex matcher (=~, !~) it is also
// regex-quoted (so `.` matches a dot), inside a `…` raw string it may not
// contain a backtick, and as part of a metric or label name it may only
// contain name characters. Anywhere else a placeholder is refused at load.

import { parser } from '@prometheus-io/lezer-promql';
import { scanTemplate, TemplateError, type TemplateValues } from './template.ts';

export type QueryProblemCode = 'promql-syntax' | 'promql-result' | 'template-syntax' | 'template-context';

export interface QueryProblem {
  readonly code: QueryProblemCode;
  /** Character offset in the query as written. */
  readonly offset: number;
  readonly message: string;
  readonly hint?: string;
}

/** Where a placeholder sits, which decides how its value is escaped. */
type Slot = 'double' | 'single' | 'raw' | 'name';

interface Segment {
  readonly text: string;
  /** A placeholder follows this literal text (absent on the last segment). */
  readonly placeholder?: { readonly name: string; readonly slot: Slot; readonly regex: boolean };
}

export interface CompiledQuery {
  readonly segments: readonly Segment[];
  readonly problems: readonly QueryProblem[];
}

type SyntaxNode = ReturnType<ReturnType<typeof parser.parse>['resolveInner']>;

const sentinel = (i: number) => `__ctpl${i}__`;
const cache = new Map<string, CompiledQuery>();

/** Parse and analyse a query template (cached by text). */
export function compileQuery(query: string): CompiledQuery {
  const hit = cache.get(query);
  if (hit) return hit;
  const compiled = analyse(query);
  if (cache.size > 5_000) cache.clear();
  cache.set(query, compiled);
  return compiled;
}

function analyse(query: string): CompiledQuery {
  const { placeholders, problem } = scanTemplate(query);
  if (problem) return { segments: [], problems: [{ ...problem, code: 'template-syntax' }] };

  // Substitute sentinels that are valid both as identifiers and inside
  // strings, parse, then ask the tree what each sentinel is part of.
  let substituted = '';
  const spans: { start: number; end: number; original: number }[] = [];
  let at = 0;
  placeholders.forEach((p, i) => {
    substituted += query.slice(at, p.start);
    const s = sentinel(i);
    spans.push({ start: substituted.length, end: substituted.length + s.length, original: p.start });
    substituted += s;
    at = p.end;
  });
  substituted += query.slice(at);

  // Offsets in the substituted text back to offsets in the query as written.
  const toOriginal = (offset: number): number => {
    let d = 0;
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i] as { start: number; end: number; original: number };
      if (offset < s.start) break;
      if (offset < s.end) return s.original;
      const p = placeholders[i] as { start: number; end: number };
      d += p.end - p.start - (s.end - s.start);
    }
    return offset + d;
  };

  const tree = parser.parse(substituted);
  const problems: QueryProblem[] = [];
  tree.iterate({
    enter(n) {
      if (!n.type.isError || problems.length > 0) return;
      const inPlaceholder = spans.findIndex((s) => n.from < s.end && n.to > s.start);
      if (inPlaceholder >= 0) {
        problems.push({
          code: 'template-context',
          offset: toOriginal(n.from),
          message: `placeholder {{ ${(placeholders[inPlaceholder] as { name: string }).name} }} is not allowed here`,
          hint: 'placeholders may stand inside a quoted label value ("…") or as part of a metric or label name',
        });
        return;
      }
      const clean = (t: string) => t.replace(/__ctpl\d+__/g, '…').trim();
      const before = clean(substituted.slice(Math.max(0, n.from - 20), n.from));
      problems.push({
        code: 'promql-syntax',
        offset: toOriginal(n.from),
        message:
          n.from >= substituted.trimEnd().length
            ? 'PromQL syntax: the query ends too early (unclosed bracket or missing operand?)'
            : n.to > n.from
              ? `PromQL syntax error: unexpected \`${clean(substituted.slice(n.from, n.to))}\` after \`${before}\``
              : `PromQL syntax error: something is missing after \`${before}\``,
        hint: 'check brackets, quotes and operators; try the query in the Prometheus UI',
      });
    },
  });
  if (problems.length > 0) return { segments: [], problems };

  const top = tree.topNode.firstChild;
  if (top && (top.name === 'MatrixSelector' || top.name === 'SubqueryExpr')) {
    problems.push({
      code: 'promql-result',
      offset: 0,
      message: 'the query returns a range vector; a metric needs one number per evaluation',
      hint: 'wrap it in a function, e.g. rate(x[5m]) or avg_over_time(x[1h])',
    });
  } else if (top && top.name === 'StringLiteral') {
    problems.push({
      code: 'promql-result',
      offset: 0,
      message: 'the query returns a string; a metric needs a number',
    });
  }

  const segments: Segment[] = [];
  let last = 0;
  spans.forEach((s, i) => {
    const p = placeholders[i] as { name: string; start: number; end: number };
    const node = tree.resolveInner(s.start, 1);
    const slot = slotOf(node, substituted);
    if (!slot) {
      problems.push({
        code: 'template-context',
        offset: p.start,
        message: `placeholder {{ ${p.name} }} is not allowed here`,
        hint: 'placeholders may stand inside a quoted label value ("…") or as part of a metric or label name',
      });
      return;
    }
    segments.push({ text: query.slice(last, p.start), placeholder: { name: p.name, ...slot } });
    last = p.end;
  });
  segments.push({ text: query.slice(last) });
  return { segments, problems };
}

function slotOf(node: SyntaxNode, text: string): { slot: Slot; regex: boolean } | undefined {
  if (node.name === 'StringLiteral') {
    const quote = text[node.from];
    const slot: Slot = quote === '"' ? 'double' : quote === "'" ? 'single' : 'raw';
    const matcher = node.parent;
    const op = matcher?.getChild('MatchOp')?.firstChild?.name;
    return { slot, regex: op === 'EqlRegex' || op === 'NeqRegex' };
  }
  if (node.name === 'Identifier' || node.name === 'LabelName' || node.name === 'MetricName')
    return { slot: 'name', regex: false };
  return undefined;
}

/** Problems with a query, for the loader. */
export function checkQuery(query: string): readonly QueryProblem[] {
  return compileQuery(query).problems;
}

/** RE2's QuoteMeta: every regex metacharacter escaped, so the value matches itself. */
export function quoteRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function escapeString(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

const NAME_PART = /^[A-Za-z0-9_:]+$/;

/**
 * The query with placeholders replaced by escaped values. Throws
 * TemplateError when a value is missing or cannot be placed safely (a
 * backtick in a raw string, a quote in a metric name); the caller reports
 * the measurement as an error rather than running a different query.
 */
export function renderQuery(query: string, values: TemplateValues): string {
  const compiled = compileQuery(query);
  if (compiled.problems.length > 0)
    throw new TemplateError(`invalid query: ${compiled.problems[0]?.message}`);
  let out = '';
  for (const seg of compiled.segments) {
    out += seg.text;
    const p = seg.placeholder;
    if (!p) continue;
    const raw = values[p.name];
    if (raw === undefined) throw new TemplateError(`no value for template variable \`${p.name}\``);
    const v = p.regex ? quoteRegex(raw) : raw;
    switch (p.slot) {
      case 'double':
        out += escapeString(v, '"');
        break;
      case 'single':
        out += escapeString(v, "'");
        break;
      case 'raw':
        if (v.includes('`'))
          throw new TemplateError(
            `the value of {{ ${p.name} }} contains a backtick and cannot be placed in a \`raw\` string; use "…" quotes in the query`,
          );
        out += v;
        break;
      case 'name':
        if (!NAME_PART.test(v)) {
          throw new TemplateError(
            `the value of {{ ${p.name} }} (${JSON.stringify(v)}) is not valid in a metric or label name; put the placeholder in a label value instead, e.g. {model="{{ ${p.name} }}"}`,
          );
        }
        out += v;
        break;
    }
  }
  // Defence in depth: the escaping above is meant to make this impossible,
  // but a query that no longer parses must never be sent.
  if (hasSyntaxError(out))
    throw new TemplateError('the query does not parse after substituting placeholders');
  return out;
}

function hasSyntaxError(query: string): boolean {
  let bad = false;
  parser.parse(query).iterate({
    enter(n) {
      if (n.type.isError) bad = true;
      return !bad;
    },
  });
  return bad;
}
