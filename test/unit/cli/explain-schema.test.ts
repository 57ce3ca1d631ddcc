import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { policyJsonSchema } from '../../../policies/json-schema.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { ctpilot } from './helpers.ts';

describe('ctpilot explain', () => {
  it('says what is watched, when it retrains and what gates a promotion', async () => {
    const r = await ctpilot(['explain', 'policies/examples/support-tickets-production.yaml']);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^Policy support-tickets-production \(owner support-ml\) watches MLflow registered model `support-ticket-classifier`\.\n/,
    );
    assert.match(
      r.stdout,
      /\nWhat is watched\n {2}• accuracy: accuracy over tickets labelled in the last 24h — Prometheus query `sum\(increase/,
    );
    assert.match(r.stdout, /Needs at least 200 samples; data older than 6h counts as missing\./);
    assert.match(
      r.stdout,
      /accuracy-drop \(measured accuracy below 85% with enough labels\): RETRAIN when `accuracy\.breached` holds on 3 consecutive evaluations, provided `labels_joined\.value >= 200`\./,
    );
    assert.match(
      r.stdout,
      /No retraining every sat 22:00–06:00 \(Europe\/Paris\) — weekend release freeze\./,
    );
    assert.match(
      r.stdout,
      /\nWhat gates a promotion\n {2}• Shadow \(ctpilot replays logged production requests to the challenger\) for 6h/,
    );
    assert.match(r.stdout, /Promotion is automatic\./);
  });

  it('--json gives the same explanation as data', async () => {
    const r = await ctpilot(['explain', '--json', 'policies/examples/fraud-slo.yaml']);
    assert.equal(r.code, 0);
    const e = JSON.parse(r.stdout) as {
      valid: boolean;
      name: string;
      hash: string;
      sections: { title: string; lines: string[] }[];
    };
    assert.equal(e.valid, true);
    assert.equal(e.name, 'fraud-detector');
    assert.match(e.hash, /^sha256:/);
    assert.equal(e.sections.find((s) => s.title === 'When it acts')?.lines.length, 3);
  });

  it('an invalid policy is reported like validate, exit 1', async () => {
    const r = await ctpilot(['explain', 'test/fixtures/policies/broken/unknown-metric.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /unknown-metric\.yaml:10:17 error unknown metric `acuracy`/);
    assert.match(r.stdout, /is not a valid policy; nothing to explain\n$/);
    const j = await ctpilot(['explain', '--json', 'test/fixtures/policies/broken/unknown-metric.yaml']);
    assert.equal(j.code, 1);
    assert.equal(
      (JSON.parse(j.stdout) as { errors: { code: string }[] }).errors[0]?.code,
      'cel-unknown-metric',
    );
  });
});

describe('ctpilot schema', () => {
  it('prints the draft-07 schema with descriptions', async () => {
    const r = await ctpilot(['schema']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), policyJsonSchema());
  });

  it('--draft 2020-12 and -o write a file; --json reports what was written', async (t) => {
    const dir = tempDir(t, 'ctpilot-schema');
    const r = await ctpilot(['schema', '--draft', '2020-12', '-o', join(dir, 's.json'), '--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { written: join(dir, 's.json'), draft: 'draft-2020-12' });
    assert.equal(
      JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')).$schema,
      'https://json-schema.org/draft/2020-12/schema',
    );
  });

  it('rejects an unknown draft as a usage error', async () => {
    const r = await ctpilot(['schema', '--draft', '4']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /argument '4' is invalid\. Allowed choices are 7, 2020-12/);
  });

  it('an unwritable output is a usage error with the path', async () => {
    const r = await ctpilot(['schema', '-o', '/nonexistent-dir/x.json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: cannot write \/nonexistent-dir\/x\.json: no such file or directory/);
  });
});
