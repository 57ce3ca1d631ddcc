// `npm run demo` (`ctpilot demo`): the example model under a policy, on the
// stack `npm start` runs. It trains and registers the first champion, starts
// the traffic simulator where the demo policy expects it (instance `demo`,
// port 8780), applies policies/examples/support-tickets.yaml, prints what to
// watch and what to try, and then narrates what the controller does until
// Ctrl-C. Every step is idempotent: run it again and it reuses what is there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { isPortFree } from '../../infra/stack/ports.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import type { Config } from '../../workers/config.ts';
import { DEPLOY_HOOK_SECRET_FILE, existingHomeSecret } from '../../workers/local-secrets.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { controllerWorkflowId } from '../../workflows/ids.ts';
import {
  type ControllerStatus,
  type RetrainProgress,
  retrainProgressQuery,
  statusQuery,
} from '../../workflows/messages.ts';
import { bootstrapChampion, runningSimulator, type Simulator, startSimulator } from './control.ts';

export const DEMO = {
  /** The registered model and the policy's name. */
  model: 'support-tickets',
  policy: 'support-tickets',
  instance: 'demo',
  /** Where the policy expects the simulator; CTPILOT_DEMO_PORT moves it (the applied policy follows). */
  port: 8780,
  policyFile: join('policies', 'examples', 'support-tickets.yaml'),
  rate: 10,
  labelDelaySeconds: 5,
} as const;

/** A problem the user fixes (start the stack, free a port): printed with the fix. */
export class DemoError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'DemoError';
  }
}

export function demoPort(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.CTPILOT_DEMO_PORT;
  if (text === undefined || text === '') return DEMO.port;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new DemoError(
      `CTPILOT_DEMO_PORT: not a port: ${JSON.stringify(text)}`,
      'give a number from 1 to 65535',
    );
  return port;
}

/**
 * The secret the worker signs deploy hooks with: CTPILOT_DEPLOY_HOOK_SECRET,
 * or the one `npm start` generated into the home. The simulator must check
 * the same one.
 */
export function deployHookSecret(config: Config, env: Readonly<Record<string, string | undefined>>): string {
  const secret = env.CTPILOT_DEPLOY_HOOK_SECRET || existingHomeSecret(config.home, DEPLOY_HOOK_SECRET_FILE);
  if (!secret)
    throw new DemoError(
      `no deploy-hook secret in ${config.home}: ctpilot has not been started with this CTPILOT_HOME`,
      'run `npm start` in another terminal first (it generates one), then `npm run demo`',
    );
  return secret;
}

/**
 * The demo policy as applied: the example file, with the simulator's port
 * and the artefact bucket replaced when they are not the defaults it names.
 */
export function demoPolicy(config: Config, port: number): { policy: LoadedPolicy; changed: string[] } {
  const file = join(config.root, DEMO.policyFile);
  let text = readFileSync(file, 'utf8');
  const changed: string[] = [];
  if (port !== DEMO.port) {
    text = text.replaceAll(`127.0.0.1:${DEMO.port}`, `127.0.0.1:${port}`);
    changed.push(`simulator port ${port} (CTPILOT_DEMO_PORT) instead of ${DEMO.port}`);
  }
  if (config.s3.bucket !== 'ctpilot') {
    text = text.replaceAll('s3://ctpilot/', `s3://${config.s3.bucket}/`);
    changed.push(`bucket ${config.s3.bucket} (S3_BUCKET) instead of ctpilot`);
  }
  const loaded = loadPolicy(text, DEMO.policyFile);
  if (!loaded.ok) throw new Error(`${DEMO.policyFile} does not validate: ${JSON.stringify(loaded.issues)}`);
  return { policy: loaded.policy, changed };
}

/** A worker polls the task queue: otherwise nothing would run what the demo applies. */
export async function requireWorker(client: Client, config: Config): Promise<void> {
  const answer = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    taskQueue: { name: config.temporal.taskQueue },
    taskQueueType: 1, // workflow tasks
  });
  if ((answer.pollers ?? []).length === 0)
    throw new DemoError(
      `no ctpilot worker polls task queue ${config.temporal.taskQueue} on ${config.temporal.address}`,
      'start ctpilot with `npm start` in another terminal and wait for "ready", then run `npm run demo` again',
    );
}

