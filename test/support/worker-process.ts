// Starts and kills worker processes (test/support/worker-main.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

export interface WorkerProcess {
  readonly role: 'orchestrator' | 'training';
  readonly child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorkerProcess(
  role: 'orchestrator' | 'training',
  taskQueue: string,
  /** The stack the worker talks to; the shared test stack's by default (a fault test passes its own). */
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, role, taskQueue], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} worker did not start within 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${role} worker exited with ${code} before it was ready`)));
  });
  return {
    role,
    child,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
