// The evidence pack's pure parts: rows → sections (coverage and its gaps,
// breach episodes with the actions taken, retrains step by step, rollbacks),
// the chain verification marked on the rows it affects, the HTML page and
// the manifest. Rows are built and hashed exactly as the audit store does.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type AuditEntry,
  type AuditRow,
  chainHash,
  contentOf,
  GENESIS_HASH,
  verifyChain,
} from '../../../activities/audit/chain.ts';
import { coverage, type EvaluationPoint, inferCadence } from '../../../activities/evidence/coverage.ts';
import { formatDuration } from '../../../activities/evidence/duration-text.ts';
import { packFiles } from '../../../activities/evidence/files.ts';
import { renderHtml } from '../../../activities/evidence/html.ts';
import { buildPack, type PackInput } from '../../../activities/evidence/pack.ts';

const MODEL = 'fraud';
const V1 = `sha256:${'a'.repeat(64)}`;
const V2 = `sha256:${'b'.repeat(64)}`;
const T0 = Date.UTC(2026, 5, 1, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function chain(entries: AuditEntry[]): AuditRow[] {
  let prevHash = GENESIS_HASH;
  return entries.map((e, i) => {
    const content = contentOf(e, i + 1);
    const hash = chainHash(prevHash, content);
    const row: AuditRow = { ...e, seq: 1000 + i, modelSeq: i + 1, content, prevHash, hash };
    prevHash = hash;
    return row;
  });
}

interface EvalOptions {
  version?: string;
  reason?: string;
  outcome?: string;
  breach?: boolean;
  actions?: Array<{ kind: string; status: string; heldBy?: Array<{ guard: string; detail: string }> }>;
}

let evaluationNo = 0;
function evaluation(minute: number, o: EvalOptions = {}): AuditEntry {
  evaluationNo++;
  return {
    model: MODEL,
    policy: 'fraud-policy',
    policyVersion: o.version ?? V1,
    workflowId: 'policy:fraud-policy',
    workflowRun: 'run-1',
    step: `evaluation:${evaluationNo}:${at(minute)}`,
    kind: 'evaluation',
    outcome: o.outcome ?? (o.actions?.length ? o.actions[0]!.kind : 'ok'),
    recordedAt: at(minute),
    inputs: { reason: o.reason ?? 'schedule', measurements: [] },
    details: {
      summary: o.breach ? 'precision is below 0.92' : 'all quiet',
      metrics: [
        {
          metric: 'precision',
          phase: o.breach ? 'breach' : 'ok',
          value: o.breach ? 0.87 : 0.95,
          objective: 'min 0.92',
          reason: o.breach ? '0.87 is below min 0.92' : 'ok',
        },
      ],
      triggers: [{ trigger: 'slo-breach', met: !!o.actions?.length }],
      actions: (o.actions ?? []).map((a) => ({
        kind: a.kind,
        status: a.status,
        origin: 'slo-breach',
        severity: 'critical',
        heldBy: a.heldBy ?? [],
        explanation: `${a.kind} because precision is below 0.92 <b>`,
      })),
    },
  };
}

function step(
  workflowId: string,
  minute: number,
  stepName: string,
  kind: string,
  outcome: string,
  details: Record<string, unknown> = {},
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    model: MODEL,
    policy: 'fraud-policy',
    policyVersion: V2,
    workflowId,
    workflowRun: 'run-r',
    step: stepName,
    kind,
    outcome,
    recordedAt: at(minute),
    inputs: { trigger: 'slo-breach', attempt: 1 },
    details,
    ...extra,
  };
}

