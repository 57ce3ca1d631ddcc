// From bytes to a YAML document we can trust, and from a path in that
// document back to a line and column. Every defence here answers a way a
// policy file can hurt a parser: enormous input, binary or non-UTF-8 bytes,
// alias bombs ("billion laughs"), pathological nesting, duplicate keys
// (which YAML 1.1 parsers silently resolve to the last one), exotic tags.

import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  Scalar,
} from 'yaml';
import type { DocPath, PolicyIssue } from './issues.ts';
import { formatPath } from './issues.ts';
import { LIMITS } from './limits.ts';

export interface SourceLimits {
  /** Largest accepted file (policies/limits.ts). Real policies are a few kilobytes. */
  readonly maxBytes: number;
  /** Deepest nesting of collections. A policy needs about 8. */
  readonly maxDepth: number;
  /** Alias expansions allowed when building the data (the yaml library's guard against alias bombs). */
  readonly maxAliasCount: number;
}

export const DEFAULT_LIMITS: SourceLimits = {
  maxBytes: LIMITS.policyBytes,
  maxDepth: 64,
  maxAliasCount: 100,
};

export interface ParsedSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  /** The document as plain data (aliases expanded). */
  readonly data: unknown;
}

type Issue = Omit<PolicyIssue, 'file' | 'severity'> & { severity?: 'error' | 'warning' };

function issueAt(file: string, i: Issue): PolicyIssue {
  return { severity: 'error', ...i, file };
}

/** The issue for a file over the size limit (also used by callers that check the size before reading). */
export function tooLargeIssue(
  file: string,
  size: number,
  max: number = DEFAULT_LIMITS.maxBytes,
): PolicyIssue {
  return {
    code: 'too-large',
    message: `the file is ${size} bytes; policies are limited to ${max} bytes (docs/policies.md, "Limits")`,
    hint: 'split a fleet into several files, or use a fleet template (model.selector) instead of repeating policies',
    file,
    line: 1,
    column: 1,
    path: '',
    severity: 'error',
  };
}

/** Line and column (1-based) of a character offset. */
function positionIn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const STANDARD_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
]);

/**
 * Decode, screen and parse one policy file. Returns the parsed source, or
 * the issues that prevent parsing; never throws on any input.
 */
