// Workers as a deployment runs them: `workers/run.ts --orchestrator` and
// `--training` processes that start no local service, configured by the
// environment alone, scaling horizontally on one task queue — two
// orchestrator replicas share the work, and when one is stopped (SIGTERM,
// as Kubernetes does) it drains and the other carries on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePorts } from '../../infra/stack/ports.ts';
import { testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';
import { applyFastPolicy, evaluationsOn, startWorkerProcess, type WorkerProcess } from './deploy-support.ts';

describe('worker processes for deployments (workers/run.ts)', () => {
  const config = testConfig();
  const taskQueue = uniqueName('deploy');
  const policy = uniqueName('scaled');
  const workers: WorkerProcess[] = [];
  let ports: number[];
  let connection: Connection;
  let client: Client;
  const env = (port: number) => ({
    ...process.env,
    CTPILOT_TASK_QUEUE: taskQueue,
    CTPILOT_WORKER_METRICS_PORT: String(port),
    CTPILOT_LOG_FORMAT: 'json',
    CTPILOT_LOG_LEVEL: 'info',
    CTPILOT_ALERTS_PORT: '0',
  });

  before(async () => {
    ports = await freePorts(3);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    await client?.workflow
      .getHandle(`policy:${policy}`)
      .terminate('test finished')
      .catch(() => {});
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await connection?.close();
  });

  it('refuses to start without a role', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'workers/run.ts'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--orchestrator/);
  });

  it('runs two orchestrator replicas and a training worker on the same queues; one drains on SIGTERM, the other carries on', async () => {
    const [a, b, t] = ports as [number, number, number];
    workers.push(
      await startWorkerProcess(['--orchestrator'], env(a)),
      await startWorkerProcess(['--orchestrator'], env(b)),
      await startWorkerProcess(['--training'], env(t)),
    );
    const [first, second, training] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
    for (const port of [a, b, t]) assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    // Logs are JSON lines on stdout in a container, and say what the process serves.
    const ready = first
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'ctpilot worker ready');
    assert.equal(ready?.role, 'orchestrator');
    assert.equal(ready?.taskQueue, taskQueue);
    assert.match(training.output(), /ctpilot worker ready: training/);

    await applyFastPolicy(client, policy, taskQueue);
    const total = async () =>
      (await evaluationsOn(`http://127.0.0.1:${a}/metrics`, policy)) +
      (await evaluationsOn(`http://127.0.0.1:${b}/metrics`, policy));
    await waitFor('evaluations on the replicas', async () => ((await total()) >= 4 ? true : undefined));

    // Stop whichever replica has done evaluations (it may hold the controller's sticky workflow cache).
    const onA = await evaluationsOn(`http://127.0.0.1:${a}/metrics`, policy);
    const [stopped, kept, keptPort] = onA > 0 ? [first, second, b] : [second, first, a];
    stopped.child.kill('SIGTERM');
    assert.equal(await stopped.exited, 0, stopped.output().slice(-2000));
    assert.match(stopped.output(), /"msg":"draining: workers stop polling and finish their tasks"/);
    assert.match(stopped.output(), /"msg":"ctpilot worker stopped"/);

    const before = await evaluationsOn(`http://127.0.0.1:${keptPort}/metrics`, policy);
    await waitFor(
      'the remaining replica to carry on evaluating',
      async () =>
        (await evaluationsOn(`http://127.0.0.1:${keptPort}/metrics`, policy)) >= before + 3
          ? true
          : undefined,
      120_000,
    );
    assert.equal(kept.child.exitCode, null);
  });
});
