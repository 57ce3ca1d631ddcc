// The shape of everything wrong with a policy file. A malformed policy is
// rejected whole, so the loader collects every issue before it answers.

/** A position in the document: keys and array indices from the root. */
export type DocPath = readonly (string | number)[];

/** Stable machine-readable codes, one per failure mode (tests and `--json` consumers match on them). */
export type IssueCode =
  // file-level defences
  | 'empty'
  | 'too-large'
  | 'too-many'
  | 'binary'
  | 'not-utf8'
  | 'too-deep'
  | 'multiple-documents'
  // YAML
  | 'yaml-syntax'
  | 'duplicate-key'
  | 'alias-bomb'
  | 'yaml-tag'
  | 'complex-key'
  // schema
  | 'unknown-key'
  | 'missing-key'
  | 'wrong-type'
  | 'bad-value'
  | 'bad-duration'
  | 'bad-name'
  | 'bad-api-version'
  | 'bad-kind'
  | 'one-of'
  // secrets
  | 'literal-secret'
  | 'bad-secret-ref'
  // expressions and queries
  | 'cel-syntax'
  | 'cel-unknown-metric'
  | 'cel-unknown-field'
  | 'cel-unknown-function'
  | 'cel-type'
  | 'cel-no-metric'
  | 'cel-cost'
  | 'promql-syntax'
  | 'promql-result'
  | 'template-unknown-variable'
  | 'template-syntax'
  | 'template-context'
  // cross references
  | 'unknown-reference'
  | 'inconsistent'
  | 'duplicate-policy-name';

export interface PolicyIssue {
  readonly code: IssueCode;
  /** What is wrong, in one sentence that names the offending value. */
  readonly message: string;
  /** How to fix it: the nearest valid key, the accepted forms, an example. */
  readonly hint?: string;
  readonly file: string;
  /** 1-based line and column of the offending node (or of the nearest enclosing node that exists). */
  readonly line: number;
  readonly column: number;
  /** Dotted path in the document, e.g. `triggers.slo-breach.when`; empty for file-level issues. */
  readonly path: string;
  /** `error` rejects the policy; `warning` is reported but does not. */
  readonly severity: 'error' | 'warning';
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `metrics.precision.objective.min`, `training.accept[1]`, `metadata.labels["team.io/x"]`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (PLAIN_KEY.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** `file:line:col: message (at path)` — the one-line form editors and CI logs understand. */
export function issueLine(issue: PolicyIssue): string {
  const where = issue.path === '' ? '' : ` (at ${issue.path})`;
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.severity}: ${issue.message}${where}`;
}

/** Thrown by `loadPolicyOrThrow` and by callers that need a policy or nothing. */
export class PolicyLoadError extends Error {
  readonly issues: readonly PolicyIssue[];
  constructor(file: string, issues: readonly PolicyIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(
      `${file}: policy rejected with ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${errors.map(issueLine).join('\n')}`,
    );
    this.name = 'PolicyLoadError';
    this.issues = issues;
  }
}
