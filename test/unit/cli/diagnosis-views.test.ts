// Where people read a diagnosis in the terminal: `status` (the decision's
// detail: cause, routed action, the stage ladder, the hard cases) and
// `history` (a CAUSE column entry), from a real evaluation with a diagnosis.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRow } from '../../../activities/audit/chain.ts';
import { historyEntry } from '../../../cli/commands/history.ts';
import { decisionDetail } from '../../../cli/lib/decision-view.ts';
import { styleFor } from '../../../cli/lib/io.ts';
import type { DiagnosisBrief } from '../../../policies/decision.ts';
import { evaluate } from '../../../policies/evaluate.ts';
import { iso, load, measure, T0 } from '../policies/helpers.ts';

const policy = load(`
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: churn }
model: { name: churn-model }
metrics:
  accuracy: { prometheus: { query: churn_accuracy }, objective: { min: 0.75 } }
triggers:
  accuracy-drop: { when: accuracy.breached, action: retrain }
training:
  experiment: churn
  launcher: { mlflowProject: { uri: ./train } }
diagnosis:
  reference: { uri: s3://d/r.jsonl }
  current: { uri: s3://d/c.jsonl }
  columns: { features: [income, age] }
`);
const brief: DiagnosisBrief = {
  cause: 'dataQuality',
  features: ['income'],
  summary: 'data quality (income): income 45.0 % missing (reference 0.0 %)',
  action: 'alert',
  explanation:
    'held: data quality — income 45.0 % missing (reference 0.0 %); alerting no one; no retrain on broken data',
  receivers: [],
  stages: [
    { stage: 'validity', verdict: 'pass', summary: '2,400 labelled rows' },
    { stage: 'quality', verdict: 'fail', summary: 'income 45.0 % missing (reference 0.0 %)' },
    { stage: 'concept', verdict: 'inconclusive', summary: 'not judged' },
  ],
  samplesUri: 's3://d/hard-cases.jsonl',
};
const style = styleFor({ env: {}, isTTY: false } as never, false);

describe('the diagnosis in the terminal', () => {
  const at = iso(T0);
  const { decision } = evaluate(policy, null, measure(policy, { accuracy: 0.7 }, at), at, {
    diagnosis: brief,
  });

  it('status shows the cause, the routed action, each stage and where the hard cases are', () => {
    const text = decisionDetail(style, decision);
    assert.match(text, /diagnosis dataQuality \(income\) → alert: held: data quality/);
    assert.match(text, /validity\s+pass 2,400 labelled rows/);
    assert.match(text, /quality\s+fail income 45\.0 % missing/);
    assert.match(text, /concept\s+inconclusive not judged/);
    assert.match(text, /hard cases: s3:\/\/d\/hard-cases\.jsonl/);
    assert.match(text, /retrain held .*held by diagnosis: held: data quality/);
  });

  it('history names the cause and its features; decisions without a diagnosis have none', () => {
    const row = (details: unknown) =>
      ({
        seq: 1,
        modelSeq: 1,
        model: 'churn-model',
        policy: 'churn',
        workflowId: 'policy:churn',
        step: `evaluation:1:${at}`,
        kind: 'evaluation',
        outcome: decision.outcome,
        recordedAt: at,
        details,
        content: '',
        prevHash: '',
        hash: '',
      }) as AuditRow;
    assert.equal(historyEntry(row(decision)).cause, 'dataQuality(income)');
    assert.equal(historyEntry(row({ ...decision, diagnosis: undefined })).cause, null);
  });
});
