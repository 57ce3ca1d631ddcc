// The local stack's own lifecycle, in a scratch home on free ports (separate
// from the shared test stack): start, reuse, recover after a kill, refuse a
// taken port, keep data across restarts, stop by recorded process id.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { MlflowClient } from '../../activities/mlflow/client.ts';
import { ObjectStore } from '../../activities/s3/client.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { isAlive, readRecord } from '../../infra/stack/processes.ts';
import {
  PortInUseError,
  ServiceStartError,
  stackStatus,
  startStack,
  stopStack,
} from '../../infra/stack/stack.ts';
import { type Config, loadConfig } from '../../workers/config.ts';
import { ensureLocalSecrets } from '../../workers/local-secrets.ts';
import { postgresBinDir, startPostgresServer } from '../support/postgres-server.ts';

async function scratchConfig(extra: Record<string, string> = {}): Promise<Config> {
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-stack-test-'));
  const [t, th, tm, pgPort, s3, prom, mlflow] = await freePorts(7);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CTPILOT_HOME: home,
    CTPILOT_TEMPORAL_PORT: String(t),
    CTPILOT_TEMPORAL_HTTP_PORT: String(th),
    CTPILOT_TEMPORAL_METRICS_PORT: String(tm),
    CTPILOT_TEMPORAL_HEADLESS: 'true',
    CTPILOT_POSTGRES_PORT: String(pgPort),
    CTPILOT_S3_PORT: String(s3),
    CTPILOT_PROMETHEUS_PORT: String(prom),
    CTPILOT_MLFLOW_PORT: String(mlflow),
    ...extra,
  };
  ensureLocalSecrets(home);
  return loadConfig(env);
}