export interface DemoSetup {
  readonly simulator: Simulator;
  readonly simulatorStarted: boolean;
  readonly champion: { version: string; created: boolean };
  readonly policy: LoadedPolicy;
  readonly applied: string;
  readonly changed: readonly string[];
}

/** Champion, simulator and policy, each reused when already there. */
export async function setUpDemo(
  config: Config,
  client: Client,
  env: Readonly<Record<string, string | undefined>>,
  say: (line: string) => void,
): Promise<DemoSetup> {
  await requireWorker(client, config);
  const port = demoPort(env);
  const hookSecret = deployHookSecret(config, env);
  const processEnv = env as NodeJS.ProcessEnv;

  say(`training the first champion of ${DEMO.model} (once; about 20 s)…`);
  const champion = await bootstrapChampion({ modelName: DEMO.model, env: processEnv });
  say(
    `  ✓ champion: version ${champion.version} of ${DEMO.model}${champion.created ? ' (registered now)' : ' (already there)'}`,
  );

  let simulator = runningSimulator(DEMO.instance, { hookSecret, env: processEnv });
  const simulatorStarted = simulator === undefined;
  if (!simulator) {
    if (!(await isPortFree(port)))
      throw new DemoError(
        `port ${port} (the demo's simulator) is already in use by another program`,
        'set CTPILOT_DEMO_PORT to a free port (the demo applies the policy with that port)',
      );
    say(
      `starting the traffic simulator on 127.0.0.1:${port} (${DEMO.rate} tickets/s, labels after ${DEMO.labelDelaySeconds} s)…`,
    );
    simulator = await startSimulator({
      modelName: DEMO.model,
      instance: DEMO.instance,
      port,
      rate: DEMO.rate,
      labelDelaySeconds: DEMO.labelDelaySeconds,
      hookSecret,
      exitWithParent: false,
      prometheus: true,
      env: processEnv,
    });
  }
  say(
    `  ✓ simulator: ${simulator.url} (pid ${simulator.pid}${simulatorStarted ? '' : ', already running'}), logs to ${simulator.logPrefix}`,
  );

  const { policy, changed } = demoPolicy(config, port);
  const changes = await applyPolicies(client, [policy], {
    taskQueue: config.temporal.taskQueue,
    by: 'npm run demo',
  });
  const change = changes.find((c) => c.policy === DEMO.policy);
  const applied = change?.kind === 'create' ? 'started' : change?.kind === 'update' ? 'updated' : 'unchanged';
  say(
    `  ✓ policy ${DEMO.policyFile}: controller ${controllerWorkflowId(DEMO.policy)} ${applied}${changed.length > 0 ? ` (with ${changed.join(', ')})` : ''}`,
  );
  return { simulator, simulatorStarted, champion, policy, applied, changed };
}

/** What to watch and what to try, printed once set up. */
export function nextSteps(config: Config, setup: DemoSetup): string[] {
  const ui = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`;
  const p = DEMO.policy;
  return [
    '',
    'Watch:',
    `  Temporal UI        ${ui}?query=${encodeURIComponent(`CtPolicy='${p}'`)}`,
    `  MLflow UI          ${config.mlflow.trackingUri}/#/models/${DEMO.model}`,
    `  accuracy           ${config.prometheus.url}/graph?g0.expr=${encodeURIComponent(`support_tickets_accuracy{model="${DEMO.model}"}`)}`,
    `  npx ctpilot status ${p}`,
    '',
    'Try, in another terminal:',
    '  npm run demo -- drift          the product launch: tickets in new words; accuracy falls, a retrain follows',
    `  npx ctpilot approve ${p}   when the challenger waits for you (or reject --reason "…")`,
    `  npx ctpilot report ${p}    the shadow report of the last retrain, as a local HTML file`,
    `  npx ctpilot rollback ${p} --reason "demo"   the previous champion back`,
    `  npx ctpilot history ${p}   every decision; npx ctpilot audit verify checks the audit chain`,
    '  npm run demo -- calm           drift back to 0',
    '',
    setup.simulatorStarted
      ? 'Following the controller below; Ctrl-C stops following and the simulator (ctpilot keeps the policy).'
      : 'Following the controller below; Ctrl-C stops following.',
  ];
}

