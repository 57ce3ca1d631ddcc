// Running conditions. Plans are compiled once per expression text and
// cached, so a policy object can stay plain JSON (it travels through
// Temporal) while evaluation stays fast.
//
// Missing data is modelled by *absent fields*: an inconclusive metric has
// no `value`, `ok` or `breached`, so reading one is a CEL error. CEL's
// logical operators are commutative over errors — `true || error` is true,
// `false && error` is false, anything else involving the error is an error —
// which is exactly Kleene's three-valued logic: a condition is decided only
// when the missing values could not change its outcome. An error result
// means "undetermined", which never counts towards a trigger.

import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';

type Program = (bindings: Record<string, unknown>) => unknown;

const env = celEnv({});
const programs = new Map<string, Program>();
const MAX_CACHED = 10_000;

function compile(expression: string): Program {
  let p = programs.get(expression);
  if (p === undefined) {
    // The loader has parsed and checked every expression; a throw here means
    // an unchecked policy reached the evaluator, which is a bug upstream.
    const run = plan(env, parse(expression));
    p = (bindings) => run(bindings as never);
    if (programs.size >= MAX_CACHED) programs.clear();
    programs.set(expression, p);
  }
  return p;
}

export type ConditionResult =
  | { readonly decided: true; readonly value: boolean }
  | { readonly decided: false; readonly why: string };

export function runCondition(expression: string, bindings: Record<string, unknown>): ConditionResult {
  let out: unknown;
  // Reading an absent field (missing data) makes the CEL library build an
  // Error; its stack trace is never looked at, and capturing it was most of
  // the cost of an undetermined condition.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    out = compile(expression)(bindings);
  } catch (e) {
    return { decided: false, why: `evaluation failed: ${(e as Error).message}` };
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (isCelError(out)) return { decided: false, why: out.message };
  if (typeof out !== 'boolean')
    return { decided: false, why: `the condition produced ${typeof out}, not true/false` };
  return { decided: true, value: out };
}
