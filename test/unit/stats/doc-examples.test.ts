// Runs the @example blocks of every doc comment in stats/ as tests, so the
// documentation cannot rot. A line `expr; // expected` asserts that expr
// equals expected (numbers to a relative 1e-12); other lines run as written.
// Examples use only their own module's exports and plain JavaScript syntax.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const statsDir = join(root, 'stats');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function examples(source: string): { line: number; code: string[] }[] {
  const out: { line: number; code: string[] }[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\s*$/.test(lines[i]!)) continue;
    const code: string[] = [];
    let j = i + 1;
    while (j < lines.length && /^\s*\*(?!\/)/.test(lines[j]!) && !/^\s*\*\s*@/.test(lines[j]!)) {
      code.push(lines[j]!.replace(/^\s*\* ?/, ''));
      j++;
    }
    out.push({ line: i + 1, code: code.filter((c) => c.trim() !== '') });
  }
  return out;
}

function close(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isNaN(expected)) {
      assert.ok(Number.isNaN(actual), `${path}: expected NaN, got ${actual}`);
    } else if (expected !== actual) {
      const rel = Math.abs(actual - expected) / Math.max(Math.abs(actual), Math.abs(expected));
      assert.ok(rel <= 1e-12, `${path}: expected ${expected}, got ${actual}`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    const a = ArrayBuffer.isView(actual) ? Array.from(actual as unknown as ArrayLike<unknown>) : actual;
    assert.ok(Array.isArray(a), `${path}: expected an array, got ${String(actual)}`);
    assert.equal(a.length, expected.length, `${path}: length`);
    for (let i = 0; i < expected.length; i++) close(a[i], expected[i], `${path}[${i}]`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object`);
    for (const [k, v] of Object.entries(expected))
      close((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}

describe('doc-comment examples in stats/ run and hold', () => {
  for (const file of files(statsDir)) {
    const found = examples(readFileSync(file, 'utf8'));
    if (found.length === 0) continue;
    const name = relative(root, file);
    for (const ex of found) {
      it(`${name}:${ex.line}`, async () => {
        const mod = (await import(file)) as Record<string, unknown>;
        const names = Object.keys(mod);
        const body = ex.code
          .map((c, k) => {
            const m = /^(.*?);\s*\/\/\s*(.+)$/.exec(c);
            if (!m || /^\s*(const|let|var)\s/.test(m[1]!)) return c;
            return `__check((${m[1]}), (${m[2]}), ${JSON.stringify(`line ${ex.line + k + 1}: ${m[1]}`)});`;
          })
          .join('\n');
        const fn = new Function('__check', ...names, body);
        fn(close, ...names.map((n) => mod[n]));
      });
    }
  }
});
