import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('bootstrap', () => {
  it('a second run with everything present installs nothing', () => {
    // `npm test` ran the bootstrap just before the tests (pretest): this is the second run.
    const run = spawnSync(process.execPath, ['infra/bootstrap.mjs'], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /npm dependencies up to date/);
    assert.match(run.stdout, /Python environment \.venv up to date/);
    assert.match(run.stdout, /Temporal CLI: temporal version/);
    assert.doesNotMatch(run.stdout, /installing|creating|building/);
  });
});

describe('the compiled CLI', () => {
  it('the bootstrap built dist/ from the sources as they are, and it answers as the sources do', async () => {
    const { sourceFingerprint } = await import('../../infra/build-fingerprint.mjs');
    const { readFileSync } = await import('node:fs');
    assert.equal(
      readFileSync(`${root}dist/.sources`, 'utf8').trim(),
      sourceFingerprint(root),
      'dist/ is current',
    );
    const compiled = spawnSync(process.execPath, ['cli/bin.mjs', 'validate', '--help'], {
      cwd: root,
      encoding: 'utf8',
    });
    const sources = spawnSync(process.execPath, ['cli/bin.mjs', 'validate', '--help'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CTPILOT_FROM_SOURCES: '1' },
    });
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.equal(compiled.stdout, sources.stdout);
    const top = spawnSync(process.execPath, ['cli/bin.mjs', '--help'], { cwd: root, encoding: 'utf8' });
    assert.match(top.stdout, /validate.*check policy files/);
    const checked = spawnSync(process.execPath, ['cli/bin.mjs', 'validate', 'policies/examples/'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  });
});
