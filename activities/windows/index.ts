// Data windows: a policy's description of a window of rows (an object or a
// folder in S3, a file, a SQL query) read into typed columns, or into
// streaming summaries when it is too large to hold. See docs/windows.md.

export { compileKeyPattern, type KeyPattern } from './key-pattern.ts';
export { DEFAULT_BUDGET, readWindow, type WindowDeps } from './read.ts';
export { readWindowPair, typeViolations, type WindowPair } from './read-pair.ts';
export type {
  KindSource,
  ProblemCode,
  ReadWindowOptions,
  WindowBudget,
  WindowColumn,
  WindowDescription,
  WindowFormat,
  WindowMeta,
  WindowProblem,
  WindowResult,
  WindowSummary,
} from './types.ts';