/** A story: 5-minute evaluations, a policy update, a breach → retrain → shadow → approval → promotion, then a rollback, and a 40-minute hole. */
function story(): AuditRow[] {
  evaluationNo = 0;
  const retrainId = 'retrain:fraud-policy:1';
  const entries: AuditEntry[] = [
    evaluation(-5), // before the period
    evaluation(0),
    evaluation(5),
    evaluation(10, { reason: 'requested' }),
    evaluation(15, { version: V2 }),
    evaluation(20, { version: V2, breach: true }),
    evaluation(25, { version: V2, breach: true, actions: [{ kind: 'retrain', status: 'act' }] }),
    step('policy:fraud-policy', 25, `retrain-started:7:${at(25)}`, 'retrain.started', 'started', {
      retrainWorkflowId: retrainId,
      attempt: 1,
      trigger: 'slo-breach',
    }),
    step(retrainId, 26, 'accepted', 'retrain.accepted', 'started', { detail: 'precision below 0.92' }),
    step(
      retrainId,
      26,
      'training-requested',
      'training.requested',
      'created',
      { detail: 'MLflow run r-123' },
      {
        mlflowRunId: 'r-123',
      },
    ),
    evaluation(30, {
      version: V2,
      breach: true,
      actions: [
        { kind: 'retrain', status: 'held', heldBy: [{ guard: 'inFlight', detail: 'a retrain is running' }] },
      ],
      outcome: 'held',
    }),
    step(
      retrainId,
      31,
      'gates',
      'gates',
      'accepted',
      { detail: 'val_precision 0.95 ≥ 0.92' },
      { mlflowRunId: 'r-123' },
    ),
    step(
      retrainId,
      32,
      'challenger-registered',
      'challenger.registered',
      'registered',
      {
        detail: 'version 4 is the challenger',
        version: '4',
      },
      { mlflowRunId: 'r-123' },
    ),
    evaluation(35, { version: V2 }),
    step(
      retrainId,
      36,
      'shadow',
      'shadow.verdict',
      'better',
      { detail: 'challenger better: +0.03 precision' },
      {
        mlflowRunId: 'r-123',
      },
    ),
    step(
      retrainId,
      37,
      'approval',
      'approval',
      'approved',
      { by: 'alice', reason: 'report reviewed', version: '4' },
      {
        mlflowRunId: 'r-123',
      },
    ),
    step(
      retrainId,
      38,
      'promotion',
      'promotion',
      'promoted',
      { version: '4', previousVersion: '3', detail: 'champion → 4' },
      {
        mlflowRunId: 'r-123',
      },
    ),
    evaluation(40, { version: V2 }),
    // a 40-minute hole: nothing at 45…80
    evaluation(85, { version: V2 }),
    step('policy:fraud-policy', 86, 'rollback:1', 'rollback', 'rolled-back', {
      by: 'bob',
      reason: 'complaints from risk ops',
      fromVersion: '4',
      toVersion: '3',
    }),
    evaluation(90, { version: V2 }),
  ];
  return chain(entries);
}

function input(rows: AuditRow[], over: Partial<PackInput> = {}): PackInput {
  return {
    model: MODEL,
    from: at(0),
    to: at(105),
    generatedAt: at(200),
    generatedBy: 'auditor',
    rows,
    chain: verifyChain(MODEL, rows),
    cadences: { [V1]: { every: '5m', ms: 300_000, source: 'policy-file' } },
    links: {
      workflow: (id) => `https://temporal.example/${encodeURIComponent(id)}`,
      run: (id) => `https://mlflow.example/runs/${id}`,
      model: (v) => `https://mlflow.example/models/fraud${v ? `/versions/${v}` : ''}`,
    },
    ...over,
  };
}

