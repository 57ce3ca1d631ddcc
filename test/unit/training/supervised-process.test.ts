import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  forgetProcess,
  processFiles,
  superviseProcess,
} from '../../../activities/training/supervised-process.ts';

const env = { PATH: process.env.PATH ?? '' };
const noBeat = { heartbeat: () => {}, heartbeatMs: 50 };

describe('supervised training processes', () => {
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-supervise-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('runs a job to its exit code, logging its output and heartbeating', async () => {
    const beats: number[] = [];
    const outcome = await superviseProcess(
      home,
      { key: 'run-ok', command: '/bin/sh', args: ['-c', 'echo working; sleep 0.3; exit 3'], env, cwd: home },
      { heartbeat: (p) => beats.push(p.pid), heartbeatMs: 50 },
    );
    assert.equal(outcome.exitCode, 3);
    assert.equal(outcome.adopted, false);
    assert.match(readFileSync(outcome.logFile, 'utf8'), /working/);
    assert.ok(beats.length >= 1, 'heartbeats while running');
  });

  it('a retry after the job finished returns the same outcome without running it again', async () => {
    const spec = {
      key: 'run-once',
      command: '/bin/sh',
      args: ['-c', 'echo ran >> "$0.count"', join(home, 'marker')],
      env,
      cwd: home,
    };
    const first = await superviseProcess(home, spec, noBeat);
    const second = await superviseProcess(home, spec, noBeat);
    assert.equal(first.exitCode, 0);
    assert.equal(second.exitCode, 0);
    assert.equal(second.adopted, true);
    assert.equal(readFileSync(join(home, 'marker.count'), 'utf8'), 'ran\n', 'the job ran exactly once');
    forgetProcess(home, 'run-once');
    assert.equal(existsSync(processFiles(home, 'run-once').exit), false);
  });

  it('a new attempt adopts the job a killed worker started, instead of starting a second one', async () => {
    const counter = join(home, 'adopt.count');
    // A separate process plays the worker that starts the job and is then SIGKILLed.
    const starter = fileURLToPath(new URL('./start-and-hang.ts', import.meta.url));
    const worker = spawn(process.execPath, ['--import', 'tsx', starter, home, counter], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => worker.stdout.once('data', () => resolve()));
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));

    const outcome = await superviseProcess(
      home,
      {
        key: 'run-adopt',
        command: '/bin/sh',
        args: ['-c', `echo started >> ${counter}; sleep 1; exit 0`],
        env,
        cwd: home,
      },
      noBeat,
    );
    assert.equal(outcome.adopted, true);
    assert.equal(outcome.exitCode, 0);
    assert.equal(readFileSync(counter, 'utf8'), 'started\n', 'one copy of the job ran');
  });

  it('cancellation kills the whole process group', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const outcome = await superviseProcess(
      home,
      { key: 'run-cancel', command: '/bin/sh', args: ['-c', 'sleep 60 & sleep 60; wait'], env, cwd: home },
      { ...noBeat, signal: controller.signal, killGraceMs: 1000 },
    );
    assert.equal(outcome.cancelled, true);
    assert.notEqual(outcome.exitCode, 0);
    const record = JSON.parse(readFileSync(processFiles(home, 'run-cancel').record, 'utf8')) as {
      pid: number;
    };
    assert.throws(() => process.kill(-record.pid, 0), 'no process of the job is left');
  });
});
