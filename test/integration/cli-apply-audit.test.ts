// ctpilot apply, diff and audit against the real stack, run in-process with
// the test stack's environment; --json output parsed back, exit codes checked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { adminDatabaseUrl, quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

function policyFile(dir: string, name: string, query = 'vector(0.97)'): void {
  writeFileSync(
    join(dir, `${name}.yaml`),
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: { accuracy: { prometheus: { query }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'accuracy.breached', action: 'alert' } },
    }),
  );
}

describe('ctpilot apply, diff and audit on the real stack', () => {
  const config = testConfig();
  const taskQueue = uniqueName('cli-test');
  const env = { ...(process.env as Record<string, string>), CTPILOT_TASK_QUEUE: taskQueue };
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-cli-'));
  const [a, b] = [uniqueName('cli-a'), uniqueName('cli-b')];
  let clients: Clients;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    policyFile(dir, a);
    policyFile(dir, b);
  });

  after(async () => {
    await ctpilot(['apply', '--prune', dir], { env }).catch(() => undefined);
    worker.shutdown();
    await running;
    await clients.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ours = <C extends { policy: string }>(changes: C[]): C[] =>
    changes.filter((c) => c.policy === a || c.policy === b);

  it('diff shows what apply would do; --exit-code fails while something is pending', async () => {
    const r = await ctpilot(['diff', '--json', dir], { env });
    assert.equal(r.code, 0, r.stderr);
    const { changes } = JSON.parse(r.stdout) as { changes: Array<{ kind: string; policy: string }> };
    assert.deepEqual(
      ours(changes).map((c) => c.kind),
      ['create', 'create'],
    );
    assert.equal((await ctpilot(['diff', '--exit-code', dir], { env })).code, 1);
  });

  it('apply starts one controller per policy, and applying again changes nothing', async () => {
    const first = await ctpilot(['apply', dir], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`\\+ create +${a}`));
    const again = await ctpilot(['apply', '--json', dir], { env });
    const { changes } = JSON.parse(again.stdout) as { changes: Array<{ kind: string; policy: string }> };
    assert.deepEqual(
      ours(changes).map((c) => c.kind),
      ['unchanged', 'unchanged'],
    );
    assert.equal((await ctpilot(['diff', '--exit-code', dir], { env })).code, 0, 'nothing pending');
  });

  it('a changed policy is an update; a removed one is kept unless --prune', async () => {
    policyFile(dir, a, 'vector(0.98)');
    rmSync(join(dir, `${b}.yaml`));
    const applied = await ctpilot(['apply', '--json', dir], { env });
    const { changes } = JSON.parse(applied.stdout) as {
      changes: Array<{ kind: string; policy: string; applied: boolean }>;
    };
    assert.deepEqual(
      ours(changes).map((c) => [c.policy, c.kind, c.applied]),
      [
        [a, 'update', true],
        [b, 'remove', false],
      ],
    );
    const pruned = await ctpilot(['apply', '--prune', dir], { env });
    assert.equal(pruned.code, 0);
    assert.match(pruned.stdout, new RegExp(`- remove +${b}`));
    const after = JSON.parse((await ctpilot(['diff', '--json', dir], { env })).stdout) as {
      changes: Array<{ policy: string }>;
    };
    assert.ok(!after.changes.some((c) => c.policy === b), 'the pruned controller is gone');
  });

  it('an invalid policy stops apply whole: exit 1, nothing applied', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'ctpilot-cli-bad-'));
    const name = uniqueName('cli-c');
    policyFile(bad, name);
    writeFileSync(
      join(bad, 'broken.yaml'),
      'apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: x }\nevaluate: { evry: 5m }\n',
    );
    const r = await ctpilot(['apply', bad], { env });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /broken\.yaml:4:\d+/);
    assert.match(r.stdout, /nothing applied/);
    const diff = JSON.parse(
      (await ctpilot(['diff', '--json', join(bad, `${name}.yaml`)], { env })).stdout,
    ) as {
      changes: Array<{ kind: string; policy: string }>;
    };
    assert.equal(
      diff.changes.find((c) => c.policy === name)?.kind,
      'create',
      'the valid one was not applied either',
    );
    rmSync(bad, { recursive: true, force: true });
  });

  it('audit log lists the decisions; audit verify passes, then names a tampered row', async () => {
    const model = `${a}-model`;
    const deadline = Date.now() + 30_000;
    let rows: Array<{ kind: string; outcome: string; seq: number }> = [];
    while (rows.length === 0 && Date.now() < deadline) {
      rows = (
        JSON.parse((await ctpilot(['audit', 'log', '--json', '--model', model], { env })).stdout) as {
          rows: typeof rows;
        }
      ).rows;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(rows.some((r) => r.kind === 'evaluation'));
    const text = await ctpilot(['audit', 'log', '--model', model, '--since', '1h'], { env });
    assert.match(text.stdout, /^RECORDED +MODEL +KIND +OUTCOME +WORKFLOW +SUMMARY\n/);
    assert.match(text.stdout, new RegExp(`${model} +evaluation`));
    const verified = await ctpilot(['audit', 'verify', '--model', model], { env });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    // An insider with the owner's credentials (the worker's role cannot do this).
    const owner = new pg.Pool({ connectionString: adminDatabaseUrl(), max: 1 });
    const client = await owner.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE ctpilot.audit_log DISABLE TRIGGER audit_log_no_update_or_delete');
      await client.query("UPDATE ctpilot.audit_log SET outcome = 'forged' WHERE seq = $1", [rows[0]!.seq]);
      await client.query('ALTER TABLE ctpilot.audit_log ENABLE TRIGGER audit_log_no_update_or_delete');
      await client.query('COMMIT');
    } finally {
      client.release();
      await owner.end();
    }
    const verify = await ctpilot(['audit', 'verify', '--json', '--model', model], { env });
    assert.equal(verify.code, 1);
    const report = JSON.parse(verify.stdout) as {
      ok: boolean;
      models: Array<{ problems: Array<{ kind: string; seq: number }> }>;
    };
    assert.deepEqual(
      report.models[0]?.problems.map((p) => [p.kind, p.seq]),
      [['altered', rows[0]!.seq]],
    );
    assert.equal((await ctpilot(['audit', 'frobnicate'], { env })).code, 2);
  });

  it('Temporal unreachable is a usage problem (exit 2) that says what to start', async () => {
    const [dead] = await freePorts(1);
    const r = await ctpilot(['diff', dir], { env: { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${dead}` } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot reach Temporal at 127\.0\.0\.1:\d+/);
    assert.match(r.stderr, /TEMPORAL_ADDRESS/);
  });
});