describe('evidence pack: rows to sections', () => {
  it('lists the policy versions in force with first and last seen and where each cadence comes from', () => {
    const pack = buildPack(input(story()));
    assert.deepEqual(
      pack.policyVersions.map((p) => [
        p.hash,
        p.firstSeen,
        p.firstSeenInPeriod,
        p.evaluationsInPeriod,
        p.cadence?.source,
      ]),
      [
        [V1, at(-5), at(0), 3, 'policy-file'],
        [V2, at(15), at(15), 8, 'inferred'],
      ],
    );
    assert.equal(pack.policyVersions[1]!.cadence?.every, '5m', 'inferred from the scheduled intervals');
    assert.ok(pack.notes.some((n) => n.includes('inferred')));
  });

  it('counts every evaluation and calls out the gap longer than twice the cadence, with the edges', () => {
    const pack = buildPack(input(story()));
    assert.equal(pack.coverage.evaluations, 11);
    assert.deepEqual(pack.coverage.byReason, { schedule: 10, requested: 1 });
    assert.deepEqual(
      pack.coverage.gaps.map((g) => [g.where, g.from, g.to]),
      [
        ['between', at(40), at(85)],
        ['end', at(90), at(105)],
      ],
    );
    assert.match(
      pack.coverage.gaps[0]!.text,
      /45m without an evaluation \(allowed: 10m \(twice the cadence of 5m\)\)/,
    );
    assert.equal(pack.coverage.ok, false);
  });

  it('groups consecutive breaches into an episode with the actions taken and what was done', () => {
    const pack = buildPack(input(story()));
    assert.equal(pack.episodes.length, 1);
    const e = pack.episodes[0]!;
    assert.deepEqual([e.from, e.to, e.metrics], [at(20), at(30), ['precision']]);
    assert.deepEqual(e.actions, ['retrain:act', 'retrain:held']);
    const acted = e.evaluations[1]!;
    assert.equal(acted.retrainWorkflowId, 'retrain:fraud-policy:1');
    assert.deepEqual(
      acted.followUp.map((f) => f.kind),
      ['retrain.started'],
    );
    assert.deepEqual(e.evaluations[2]!.actions[0]!.heldBy, [
      { guard: 'inFlight', detail: 'a retrain is running' },
    ]);
    assert.equal(acted.breached[0]!.value, 0.87);
  });

  it('tells each retrain step by step: run, gates, shadow verdict, approval (who, when), promotion, with links', () => {
    const pack = buildPack(input(story()));
    assert.equal(pack.retrains.length, 1);
    const r = pack.retrains[0]!;
    assert.equal(r.workflowId, 'retrain:fraud-policy:1');
    assert.equal(r.mlflowRunId, 'r-123');
    assert.equal(r.attempt, 1);
    assert.equal(r.trigger, 'slo-breach');
    assert.deepEqual(r.result, { kind: 'promotion', outcome: 'promoted' });
    assert.equal(r.gates?.outcome, 'accepted');
    assert.equal(r.shadow?.outcome, 'better');
    assert.deepEqual(
      [r.approval?.outcome, r.approval?.by, r.approval?.at, r.approval?.reason],
      ['approved', 'alice', at(37), 'report reviewed'],
    );
    assert.deepEqual([r.promotion?.version, r.promotion?.fromVersion], ['4', '3']);
    assert.equal(r.version, '4');
    assert.deepEqual(
      r.steps.map((s) => s.kind),
      [
        'retrain.started',
        'retrain.accepted',
        'training.requested',
        'gates',
        'challenger.registered',
        'shadow.verdict',
        'approval',
        'promotion',
      ],
    );
    assert.equal(r.links.run, 'https://mlflow.example/runs/r-123');
    assert.equal(r.links.version, 'https://mlflow.example/models/fraud/versions/4');
    assert.deepEqual(
      pack.rollbacks.map((x) => [x.by, x.reason, x.fromVersion, x.toVersion]),
      [['bob', 'complaints from risk ops', '4', '3']],
    );
    assert.deepEqual(
      [pack.summary.retrains, pack.summary.approvals, pack.summary.promotions, pack.summary.rollbacks],
      [1, 1, 1, 1],
    );
  });

  it('an intact chain verifies; the timeline holds every row of the period and none before it', () => {
    const rows = story();
    const pack = buildPack(input(rows));
    assert.equal(pack.verification.ok, true);
    assert.match(pack.verification.statement, /verifies/);
    assert.equal(pack.timeline.length, rows.length - 1);
    assert.ok(pack.timeline.every((r) => r.integrity.length === 0));
  });

  it('one tampered row makes the pack say so, at that row, wherever the row is used', () => {
    const rows = story();
    const i = rows.findIndex((r) => r.kind === 'approval');
    const forged = JSON.parse(rows[i]!.content);
    forged.details.by = 'mallory';
    const tampered = rows.map((r, j) =>
      j === i ? { ...r, content: JSON.stringify(forged), details: forged.details } : r,
    );
    const pack = buildPack(input(tampered));
    assert.equal(pack.verification.ok, false);
    assert.equal(pack.verification.problemsInPeriod, 1);
    assert.deepEqual(
      pack.verification.problems.map((p) => [p.kind, p.seq]),
      [['altered', rows[i]!.seq]],
    );
    assert.match(pack.verification.statement, /does NOT verify/);
    assert.deepEqual(pack.timeline.find((r) => r.seq === rows[i]!.seq)?.integrity, ['altered']);
    assert.deepEqual(pack.retrains[0]!.approval?.integrity, ['altered']);
    const html = renderHtml(pack);
    assert.match(html, /AUDIT CHAIN BROKEN/);
    assert.match(html, /⚠ altered/);
  });

  it('a removed row is reported at the row after the gap', () => {
    const rows = story();
    const without = rows.filter((r) => r.kind !== 'gates');
    const pack = buildPack(input(without));
    assert.equal(pack.verification.ok, false);
    const after = rows[rows.findIndex((r) => r.kind === 'gates') + 1]!;
    assert.ok(pack.verification.problems.some((p) => p.kind === 'removed' && p.seq === after.seq));
    assert.ok(pack.timeline.find((r) => r.seq === after.seq)?.integrity.includes('removed-before'));
  });
});

