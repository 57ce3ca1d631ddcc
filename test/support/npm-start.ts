// `npm start` as a user runs it, in its own process group (like a terminal's
// foreground job), on a scratch home and free ports, with none of the test
// stack's variables: it starts and stops its own services. Tests read its
// output line by line, signal its group, and look for anything it left
// running: every service the stack launches inherits CTPILOT_HOME, so a
// process whose environment names the scratch home is one of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../infra/stack/ports.ts';
import { PROJECT_ROOT } from '../../workers/config.ts';

/** Variables that point at the shared test stack: a user's `npm start` has none of them. */
const EXTERNAL = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_HTTP_URL',
  'MLFLOW_TRACKING_URI',
  'DATABASE_URL',
  'S3_ENDPOINT',
  'PROMETHEUS_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'CTPILOT_TEST_STACK',
  'CTPILOT_POLICIES',
];

export interface NpmStart {
  readonly home: string;
  /** The environment it runs with (ports, home): what a second command needs to reach its stack. */
  readonly env: Record<string, string>;
  readonly child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the first line matching, or rejects after `timeoutMs` (or when the process exits first). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal to the whole process group, as a terminal's Ctrl-C does. */
  signal(signal: NodeJS.Signals): void;
  /** The exit code (or 128 + signal number), once it has exited. */
  readonly exited: Promise<number>;
  /** Processes still running whose environment names this start's home (pid and command line). */
  leftovers(): { pid: number; command: string }[];
  /** Kills whatever is left and removes the home. */
  remove(): Promise<void>;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

function processesWithHome(home: string): { pid: number; command: string }[] {
  const marker = `CTPILOT_HOME=${home}`;
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (!environ.split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      found.push({
        pid: Number(entry),
        command: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim(),
      });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export async function startNpmStart(
  options: {
    readonly env?: Record<string, string>;
    readonly args?: readonly string[];
    /** Prepares the home before the start (e.g. a bootstrap lock held by another process). */
    readonly prepare?: (home: string) => void;
  } = {},
): Promise<NpmStart> {
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-start-'));
  options.prepare?.(home);
  const [temporal, ui, http, metrics, mlflow, postgres, s3, prometheus] = await freePorts(8);
  const env: Record<string, string> = {};
  // Neither the test stack's endpoints nor its CTPILOT_* settings (headless UI, ports): a user's own start.
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !EXTERNAL.includes(k) && !k.startsWith('CTPILOT_')) env[k] = v;
  Object.assign(env, {
    CTPILOT_HOME: home,
    CTPILOT_TEMPORAL_PORT: String(temporal),
    CTPILOT_TEMPORAL_UI_PORT: String(ui),
    CTPILOT_TEMPORAL_HTTP_PORT: String(http),
    CTPILOT_TEMPORAL_METRICS_PORT: String(metrics),
    CTPILOT_MLFLOW_PORT: String(mlflow),
    CTPILOT_POSTGRES_PORT: String(postgres),
    CTPILOT_S3_PORT: String(s3),
    CTPILOT_PROMETHEUS_PORT: String(prometheus),
    CTPILOT_WORKER_METRICS_PORT: '0',
    CTPILOT_ALERTS_PORT: '0',
    ...options.env,
  });
  const child = spawn('npm', ['start', '--silent', ...(options.args ?? [])], {
    cwd: PROJECT_ROOT,
    env,
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0));
      for (const w of waiters) w();
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
    home,
    env,
    child,
    output: () => text,
    line(pattern, timeoutMs = 180_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = text.split('\n').find((l) => pattern.test(l));
          if (hit !== undefined) {
            finish();
            resolve(hit);
          } else if (done) {
            finish();
            reject(new Error(`npm start exited before printing ${pattern}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`npm start did not print ${pattern} within ${timeoutMs / 1000} s:\n${text}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    signal(signal) {
      process.kill(-child.pid!, signal);
    },
    exited,
    leftovers: () => processesWithHome(home),
    async remove() {
      for (const p of processesWithHome(home)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {}
      }
      if (!done) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
