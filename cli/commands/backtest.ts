// ctpilot backtest <policy> --from T [--to T] [--step D]: the policy evaluated
// over a past period without acting — when it would have alerted, retrained
// or rolled back, how often, and where guards held it back. Prometheus
// metrics come from one range query per query over the whole span; the
// evaluator is the real one, carried step by step in simulated time.

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import {
  type BacktestResult,
  type BacktestSummary,
  instantSource,
  MAX_STEPS,
  metricsOfOrigin,
  rangeSource,
  renderReport,
  runBacktest,
  summarise,
} from '../../activities/backtest/index.ts';
import { modelOf } from '../../activities/evaluation.ts';
import { durationMs, formatDuration, parseDuration } from '../../policies/duration.ts';
import { instantiate, isFleetTemplate } from '../../policies/fleet.ts';
import type { LoadedPolicy } from '../../policies/loader.ts';
import { scanTemplate } from '../../policies/template.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, fileError, UserError } from '../lib/errors.ts';
import { type Io, printJson, type Style } from '../lib/io.ts';
import { formatIssue, issueJson } from '../lib/issues.ts';
import { loadFiles } from '../lib/policy-files.ts';
import { configFrom, parseTime, withClients } from '../lib/services.ts';

function durationFlag(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UserError(
      `--${name} ${JSON.stringify(text)} is not a duration`,
      'write it like 30s, 5m, 1h or 1d',
    );
  return ms;
}

