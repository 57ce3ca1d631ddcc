// Load-time checking of conditions. `@bufbuild/cel` parses and evaluates CEL
// but its type checker (0.6) only handles constants and identifiers, so we
// walk the parsed AST ourselves: every identifier must be a metric (or a
// comprehension variable), every field selected on a metric must exist for
// that metric's provider and objective, every function must exist, and the
// operand types of operators must make sense. Each problem carries the
// character offset in the expression, which the loader maps to a line and
// column in the file.

import { celEnv, parse } from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import type { Metric } from '../schema/metrics.ts';
import { nearest } from '../suggest.ts';
import { conditionCost, MAX_CONDITION_COST } from './cost.ts';
import { type FieldInfo, hasObjective, metricFields } from './fields.ts';

export type ConditionProblemCode =
  | 'cel-syntax'
  | 'cel-unknown-metric'
  | 'cel-unknown-field'
  | 'cel-unknown-function'
  | 'cel-type'
  | 'cel-no-metric'
  | 'cel-cost';

export interface ConditionProblem {
  readonly code: ConditionProblemCode;
  /** Character offset in the expression. */
  readonly offset: number;
  readonly message: string;
  readonly hint?: string;
}

export interface ConditionAnalysis {
  readonly problems: ConditionProblem[];
  /** Metrics the condition reads, in order of first use. */
  readonly metrics: string[];
  /** The condition reads a field about missing data or failures (inconclusive, error, noData, phase, reason, has()). */
  readonly aboutMissingData: boolean;
}

/** Static types: precise enough to catch `precision.value && recall.breached`, loose (dyn) elsewhere. */
type Ty =
  | { k: 'bool' | 'number' | 'string' | 'null' | 'bytes' | 'dyn' | 'duration' | 'timestamp' | 'type' }
  | { k: 'list' }
  | { k: 'map' }
  | { k: 'metric'; name: string };

const T = {
  bool: { k: 'bool' },
  number: { k: 'number' },
  string: { k: 'string' },
  null: { k: 'null' },
  bytes: { k: 'bytes' },
  dyn: { k: 'dyn' },
  list: { k: 'list' },
  map: { k: 'map' },
  duration: { k: 'duration' },
  timestamp: { k: 'timestamp' },
  type: { k: 'type' },
} as const satisfies Record<string, Ty>;

const STD = celEnv({});
const OPERATORS = new Set(['_&&_', '_||_', '!_', '_?_:_', '_[_]', '@not_strictly_false', '@in']);

function describe(t: Ty): string {
  switch (t.k) {
    case 'metric':
      return `the metric \`${t.name}\` (a metric is not a value: use ${t.name}.value, ${t.name}.breached, …)`;
    case 'bool':
      return 'true/false';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    default:
      return `a ${t.k}`;
  }
}

function resultType(name: string): Ty {
  const group = STD.funcs.find(name);
  if (!group) return T.dyn;
  const results = new Set<string>();
  for (const f of group) results.add(String(f.result));
  if (results.size !== 1) return T.dyn;
  const r = [...results][0] as string;
  if (r === 'bool') return T.bool;
  if (r === 'int' || r === 'uint' || r === 'double') return T.number;
  if (r === 'string') return T.string;
  return T.dyn;
}

/**
 * Check a condition against the policy's metrics. A metric mapped to `null`
 * exists but failed validation itself: its name is known, its fields are
 * not checked (its own errors are reported where it is defined).
 */
