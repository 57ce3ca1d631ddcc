// YAML text → a validated policy, or every reason it is not one.
//
// The loader is pure: it is given the file's contents and name (files.ts
// does the reading). It never throws on any input; a malformed policy is
// rejected whole, with each issue located by line, column and document path.

import { policyHash } from './hash.ts';
import { type DocPath, type PolicyIssue, PolicyLoadError } from './issues.ts';
import { type Policy, policySchema } from './schema/policy.ts';
import { semanticIssues } from './semantic.ts';
import { DEFAULT_LIMITS, type ParsedSource, parseYamlSource, type SourceLimits } from './yaml-source.ts';
import { mapZodIssues } from './zod-issues.ts';

/** A policy version: the validated document, its content hash, where it came from. Plain JSON. */
export interface LoadedPolicy {
  readonly spec: Policy;
  /** `sha256:…` of the canonical document; names this version in decisions and the audit log. */
  readonly hash: string;
  readonly file: string;
  /** Set on the per-model policies of a fleet template (see fleet.ts). */
  readonly instance?: FleetInstance;
}

/** One model of a fleet template. */
export interface FleetInstance {
  readonly template: string;
  readonly templateHash: string;
  readonly model: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type LoadResult =
  | { readonly ok: true; readonly policy: LoadedPolicy; readonly warnings: readonly PolicyIssue[] }
  | { readonly ok: false; readonly file: string; readonly issues: readonly PolicyIssue[] };

export interface LoadOptions {
  readonly limits?: Partial<SourceLimits>;
}

const byPosition = (a: PolicyIssue, b: PolicyIssue) =>
  a.line - b.line || a.column - b.column || a.path.localeCompare(b.path);

/** Load one policy from the contents of a file (bytes are checked for UTF-8 and binary content). */
export function loadPolicy(source: string | Uint8Array, file: string, options: LoadOptions = {}): LoadResult {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { parsed, issues: sourceIssues } = parseYamlSource(source, file, limits);
  if (!parsed) return { ok: false, file, issues: sourceIssues };
  return validateParsed(parsed);
}

function validateParsed(parsed: ParsedSource): LoadResult {
  const { data, file } = parsed;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return {
      ok: false,
      file,
      issues: [
        {
          code: 'wrong-type',
          message: `a policy is a mapping of keys to values, but this document is ${Array.isArray(data) ? 'a list' : `a ${data === null ? 'null' : typeof data}`}`,
          hint: 'start with `apiVersion: ctpilot/v1` on the first line',
          file,
          line: 1,
          column: 1,
          path: '',
          severity: 'error',
        },
      ],
    };
  }
  const result = policySchema.safeParse(data);
  const schemaIssues = result.success ? [] : mapZodIssues(result.error.issues, parsed, data);
  const issues = dedupe([...schemaIssues, ...semanticIssues(parsed)]).sort(byPosition);
  const errors = issues.filter((i) => i.severity === 'error');
  if (!result.success || errors.length > 0) return { ok: false, file, issues };
  return { ok: true, policy: { spec: result.data, hash: policyHash(data), file }, warnings: issues };
}

/** Same issue reported by the schema and by a semantic check (same place, same code): keep one. */
function dedupe(issues: PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${i.path}|${i.line}|${i.column}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Load or throw PolicyLoadError (with every issue). */
export function loadPolicyOrThrow(
  source: string | Uint8Array,
  file: string,
  options?: LoadOptions,
): LoadedPolicy {
  const r = loadPolicy(source, file, options);
  if (!r.ok) throw new PolicyLoadError(file, r.issues);
  return r.policy;
}

/**
 * Validate a policy that arrives as data rather than text (the `apply`
 * update of the controller workflow carries the document as JSON). Issues
 * are located by path only (line and column 1).
 */
export function loadPolicyData(data: unknown, file = '<data>'): LoadResult {
  // Serialising as JSON gives YAML (JSON is YAML 1.2), so the same checks and the same hash apply.
  let text: string;
  try {
    text = JSON.stringify(data, null, 1) ?? 'null';
  } catch (e) {
    return {
      ok: false,
      file,
      issues: [
        {
          code: 'wrong-type',
          message: `not serialisable data: ${(e as Error).message}`,
          file,
          line: 1,
          column: 1,
          path: '',
          severity: 'error',
        },
      ],
    };
  }
  return loadPolicy(text, file);
}

export type { DocPath };