/** A bar on a terminal only: never in pipes, CI logs or --json. */
function progressBar(io: Io, enabled: boolean) {
  if (!enabled || io.stderr !== process.stderr || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: ' {phase} [{bar}] {value}/{total}  {eta_formatted} left',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  return {
    update(next: 'fetch' | 'evaluate', done: number, total: number) {
      const label = next === 'fetch' ? 'range queries' : 'evaluations  ';
      if (next !== phase) {
        if (phase) bar.stop();
        bar.start(total, done, { phase: label });
        phase = next;
      } else bar.update(done, { phase: label });
    },
    stop: () => phase && bar.stop(),
  };
}

function text(
  result: BacktestResult,
  summary: BacktestSummary,
  style: Style,
  report: string | undefined,
): string {
  const lines: string[] = [];
  const times = (n: number) => `${n} time${n === 1 ? '' : 's'}`;
  lines.push(
    style.bold(
      `Backtest of ${result.policy}: ${result.from} → ${result.to}, every ${formatDuration(result.stepMs)}`,
    ) +
      style.dim(
        ` (${summary.steps} evaluations; ${result.source.prometheusQueries} Prometheus ${result.source.mode} queries, ${result.source.windowReads} window reads, ${(result.source.elapsedMs / 1000).toFixed(1)} s)`,
      ),
  );
  if (summary.noUsableData)
    lines.push(
      style.red(
        `No usable data: no metric had a usable measurement at any of the ${summary.steps} steps, so this backtest says nothing about the policy (see "Without usable data" below).`,
      ),
    );
  else
    lines.push(
      `Would have retrained ${times(summary.counts.retrain)}, alerted ${times(summary.counts.alert)}, rolled back ${times(summary.counts.rollback)}.`,
    );
  const diagnosisAt = new Map(
    result.steps.flatMap((s) => (s.diagnosis ? [[s.at, s.diagnosis] as const] : [])),
  );
  for (const w of summary.wouldAct.slice(0, 50)) {
    const colour = w.kind === 'retrain' || w.kind === 'rollback' ? style.red : style.yellow;
    const d = diagnosisAt.get(w.at);
    lines.push(
      `  ${w.at}  ${colour(w.kind.padEnd(8))} by ${w.origin}${w.status === 'dryRun' ? style.dim(' (dry run)') : ''}${d ? style.dim(` — diagnosis: ${d.cause}${d.features.length ? ` (${d.features.slice(0, 2).join(', ')})` : ''} → ${d.action}`) : ''}`,
    );
  }
  if (summary.wouldAct.length > 50)
    lines.push(style.dim(`  … ${summary.wouldAct.length - 50} more (--json lists all)`));
  if (summary.held.length) {
    lines.push(style.bold('Held back:'));
    for (const h of summary.held)
      lines.push(
        `  ${h.kind} by ${h.origin}: ${style.cyan(h.guard)} on ${h.steps} step(s), ${h.first} → ${h.last}`,
      );
  }
  if (summary.episodes.length) {
    lines.push(style.bold('Conditions held:'));
    for (const ep of summary.episodes.slice(0, 30))
      lines.push(
        `  ${ep.trigger.padEnd(20)} ${ep.from} → ${ep.to} (${ep.steps} step${ep.steps === 1 ? '' : 's'})`,
      );
    if (summary.episodes.length > 30) lines.push(style.dim(`  … ${summary.episodes.length - 30} more`));
  }
  const unusable = Object.entries(summary.unusable);
  if (unusable.length) {
    lines.push(
      `Without usable data: ${unusable.map(([m, n]) => `${m} on ${n} of ${summary.steps} steps`).join(', ')}`,
    );
    for (const g of summary.gaps.slice(0, 30))
      lines.push(`  ${g.metric.padEnd(20)} ${g.from} → ${g.to} (${g.steps} step${g.steps === 1 ? '' : 's'})`);
    if (summary.gaps.length > 30)
      lines.push(style.dim(`  … ${summary.gaps.length - 30} more (--json lists all)`));
  }
  for (const l of result.limitations) lines.push(style.yellow(`Not replayed: ${l.metric} — ${l.reason}`));
  if (report) lines.push(`Report: ${report}`);
  return `${lines.join('\n')}\n`;
}

/** The policy's metric queries name the watched version (`{{ version }}`). */
function usesVersion(policy: LoadedPolicy): boolean {
  return scanTemplate(JSON.stringify(policy.spec.metrics)).placeholders.some((p) => p.name === 'version');
}

export const backtest: CommandSpec = {
  name: 'backtest',
  summary: 'evaluate a policy over a past period without acting: when it would have alerted or retrained',
  description:
    'Replays a policy over history with the real evaluator: persistence, cooldown, budget and maintenance windows run ' +
    'in simulated time. Prometheus metrics are read with one range query per query over the whole span; data-window ' +
    'metrics (drift, estimate) read their windows at each step; MLflow and inbound-alert metrics have no history and ' +
    'count as no data. Nothing is acted on and nothing is written to the audit history. Prints when the policy would ' +
    'have acted and what held it back; --report writes a self-contained HTML page with each metric over time, its ' +
    'thresholds and the would-be actions marked. Exits 1 when no metric had a usable measurement at any step (the ' +
    'backtest then says nothing about the policy). A --step other than evaluate.every changes what persistence ' +
    '(for: N) means, and is warned about.',
  args: [{ name: 'policy', description: 'a policy file' }],
  flags: [
    jsonFlag,
    { name: 'from', valueName: 'time', description: 'start: ISO 8601, or an age such as 7d (required)' },
    { name: 'to', valueName: 'time', description: 'end: ISO 8601 or an age (default: now)' },
    {
      name: 'step',
      valueName: 'duration',
      description: 'simulated cadence (default: the policy’s evaluate.every)',
    },
    { name: 'report', short: 'o', valueName: 'file.html', description: 'write the HTML report here' },
    {
      name: 'retrainTakes',
      valueName: 'duration',
      description: 'how long a simulated retrain runs, holding later ones back (default: finishes at once)',
    },
    { name: 'championVersion', valueName: 'v', description: 'champion version for {{ version }} in queries' },
    { name: 'model', short: 'm', valueName: 'name', description: 'fleet templates: the model to backtest' },
    {
      name: 'instant',
      description: 'one instant query per metric per step instead of range queries (slower; for comparison)',
    },
  ],
  examples: [
    {
      command: 'ctpilot backtest policies/examples/fraud-slo.yaml --from 30d --report backtest.html',
      description: 'the last 30 days, with a chart',
    },
    {
      command:
        'ctpilot backtest policies/examples/fraud-slo.yaml --from 2026-10-01T00:00:00Z --to 2026-10-08T00:00:00Z --step 15m',
      description: 'one week at a coarser cadence',
    },
    {
      command: 'ctpilot backtest policies/examples/fraud-slo.yaml --from 7d --json | jq .summary.counts',
      description: 'for scripts',
    },
  ],
  async run({ args, flags, io, style }) {
    if (typeof flags.from !== 'string')
      throw new UserError('--from is required', 'e.g. --from 7d or --from 2026-10-01T00:00:00Z');
    const now = new Date();
    const from = parseTime(flags.from, now);
    const to = typeof flags.to === 'string' ? parseTime(flags.to, now) : now;
    if (to.getTime() <= from.getTime())
      throw new UserError(`--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);

    const [file] = await loadFiles(args.slice(0, 1), io.cwd);
    if (!file) return EXIT.usage;
    if (!file.result.ok) {
      const issues = file.result.issues;
      if (flags.json === true)
        printJson(io, { file: file.display, valid: false, errors: issues.map(issueJson) });
      else
        io.stdout.write(
          `${issues.map((i) => formatIssue(i, file.source, style)).join('\n')}\n${style.red(`${file.display} is not a valid policy; nothing to backtest`)}\n`,
        );
      return EXIT.failed;
    }
    let policy: LoadedPolicy = file.result.policy;
    if (isFleetTemplate(policy.spec)) {
      if (typeof flags.model !== 'string')
        throw new UserError(
          `${file.display} is a fleet template`,
          'backtest one of its models: --model <name>',
        );
      policy = instantiate(policy, { name: flags.model, tags: {} });
    }
    const everyMs = durationMs(policy.spec.evaluate.every);
    const stepMs = typeof flags.step === 'string' ? durationFlag('step', flags.step) : everyMs;
    // Persistence counts evaluations, not time: another step changes what `for: N` means.
    const stepNote =
      stepMs !== everyMs
        ? `--step ${formatDuration(stepMs)} differs from evaluate.every ${policy.spec.evaluate.every}: persistence counts steps, so a trigger with for: 3 holds after ${formatDuration(3 * stepMs)} here instead of ${formatDuration(3 * everyMs)}; brief dips can fire (shorter step) or be missed (longer step)`
        : undefined;
    if (stepNote && flags.json !== true) io.stderr.write(`${style.yellow(`warning: ${stepNote}`)}\n`);
    const steps = Math.floor((to.getTime() - from.getTime()) / stepMs) + 1;
    if (steps > MAX_STEPS)
      throw new UserError(
        `${steps} evaluations is too many (at most ${MAX_STEPS})`,
        'use a larger --step or a shorter span',
      );
    const retrainTakesMs =
      typeof flags.retrainTakes === 'string' ? durationFlag('retrain-takes', flags.retrainTakes) : 0;
    const span = { fromMs: from.getTime(), toMs: to.getTime(), stepMs };

    const config = configFrom(io);
    return withClients(config, async (clients) => {
      // Queries written for the watched version ({{ version }}) need one: the
      // one asked for, else the champion the registry names now (said).
      let version = typeof flags.championVersion === 'string' ? flags.championVersion : undefined;
      let versionNote: string | undefined;
      if (version === undefined && usesVersion(policy)) {
        const alias = policy.spec.model.aliases.champion;
        const champion = await clients.mlflow.getAlias(modelOf(policy), alias).catch((error: Error) => {
          throw new UserError(
            `the policy's queries use {{ version }} and the champion of ${modelOf(policy)} could not be read from MLflow: ${error.message}`,
            'give the version to backtest: --champion-version <v>',
          );
        });
        if (!champion)
          throw new UserError(
            `the policy's queries use {{ version }}, and ${modelOf(policy)} has no \`${alias}\` alias in MLflow to take it from`,
            'give the version to backtest: --champion-version <v>',
          );
        version = champion.version;
        versionNote = `{{ version }} = ${version}, the current ${alias} of ${modelOf(policy)} (--champion-version picks another)`;
        if (flags.json !== true) io.stderr.write(`${style.dim(versionNote)}\n`);
      }
      const options = {
        policy,
        span,
        values: (version !== undefined ? { version } : {}) as Record<string, string>,
        context: {
          model: modelOf(policy),
          aliases: policy.spec.model.aliases,
          experiment: policy.spec.training?.experiment,
          alerts: [],
        },
        deps: clients,
      };
      const source = flags.instant === true ? instantSource(options) : rangeSource(options);
      const bar = progressBar(io, flags.json !== true);
      let result: BacktestResult;
      try {
        result = await runBacktest({
          policy,
          span,
          source,
          diagnosisDeps: clients,
          retrainTakesMs,
          onProgress: (phase, done, total) => bar?.update(phase, done, total),
        });
      } finally {
        bar?.stop();
      }
      const unreachable =
        result.steps.length > 0 &&
        result.steps.every((s) => s.metrics.some((m) => /cannot reach Prometheus/.test(m.reason)));
      if (unreachable)
        throw new UserError(
          `cannot reach Prometheus at ${config.prometheus.url}`,
          config.prometheus.external
            ? 'check PROMETHEUS_URL'
            : 'start the local stack with `npm start` (or set PROMETHEUS_URL)',
        );
      const summary = summarise(result.steps);
      let reportPath: string | undefined;
      if (typeof flags.report === 'string') {
        reportPath = resolve(io.cwd, flags.report);
        try {
          await writeFile(
            reportPath,
            renderReport(result, summary, policy.spec, metricsOfOrigin(policy.spec)),
          );
        } catch (e) {
          throw fileError(flags.report, e, 'write');
        }
      }
      if (flags.json === true)
        printJson(io, {
          ...result,
          summary,
          ...(version !== undefined ? { championVersion: version } : {}),
          ...(versionNote || stepNote ? { notes: [versionNote, stepNote].filter(Boolean) } : {}),
          ...(reportPath ? { report: reportPath } : {}),
        });
      else io.stdout.write(text(result, summary, style, reportPath));
      // No usable data at all is not a pass: exit 1, so a script does not read "0 retrains" as all clear.
      return summary.noUsableData ? EXIT.failed : EXIT.ok;
    });
  },
};