describe('evidence pack: coverage rules', () => {
  const points = (minutes: number[], version = V1, reason = 'schedule'): EvaluationPoint[] =>
    minutes.map((m) => ({ at: at(m), policy: 'p', policyVersion: version, outcome: 'ok', reason }));
  const five = () => ({ every: '5m', ms: 300_000, source: 'controller' as const });

  it('no gap when every interval is at most twice the cadence (edges included)', () => {
    const c = coverage(points([0, 10, 20, 30]), { from: at(0), to: at(40), now: at(100) }, five);
    assert.deepEqual(c.gaps, []);
    assert.equal(c.ok, true);
    assert.equal(c.longestIntervalMs, 600_000);
  });

  it('the evaluation before the period decides the first gap; none before it means monitoring began in the period', () => {
    const before = coverage(points([-30, 15]), { from: at(0), to: at(20), now: at(100) }, five);
    assert.deepEqual(
      before.gaps.map((g) => [g.where, g.from]),
      [['start', at(-30)]],
    );
    const none = coverage(points([15]), { from: at(0), to: at(20), now: at(100) }, five);
    assert.match(none.gaps[0]!.text, /there is none earlier/);
  });

  it('the end of the period is the export time when that is earlier; no evaluation at all is one gap', () => {
    const c = coverage(points([0]), { from: at(0), to: at(1000), now: at(8) }, five);
    assert.deepEqual(c.gaps, []);
    assert.equal(c.coveredUntil, at(8));
    const empty = coverage([], { from: at(0), to: at(60), now: at(100) }, five);
    assert.equal(empty.gaps[0]!.where, 'none');
  });

  it('intervals under an unknown cadence are counted as not assessed, never as covered', () => {
    const c = coverage(points([0, 100]), { from: at(0), to: at(101), now: at(200) }, () => undefined);
    assert.deepEqual(c.gaps, []);
    assert.equal(c.unassessed, 3);
    assert.equal(c.ok, false, 'not shown to be covered');
  });

  it('infers a cadence as the median interval before scheduled evaluations', () => {
    const p = [...points([0, 5, 10, 15]), ...points([17], V1, 'requested'), ...points([22, 60])].sort(
      (a, b) => Date.parse(a.at) - Date.parse(b.at),
    );
    assert.deepEqual(inferCadence(p, V1), { every: '5m', ms: 300_000, source: 'inferred' });
    assert.equal(inferCadence(points([0], V1, 'requested'), V1), undefined);
  });

  it('writes durations the way policies do', () => {
    assert.deepEqual(
      [formatDuration(300_000), formatDuration(5_400_000), formatDuration(90_061_000), formatDuration(250)],
      ['5m', '1h30m', '1d1h1m1s', '250ms'],
    );
  });
});

