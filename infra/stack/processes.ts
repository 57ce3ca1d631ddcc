// Background service processes of the local stack: started detached, with
// their process id recorded under <home>/run/, and stopped by that id (never
// by name: another user's Prometheus on this machine is not ours to kill).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { logTail } from '../../activities/util/log-tail.ts';

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly startedAt: string;
  readonly logFile: string;
}

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

function recordPath(home: string, name: string): string {
  return join(home, 'run', `${name}.json`);
}

export function logPath(home: string, name: string): string {
  return join(home, 'logs', `${name}.log`);
}

export function readRecord(home: string, name: string): ProcessRecord | undefined {
  const path = recordPath(home, name);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord;
  } catch {
    return undefined; // a torn write: treat as not running, the next start rewrites it
  }
}

/** What /proc says about a live process id (Linux). */
export interface ProcView {
  /** The state letter of /proc/<pid>/stat: R, S, D, Z (zombie), X (dead), … */
  readonly state: string;
  /** /proc/<pid>/cmdline, NUL-separated. */
  readonly cmdline: string;
}

/** The state letter of /proc/<pid>/stat: the field after the command name, which may itself hold ')'. */
export function statState(stat: string): string {
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Whether a live process id is the recorded service. A zombie is not. An
 * empty command line on a process that is not a zombie is one in the middle
 * of exec: the kernel has already let its parent go on (spawn has returned)
 * but has not yet laid out the new program's arguments. A loaded machine can
 * leave it there for many milliseconds, so it counts as ours rather than as
 * a service that "exited during start-up".
 */
export function isRecordedProgram(view: ProcView, command: string): boolean {
  if (view.state === 'Z' || view.state === 'X') return false;
  if (view.cmdline === '') return true;
  return view.cmdline.includes(command.split('/').pop() ?? command);
}

/**
 * Whether the recorded process is still ours: the id is alive *and* its
 * command line still names the program we started, so a recycled process id
 * after a reboot is not mistaken for our service.
 */
export function isAlive(record: ProcessRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: alive but not ours to signal, so not our service
  }
  let view: ProcView;
  try {
    view = {
      state: statState(readFileSync(`/proc/${record.pid}/stat`, 'utf8')),
      cmdline: readFileSync(`/proc/${record.pid}/cmdline`, 'utf8'),
    };
  } catch (error) {
    // No /proc (macOS): the signal check is all we have. On Linux the
    // process has gone between the signal and the read.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
  return isRecordedProgram(view, record.command);
}

/** Starts a program in its own process group, output appended to its log file, and records its id. */
export function launch(home: string, name: string, spec: LaunchSpec): ProcessRecord {
  mkdirSync(join(home, 'run'), { recursive: true });
  mkdirSync(join(home, 'logs'), { recursive: true });
  const logFile = logPath(home, name);
  const out = openSync(logFile, 'a');
  writeFileSync(out, `\n--- ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`);
  // The service inherits our environment; the spec adds to it (an undefined
  // value keeps what the environment has, e.g. the user's AWS credentials).
  const env: Record<string, string> = {};
  for (const source of [process.env, spec.env ?? {}]) {
    for (const [key, value] of Object.entries(source)) if (value !== undefined) env[key] = value;
  }
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env,
    ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    detached: true, // own process group: Ctrl-C in the terminal does not reach it, stop() does
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) {
    throw new Error(
      `could not start ${name}: ${spec.command} did not start (is it installed? run \`npm run bootstrap\`)`,
    );
  }
  child.unref();
  const record: ProcessRecord = {
    name,
    pid: child.pid,
    command: spec.command,
    args: spec.args,
    startedAt: new Date().toISOString(),
    logFile,
  };
  writeFileSync(recordPath(home, name), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a recorded process and everything in its process group (MLflow's
 * server forks workers): SIGTERM, then SIGKILL after the grace period.
 */
export async function stopRecorded(home: string, name: string, graceMs = 15_000): Promise<boolean> {
  const record = readRecord(home, name);
  if (!record) return false;
  const wasAlive = isAlive(record);
  if (wasAlive) {
    try {
      process.kill(-record.pid, 'SIGTERM');
    } catch {
      process.kill(record.pid, 'SIGTERM');
    }
    const deadline = Date.now() + graceMs;
    while (groupAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(record.pid)) {
      try {
        process.kill(-record.pid, 'SIGKILL');
      } catch {}
    }
  }
  rmSync(recordPath(home, name), { force: true });
  return wasAlive;
}