export function analyseCondition(
  expression: string,
  metrics: Readonly<Record<string, Metric | null>>,
): ConditionAnalysis {
  const problems: ConditionProblem[] = [];
  const used: string[] = [];
  let aboutMissingData = false;

  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (e) {
    // The parser reports `<input>:line:col: message`; turn line/col into an offset.
    const msg = (e as Error).message;
    const m = /^<input>:(\d+):(\d+): (.*)$/s.exec(msg);
    let offset = 0;
    if (m) {
      const lines = expression.split('\n');
      const line = Number(m[1]);
      for (let i = 0; i < line - 1; i++) offset += (lines[i]?.length ?? 0) + 1;
      offset += Number(m[2]) - 1;
    }
    return {
      problems: [
        {
          code: 'cel-syntax',
          offset,
          message: `condition syntax: ${m ? m[3] : msg}`,
          hint: 'conditions are CEL: combine with && || !, compare with < <= > >= == !=, e.g. `precision.breached || recall.value < 0.8`',
        },
      ],
      metrics: [],
      aboutMissingData: false,
    };
  }

  // Refused before anything else: a condition too costly to run is not worth checking further.
  const cost = parsed.expr ? conditionCost(parsed.expr) : 0;
  if (cost > MAX_CONDITION_COST) {
    return {
      problems: [
        {
          code: 'cel-cost',
          offset: 0,
          message: `this condition can take up to ${Number.isFinite(cost) ? Math.round(cost).toLocaleString('en') : 'unbounded'} steps to evaluate; at most ${MAX_CONDITION_COST.toLocaleString('en')} are allowed`,
          hint: 'conditions run at every evaluation: a macro (all, exists, map, filter) over a long list, or nested inside another, multiplies the work — read the metrics directly instead',
        },
      ],
      metrics: [],
      aboutMissingData: false,
    };
  }

  const positions = parsed.sourceInfo?.positions ?? {};
  const at = (e: Expr): number => positions[String(e.id)] ?? 0;
  const metricNames = Object.keys(metrics);

  function problem(e: Expr, code: ConditionProblemCode, message: string, hint?: string): Ty {
    problems.push({ code, offset: at(e), message, ...(hint ? { hint } : {}) });
    return T.dyn;
  }

  function expect(e: Expr, t: Ty, want: 'bool' | 'number', context: string): void {
    if (t.k === 'dyn' || t.k === want) return;
    problem(
      e,
      'cel-type',
      `${context} needs ${want === 'bool' ? 'true/false' : 'a number'}, but this is ${describe(t)}`,
    );
  }

  function check(e: Expr, scope: ReadonlySet<string>): Ty {
    const kind = e.exprKind;
    switch (kind.case) {
      case 'constExpr': {
        switch (kind.value.constantKind.case) {
          case 'boolValue':
            return T.bool;
          case 'int64Value':
          case 'uint64Value':
          case 'doubleValue':
            return T.number;
          case 'stringValue':
            return T.string;
          case 'nullValue':
            return T.null;
          case 'bytesValue':
            return T.bytes;
          default:
            return T.dyn;
        }
      }
      case 'identExpr': {
        const name = kind.value.name;
        if (scope.has(name)) return T.dyn;
        if (Object.hasOwn(metrics, name)) {
          if (!used.includes(name)) used.push(name);
          return metrics[name] ? { k: 'metric', name } : T.dyn;
        }
        const near = nearest(name, [...metricNames, ...scope]);
        return problem(
          e,
          'cel-unknown-metric',
          `unknown metric \`${name}\``,
          metricNames.length === 0
            ? 'this policy defines no valid metric yet'
            : near
              ? `did you mean \`${near}\`? Metrics: ${metricNames.join(', ')}`
              : `metrics of this policy: ${metricNames.join(', ')}`,
        );
      }
      case 'selectExpr': {
        const operand = kind.value.operand;
        if (!operand) return T.dyn;
        const base = check(operand, scope);
        const field = kind.value.field;
        if (kind.value.testOnly) aboutMissingData = true;
        if (base.k !== 'metric') {
          if (base.k === 'dyn' || base.k === 'map') return kind.value.testOnly ? T.bool : T.dyn;
          return problem(e, 'cel-type', `cannot read field \`${field}\` of ${describe(base)}`);
        }
        const m = metrics[base.name] as Metric;
        const fields = metricFields(m);
        const info: FieldInfo | undefined = fields[field];
        if (!info) {
          const names = Object.keys(fields);
          const near = nearest(field, names);
          const elsewhere =
            field === 'drifted' || field === 'test'
              ? ' (only drift metrics have it)'
              : field === 'firing'
                ? ' (only alert metrics have it)'
                : field === 'baseline'
                  ? ' (only metrics with a change objective have it)'
                  : field === 'lower' || field === 'upper'
                    ? ' (only metrics with a learned objective have it)'
                    : '';
          return problem(
            e,
            'cel-unknown-field',
            `metric \`${base.name}\` has no field \`${field}\`${elsewhere}`,
            `${near ? `did you mean \`${base.name}.${near}\`? ` : ''}fields: ${names.join(', ')}`,
          );
        }
        if ((field === 'breached' || field === 'ok') && !hasObjective(m)) {
          return problem(
            e,
            'cel-unknown-field',
            `metric \`${base.name}\` has no objective, so \`${field}\` would never change`,
            `give ${base.name} an objective (e.g. objective: { min: 0.9 }) or compare its value: \`${base.name}.value >= 500\``,
          );
        }
        if (info.aboutMissingData) aboutMissingData = true;
        if (kind.value.testOnly) return T.bool;
        return info.type === 'bool' ? T.bool : info.type === 'number' ? T.number : T.string;
      }
      case 'callExpr': {
        const fn = kind.value.function;
        const args = kind.value.args;
        const target = kind.value.target ? check(kind.value.target, scope) : undefined;
        const types = args.map((a) => check(a, scope));
        const [a, b] = [types[0] ?? T.dyn, types[1] ?? T.dyn];
        const [ea, eb] = [args[0] ?? e, args[1] ?? e];
        switch (fn) {
          case '_&&_':
          case '_||_':
            expect(ea, a, 'bool', fn === '_&&_' ? '&&' : '||');
            expect(eb, b, 'bool', fn === '_&&_' ? '&&' : '||');
            return T.bool;
          case '!_':
            expect(ea, a, 'bool', '!');
            return T.bool;
          case '@not_strictly_false':
            return T.bool;
          case '_<_':
          case '_<=_':
          case '_>_':
          case '_>=_':
          case '_==_':
          case '_!=_': {
            const op = fn.slice(1, -1);
            for (const [t, arg] of [
              [a, ea],
              [b, eb],
            ] as const) {
              if (t.k === 'metric')
                problem(arg, 'cel-type', `\`${op}\` compares values, but this is ${describe(t)}`);
            }
            const comparable = (x: Ty, y: Ty) =>
              x.k === 'dyn' ||
              y.k === 'dyn' ||
              x.k === y.k ||
              x.k === 'null' ||
              y.k === 'null' ||
              x.k === 'metric' ||
              y.k === 'metric';
            if (!comparable(a, b))
              problem(
                e,
                'cel-type',
                `\`${op}\` between ${describe(a)} and ${describe(b)} is always an error`,
              );
            return T.bool;
          }
          case '_+_':
          case '_-_':
          case '_*_':
          case '_/_':
          case '_%_':
            for (const [t, arg] of [
              [a, ea],
              [b, eb],
            ] as const) {
              if (t.k === 'metric' || t.k === 'bool')
                problem(arg, 'cel-type', `arithmetic needs numbers, but this is ${describe(t)}`);
            }
            return a.k === 'string' || a.k === 'list' || a.k === 'duration' || a.k === 'timestamp'
              ? a
              : a.k === 'number' || b.k === 'number'
                ? T.number
                : T.dyn;
          case '-_':
            expect(ea, a, 'number', 'negation');
            return T.number;
          case '_?_:_':
            expect(ea, a, 'bool', 'the condition of `? :`');
            return (types[1]?.k === types[2]?.k ? types[1] : T.dyn) ?? T.dyn;
          case '_[_]':
          case '@in':
            return fn === '@in' ? T.bool : T.dyn;
        }
        if (!OPERATORS.has(fn) && !STD.funcs.find(fn)) {
          const known = [...new Set([...STD.funcs].map((f) => f.name).filter((n) => /^[a-z]/i.test(n)))];
          const near = nearest(fn, known);
          return problem(
            e,
            'cel-unknown-function',
            `unknown function \`${fn}\``,
            `${near ? `did you mean \`${near}\`? ` : ''}available: ${known.join(', ')}, and the macros has, all, exists, exists_one, map, filter`,
          );
        }
        for (const [t, arg] of [
          ...types.map((t, i) => [t, args[i] as Expr] as const),
          ...(target ? [[target, kind.value.target as Expr] as const] : []),
        ]) {
          if (t.k === 'metric')
            problem(arg, 'cel-type', `\`${fn}\` needs a value, but this is ${describe(t)}`);
        }
        return resultType(fn);
      }
      case 'listExpr':
        for (const el of kind.value.elements) check(el, scope);
        return T.list;
      case 'structExpr':
        if (kind.value.messageName)
          return problem(
            e,
            'cel-type',
            `message construction (${kind.value.messageName}{…}) is not supported in conditions`,
          );
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') check(entry.keyKind.value, scope);
          if (entry.value) check(entry.value, scope);
        }
        return T.map;
      case 'comprehensionExpr': {
        const c = kind.value;
        if (c.iterRange) check(c.iterRange, scope);
        if (c.accuInit) check(c.accuInit, scope);
        const inner = new Set(scope);
        inner.add(c.iterVar);
        if (c.iterVar2) inner.add(c.iterVar2);
        inner.add(c.accuVar);
        if (c.loopCondition) check(c.loopCondition, inner);
        if (c.loopStep) check(c.loopStep, inner);
        const withAccu = new Set(scope);
        withAccu.add(c.accuVar);
        return c.result ? check(c.result, withAccu) : T.dyn;
      }
      default:
        return T.dyn;
    }
  }

  const root = parsed.expr;
  const t = check(root, new Set());
  if (t.k !== 'bool' && t.k !== 'dyn' && problems.length === 0) {
    problems.push({
      code: 'cel-type',
      offset: 0,
      message: `a condition must be true or false, but this is ${describe(t)}`,
      hint: t.k === 'metric' ? `write \`${t.name}.breached\`` : 'compare it, e.g. `x.value > 0.5`',
    });
  }
  if (used.length === 0 && problems.length === 0) {
    problems.push({
      code: 'cel-no-metric',
      offset: 0,
      message: 'the condition reads no metric, so it would be the same at every evaluation',
      hint: `use at least one metric: ${metricNames.join(', ')}`,
    });
  }
  return { problems, metrics: used, aboutMissingData };
}
