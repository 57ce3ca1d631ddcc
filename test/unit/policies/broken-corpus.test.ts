// The broken-policy corpus: every file is rejected with exactly the issues
// listed in expected.json (code, line, column, path, message), and inputs
// built to hurt a parser are refused cleanly.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadPolicy } from '../../../policies/loader.ts';
import { root } from './helpers.ts';

const dir = `${root}test/fixtures/policies/broken/`;
const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as Record<
  string,
  { code: string; line: number; column: number; path: string; message: string }[]
>;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('broken-policy corpus', () => {
  it('has at least 30 files, each with an expectation', () => {
    assert.ok(files.length >= 30, `only ${files.length} broken policies`);
    assert.deepEqual(Object.keys(expected).sort(), files);
  });

  for (const file of files) {
    it(`rejects ${file} with the expected issues`, () => {
      const r = loadPolicy(readFileSync(`${dir}${file}`), file);
      assert.equal(r.ok, false, `${file} was accepted`);
      assert.ok(!r.ok);
      const actual = r.issues.map((i) => ({
        code: i.code,
        line: i.line,
        column: i.column,
        path: i.path,
        message: i.message,
      }));
      assert.deepEqual(actual, expected[file]);
      for (const i of r.issues) {
        assert.equal(i.file, file);
        assert.ok(i.line >= 1 && i.column >= 1);
      }
    });
  }
});

describe('hostile inputs built on the fly', () => {
  const policyHead = 'apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: big }\n';

  it('refuses an enormous file without parsing it', () => {
    const text = `${policyHead}# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const r = loadPolicy(text, 'big.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.line, i.column]),
      [['too-large', 1, 1]],
    );
    assert.match(
      r.issues[0]?.message ?? '',
      /^the file is 2097\d+ bytes; policies are limited to 262144 bytes \(docs\/policies\.md, "Limits"\)$/,
    );
  });

  it('refuses an enormous byte array the same way', () => {
    const r = loadPolicy(new Uint8Array(3 * 1024 * 1024).fill(0x20), 'big.yaml');
    assert.ok(!r.ok);
    assert.equal(r.issues[0]?.code, 'too-large');
  });

  it('refuses 100,000 nested flow brackets before the parser sees them', () => {
    const r = loadPolicy(`${policyHead}x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'deep.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.line, i.column]),
      [['too-deep', 4, 68]],
    );
  });

  it('refuses deep block nesting', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`);
    const r = loadPolicy(`${policyHead}${lines.join('\n')} end\n`, 'deep.yaml');
    assert.ok(!r.ok);
    assert.equal(r.issues[0]?.code, 'too-deep');
    assert.equal(r.issues[0]?.line, 69);
  });

  it('locates invalid UTF-8 on its line', () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(`${policyHead}model: { name: "mod`),
      0xc3,
      0x28,
      ...new TextEncoder().encode('" }\n'),
    ]);
    const r = loadPolicy(bytes, 'bad.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.line, i.column]),
      [['not-utf8', 4, 20]],
    );
  });

  it('refuses NUL characters in a string source', () => {
    const r = loadPolicy(`${policyHead}\u0000`, 'nul.yaml');
    assert.ok(!r.ok);
    assert.equal(r.issues[0]?.code, 'binary');
  });

  it('refuses a quadratic alias blow-up within the alias budget', () => {
    // 30 anchors each referencing the previous one twice: 2^30 nodes if expanded.
    const lines = ['a0: &a0 [x, y]'];
    for (let i = 1; i < 30; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
    const r = loadPolicy(
      `${policyHead}annotations:\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
      'bomb.yaml',
    );
    assert.ok(!r.ok);
    assert.equal(r.issues[0]?.code, 'alias-bomb');
  });
});
