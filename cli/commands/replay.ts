// ctpilot replay <workflow-id>: replay a workflow's recorded history against
// the workflow code of this checkout, to find out before deploying whether a
// change would break running workflows (nondeterminism).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { isNotFound, withTemporal } from '../lib/controllers.ts';
import { EXIT, fileError, UserError } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { temporalWorkflowUrl } from '../lib/links.ts';
import { configFrom } from '../lib/services.ts';

/** The SDK wraps the core's message in a debug dump; the core's sentence is what a person needs. */
export function essentialMessage(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  return inner ?? message.split('\n')[0]!;
}

export interface ReplayOutcome {
  readonly workflowId: string;
  readonly runId: string | null;
  readonly events: number;
  readonly ok: boolean;
  /** `nondeterminism`: the code would take another path than the history; `replay`: the replay itself failed. */
  readonly problem: {
    readonly kind: 'nondeterminism' | 'replay';
    /** The core's sentence, e.g. "[TMPRL1100] Nondeterminism error: Activity type … does not match …". */
    readonly summary: string;
    readonly message: string;
  } | null;
  readonly url: string | null;
}

/** The worker runtime logs only errors here: replay output is the verdict, not the SDK's chatter. */
function quietRuntime({ Runtime, DefaultLogger }: typeof import('@temporalio/worker')): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      shutdownSignals: [],
      // The SDK core reports the nondeterminism it finds as a warning too: the verdict below says it once.
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch (error) {
    // Already installed in this process (tests run the CLI in-process): keep it.
    if (!(error instanceof IllegalStateError)) throw error;
  }
}

async function fromFile(path: string, cwd: string): Promise<HistoryAndWorkflowId> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw fileError(path, error);
  }
  let history: { events?: unknown[] };
  try {
    history = JSON.parse(text) as { events?: unknown[] };
  } catch (error) {
    throw new UserError(
      `${path} is not JSON: ${(error as Error).message}`,
      'give a history exported as JSON',
    );
  }
  if (!Array.isArray(history?.events) || history.events.length === 0)
    throw new UserError(
      `${path} is not a workflow history (no "events")`,
      'export one with `temporal workflow show --workflow-id ID --output json > history.json`',
    );
  return { workflowId: path, history: history as never };
}

