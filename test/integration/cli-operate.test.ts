// The operator verbs against the real stack — list, status, history,
// evaluate, pause/resume, approve/reject, rollback, replay — run in-process
// with the test stack's environment; --json output parsed back, text output
// read, exit codes checked. A unique label keeps `list` to this file's
// policies while other test files run beside it. Approve, reject and
// rollback with a retrain that waits: cli-approval.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { tempDir } from '../support/temp-dir.ts';
import { waitFor } from '../support/wait-for.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

interface PolicyOptions {
  name: string;
  labels: Record<string, string>;
  accuracy?: string;
  /** A retrain on the first breach, training for this many seconds. */
  trainSeconds?: number;
}

function writePolicy(dir: string, o: PolicyOptions): void {
  const retrains = o.trainSeconds !== undefined;
  writeFileSync(
    join(dir, `${o.name}.yaml`),
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name: o.name, labels: o.labels },
      model: { name: `${o.name}-model` },
      evaluate: { every: '1h' },
      metrics: {
        accuracy: { prometheus: { query: o.accuracy ?? 'vector(0.97)' }, objective: { min: 0.9 } },
      },
      triggers: { drop: { when: 'accuracy.breached', action: retrains ? 'retrain' : 'alert' } },
      ...(retrains
        ? {
            guards: { cooldown: '1h' },
            training: {
              experiment: `${o.name}-training`,
              launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
              parameters: { quality: 0.95, sleep: o.trainSeconds },
              timeout: '5m',
              accept: [{ metric: 'val_accuracy', min: 0.9 }],
            },
          }
        : {}),
    }),
  );
}

interface ListJson {
  policies: Array<{
    policy: string;
    model: string;
    phase: string | null;
    paused: { by: string; reason: string } | null;
    lastDecision: { outcome: string; evaluation: number | null } | null;
    champion: { alias: string; version: string | null } | null;
    nextEvaluationAt: string | null;
    evaluations: number | null;
    labels: Record<string, string> | null;
    every: string | null;
    retrain: { workflowId: string; phase: string | null } | null;
    source: string;
    url: string;
  }>;
  warnings: string[];
  url: string;
}

