// A paused controller comes back: after `resume` the next evaluation follows
// within one cadence, whether the pause outlived the cadence in the same
// run, across a worker restart (the run is replayed from its history on a
// new worker), or across a continue-as-new (the new run starts paused).
// Before the fix the paused wait had no way out but an evaluate or an alert,
// so a resumed policy was silently no longer monitored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, WORKFLOWS_PATH } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { pauseUpdate, resumeUpdate, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId, policyControllerWorkflow } from '../../workflows/policy-controller.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';

const CADENCE_MS = 4_000;
const by = { by: 'test' };

function policy(name: string): LoadedPolicy {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: `${CADENCE_MS / 1000}s` },
      metrics: { accuracy: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'accuracy.breached', action: 'alert' } },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a paused controller resumes its cadence', () => {
  const config = testConfig();
  const taskQueue = uniqueName('pause-test');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let bundle: WorkflowBundle;
  let worker: { worker: Worker; running: Promise<void> } | undefined;

  async function startWorker(): Promise<void> {
    const { worker: w } = await createOrchestratorWorker(config, clients, {
      taskQueue,
      workflowBundle: bundle,
    });
    worker = { worker: w, running: w.run() };
  }
  async function stopWorker(): Promise<void> {
    worker?.worker.shutdown();
    await worker?.running;
    worker = undefined;
  }

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    await startWorker();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    }
    await stopWorker();
    await connection.close();
    await clients.close();
  });

  const status = (name: string) => client.workflow.getHandle(controllerWorkflowId(name)).query(statusQuery);

  async function evaluations(name: string): Promise<number> {
    return (await status(name)).evaluations;
  }

  /** Waits up to `ms` for more than `count` evaluations; returns the count seen. */
  async function evaluationAfter(name: string, count: number, ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const seen = await evaluations(name);
      if (seen > count || Date.now() > deadline) return seen;
      await sleep(250);
    }
  }

  /** One cadence, plus room for a busy machine to run the workflow task and the evaluation. */
  const ONE_CADENCE = CADENCE_MS + 6_000;

  async function pausedPastTheCadence(name: string): Promise<number> {
    const handle = client.workflow.getHandle(controllerWorkflowId(name));
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'test', reason: 'maintenance' }] });
    const before = await evaluations(name);
    await sleep(2.5 * CADENCE_MS);
    assert.equal(await evaluations(name), before, 'no evaluation while paused');
    return before;
  }

  it('a pause that outlives the cadence: an evaluation follows within one cadence of resume', async () => {
    const name = uniqueName('paused');
    await applyPolicies(client, [policy(name)], { taskQueue });
    assert.ok((await evaluationAfter(name, 0, ONE_CADENCE)) >= 1, 'the first evaluation');
    const before = await pausedPastTheCadence(name);

    const resumed = await client.workflow
      .getHandle(controllerWorkflowId(name))
      .executeUpdate(resumeUpdate, { args: [by] });
    assert.equal(resumed.paused, null);
    const after = await evaluationAfter(name, before, ONE_CADENCE);
    assert.ok(after > before, `an evaluation after resume (had ${before}, have ${after})`);
    // And the cadence goes on from there.
    assert.ok((await evaluationAfter(name, after, ONE_CADENCE)) > after, 'the cadence continues');
    assert.equal((await status(name)).phase === 'paused', false);
  });

  it('the same across a worker restart: the resumed run is replayed on a new worker', async () => {
    const name = uniqueName('restarted');
    await applyPolicies(client, [policy(name)], { taskQueue });
    assert.ok((await evaluationAfter(name, 0, ONE_CADENCE)) >= 1, 'the first evaluation');
    const handle = client.workflow.getHandle(controllerWorkflowId(name));
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'test', reason: 'worker upgrade' }] });
    const before = await evaluations(name);
    await stopWorker();
    await sleep(2 * CADENCE_MS);
    await startWorker();
    assert.equal(await evaluations(name), before, 'still paused on the new worker');
    await handle.executeUpdate(resumeUpdate, { args: [by] });
    const after = await evaluationAfter(name, before, ONE_CADENCE);
    assert.ok(after > before, `an evaluation after resume (had ${before}, have ${after})`);
  });

  it('the same across a continue-as-new: a run that starts paused ends its wait on resume', async () => {
    const name = uniqueName('handed-over');
    const loaded = policy(name);
    // What continue-as-new hands a paused controller: its policy and the pause.
    const handle = await client.workflow.start(policyControllerWorkflow, {
      workflowId: controllerWorkflowId(name),
      taskQueue,
      args: [
        {
          policy: loaded,
          paused: { by: 'test', reason: 'carried over', at: new Date().toISOString() },
        },
      ],
    });
    await sleep(2 * CADENCE_MS);
    assert.equal(await evaluations(name), 0, 'a run that starts paused does not evaluate');
    await handle.executeUpdate(resumeUpdate, { args: [by] });
    const after = await evaluationAfter(name, 0, ONE_CADENCE);
    assert.ok(after >= 1, 'an evaluation after resume');
  });
});

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};
