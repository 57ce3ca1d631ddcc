// Replays the recorded workflow histories (test/histories/*.json, recorded by
// test/histories/record.ts; `earlier-*` are kept from older versions of the
// code) against the current workflow code: a change that
// would break running workflows — a reordered activity, a new timer, a
// changed branch — fails here, in CI, before it reaches a running controller.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../../workers/orchestrator.ts';

const dir = fileURLToPath(new URL('../../histories/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('recorded workflow histories replay against the current code', () => {
  it('has histories to replay', () => {
    for (const expected of [
      'controller-lifecycle.json',
      'retrain-registered.json',
      'retrain-failed.json',
      'stack-check.json',
    ]) {
      assert.ok(files.includes(expected), `${expected} is recorded`);
    }
  });

  it('replays every history without nondeterminism', async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(`${dir}${file}`, 'utf8')),
    }));
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      results.push(result);
    }
    assert.equal(results.length, histories.length);
    for (const result of results) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
    }
  });
});