describe('evidence pack: page and files', () => {
  it('the HTML is self-contained and escapes what the rows say', () => {
    const html = renderHtml(buildPack(input(story())));
    assert.match(html, /^<!doctype html>/);
    assert.ok(!/<script|src="http|<link /i.test(html), 'no scripts or outside resources');
    assert.ok(html.includes('because precision is below 0.92 &lt;b&gt;'));
    assert.match(html, /✓ Audit chain verified/);
    assert.match(html, /approved<\/b> at 2026-06-01 00:37:00Z · by alice · reason: report reviewed/);
  });

  it('a long period keeps the page readable: routine ok evaluations are left off it, and it says where they are', () => {
    evaluationNo = 0;
    const many = chain([
      ...Array.from({ length: 2100 }, (_, i) => evaluation(i * 5)),
      evaluation(2100 * 5, { breach: true, actions: [{ kind: 'alert', status: 'act' }] }),
    ]);
    const pack = buildPack(input(many, { to: at(2101 * 5) }));
    assert.equal(pack.timeline.length, 2101, 'the data keeps every row');
    const html = renderHtml(pack);
    assert.match(
      html,
      /2101 rows; the 2100 evaluations with outcome <b>ok<\/b> and an intact hash are left off this page/,
    );
    assert.equal((html.match(/<td>evaluation<\/td>/g) ?? []).length, 1);
  });

  it('the manifest lists every file with its SHA-256; the rows are written exactly as stored', () => {
    const rows = story();
    const pack = buildPack(input(rows));
    const files = packFiles(pack, rows.slice(1), '<html></html>');
    assert.deepEqual(
      files.map((f) => f.name),
      [
        'evidence.json',
        'index.html',
        'audit-rows.jsonl',
        'public-keys.json',
        'checkpoints.json',
        'manifest.json',
      ],
    );
    const manifest = JSON.parse(new TextDecoder().decode(files.at(-1)!.bytes));
    for (const entry of manifest.files) {
      const file = files.find((f) => f.name === entry.name)!;
      assert.equal(entry.sha256, createHash('sha256').update(file.bytes).digest('hex'), entry.name);
    }
    const lines = new TextDecoder()
      .decode(files[2]!.bytes)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const line of lines)
      assert.equal(
        createHash('sha256').update(`${line.prevHash}\n${line.content}`).digest('hex'),
        line.hash,
        'each row can be re-hashed from the pack alone',
      );
  });
});

describe('evidence pack: the diagnosis before acting', () => {
  it('an evaluation that was diagnosed shows the cause, the routed action and the stage ladder', () => {
    const diagnosed = evaluation(20, {
      breach: true,
      outcome: 'alert',
      actions: [
        {
          kind: 'retrain',
          status: 'held',
          heldBy: [{ guard: 'diagnosis', detail: 'no retrain on broken data' }],
        },
      ],
    });
    const details = diagnosed.details as Record<string, unknown>;
    details.diagnosis = {
      cause: 'dataQuality',
      features: ['income'],
      action: 'alert',
      explanation:
        'held: data quality — income 45.0 % missing (reference 0.0 %); alerting data-eng; <no retrain>',
      receivers: ['data-eng'],
      stages: [
        { stage: 'validity', verdict: 'pass', summary: 'labels fine' },
        { stage: 'quality', verdict: 'fail', summary: 'income 45.0 % missing' },
      ],
    };
    const rows = chain([evaluation(10), diagnosed, evaluation(30)]);
    const pack = buildPack(input(rows));
    const e = pack.episodes[0]!.evaluations[0]!;
    assert.equal(e.diagnosis?.cause, 'dataQuality');
    assert.deepEqual(e.diagnosis?.features, ['income']);
    assert.deepEqual(
      e.diagnosis?.stages.map((s) => `${s.stage} ${s.verdict}`),
      ['validity pass', 'quality fail'],
    );
    const html = renderHtml(pack);
    assert.match(html, /<b>diagnosis<\/b> dataQuality \(income\) → alert/);
    assert.match(html, /validity pass · quality fail/);
    assert.match(html, /&lt;no retrain&gt;/, 'escaped');
    assert.equal(pack.episodes[0]!.evaluations.length, 1);
  });
});