describe('local stack lifecycle', () => {
  const homes: Config[] = [];
  after(async () => {
    for (const config of homes) {
      await stopStack(config);
      rmSync(config.home, { recursive: true, force: true });
    }
  });

  it('starts, reuses what runs, recovers a killed service, and stops by recorded pid', async () => {
    const config = await scratchConfig();
    homes.push(config);
    const first = await startStack(config, { only: ['s3', 'prometheus'] });
    assert.deepEqual(first.services.map((s) => s.outcome).sort(), ['started', 'started']);
    const promPid = readRecord(config.home, 'prometheus')!.pid;

    const second = await startStack(config, { only: ['s3', 'prometheus'] });
    assert.deepEqual(second.services.map((s) => s.outcome).sort(), ['reused', 'reused']);
    assert.equal(second.services.find((s) => s.name === 'prometheus')?.pid, promPid);

    process.kill(promPid, 'SIGKILL');
    for (let i = 0; i < 40 && isAlive(readRecord(config.home, 'prometheus')!); i++)
      await new Promise((r) => setTimeout(r, 50));
    const status = await stackStatus(config);
    assert.equal(status.find((s) => s.name === 'prometheus')?.state, 'stopped');
    assert.equal(status.find((s) => s.name === 's3')?.state, 'running');

    const third = await startStack(config, { only: ['s3', 'prometheus'] });
    const recovered = third.services.find((s) => s.name === 'prometheus');
    assert.equal(recovered?.outcome, 'started');
    assert.notEqual(recovered?.pid, promPid);

    const stopped = await stopStack(config);
    assert.deepEqual(stopped.sort(), ['prometheus', 's3']);
    assert.equal(readRecord(config.home, 'prometheus'), undefined);
    assert.ok((await stackStatus(config)).every((s) => s.state === 'stopped'));
  });

  it('waits a moment for the port of its own service that has just died, then starts it again', async () => {
    const config = await scratchConfig();
    homes.push(config);
    // The record of a Prometheus of ours that has died (its process id is gone)…
    const dead = spawnSync('true').pid;
    mkdirSync(join(config.home, 'run'), { recursive: true });
    writeFileSync(
      join(config.home, 'run', 'prometheus.json'),
      JSON.stringify({
        name: 'prometheus',
        pid: dead,
        command: 'prometheus',
        args: [],
        startedAt: '',
        logFile: '',
      }),
    );
    // …while its port is still held, as a killed server's exiting threads hold it, for another 1.5 s.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(config.prometheus.port, '127.0.0.1', resolve));
    const released = new Promise((resolve) => setTimeout(() => holder.close(resolve), 1500));
    try {
      const started = await startStack(config, { only: ['prometheus'] });
      assert.equal(started.services[0]?.outcome, 'started');
      assert.notEqual(readRecord(config.home, 'prometheus')?.pid, dead);
    } finally {
      await released;
      await stopStack(config);
    }
  });

  it('a port taken by another process is refused with the port and the variables that fix it', async () => {
    const config = await scratchConfig();
    homes.push(config);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(config.postgres.port, '127.0.0.1', resolve));
    try {
      await assert.rejects(startStack(config, { only: ['postgres'] }), (error: unknown) => {
        assert.ok(error instanceof PortInUseError);
        assert.match(error.message, new RegExp(`port ${config.postgres.port} \\(PostgreSQL`));
        assert.match(error.message, /CTPILOT_POSTGRES_PORT/);
        assert.match(error.message, /DATABASE_URL/);
        return true;
      });
    } finally {
      squatter.close();
    }
  });

  it('an external service that does not answer names its variable', async () => {
    const [dead] = await freePorts(1);
    const config = await scratchConfig({ PROMETHEUS_URL: `http://127.0.0.1:${dead}` });
    homes.push(config);
    await assert.rejects(startStack(config, { only: ['prometheus'] }), (error: unknown) => {
      assert.ok(error instanceof ServiceStartError);
      assert.match(error.message, /PROMETHEUS_URL/);
      return true;
    });
    assert.equal(readRecord(config.home, 'prometheus'), undefined, 'nothing was started');
  });

  it('keeps PostgreSQL rows, S3 objects and Temporal workflows across a restart', async () => {
    const config = await scratchConfig();
    homes.push(config);
    const only = ['postgres', 's3', 'temporal'] as const;
    let stack = await startStack(config, { only });

    // As the owner: the workers' role may not create tables.
    const db = new pg.Client({ connectionString: config.postgres.adminUrl });
    await db.connect();
    await db.query('CREATE TABLE kept (note text)');
    await db.query("INSERT INTO kept VALUES ('survives')");
    await db.end();

    const store = new ObjectStore({ ...config.s3 });
    await store.put('kept/object.txt', 'survives too');

    let connection = await Connection.connect({ address: config.temporal.address });
    let client = new Client({ connection });
    // No worker serves this queue: the workflow stays open, which is what we look for after the restart.
    await client.workflow.start('neverServed', { workflowId: 'kept-workflow', taskQueue: 'nobody-listens' });
    await connection.close();

    await stack.stop();
    assert.ok((await stackStatus(config)).every((s) => s.state === 'stopped'));
    stack = await startStack(config, { only });

    const again = new pg.Client({ connectionString: config.postgres.adminUrl });
    await again.connect();
    assert.deepEqual((await again.query('SELECT note FROM kept')).rows, [{ note: 'survives' }]);
    await again.end();

    assert.equal(await store.getText('kept/object.txt'), 'survives too');
    store.destroy();

    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection });
    const description = await client.workflow.getHandle('kept-workflow').describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.equal(description.type, 'neverServed');
    await connection.close();
    await stack.stop();
  });

  it('runs MLflow on the PostgreSQL of DATABASE_URL, artifacts in the S3 store', {
    skip: postgresBinDir() ? false : 'PostgreSQL not installed: apt-get install postgresql',
  }, async () => {
    const server = await startPostgresServer();
    try {
      const config = await scratchConfig({ DATABASE_URL: server.url });
      homes.push(config);
      const stack = await startStack(config, { only: ['s3', 'mlflow'] });
      const mlflow = new MlflowClient({ trackingUri: config.mlflow.trackingUri });
      const experimentId = await mlflow.ensureExperiment('on-postgres');
      const run = await mlflow.createRun({ experimentId });
      assert.match(
        run.info.artifact_uri ?? '',
        /^mlflow-artifacts:/,
        'artifacts go through the server to S3',
      );
      const db = new pg.Client({ connectionString: server.url });
      await db.connect();
      const rows = await db.query('SELECT name FROM experiments WHERE name = $1', ['on-postgres']);
      await db.end();
      assert.equal(rows.rows.length, 1, "MLflow's tables live in that PostgreSQL");
      await stack.stop();
    } finally {
      await server.stop();
    }
  });
});
