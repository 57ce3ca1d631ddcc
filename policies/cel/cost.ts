// An upper bound on the work a condition can make an evaluation do, computed
// from its parsed form at load time. CEL has no unbounded loops, but its
// macros (all, exists, exists_one, map, filter) nest: three `all`s over lists
// of 1,000 literals are a billion steps, and a policy file of a few kilobytes
// could hold the worker's event loop for minutes (conditions run
// synchronously inside the evaluation activity) or, with `map`, allocate
// until the process dies. Such a condition is refused when loaded.
//
// The bound: every node costs 1 (a string or bytes literal 1 per 64
// characters, since a loop body that concatenates it allocates that much);
// a comprehension costs its range's size times its body. Ranges in a
// condition are literals (metrics hold no lists), so a range's size is known
// from the literal; an unknown one (an element of an outer literal, a
// metric's fields) is taken as the largest literal in the expression.
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

/** Conditions run at every evaluation of every policy: 10,000 steps is far above any real one. */
export const MAX_CONDITION_COST = 10_000;

/** A metric binding has a handful of fields; iterating over one is this long at most. */
const SMALL_RANGE = 32;

/** The largest of the values, without spreading (a literal may have more elements than a call has arguments). */
function maxOf(values: Iterable<number>): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

function largestLiteral(e: Expr | undefined): number {
  if (!e) return 0;
  const k = e.exprKind;
  switch (k.case) {
    case 'listExpr':
      return Math.max(k.value.elements.length, maxOf(k.value.elements.map(largestLiteral)));
    case 'structExpr':
      return Math.max(
        k.value.entries.length,
        maxOf(
          k.value.entries.map((en) =>
            Math.max(
              en.keyKind.case === 'mapKey' ? largestLiteral(en.keyKind.value) : 0,
              largestLiteral(en.value),
            ),
          ),
        ),
      );
    case 'callExpr':
      return Math.max(largestLiteral(k.value.target), maxOf(k.value.args.map(largestLiteral)));
    case 'selectExpr':
      return largestLiteral(k.value.operand);
    case 'comprehensionExpr': {
      const c = k.value;
      return maxOf([c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].map(largestLiteral));
    }
    default:
      return 0;
  }
}

/** Steps the condition can take at most; saturates at Infinity rather than overflowing. */
export function conditionCost(root: Expr): number {
  const unknownRange = Math.max(SMALL_RANGE, largestLiteral(root));

  const rangeSize = (e: Expr | undefined): number => {
    if (!e) return 0;
    const k = e.exprKind;
    switch (k.case) {
      case 'listExpr':
        return k.value.elements.length;
      case 'structExpr':
        return k.value.entries.length;
      case 'comprehensionExpr':
        // map and filter give at most one element per element of their range.
        return rangeSize(k.value.iterRange);
      case 'callExpr':
        if (k.value.function === '_+_') return k.value.args.reduce((n, a) => n + rangeSize(a), 0);
        return unknownRange;
      default:
        return unknownRange;
    }
  };

  const cost = (e: Expr | undefined): number => {
    if (!e) return 0;
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr': {
        const c = k.value.constantKind;
        if (c.case === 'stringValue') return 1 + Math.floor(c.value.length / 64);
        if (c.case === 'bytesValue') return 1 + Math.floor(c.value.length / 64);
        return 1;
      }
      case 'identExpr':
        return 1;
      case 'selectExpr':
        return 1 + cost(k.value.operand);
      case 'callExpr':
        return 1 + cost(k.value.target) + k.value.args.reduce((n, a) => n + cost(a), 0);
      case 'listExpr':
        return 1 + k.value.elements.reduce((n, a) => n + cost(a), 0);
      case 'structExpr':
        return (
          1 +
          k.value.entries.reduce(
            (n, en) => n + (en.keyKind.case === 'mapKey' ? cost(en.keyKind.value) : 0) + cost(en.value),
            0,
          )
        );
      case 'comprehensionExpr': {
        const c = k.value;
        const body = 1 + cost(c.loopCondition) + cost(c.loopStep);
        return cost(c.iterRange) + cost(c.accuInit) + rangeSize(c.iterRange) * body + cost(c.result);
      }
      default:
        return 1;
    }
  };

  return cost(root);
}