export const replay: CommandSpec = {
  name: 'replay',
  summary: 'replay a workflow’s history against the current code; report nondeterminism',
  description:
    'Fetches the recorded history of a workflow (a controller `policy:<name>`, a retrain `retrain:<policy>:<n>`, …) ' +
    'from Temporal — the latest run, a given --run-id, or with --all every run of the id (a controller continues as ' +
    'new) — or reads one exported as JSON (--history), and replays it against the workflow code of this checkout. ' +
    'Run it before deploying a worker with changed workflow code: a change that makes the code take another path ' +
    'than a recorded history would break running workflows. Exits 1 when a replay is nondeterministic or fails, ' +
    '2 when the workflow or file is not found.',
  args: [{ name: 'workflowId', description: 'the workflow id (omit with --history)', optional: true }],
  flags: [
    jsonFlag,
    { name: 'runId', valueName: 'id', description: 'replay this run (default: the latest)' },
    { name: 'all', description: 'replay every run of the workflow id, oldest first' },
    { name: 'history', valueName: 'file', description: 'replay a history exported as JSON instead' },
  ],
  examples: [
    { command: 'ctpilot replay policy:fraud-detector', description: 'the controller’s latest run' },
    { command: 'ctpilot replay retrain:fraud-detector:3 --json', description: 'a retrain, as JSON' },
    {
      command: 'ctpilot replay policy:fraud-detector --all',
      description: 'every run since the controller started',
    },
    {
      command: 'ctpilot replay --history test/histories/retrain-failed.json',
      description: 'a saved history',
    },
  ],
  async run({ args, flags, io, style }) {
    const workflowId = args[0];
    const file = typeof flags.history === 'string' ? flags.history : undefined;
    if (!workflowId && !file)
      throw new UserError(
        'which workflow?',
        'give a workflow id (e.g. policy:fraud-detector) or --history <file>',
      );
    if (workflowId && file) throw new UserError('give a workflow id or --history, not both');

    const config = configFrom(io);
    let histories: HistoryAndWorkflowId[];
    const runIds: (string | null)[] = [];
    if (file) {
      histories = [await fromFile(file, io.cwd)];
      runIds.push(null);
    } else {
      histories = await withTemporal(config, async (t) => {
        const runs: string[] = [];
        if (flags.all === true) {
          for await (const e of t.client.workflow.list({
            query: `WorkflowId = '${workflowId!.replace(/'/g, "\\'")}'`,
          }))
            runs.push(e.runId);
          runs.reverse();
        } else runs.push(typeof flags.runId === 'string' ? flags.runId : '');
        if (runs.length === 0)
          throw new UserError(
            `no workflow ${workflowId}`,
            'check the id in the Temporal UI or with `ctpilot list`',
          );
        const out: HistoryAndWorkflowId[] = [];
        for (const runId of runs) {
          try {
            const handle = t.client.workflow.getHandle(workflowId!, runId || undefined);
            const history = await handle.fetchHistory();
            out.push({ workflowId: workflowId!, history });
            runIds.push(runId || (await handle.describe()).runId);
          } catch (error) {
            if (isNotFound(error))
              throw new UserError(
                `no workflow ${workflowId}${runId ? ` with run ${runId}` : ''}`,
                'check the id in the Temporal UI, or list the policies with `ctpilot list`',
              );
            throw error;
          }
        }
        return out;
      });
    }

    if (flags.json !== true && io.isTTY)
      io.stderr.write(style.dim('bundling the workflow code and replaying…\n'));
    // Loaded here, not at the top: the worker SDK takes most of a second to load, and only replay needs it.
    const sdk = await import('@temporalio/worker');
    const { DeterminismViolationError } = await import('@temporalio/workflow');
    const { WORKFLOWS_PATH } = await import('../../workers/orchestrator.ts');
    quietRuntime(sdk);
    const outcomes: ReplayOutcome[] = [];
    let i = 0;
    for await (const result of sdk.Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'ctpilot-replay' },
      histories,
    )) {
      const h = histories[i]!;
      const runId = runIds[i] ?? null;
      i++;
      const error = result.error;
      outcomes.push({
        workflowId: h.workflowId,
        runId,
        events: (h.history as { events?: unknown[] }).events?.length ?? 0,
        ok: !error,
        problem: error
          ? {
              kind: error instanceof DeterminismViolationError ? 'nondeterminism' : 'replay',
              summary: essentialMessage(error.message),
              message: error.message,
            }
          : null,
        url: file || !runId ? null : temporalWorkflowUrl(config, h.workflowId, runId),
      });
    }
    const ok = outcomes.every((o) => o.ok);
    if (flags.json === true) printJson(io, { ok, replays: outcomes });
    else {
      const lines = outcomes.map((o) => {
        const what = `${o.workflowId}${o.runId ? style.dim(` run ${o.runId}`) : ''} (${o.events} events)`;
        return o.ok
          ? `${style.green('✓')} ${what} replays deterministically`
          : `${style.red('✗')} ${what}: ${o.problem!.kind === 'nondeterminism' ? style.red('nondeterministic') : style.red('replay failed')}\n    ${o.problem!.summary}${o.url ? `\n    ${style.dim(o.url)}` : ''}`;
      });
      if (!ok)
        lines.push(
          style.cyan(
            'fix: the workflow code changed in a way running workflows cannot follow; guard the change with patched() (workflow versioning) or keep the old path until those workflows finish',
          ),
        );
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return ok ? EXIT.ok : EXIT.failed;
  },
};
