// Ctrl-C (SIGINT) or SIGTERM at any moment of `npm start` stops what that
// start launched: during the bootstrap, while the services start, while the
// workers start, and once ready. Each case runs the real `npm start` in its
// own process group on a scratch home, signals the group the way a terminal
// does, and then looks for any process left with that home in its
// environment. Before the fix a signal before "ready" ended the process
// without a word and left every service it had started running.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type NpmStart, startNpmStart } from '../support/npm-start.ts';

async function interruptAt(
  t: { after(fn: () => Promise<void>): void },
  moment: RegExp,
  signal: NodeJS.Signals,
  prepare?: (home: string) => void,
): Promise<{ start: NpmStart; code: number }> {
  const start = await startNpmStart({ prepare });
  t.after(() => start.remove());
  await start.line(moment);
  start.signal(signal);
  const code = await start.exited;
  // The services are stopped before the process exits; give the kernel a moment to reap them.
  for (let i = 0; i < 120 && start.leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 250));
  return { start, code };
}

describe('a signal at any moment of npm start stops what it launched', () => {
  it("during the bootstrap: it exits 130, leaves another bootstrap's lock alone, and nothing runs", async (t) => {
    // With everything installed the bootstrap takes a second; another
    // bootstrap holding this home's lock (this test process) keeps it waiting.
    const lock = (home: string) => join(home, 'bootstrap.lock');
    const { start, code } = await interruptAt(t, /waiting for another bootstrap/, 'SIGINT', (home) => {
      mkdirSync(lock(home), { recursive: true });
      writeFileSync(join(lock(home), 'pid'), String(process.pid));
    });
    assert.equal(code, 130, start.output());
    assert.match(start.output(), /bootstrap: SIGINT received/);
    assert.doesNotMatch(start.output(), /^ready in/m);
    assert.equal(readFileSync(join(lock(start.home), 'pid'), 'utf8'), String(process.pid), 'not its lock');
    assert.ok(existsSync(lock(start.home)));
    assert.deepEqual(start.leftovers(), [], start.output());
  });

  it('while the services start: the ones already up and the ones still starting are stopped', async (t) => {
    // The first service reported up: the others (MLflow, PostgreSQL) are still starting.
    const { start, code } = await interruptAt(t, /^ {2}✓ .*\(started, pid \d+/, 'SIGINT');
    assert.equal(code, 130, start.output());
    assert.match(start.output(), /SIGINT received; stopping what this start launched/);
    assert.match(start.output(), /stopped the services this start had launched/);
    assert.deepEqual(start.leftovers(), [], start.output());
  });

  it('while the workers start (SIGTERM): workers, connections and services are stopped', async (t) => {
    const { start, code } = await interruptAt(t, /database schema/, 'SIGTERM');
    assert.equal(code, 143, start.output());
    assert.match(start.output(), /interrupted during start-up; stopping/);
    assert.match(start.output(), /stopped\. Data kept in/);
    assert.deepEqual(start.leftovers(), [], start.output());
  });

  it('once ready: Ctrl-C stops the workers and the services, and says where the data is', async (t) => {
    const { start, code } = await interruptAt(t, /Press Ctrl-C to stop/, 'SIGINT');
    assert.equal(code, 130, start.output());
    assert.match(start.output(), /Next steps/);
    assert.match(
      start.output(),
      new RegExp(`Data kept in ${start.home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.deepEqual(start.leftovers(), [], start.output());
  });
});