export function parseYamlSource(
  source: string | Uint8Array,
  file: string,
  limits: SourceLimits = DEFAULT_LIMITS,
): { parsed?: ParsedSource; issues: PolicyIssue[] } {
  const fail = (i: Issue) => ({ issues: [issueAt(file, i)] });
  const size = byteLength(source, limits.maxBytes);
  if (size > limits.maxBytes) return { issues: [tooLargeIssue(file, size, limits.maxBytes)] };

  let text: string;
  if (typeof source === 'string') {
    text = source;
  } else {
    // NUL never occurs in text; its presence means an image, an archive, a compiled file.
    const nul = source.indexOf(0);
    if (nul >= 0) {
      return fail({
        code: 'binary',
        message: `this is a binary file, not YAML (NUL byte at offset ${nul})`,
        hint: 'policies are UTF-8 YAML text files',
        line: 1,
        column: 1,
        path: '',
      });
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      const offset = firstInvalidUtf8(source);
      const before = new TextDecoder('utf-8').decode(source.subarray(0, offset));
      const pos = positionIn(before, before.length);
      return fail({
        code: 'not-utf8',
        message: `the file is not valid UTF-8 (invalid byte 0x${(source[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset})`,
        hint: 'save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)',
        ...pos,
        path: '',
      });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\u0000')) {
    return fail({
      code: 'binary',
      message: 'this is a binary file, not YAML (it contains NUL characters)',
      hint: 'policies are UTF-8 YAML text files',
      line: 1,
      column: 1,
      path: '',
    });
  }
  if (/^\s*(?:#[^\n]*\s*)*$/.test(text)) {
    return fail({
      code: 'empty',
      message: 'the file is empty',
      hint: 'a policy starts with `apiVersion: ctpilot/v1` and `kind: RetrainingPolicy`; see `ctpilot explain policies/examples/fraud-slo.yaml`',
      line: 1,
      column: 1,
      path: '',
    });
  }

  // Flow collections nest without indentation, so `[[[[…` a hundred thousand
  // deep is a few hundred kilobytes; screen for it before the parser spends
  // seconds on it.
  const deep = flowDepthOffset(text, limits.maxDepth);
  if (deep >= 0) {
    return fail({
      code: 'too-deep',
      message: `collections are nested more than ${limits.maxDepth} levels deep`,
      hint: 'a policy needs only a few levels of nesting; this file is probably generated by mistake',
      ...positionIn(text, deep),
      path: '',
    });
  }

  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    version: '1.2',
    merge: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  const first = list[0];
  if (!first) {
    return fail({
      code: 'empty',
      message: 'the file holds no YAML document',
      hint: 'a policy starts with `apiVersion: ctpilot/v1`',
      line: 1,
      column: 1,
      path: '',
    });
  }
  const issues: PolicyIssue[] = [];
  const pos = (offset: number) => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };

  if (list.length > 1) {
    const second = list[1] as Document.Parsed;
    issues.push(
      issueAt(file, {
        code: 'multiple-documents',
        message: `the file holds ${list.length} YAML documents; a policy file holds exactly one`,
        hint: 'put each policy in its own file (ctpilot validate and apply accept a directory)',
        ...pos(second.range[0]),
        path: '',
      }),
    );
  }

  for (const e of first.errors) {
    const duplicate = e.code === 'DUPLICATE_KEY';
    // yaml points at the start of the repeated key; read the key up to its colon.
    const keyText = duplicate
      ? (/^\s*("[^"\n]*"|'[^'\n]*'|[^:#\n]*?)\s*:/.exec(text.slice(e.pos[0]))?.[1] ?? '')
      : '';
    issues.push(
      issueAt(file, {
        code: duplicate ? 'duplicate-key' : 'yaml-syntax',
        message: duplicate
          ? `duplicate key \`${keyText || '?'}\`: YAML keys must be unique in a mapping`
          : `YAML syntax: ${e.message.replace(/\s+/g, ' ').trim()}`,
        hint: duplicate
          ? 'remove or rename one of the two; a repeated key would otherwise silently override the first'
          : yamlHint(e.code),
        ...pos(e.pos[0]),
        path: '',
      }),
    );
  }
  for (const w of first.warnings) {
    issues.push(
      issueAt(file, {
        code: w.code === 'TAG_RESOLVE_FAILED' ? 'yaml-tag' : 'yaml-syntax',
        message: `YAML: ${w.message.replace(/\s+/g, ' ').trim()}`,
        hint: 'policies use plain YAML: no custom tags',
        ...pos(w.pos[0]),
        path: '',
      }),
    );
  }
  if (issues.length > 0) return { issues };

  // Walk the tree once, without recursion: depth, tags, complex keys, aliases.
  let firstAlias: number | undefined;
  const stack: { node: unknown; depth: number; path: DocPath }[] = [
    { node: first.contents, depth: 0, path: [] },
  ];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop() as { node: unknown; depth: number; path: DocPath };
    if (node == null) continue;
    if (isAlias(node)) {
      firstAlias = Math.min(firstAlias ?? Number.POSITIVE_INFINITY, node.range?.[0] ?? 0);
      continue;
    }
    const n = node as Node;
    if (n.tag !== undefined && !STANDARD_TAGS.has(n.tag)) {
      issues.push(
        issueAt(file, {
          code: 'yaml-tag',
          message: `YAML tag \`${n.tag.replace('tag:yaml.org,2002:', '!!')}\` is not allowed in a policy`,
          hint: 'write plain values: strings, numbers, booleans, lists and mappings',
          ...pos(n.range?.[0] ?? 0),
          path: formatPath(path),
        }),
      );
    }
    if (depth > limits.maxDepth) {
      issues.push(
        issueAt(file, {
          code: 'too-deep',
          message: `collections are nested more than ${limits.maxDepth} levels deep`,
          hint: 'a policy needs only a few levels of nesting',
          ...pos(n.range?.[0] ?? 0),
          path: formatPath(path),
        }),
      );
      break;
    }
    if (isMap(n)) {
      for (const pair of n.items) {
        if (pair.key !== null && !isScalar(pair.key)) {
          issues.push(
            issueAt(file, {
              code: 'complex-key',
              message: 'a mapping key must be a plain string, not a list or mapping',
              hint: 'write `name: value`',
              ...pos((pair.key as Node).range?.[0] ?? 0),
              path: formatPath(path),
            }),
          );
          continue;
        }
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        stack.push({ node: pair.value, depth: depth + 1, path: [...path, key] });
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        stack.push({ node: item, depth: depth + 1, path: [...path, i] });
      });
    }
  }
  if (issues.length > 0) return { issues };

  let data: unknown;
  try {
    data = first.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      return fail({
        code: 'alias-bomb',
        message: `YAML aliases expand to too many nodes (more than ${limits.maxAliasCount} alias expansions): this looks like an alias bomb`,
        hint: 'write values out instead of nesting anchors (&) and aliases (*)',
        ...pos(firstAlias ?? 0),
        path: '',
      });
    }
    return fail({
      code: 'yaml-syntax',
      message: `YAML: ${(e as Error).message}`,
      line: 1,
      column: 1,
      path: '',
    });
  }
  return { parsed: { file, text, doc: first, lines, data }, issues: [] };
}

