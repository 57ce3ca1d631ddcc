// The hostile-policy corpus (test/fixtures/hostile/policies): each file is
// refused with the issue code expected.json names, or loads and stays
// harmless. Inputs too large to commit are built here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { loadPolicy } from '../../../policies/loader.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import { root } from '../policies/helpers.ts';

const dir = join(root, 'test/fixtures/hostile/policies');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { code?: string; path?: string; ok?: boolean }
>;

const HEAD =
  'apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: hostile }\nmodel: { name: hostile-model }\n';

function matchers(query: string): number {
  let n = 0;
  parser.parse(query).iterate({
    enter(node) {
      if (node.name === 'UnquotedLabelMatcher' || node.name === 'LabelMatcher') n++;
    },
  });
  return n;
}

describe('hostile-policy corpus', () => {
  it('has an expectation for each file', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    assert.deepEqual(files.sort(), Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: ${want.ok ? 'loads, harmless' : `refused (${want.code})`}`, () => {
      const result = loadPolicy(readFileSync(join(dir, file)), file);
      if (want.ok) {
        assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
        for (const request of planMeasurements(result.policy, new Date())) {
          if (request.provider !== 'prometheus') continue;
          assert.equal(request.renderError, undefined);
          assert.equal(matchers(request.query), 1, request.query);
        }
        return;
      }
      assert.equal(result.ok, false, `${file} was accepted`);
      assert.ok(!result.ok);
      const issue = result.issues.find((i) => i.code === want.code);
      assert.ok(issue, JSON.stringify(result.issues));
      if (want.path) assert.equal(issue.path, want.path);
    });
  }

  it('a condition nested 5,000 parentheses deep is refused as a syntax problem, not a crash', () => {
    const when = `${'('.repeat(5000)}accuracy.breached${')'.repeat(5000)}`;
    const result = loadPolicy(
      `${HEAD}metrics:\n  accuracy: { prometheus: { query: up }, objective: { min: 0.9 } }\ntriggers:\n  t: { when: '${when}', action: alert }\n`,
      'deep.yaml',
    );
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.issues.some((i) => i.code === 'cel-syntax'));
  });

  it('a string of 200,000 characters in a description loads (under the 256 KiB limit) and is kept as is', () => {
    const description = 'x'.repeat(200_000);
    const result = loadPolicy(
      `${HEAD}metrics:\n  accuracy: { description: ${description}, prometheus: { query: up }, objective: { min: 0.9 } }\ntriggers:\n  t: { when: accuracy.breached, action: alert }\n`,
      'long.yaml',
    );
    assert.ok(result.ok);
    assert.equal(result.policy.spec.metrics.accuracy?.description?.length, 200_000);
  });
});