/** Sleeps `ms`, or less if `signal` aborts meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function accuracyOf(status: ControllerStatus): string {
  const m = status.lastDecision?.metrics.find((x) => x.metric === 'accuracy');
  if (!m) return '';
  if (!m.decided) return ` · accuracy not usable: ${m.reason}`;
  return ` · accuracy ${(m.value ?? Number.NaN).toFixed(3)}${m.samples !== undefined ? ` over ${Math.round(m.samples)} labels` : ''}`;
}

/**
 * Prints what changes in the controller and its retrain, until `signal`
 * aborts: each decision, each retrain phase, the shadow's progress, the
 * approval the demo waits for, the promotion and the bake.
 */
export async function followDemo(
  client: Client,
  say: (line: string) => void,
  signal: AbortSignal,
  pollMs = 2000,
): Promise<void> {
  const controller = client.workflow.getHandle(controllerWorkflowId(DEMO.policy));
  let lastEvaluation = -1;
  let lastPhase = '';
  let lastRetrain = '';
  let lastShadow = '';
  let bakeSaid = '';
  while (!signal.aborted) {
    try {
      const s = await controller.query(statusQuery);
      const d = s.lastDecision;
      if (d && d.evaluation !== lastEvaluation) {
        lastEvaluation = d.evaluation;
        say(
          `  evaluation #${d.evaluation}: ${d.outcome}${accuracyOf(s)}${d.outcome === 'ok' ? '' : ` — ${d.summary.split('\n')[0]}`}`,
        );
      }
      if (s.retrain) {
        const progress: RetrainProgress = await client.workflow
          .getHandle(s.retrain.workflowId)
          .query(retrainProgressQuery);
        if (progress.phase !== lastPhase) {
          lastPhase = progress.phase;
          const extra =
            progress.phase === 'awaiting-approval'
              ? ` — your turn: npx ctpilot approve ${DEMO.policy}  (or: npx ctpilot reject ${DEMO.policy} --reason "…")`
              : progress.phase === 'training'
                ? ` — MLflow run ${progress.runId} (the train entry point on the labelled tickets since the drift)`
                : progress.version
                  ? ` — version ${progress.version}`
                  : '';
          say(`  retrain ${s.retrain.workflowId}: ${progress.phase}${extra}`);
        }
        const shadow = progress.shadow ? `${progress.shadow.scored}/${progress.shadow.labelled}` : '';
        if (progress.shadow && shadow !== lastShadow && progress.phase === 'shadow') {
          lastShadow = shadow;
          say(
            `    shadow: ${progress.shadow.scored} replayed, ${progress.shadow.labelled} labelled — ${progress.shadow.interim.split('\n')[0]}`,
          );
        }
      }
      if (s.lastRetrain && s.lastRetrain.workflowId + s.lastRetrain.outcome !== lastRetrain) {
        lastRetrain = s.lastRetrain.workflowId + s.lastRetrain.outcome;
        lastPhase = '';
        say(
          `  retrain ${s.lastRetrain.workflowId} ended ${s.lastRetrain.outcome}: ${s.lastRetrain.summary.split('\n')[0]}`,
        );
        if (s.lastRetrain.reportUri) say(`    shadow report: npx ctpilot report ${DEMO.policy}`);
      }
      const bake = s.state.champion?.bakeUntil;
      if (bake && bake !== bakeSaid && Date.parse(bake) > Date.now()) {
        bakeSaid = bake;
        say(
          `  baking version ${s.state.champion?.version} until ${bake}: a breach now rolls back to v${s.state.champion?.previousVersion}`,
        );
      }
    } catch (error) {
      say(`  (controller not answering: ${(error as Error).message.split('\n')[0]})`);
    }
    await pause(pollMs, signal);
  }
}
