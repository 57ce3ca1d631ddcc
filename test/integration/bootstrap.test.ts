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
