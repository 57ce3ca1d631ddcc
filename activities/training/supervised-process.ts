// A training process that outlives the worker that started it.
//
// Training can take hours; if the training worker dies (deploy, OOM, SIGKILL)
// the job should not be lost, and it must never run twice for one MLflow
// run. So the process is started detached, wrapped in a shell that writes its
// exit code to a file, and recorded under <home>/training/<key>.json. When
// Temporal retries the activity on another (or the restarted) worker, the
// new attempt finds the record, sees the process still alive and *adopts* it
// — it waits for the exit file instead of starting a second copy.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface ProcessSpec {
  /** Identifies the job across worker restarts: the MLflow run id. */
  readonly key: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export interface ProcessFiles {
  readonly record: string;
  readonly log: string;
  readonly exit: string;
}

interface ProcessRecord {
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly startedAt: string;
}

export interface SupervisionHooks {
  /** Called every `heartbeatMs` while the process runs, with progress worth recording. */
  readonly heartbeat: (progress: { pid: number; logBytes: number; adopted: boolean }) => void;
  /** Aborted when the job must stop (activity cancelled): the process group is killed. */
  readonly signal?: AbortSignal;
  readonly heartbeatMs?: number;
  readonly killGraceMs?: number;
}

export interface ProcessOutcome {
  /** null when the process was killed before writing its exit code. */
  readonly exitCode: number | null;
  /** True when an earlier attempt started it and this one only waited. */
  readonly adopted: boolean;
  readonly cancelled: boolean;
  readonly logFile: string;
}

export function processFiles(home: string, key: string): ProcessFiles {
  const dir = join(home, 'training');
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    record: join(dir, `${safe}.json`),
    log: join(dir, `${safe}.log`),
    exit: join(dir, `${safe}.exit`),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readRecord(path: string): ProcessRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

function readExit(path: string): number | null | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').trim();
  const code = Number(text);
  return text !== '' && Number.isInteger(code) ? code : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/**
 * Runs the job to completion (or adopts the one already running for this key)
 * and returns its exit code. The record and exit files are left in place so a
 * retry after completion returns the same outcome without running again;
 * `forgetProcess` removes them once the caller has recorded the result.
 */
export async function superviseProcess(
  home: string,
  spec: ProcessSpec,
  hooks: SupervisionHooks,
): Promise<ProcessOutcome> {
  const files = processFiles(home, spec.key);
  mkdirSync(join(home, 'training'), { recursive: true });

  const finished = readExit(files.exit);
  if (finished !== undefined)
    return { exitCode: finished, adopted: true, cancelled: false, logFile: files.log };

  let record = readRecord(files.record);
  let adopted = record !== undefined && alive(record.pid);
  if (!adopted) {
    const out = openSync(files.log, 'a');
    writeFileSync(out, `--- ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    // The wrapper records the exit code where any later attempt can read it,
    // even one that is not the parent of this process.
    const child = spawn(
      '/bin/sh',
      ['-c', '"$@"; echo $? > "$CTPILOT_EXIT_FILE"', 'ctpilot-training', spec.command, ...spec.args],
      {
        cwd: spec.cwd,
        env: { ...spec.env, CTPILOT_EXIT_FILE: files.exit },
        detached: true,
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    record = { pid: child.pid, command: spec.command, args: spec.args, startedAt: new Date().toISOString() };
    writeFileSync(files.record, JSON.stringify(record));
    adopted = false;
  }
  const pid = record!.pid;

  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    killGroup(pid, 'SIGTERM');
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted) onAbort();
  try {
    let lastBeat = 0;
    let killedAt: number | undefined;
    for (;;) {
      if (cancelled) {
        // Return only once every process of the job is gone, escalating after the grace period.
        killedAt ??= Date.now();
        const grace = hooks.killGraceMs ?? 10_000;
        // (Past twice the grace period only unreaped zombies can remain: stop waiting.)
        if (!groupAlive(pid) || Date.now() - killedAt > 2 * grace) {
          return { exitCode: readExit(files.exit) ?? null, adopted, cancelled, logFile: files.log };
        }
        if (Date.now() - killedAt > grace) killGroup(pid, 'SIGKILL');
      } else {
        const code = readExit(files.exit);
        if (code !== undefined) return { exitCode: code, adopted, cancelled, logFile: files.log };
        if (!alive(pid)) {
          // Gone without an exit file: killed (SIGKILL of the whole group, OOM).
          return { exitCode: null, adopted, cancelled, logFile: files.log };
        }
      }
      if (Date.now() - lastBeat >= (hooks.heartbeatMs ?? 5_000)) {
        lastBeat = Date.now();
        hooks.heartbeat({ pid, logBytes: existsSync(files.log) ? statSync(files.log).size : 0, adopted });
      }
      await sleep(250);
    }
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
  }
}

/** Removes a finished job's record and exit files (the log stays, for people). */
export function forgetProcess(home: string, key: string): void {
  const files = processFiles(home, key);
  rmSync(files.record, { force: true });
  rmSync(files.exit, { force: true });
}