/** UTF-8 size, without encoding strings that are clearly small or clearly too large. */
function byteLength(source: string | Uint8Array, max: number): number {
  if (typeof source !== 'string') return source.byteLength;
  if (source.length > max || source.length * 3 <= max) return source.length;
  return new TextEncoder().encode(source).byteLength;
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and the closing bracket or quote';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a key and its colon must be on one line; is a colon or quote missing on the line before?';
    case 'UNEXPECTED_TOKEN':
      return 'quote values that contain `: `, `#`, `{`, `[` or start with `*`, `&`, `!`, `%`, `@`';
    default:
      return undefined;
  }
}

/** Offset of the first byte that breaks UTF-8 decoding. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >> 5 === 0b110 ? 1 : b >> 4 === 0b1110 ? 2 : b >> 3 === 0b11110 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length || ((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

/**
 * Offset where flow-collection nesting first exceeds `max`, or -1. Skips
 * quoted strings and comments; exact YAML lexing is not needed because the
 * parser still runs afterwards on anything this lets through.
 */
function flowDepthOffset(text: string, max: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n' && quote === "'") {
        // A lone apostrophe in a plain scalar (`don't`) is not a quote; give up on it at the line end.
      }
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if (c === '"' || (c === "'" && (i === 0 || /[\s[{,:]/.test(text[i - 1] ?? '')))) {
      quote = c;
    } else if (c === '[' || c === '{') {
      if (++depth > max) return i;
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

/** The node at `path`, and the key node naming it (when it is a mapping value). */
export function nodeAt(parsed: ParsedSource, path: DocPath): { node?: Node; key?: Node; resolved: number } {
  let node: unknown = parsed.doc.contents;
  let key: Node | undefined;
  let resolved = 0;
  for (const part of path) {
    if (isAlias(node)) node = node.resolve(parsed.doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (!pair) break;
      key = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) break;
      key = undefined;
      node = item;
    } else {
      break;
    }
    resolved++;
  }
  if (isAlias(node)) node = node.resolve(parsed.doc);
  return { node: (node ?? undefined) as Node | undefined, key, resolved };
}

/**
 * Line and column for a path. `at: 'key'` points at the key (unknown keys);
 * a path that does not exist (a missing key) points at the nearest existing
 * ancestor's key, which is where the user will add it.
 */
export function locate(
  parsed: ParsedSource,
  path: DocPath,
  at: 'key' | 'value' = 'value',
): { line: number; column: number } {
  const { node, key, resolved } = nodeAt(parsed, path);
  const complete = resolved === path.length;
  const target = (!complete || at === 'key') && key ? key : node;
  const offset = target?.range?.[0] ?? 0;
  const p = parsed.lines.linePos(offset);
  return { line: p.line, column: p.col };
}

/**
 * Line and column of a character inside a string value, for errors in a
 * condition or a query. Exact for plain and quoted one-line scalars and for
 * literal blocks (`|`); otherwise the start of the value.
 */
export function locateInString(
  parsed: ParsedSource,
  path: DocPath,
  offset: number,
): { line: number; column: number } {
  const { node } = nodeAt(parsed, path);
  const start = locate(parsed, path);
  if (!node || !isScalar(node) || typeof node.value !== 'string' || !node.range) return start;
  const value = node.value;
  const raw = parsed.text.slice(node.range[0], node.range[1]);
  switch (node.type) {
    case Scalar.PLAIN:
      if (raw === value) return { line: start.line, column: start.column + offset };
      break;
    case Scalar.QUOTE_DOUBLE:
    case Scalar.QUOTE_SINGLE:
      if (raw.slice(1, -1) === value) return { line: start.line, column: start.column + 1 + offset };
      break;
    case Scalar.BLOCK_LITERAL: {
      const before = value.slice(0, offset);
      const lineIdx = before.split('\n').length - 1;
      const colIdx = offset - (before.lastIndexOf('\n') + 1);
      // Content starts on the line after the `|` header; its indentation is that of the first non-empty line.
      const body = raw.slice(raw.indexOf('\n') + 1);
      const indent = /^( *)\S/m.exec(body)?.[1]?.length ?? 0;
      return { line: start.line + 1 + lineIdx, column: indent + colIdx + 1 };
    }
  }
  return start;
}
