import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePorts, isPortFree } from '../../../infra/stack/ports.ts';
import {
  isAlive,
  isRecordedProgram,
  launch,
  logTail,
  readRecord,
  statState,
  stopRecorded,
} from '../../../infra/stack/processes.ts';

describe('service processes', () => {
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-proc-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('records a launched process, sees it alive, and stops its whole group', async () => {
    // A shell with a child: stopping must take both (MLflow forks workers the same way).
    const record = launch(home, 'sleeper', {
      command: '/bin/sh',
      args: ['-c', 'echo started; sleep 300 & wait'],
    });
    assert.equal(readRecord(home, 'sleeper')?.pid, record.pid);
    assert.equal(isAlive(record), true);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(logTail(record.logFile), /started/);
    assert.equal(await stopRecorded(home, 'sleeper', 5000), true);
    assert.equal(isAlive(record), false);
    assert.equal(readRecord(home, 'sleeper'), undefined);
    assert.throws(() => process.kill(-record.pid, 0), 'no process of the group is left');
  });

  it('does not mistake a recycled process id for its service', () => {
    const fake = {
      name: 'x',
      pid: process.pid,
      command: '/usr/bin/prometheus',
      args: [],
      startedAt: '',
      logFile: '',
    };
    assert.equal(isAlive(fake), false, 'our own pid runs node, not prometheus');
  });

  it('reads the state letter of /proc/<pid>/stat, even when the command name holds parentheses', () => {
    assert.equal(statState('4740 (versitygw) S 4712 4740 4740 0 -1'), 'S');
    assert.equal(statState('4740 (odd) name) Z 4712 4740 4740 0 -1'), 'Z');
    assert.equal(statState(readFileSync(`/proc/${process.pid}/stat`, 'utf8')), 'R');
  });

  it('counts a process caught mid-exec (empty command line, not a zombie) as the service, a zombie as gone', () => {
    const command = '/opt/venv/bin/versitygw';
    // The state the fault suite's S3 restart once met right after spawn: reported as "exited during start-up".
    assert.equal(isRecordedProgram({ state: 'R', cmdline: '' }, command), true);
    assert.equal(isRecordedProgram({ state: 'D', cmdline: '' }, command), true);
    assert.equal(isRecordedProgram({ state: 'Z', cmdline: '' }, command), false);
    assert.equal(
      isRecordedProgram({ state: 'S', cmdline: '/opt/venv/bin/versitygw\0--port\0' }, command),
      true,
    );
    assert.equal(isRecordedProgram({ state: 'S', cmdline: 'node\0worker.js\0' }, command), false);
  });

  it('stopping something never started is a no-op', async () => {
    assert.equal(await stopRecorded(home, 'never-started'), false);
  });
});

describe('ports', () => {
  it('finds distinct free ports and sees a taken one', async () => {
    const ports = await freePorts(5);
    assert.equal(new Set(ports).size, 5);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
    assert.equal(await isPortFree(ports[0]!), false);
    server.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await isPortFree(ports[0]!), true);
  });

  it('picks ports below the range outgoing connections take theirs from (where the system says which)', async (t) => {
    if (!existsSync('/proc/sys/net/ipv4/ip_local_port_range')) return t.skip('no ip_local_port_range here');
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (const port of await freePorts(50)) assert.ok(port >= 10_000 && port < low, String(port));
  });
});