describe('ctpilot operator verbs on the real stack', () => {
  const config = testConfig();
  const taskQueue = uniqueName('cli-operate');
  const suite = uniqueName('suite');
  const env = { ...(process.env as Record<string, string>), CTPILOT_TASK_QUEUE: taskQueue, USER: 'alice' };
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-cli-operate-'));
  const critical = uniqueName('op-crit');
  const standard = uniqueName('op-std');
  const trainer = uniqueName('op-train');
  const orphan = uniqueName('op-orphan');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];

  /** `ctpilot list --json` of this file's policies; `selector` narrows them further. */
  const list = async (selector?: string, ...args: string[]) => {
    const r = await ctpilot(
      ['list', '--json', '-l', `suite=${suite}${selector ? `,${selector}` : ''}`, ...args],
      {
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ListJson;
  };

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
    const training = await createTrainingWorker(config, clients, { taskQueue });
    workers.push(orchestrator.worker, training.worker);
    for (const w of workers) running.push(w.run());
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    writePolicy(dir, { name: critical, labels: { suite, tier: 'critical' } });
    writePolicy(dir, { name: standard, labels: { suite, tier: 'standard' } });
    const applied = await ctpilot(['apply', dir], { env });
    assert.equal(applied.code, 0, applied.stderr);
  });

  after(async () => {
    for await (const e of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    }))
      await client.workflow.getHandle(e.workflowId).terminate('test finished');
    for await (const e of client.workflow.list({
      query: `WorkflowId = 'policy:${orphan}' AND ExecutionStatus = 'Running'`,
    }))
      await client.workflow.getHandle(e.workflowId).terminate('test finished');
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await connection.close();
    await clients.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('list shows each policy’s state, last decision, champion and next evaluation; -l selects by label', async () => {
    const all = await waitFor('both controllers listed with a first decision', async () => {
      const l = await list();
      return l.policies.length === 2 && l.policies.every((p) => p.lastDecision) ? l : undefined;
    });
    assert.deepEqual(
      all.policies.map((p) => p.policy),
      [critical, standard].sort(),
    );
    const crit = all.policies.find((p) => p.policy === critical)!;
    assert.equal(crit.model, `${critical}-model`);
    assert.equal(crit.phase, 'waiting');
    assert.equal(crit.source, 'status');
    assert.equal(crit.lastDecision?.outcome, 'ok');
    assert.deepEqual(
      crit.champion,
      { alias: 'champion', version: null },
      'no version registered: the alias is unset',
    );
    assert.ok(crit.nextEvaluationAt && Date.parse(crit.nextEvaluationAt) > Date.now());
    assert.equal(crit.every, '1h');
    assert.deepEqual(crit.labels, { suite, tier: 'critical' });
    assert.match(crit.url, /\/namespaces\/default\/workflows\/policy%3A/);

    const selected = await list('tier=critical');
    assert.deepEqual(
      selected.policies.map((p) => p.policy),
      [critical],
    );
    const negated = await list('tier!=critical');
    assert.deepEqual(
      negated.policies.map((p) => p.policy),
      [standard],
    );
    const byModel = await list(undefined, '--model', `${standard}-model`);
    assert.deepEqual(
      byModel.policies.map((p) => p.policy),
      [standard],
    );
    assert.match(byModel.url, /CtModel%20%3D%20'/);

    const text = await ctpilot(['list', '-l', `suite=${suite}`, '--wide'], { env });
    assert.equal(text.code, 0);
    assert.match(
      text.stdout,
      /^POLICY +MODEL +STATE +LAST DECISION +CHAMPION +NEXT EVALUATION +EVERY +VERSION +LABELS/,
    );
    assert.match(
      text.stdout,
      new RegExp(
        `${critical} +${critical}-model +waiting +ok (now|\\d+s ago) +— +in (\\d+m|1h) +1h +sha256:`,
      ),
    );
    assert.match(text.stdout, /2 of \d+ running policies · http/);
    const none = await ctpilot(['list', '-l', `suite=${suite},tier=none`], { env });
    assert.match(none.stdout, /none of the \d+ running policies match/);
  });

  it('list and status answer the same over gRPC (an external server without TEMPORAL_HTTP_URL) as over the HTTP API', async () => {
    const everything: Record<string, string> = env;
    assert.ok(everything.TEMPORAL_HTTP_URL, 'the test stack gives the HTTP API');
    const { TEMPORAL_HTTP_URL: _, ...grpcEnv } = everything;
    const listed = async (e: Record<string, string>) => {
      const r = await ctpilot(['list', '--json', '-l', `suite=${suite}`], { env: e });
      assert.equal(r.code, 0, r.stderr);
      // Times move between the two calls; what each row says does not.
      return (JSON.parse(r.stdout) as ListJson).policies.map(
        ({ nextEvaluationAt: _n, lastDecision, evaluations: _e, ...row }) => ({
          ...row,
          lastDecision: lastDecision?.outcome,
        }),
      );
    };
    const [overHttp, overGrpc] = [await listed(env), await listed(grpcEnv)];
    assert.equal(overHttp.length, 2);
    assert.deepEqual(overGrpc, overHttp);
    assert.deepEqual(
      overHttp.map((p) => [p.policy, p.every, p.labels?.tier, p.champion, p.source]),
      [critical, standard]
        .sort()
        .map((n) => [
          n,
          '1h',
          n === critical ? 'critical' : 'standard',
          { alias: 'champion', version: null },
          'status',
        ]),
    );
    const described = async (e: Record<string, string>) => {
      const r = await ctpilot(['status', critical, '--json'], { env: e });
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as Record<string, unknown> & { status: { policy: string } };
      return { ...j, status: j.status.policy };
    };
    assert.deepEqual(await described(grpcEnv), await described(env));
    const gone = await ctpilot(['status', 'no-such-policy'], { env: grpcEnv });
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no controller is running policy no-such-policy/);
  });

  it('status answers with the controller’s query and links; evaluate decides now; history lists both', async () => {
    const status = await ctpilot(['status', critical, '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as {
      running: boolean;
      every: string;
      status: { policy: string; phase: string; evaluations: number; lastDecision: { outcome: string } };
      retrain: null;
      champion: { version: string | null };
      links: { controller: string; model: string };
    };
    assert.equal(s.running, true);
    assert.equal(s.status.policy, critical);
    assert.equal(s.status.lastDecision.outcome, 'ok');
    assert.equal(s.retrain, null);
    assert.match(s.links.controller, /workflows\/policy%3A.+\/history$/);
    assert.match(s.links.model, new RegExp(`#/models/${critical}-model$`));
    const before = s.status.evaluations;

    const evaluated = await ctpilot(['evaluate', critical, '--json'], { env });
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const e = JSON.parse(evaluated.stdout) as {
      by: string;
      decision: { evaluation: number; outcome: string; metrics: Array<{ metric: string; value: number }> };
    };
    assert.equal(e.by, 'alice');
    assert.equal(e.decision.evaluation, before + 1);
    assert.equal(e.decision.metrics[0]?.value, 0.97);
    const evaluatedText = await ctpilot(['evaluate', critical], { env });
    assert.match(evaluatedText.stdout, new RegExp(`${critical} #${before + 2} ok now — `));
    assert.match(
      evaluatedText.stdout,
      /METRIC +PHASE +VALUE +OBJECTIVE +REASON\n +accuracy +ok +0\.97 +min 0\.9/,
    );

    const text = await ctpilot(['status', critical], { env });
    assert.match(text.stdout, new RegExp(`^${critical} → model ${critical}-model`));
    assert.match(text.stdout, /last decision +#\d+ ok/);
    assert.match(text.stdout, /controller +http/);

    const history = await ctpilot(['history', critical, '--json'], { env });
    assert.equal(history.code, 0, history.stderr);
    const h = JSON.parse(history.stdout) as {
      decisions: Array<{ evaluation: number; reason: string; outcome: string; at: string }>;
    };
    assert.deepEqual(
      h.decisions.map((d) => [d.evaluation, d.reason]),
      [
        [1, 'schedule'],
        [2, 'requested'],
        [3, 'requested'],
      ],
    );
    const last = await ctpilot(['history', critical, '--json', '--limit', '1'], { env });
    assert.deepEqual(
      (JSON.parse(last.stdout) as typeof h).decisions.map((d) => d.evaluation),
      [3],
      'the latest, not the oldest',
    );
    const filtered = await ctpilot(['history', critical, '--json', '--outcome', 'retrain,alert'], { env });
    assert.deepEqual((JSON.parse(filtered.stdout) as typeof h).decisions, []);
    const table = await ctpilot(['history', critical], { env });
    assert.match(table.stdout, /^AT +EVAL +WHY +OUTCOME +BREACHED +ACTIONS +VERSION +SUMMARY\n/);
    assert.match(table.stdout, /#2 +requested +ok/);
  });

  it('pause and resume: who and why show in list; a second pause, evaluate while paused and a second resume are refused (exit 1)', async () => {
    const paused = await ctpilot(['pause', standard, '--reason', 'feature store migration', '--json'], {
      env,
    });
    assert.equal(paused.code, 0, paused.stderr);
    assert.deepEqual(
      (JSON.parse(paused.stdout) as { paused: { by: string; reason: string } }).paused.by,
      'alice',
    );
    const l = await list('tier=standard');
    assert.equal(l.policies[0]?.phase, 'paused');
    assert.deepEqual(
      [l.policies[0]?.paused?.by, l.policies[0]?.paused?.reason, l.policies[0]?.nextEvaluationAt],
      ['alice', 'feature store migration', null],
    );

    const again = await ctpilot(['pause', standard, '--reason', 'again', '--by', 'bob'], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /refused: already paused by alice/);
    const evaluate = await ctpilot(['evaluate', standard, '--json'], { env });
    assert.equal(evaluate.code, 1);
    assert.match(
      (JSON.parse(evaluate.stdout) as { refused: string }).refused,
      /the policy is paused \(by alice\)/,
    );

    const resumed = await ctpilot(['resume', standard], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resumed ${standard} · next evaluation`));
    const twice = await ctpilot(['resume', standard, '--json'], { env });
    assert.equal(twice.code, 1);
    assert.match((JSON.parse(twice.stdout) as { refused: string }).refused, /not paused/);
  });

  it('approve and reject with no retrain waiting say so (exit 1); an unknown policy is a usage error (exit 2)', async () => {
    const approve = await ctpilot(['approve', critical, '--json'], { env });
    assert.equal(approve.code, 1);
    const a = JSON.parse(approve.stdout) as { ok: boolean; refused: string; fix: string };
    assert.equal(a.ok, false);
    assert.match(a.refused, new RegExp(`no retrain of ${critical} is waiting for approval: none is running`));
    const reject = await ctpilot(['reject', critical, '--reason', 'no'], { env });
    assert.equal(reject.code, 1);
    assert.match(
      reject.stderr,
      /refused: no retrain .* is waiting for approval[\s\S]*fix: approve or reject when/,
    );

    for (const argv of [
      ['status', 'no-such-policy'],
      ['evaluate', 'no-such-policy'],
      ['pause', 'no-such-policy', '--reason', 'x'],
      ['approve', 'no-such-policy'],
    ]) {
      const r = await ctpilot(argv, { env });
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(
        r.stderr,
        /no controller is running policy no-such-policy[\s\S]*fix: see the running policies with `ctpilot list`/,
      );
    }
    const history = await ctpilot(['history', 'no-such-policy'], { env });
    assert.equal(history.code, 2);
  });

  it('a running retrain: status shows its phase and steps (its progress query), list shows it, approve says it is not waiting', async () => {
    writePolicy(dir, {
      name: trainer,
      labels: { suite, tier: 'batch' },
      accuracy: 'vector(0.5)',
      trainSeconds: 20,
    });
    const applied = await ctpilot(['apply', join(dir, `${trainer}.yaml`)], { env });
    assert.equal(applied.code, 0, applied.stderr);
    type StatusJson = {
      retrain: {
        workflowId: string;
        progress: { phase: string; runId?: string; steps: Array<{ step: string }> };
      } | null;
      links: { retrain: string | null; run: string | null };
    };
    const training = await waitFor('the retrain to be training', async () => {
      const r = await ctpilot(['status', trainer, '--json'], { env });
      if (r.code !== 0) return undefined;
      const s = JSON.parse(r.stdout) as StatusJson;
      return s.retrain?.progress?.phase === 'training' ? s : undefined;
    });
    assert.match(training.retrain!.workflowId, new RegExp(`^retrain:${trainer}:\\d+$`));
    assert.ok(training.retrain!.progress.runId);
    assert.ok(training.retrain!.progress.steps.some((s) => s.step === 'training-requested'));
    assert.match(
      training.links.run ?? '',
      new RegExp(`#/experiments/\\d+/runs/${training.retrain!.progress.runId}$`),
    );
    assert.match(training.links.retrain ?? '', /retrain%3A/);

    const text = await ctpilot(['status', trainer], { env });
    assert.match(text.stdout, /retrain +retrain:.+ · training · trigger drop/);
    assert.match(text.stdout, /STEP +OUTCOME +WHEN +DETAIL/);
    const l = await list('tier=batch');
    assert.equal(l.policies[0]?.retrain?.workflowId, training.retrain!.workflowId);

    const approve = await ctpilot(['approve', trainer], { env });
    assert.equal(approve.code, 1);
    assert.match(approve.stderr, /is in phase (training|gates|registering|registered)/);
  });

  it('replay: a controller’s recorded history replays against this code (exit 0); an unknown id is a usage error', async () => {
    const r = await ctpilot(['replay', `policy:${critical}`, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      ok: boolean;
      replays: Array<{ ok: boolean; events: number; runId: string; url: string }>;
    };
    assert.equal(j.ok, true);
    assert.equal(j.replays.length, 1);
    assert.ok(j.replays[0]!.events > 10);
    assert.match(j.replays[0]!.url, new RegExp(`${j.replays[0]!.runId}/history$`));
    const all = await ctpilot(['replay', `policy:${standard}`, '--all'], { env });
    assert.equal(all.code, 0, all.stderr);
    assert.match(
      all.stdout,
      new RegExp(`✓ policy:${standard} run \\S+ \\(\\d+ events\\) replays deterministically`),
    );
    const missing = await ctpilot(['replay', 'policy:no-such-policy'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no workflow policy:no-such-policy/);
  });

  it('without a worker: list falls back to the search attributes with a warning; status and pause say what to start (exit 2)', async (t) => {
    const deadQueue = uniqueName('no-worker');
    const odir = tempDir(t, 'ctpilot-cli-orphan');
    writePolicy(odir, { name: orphan, labels: { suite: `${suite}-orphan` } });
    // apply waits for the controller to accept the policy, which needs a worker: start it without one.
    const { loadPolicy } = await import('../../policies/loader.ts');
    const { readFileSync } = await import('node:fs');
    const loaded = loadPolicy(readFileSync(join(odir, `${orphan}.yaml`)), `${orphan}.yaml`);
    assert.ok(loaded.ok);
    const { policyControllerWorkflow } = await import('../../workflows/policy-controller.ts');
    await client.workflow.start(policyControllerWorkflow, {
      workflowId: `policy:${orphan}`,
      taskQueue: deadQueue,
      args: [{ policy: loaded.policy }],
    });
    const l = await waitFor('the orphan controller in the visibility store', async () => {
      const r = await ctpilot(['list', '--json', '-l', `suite=${suite}-orphan`], { env });
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as ListJson;
      return j.policies.length === 1 ? j : undefined;
    });
    assert.equal(l.policies[0]!.source, 'visibility');
    assert.match(
      l.warnings[0] ?? '',
      new RegExp(`no orchestrator worker is serving task queue ${deadQueue}`),
    );

    const status = await ctpilot(['status', orphan], { env });
    assert.equal(status.code, 2);
    assert.match(
      status.stderr,
      new RegExp(`got no answer within 10 s: no orchestrator worker is serving task queue ${deadQueue}`),
    );
    assert.match(
      status.stderr,
      new RegExp(`fix: start the worker with \`npm start\` \\(CTPILOT_TASK_QUEUE=${deadQueue}\\)`),
    );
    const pause = await ctpilot(['pause', orphan, '--reason', 'x', '--timeout', '3s'], { env });
    assert.equal(pause.code, 2);
    rmSync(odir, { recursive: true, force: true });
  });
});
