// A notification that cannot be delivered is seen: the worker (the real
// `npm run worker` process) warns on its terminal and in its log with the
// receiver and the reason, counts it on /metrics, the audit row says what
// happened in its summary, and `ctpilot status` shows the last failure.
// Before, nothing but an audit outcome "failed" with an empty summary said so.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { freePorts } from '../../infra/stack/ports.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { PROJECT_ROOT } from '../../workers/config.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { type ControllerStatus, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { testConfig, uniqueName } from '../support/env.ts';
import { tempDirNow } from '../support/temp-dir.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

describe('an undeliverable notification is seen', () => {
  const config = testConfig();
  const taskQueue = uniqueName('notify-fail');
  const home = tempDirNow('ctpilot-notify-fail');
  let worker: ChildProcess;
  let terminal = '';
  let metricsPort: number;
  let deadPort: number;
  let clients: Clients;
  let connection: Connection;
  let client: Client;

  before(async () => {
    [metricsPort, deadPort] = (await freePorts(2)) as [number, number];
    worker = spawn(process.execPath, ['--import', 'tsx', 'workers/run.ts', '--orchestrator'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CTPILOT_HOME: home.path,
        CTPILOT_TASK_QUEUE: taskQueue,
        CTPILOT_WORKER_METRICS_PORT: String(metricsPort),
        CTPILOT_ALERTS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (c: Buffer) => {
      terminal += c.toString('utf8');
    };
    worker.stdout!.on('data', collect);
    worker.stderr!.on('data', collect);
    for (let i = 0; i < 240 && !terminal.includes('ctpilot worker ready'); i++)
      await new Promise((r) => setTimeout(r, 250));
    assert.match(terminal, /ctpilot worker ready/);
    clients = createClients(config);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    }
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await connection.close();
    await clients.close();
    home.remove();
  });

  it('on the terminal, in the log, on /metrics, in the audit row and in ctpilot status', async () => {
    const name = uniqueName('unheard');
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: `${name}-model` },
        evaluate: { every: '1h' },
        metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
        triggers: { drop: { when: 'accuracy.breached', action: 'alert', notify: ['oncall'] } },
        // Nothing listens there.
        notify: { oncall: { webhook: { url: `http://127.0.0.1:${deadPort}/hook` } } },
      }),
      `${name}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    await applyPolicies(client, [loaded.policy], { taskQueue });

    const handle = client.workflow.getHandle(controllerWorkflowId(name));
    let failure: ControllerStatus['lastDeliveryFailure'];
    for (let i = 0; i < 240 && !failure; i++) {
      failure = (await handle.query(statusQuery)).lastDeliveryFailure;
      if (!failure) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(failure, 'the controller knows the last failed delivery');
    assert.equal(failure.receiver, 'oncall');
    assert.match(failure.error, /ECONNREFUSED/);

    // The terminal and the worker's log: a warning with the receiver and the reason.
    assert.match(terminal, /notification not delivered to receiver oncall: ECONNREFUSED/);
    const logged = readFileSync(join(home.path, 'logs', 'worker-orchestrator.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('notification not delivered'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(logged[0]?.receiver, 'oncall');
    assert.equal(logged[0]?.policy, name);
    assert.equal(logged[0]?.error, 'ECONNREFUSED');

    // /metrics: counted by policy, receiver and outcome.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith('ctpilot_notifications_total') && l.includes(`policy="${name}"`));
    assert.ok(line, metrics.slice(0, 2000));
    assert.match(line, /receiver="oncall"/);
    assert.match(line, /outcome="failed"/);
    assert.ok(Number(line.split(' ').pop()) >= 1);

    // The audit row says what happened.
    const rows = (await clients.audit.rows({ model: `${name}-model` })).filter(
      (r) => r.kind === 'notification',
    );
    assert.ok(rows[0], 'a notification row');
    assert.equal(rows[0].outcome, 'failed');
    assert.match(
      String((rows[0].details as { summary?: string }).summary),
      /alert drop: not delivered to oncall: ECONNREFUSED/,
    );

    // ctpilot status shows it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const shown = await ctpilot(['status', name], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /notification\s+not delivered to oncall .*ECONNREFUSED/);
  });
});
