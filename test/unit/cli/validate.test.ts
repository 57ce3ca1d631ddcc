import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../support/temp-dir.ts';
import { ctpilot, root } from './helpers.ts';

const broken = `${root}test/fixtures/policies/broken/`;
const expected = JSON.parse(readFileSync(`${broken}expected.json`, 'utf8')) as Record<
  string,
  { code: string; line: number; column: number }[]
>;

describe('ctpilot validate', () => {
  it('exits 0 on the examples and names each policy with its hash', async () => {
    const r = await ctpilot(['validate', 'policies/examples']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /✓ policies\/examples\/fraud-slo\.yaml {2}fraud-detector {2}sha256:[0-9a-f]{12}/);
    assert.match(r.stdout, /7 policies valid\n$/);
    assert.equal(r.stderr, '');
  });

  for (const file of readdirSync(broken).filter((f) => f.endsWith('.yaml'))) {
    it(`exits 1 on ${file}, printing every expected issue`, async () => {
      const r = await ctpilot(['validate', `test/fixtures/policies/broken/${file}`]);
      assert.equal(r.code, 1);
      for (const i of expected[file] ?? []) {
        assert.ok(
          r.stdout.includes(`test/fixtures/policies/broken/${file}:${i.line}:${i.column} error `),
          `${file}: missing ${i.line}:${i.column}`,
        );
        assert.ok(r.stdout.includes(`[${i.code}]`));
      }
    });
  }

  it('reports the whole corpus at once with --json, parseable, one entry per file', async () => {
    const r = await ctpilot(['validate', '--json', 'test/fixtures/policies/broken']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      valid: boolean;
      files: {
        file: string;
        valid: boolean;
        errors: { code: string; line: number; column: number; path: string; hint: string | null }[];
      }[];
      summary: { files: number; invalid: number };
    };
    assert.equal(out.valid, false);
    assert.equal(out.summary.files, Object.keys(expected).length);
    assert.equal(out.summary.invalid, out.summary.files);
    for (const f of out.files) {
      const name = f.file.split('/').pop() as string;
      assert.deepEqual(
        f.errors.map((e) => [e.code, e.line, e.column]),
        (expected[name] ?? []).map((e) => [e.code, e.line, e.column]),
      );
    }
  });

  it('prints the source line with a caret under the column, and the hint', async () => {
    const r = await ctpilot(['validate', 'test/fixtures/policies/broken/unknown-field.yaml']);
    assert.match(
      r.stdout,
      /unknown-field\.yaml:10:25 error metric `accuracy` has no field `breachd` \(at triggers\.drop\.when\) \[cel-unknown-field\]\n {4}10 \| {3}drop: \{ when: accuracy\.breachd, for: 3, action: alert \}\n {4} {3}\| {25}\^\n {4}hint: did you mean `accuracy\.breached`\?/,
    );
  });

  it('fails when two files use the same policy name', async (t) => {
    const dir = tempDir(t, 'ctpilot-dup');
    const text = readFileSync(`${root}policies/examples/fraud-slo.yaml`, 'utf8');
    writeFileSync(join(dir, 'a.yaml'), text);
    writeFileSync(join(dir, 'b.yaml'), text);
    const r = await ctpilot(['validate', '--json', dir]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { files: { valid: boolean; errors: { code: string }[] }[] };
    assert.deepEqual(
      out.files.map((f) => [f.valid, f.errors.map((e) => e.code)]),
      [
        [true, []],
        [false, ['duplicate-policy-name']],
      ],
    );
  });

  it('--strict turns warnings into failures', async (t) => {
    const dir = tempDir(t, 'ctpilot-warn');
    const text = readFileSync(`${broken}retrain-without-training.yaml`, 'utf8').replace(
      'action: retrain',
      'action: alert',
    );
    writeFileSync(join(dir, 'w.yaml'), `${text}promotion: { approval: auto }\n`);
    assert.equal((await ctpilot(['validate', dir])).code, 0);
    const strict = await ctpilot(['validate', '--strict', dir]);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /warning `promotion` is set but no trigger retrains/);
  });

  it('--quiet lists only the files with problems', async () => {
    const r = await ctpilot([
      'validate',
      '-q',
      'policies/examples',
      'test/fixtures/policies/broken/for-zero.yaml',
    ]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /fraud-slo/);
    assert.match(r.stdout, /✗ test\/fixtures\/policies\/broken\/for-zero\.yaml {2}1 error/);
    assert.match(r.stdout, /1 of 8 policies invalid \(1 error\)\n$/);
  });

  it('a missing file is a usage error (exit 2) with the fix, no stack', async () => {
    const r = await ctpilot(['validate', 'policies/examples/nope.yaml']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      'error: cannot read policies/examples/nope.yaml: no such file or directory\nfix: check the path; policies are .yaml files or directories of them\n',
    );
  });

  it('an empty directory is a usage error', async (t) => {
    const dir = tempDir(t, 'ctpilot-empty');
    const r = await ctpilot(['validate', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: no policy files \(\*\.yaml, \*\.yml\) under /);
  });

  it('an enormous file is refused without being read', async (t) => {
    const dir = tempDir(t, 'ctpilot-big');
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(5 * 1024 * 1024, 0x23));
    const r = await ctpilot(['validate', '--json', join(dir, 'big.yaml')]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { files: { errors: { code: string; message: string }[] }[] };
    assert.deepEqual(
      out.files[0]?.errors.map((e) => [e.code, e.message]),
      [
        [
          'too-large',
          'the file is 5242880 bytes; policies are limited to 262144 bytes (docs/policies.md, "Limits")',
        ],
      ],
    );
  });
});
