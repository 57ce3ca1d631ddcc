// Turning zod's issues into policy issues a person can act on: located in
// the file, worded for YAML authors ("expected a number, got the string
// "0.9"" rather than "Invalid input"), with a hint — the nearest valid key
// for an unknown one, the accepted forms for a duration, the valid values
// for an enum.

import type { z } from 'zod';
import { DURATION_FORMS } from './duration.ts';
import { type DocPath, formatPath, type IssueCode, type PolicyIssue } from './issues.ts';
import { PATTERN_HINTS } from './schema/common.ts';
import { policySchema } from './schema/policy.ts';
import { nearest, suggestion } from './suggest.ts';
import { locate, type ParsedSource } from './yaml-source.ts';

type ZodIssue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** The keys an object schema at `path` accepts, looking through optional/default/record/array/union/pipe wrappers. */
export function keysAt(path: DocPath, root: AnySchema = policySchema): string[] | undefined {
  let candidates: AnySchema[] = [root];
  const unwrap = (s: AnySchema): AnySchema[] => {
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
      case 'readonly':
      case 'catch':
        return unwrap(def.innerType as AnySchema);
      case 'pipe':
        return unwrap(def.in as AnySchema);
      case 'union':
        return (def.options as AnySchema[]).flatMap(unwrap);
      default:
        return [s];
    }
  };
  for (const part of path) {
    const next: AnySchema[] = [];
    for (const c of candidates.flatMap(unwrap)) {
      const def = c._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === 'object') {
        const shape = def.shape as Record<string, AnySchema>;
        const child = shape[String(part)];
        if (child) next.push(child);
      } else if (def.type === 'record') {
        next.push(def.valueType as AnySchema);
      } else if (def.type === 'array' && typeof part === 'number') {
        next.push(def.element as AnySchema);
      }
    }
    candidates = next;
  }
  for (const c of candidates.flatMap(unwrap)) {
    const def = c._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object') return Object.keys(def.shape as object);
  }
  return undefined;
}

function valueAt(data: unknown, path: DocPath): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** "the string "0.9"", "a list", "nothing". */
function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary data';
  return 'a mapping';
}

const GENERIC = /^Invalid input|^Invalid option|^Invalid string|^Too (small|big)|^Unrecognized/;

