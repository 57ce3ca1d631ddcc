// What the history recorders share: saving a workflow's history as the
// Temporal CLI exports it (`temporal workflow show --output json`, which the
// replay test reads), and waiting on a probe.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { temporalCli } from '../../infra/stack/services/temporal.ts';
import type { Config } from '../../workers/config.ts';

/** Writes test/histories/<name>.json. */
export async function saveHistory(config: Config, name: string, handle: WorkflowHandle): Promise<void> {
  const shown = spawnSync(
    temporalCli(config),
    ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json', '--address', config.temporal.address],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (shown.status !== 0) throw new Error(`temporal workflow show failed: ${shown.stderr}`);
  const history = JSON.parse(shown.stdout) as { events: unknown[] };
  writeFileSync(fileURLToPath(new URL(`./${name}.json`, import.meta.url)), `${JSON.stringify(history, null, 1)}\n`);
  console.log(`recorded ${name}.json (${history.events.length} events)`);
}

/** The probe's first defined value, polled every 250 ms for at most 150 s. */
export async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('timed out');
}
