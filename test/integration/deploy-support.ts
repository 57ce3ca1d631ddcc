// Helpers for the deployment tests: worker processes started the way a
// deployment starts them (workers/run.ts, configured by the environment
// only), and a policy that evaluates every two seconds.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { stringify } from 'yaml';
import { loadPolicy } from '../../policies/loader.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Starts `workers/run.ts <flags>` and waits for its "ready" line. */
export async function startWorkerProcess(
  flags: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 90_000,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/run.ts', ...flags], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b) => (out += b));
  child.stderr?.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('ctpilot worker ready')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker ${flags.join(' ')} did not start:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out, exited };
}

export async function applyFastPolicy(client: Client, name: string, taskQueue: string): Promise<void> {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name },
      evaluate: { every: '2s' },
      metrics: { quality: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
      triggers: { low: { when: 'quality.breached', action: 'alert' } },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  await applyPolicies(client, [loaded.policy], { taskQueue });
}

/** ctpilot_evaluations_total of one policy on one worker's /metrics (0 when absent or unreachable). */
export async function evaluationsOn(metricsUrl: string, policy: string): Promise<number> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('ctpilot_evaluations_total{') && l.includes(`policy="${policy}"`))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  } catch {
    return 0;
  }
}