export function mapZodIssues(
  issues: readonly ZodIssue[],
  parsed: ParsedSource,
  data: unknown,
  prefix: DocPath = [],
): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const push = (
    code: IssueCode,
    path: DocPath,
    message: string,
    hint: string | undefined,
    at: 'key' | 'value' = 'value',
  ) => {
    out.push({
      code,
      message,
      ...(hint ? { hint } : {}),
      file: parsed.file,
      ...locate(parsed, path, at),
      path: formatPath(path),
      severity: 'error',
    });
  };

  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    const value = valueAt(data, path);
    const last = path[path.length - 1];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const valid = keysAt(path) ?? [];
        for (const key of issue.keys) {
          const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
          push(
            'unknown-key',
            [...path, key],
            `unknown key \`${key}\` ${where}`,
            key === '<<'
              ? 'YAML merge keys (<<) are not supported in policies: write the keys out (fleet templates avoid repetition across models)'
              : suggestion(key, valid, 'valid keys'),
            'key',
          );
        }
        break;
      }
      case 'invalid_type': {
        if (value === undefined) {
          const parentValid = keysAt(path.slice(0, -1));
          push(
            'missing-key',
            path,
            `missing required key \`${String(last)}\`${path.length > 1 ? ` in ${formatPath(path.slice(0, -1))}` : ''}`,
            parentValid ? `this mapping takes: ${parentValid.join(', ')}` : undefined,
          );
        } else {
          const wanted = GENERIC.test(issue.message)
            ? `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`
            : issue.message;
          const hint =
            typeof value === 'string' && issue.expected === 'number' && !Number.isNaN(Number(value))
              ? 'remove the quotes to make it a number'
              : typeof value === 'number' && issue.expected === 'string'
                ? 'quote it to make it a string'
                : value === null
                  ? 'the value is empty: write it on the same line after the colon, or indent the block below the key'
                  : undefined;
          const duration = wanted.startsWith('expected a duration');
          push(
            duration ? 'bad-duration' : 'wrong-type',
            path,
            duration
              ? `expected a duration, got ${describeValue(value)}`
              : `${wanted}, got ${describeValue(value)}`,
            duration
              ? `${typeof value === 'number' ? `write ${value}s for ${value} seconds; ` : ''}durations are ${DURATION_FORMS}`
              : hint,
          );
        }
        break;
      }
      case 'invalid_format': {
        const known =
          'pattern' in issue && typeof issue.pattern === 'string'
            ? PATTERN_HINTS.get(issue.pattern)
            : undefined;
        push(known?.code ?? 'bad-value', path, issue.message, known?.hint);
        break;
      }
      case 'invalid_value': {
        if (value === undefined) {
          const parentValid = keysAt(path.slice(0, -1));
          push(
            'missing-key',
            path,
            `missing required key \`${String(last)}\`${path.length > 1 ? ` in ${formatPath(path.slice(0, -1))}` : ''}`,
            `valid values: ${issue.values.map(String).join(', ')}${parentValid ? `; this mapping takes: ${parentValid.join(', ')}` : ''}`,
          );
          break;
        }
        const values = issue.values.map(String);
        const code: IssueCode =
          path.length === 1 && last === 'apiVersion'
            ? 'bad-api-version'
            : path.length === 1 && last === 'kind'
              ? 'bad-kind'
              : 'bad-value';
        const near = typeof value === 'string' ? nearest(value, values) : undefined;
        push(
          code,
          path,
          `${describeValue(value)} is not valid for \`${String(last)}\`${GENERIC.test(issue.message) ? '' : `: ${issue.message}`}`,
          `${near ? `did you mean \`${near}\`? ` : ''}valid values: ${values.join(', ')}`,
        );
        break;
      }
      case 'too_small':
      case 'too_big': {
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const message = GENERIC.test(issue.message)
          ? Array.isArray(value)
            ? `the list needs ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} item${Number(bound) === 1 ? '' : 's'}`
            : typeof value === 'string'
              ? `must not be empty`
              : `${describeValue(value)} is too ${issue.code === 'too_small' ? 'small' : 'large'}: the ${issue.code === 'too_small' ? 'minimum' : 'maximum'} is ${String(bound)}${issue.inclusive === false ? ' (exclusive)' : ''}`
          : issue.message;
        push('bad-value', path, message, undefined);
        break;
      }
      case 'invalid_union': {
        // Prefer the alternative that got furthest: the one whose issues are
        // not all "wrong type at the root" (e.g. `for: { atLeast: 3, off: 5 }`
        // should report `off`, not "expected a number").
        const branches = issue.errors.filter(
          (b) => !b.every((i) => i.code === 'invalid_type' && i.path.length === 0),
        );
        if (branches.length === 1) {
          out.push(...mapZodIssues(branches[0] as ZodIssue[], parsed, data, path));
        } else {
          push(
            'wrong-type',
            path,
            `${GENERIC.test(issue.message) ? 'unexpected value' : issue.message}; got ${describeValue(value)}`,
            undefined,
          );
        }
        break;
      }
      case 'invalid_key': {
        for (const inner of issue.issues) {
          const known =
            'pattern' in inner && typeof inner.pattern === 'string'
              ? PATTERN_HINTS.get(inner.pattern)
              : undefined;
          push(known?.code ?? 'bad-name', path, inner.message, known?.hint, 'key');
        }
        break;
      }
      case 'custom': {
        const params = (issue.params ?? {}) as { code?: IssueCode; hint?: string };
        push(params.code ?? 'bad-value', path, issue.message, params.hint);
        break;
      }
      default:
        push('bad-value', path, issue.message, undefined);
    }
  }
  return out;
}
