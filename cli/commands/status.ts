// ctpilot status <policy>: the controller's status query, the running
// retrain's progress query, and the registry's champion, with links.
import { MlflowError } from '../../activities/mlflow/errors.ts';
import { controllerWorkflowId, PROGRESS_QUERY } from '../../workflows/ids.ts';
import type { ControllerStatus, RetrainProgress } from '../../workflows/messages.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { decisionDetail, decisionHeadline } from '../lib/decision-view.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { oneLine, outcome, relative, shortHash } from '../lib/format.ts';
import { printJson } from '../lib/io.ts';
import { mlflowModelUrl, mlflowRunUrl, temporalWorkflowUrl } from '../lib/links.ts';
import { refusal } from '../lib/operator.ts';
import { noController, Refused } from '../lib/refusals.ts';
import { registryReader } from '../lib/registry-reader.ts';
import { configFrom } from '../lib/services.ts';
import { renderTable } from '../lib/table.ts';
import {
  policyFacts,
  readControllerStatus,
  WorkflowMissing,
  type WorkflowSummary,
  withReader,
} from '../lib/temporal-reader.ts';

export const status: CommandSpec = {
  name: 'status',
  summary: 'show one policy: state, last decision with its evidence, champion, running retrain',
  description:
    'Asks the policy’s controller (its status query) for its phase, pause, next evaluation, last decision — every ' +
    'metric’s verdict, every trigger, every action and what held it back — the bake period and the last retrain; ' +
    'asks the running retrain, if any, for its phase and steps (its progress query); reads the champion alias from ' +
    'the MLflow registry. Prints links to the workflows in the Temporal UI and to the model and run in MLflow. Exits 1 ' +
    'when the controller exists but is no longer running or cannot answer (a failing workflow task), 2 when there is ' +
    'none or no worker answers.',
  args: [{ name: 'policy', description: 'the policy name (metadata.name)' }],
  flags: [jsonFlag],
  examples: [
    { command: 'ctpilot status fraud-detector', description: 'what the controller knows now' },
    {
      command: 'ctpilot status fraud-detector --json | jq .retrain.progress.phase',
      description: 'the running retrain’s phase, for scripts',
    },
  ],
  async run({ args, flags, io, style }) {
    const name = args[0]!;
    const config = configFrom(io);
    const registry = registryReader(config.mlflow);
    return withReader(config, async (reader) => {
      let description: WorkflowSummary;
      try {
        description = await reader.describe(controllerWorkflowId(name));
      } catch (error) {
        if (error instanceof WorkflowMissing) throw noController(name);
        throw error;
      }
      const controllerUrl = temporalWorkflowUrl(config, description.workflowId, description.runId);
      if (description.status !== 'RUNNING') {
        const closed = {
          policy: name,
          workflowId: description.workflowId,
          running: false,
          closedStatus: description.status,
          closedAt: description.closeTime,
          links: { controller: controllerUrl },
        };
        if (flags.json === true) printJson(io, closed);
        else
          io.stdout.write(
            `${style.red(`policy ${name} is not running`)}: its controller ended ${description.status}${closed.closedAt ? ` at ${closed.closedAt}` : ''}\n  ${style.dim(controllerUrl)}\n${style.cyan('fix:')} apply the policy again with \`ctpilot apply <file>\`\n`,
          );
        return EXIT.failed;
      }

      let s: ControllerStatus;
      try {
        s = await readControllerStatus(reader, config, name);
      } catch (error) {
        if (error instanceof Refused) return refusal(io, style, flags.json === true, error, { policy: name });
        throw error;
      }
      // The rest at once: the retrain's progress, the policy's facts, and the registry.
      const retrainView = async () => {
        if (!s.retrain) return { progress: null, progressError: null, retrainRunId: undefined };
        const id = s.retrain.workflowId;
        try {
          const [progress, retrain] = await Promise.all([
            reader.query<RetrainProgress>(id, PROGRESS_QUERY, {
              what: `the progress query of ${id}`,
              timeoutMs: 5000,
            }),
            reader.describe(id),
          ]);
          return { progress, progressError: null, retrainRunId: retrain.runId };
        } catch (error) {
          if (!(error instanceof UserError) && !(error instanceof WorkflowMissing)) throw error;
          return { progress: null, progressError: error.message, retrainRunId: undefined };
        }
      };
      const [{ progress, progressError, retrainRunId }, facts] = await Promise.all([
        retrainView(),
        policyFacts(reader, description),
      ]);
      const alias = facts?.aliases.champion ?? 'champion';
      let champion: { alias: string; version: string | null } | null = null;
      let mlflowError: string | null = null;
      let runUrl: string | null = null;
      try {
        const [version, experimentId] = await Promise.all([
          registry.aliasVersion(s.model, alias),
          progress?.runId ? registry.runExperiment(progress.runId) : undefined,
        ]);
        champion = { alias, version };
        if (progress?.runId && experimentId) runUrl = mlflowRunUrl(config, experimentId, progress.runId);
      } catch (error) {
        if (!(error instanceof MlflowError)) throw error;
        mlflowError = error.message;
      }

      const links = {
        controller: controllerUrl,
        retrain: s.retrain ? temporalWorkflowUrl(config, s.retrain.workflowId, retrainRunId) : null,
        model: mlflowModelUrl(config, s.model),
        champion: champion?.version ? mlflowModelUrl(config, s.model, champion.version) : null,
        run: runUrl,
        // The shadow report is in the artefact store: `ctpilot report` fetches it to a local file.
        report:
          s.lastRetrain?.reportUri || progress?.shadow?.reportUri
            ? `ctpilot report ${name} --retrain ${progress?.shadow?.reportUri && s.retrain ? s.retrain.attempt : s.lastRetrain?.attempt}`
            : null,
      };
      if (flags.json === true) {
        printJson(io, {
          policy: name,
          workflowId: description.workflowId,
          runId: description.runId,
          running: true,
          every: facts?.every ?? null,
          labels: facts?.labels ?? null,
          status: s,
          retrain: s.retrain ? { ...s.retrain, progress, error: progressError } : null,
          champion,
          warnings: [mlflowError].filter(Boolean),
          links,
        });
        return EXIT.ok;
      }

      const now = Date.now();
      const out: string[] = [];
      const row = (label: string, value: string) => out.push(`  ${style.dim(label.padEnd(15))}${value}`);
      out.push(`${style.bold(name)} → model ${style.bold(s.model)}`);
      row(
        'state',
        s.paused
          ? `${style.yellow('paused')} by ${s.paused.by} ${style.dim(relative(s.paused.at, now))}${s.paused.reason ? `: ${s.paused.reason}` : ''}`
          : `${s.retrain ? style.cyan('retraining') : s.phase} · next evaluation ${relative(s.nextEvaluationAt, now)}${s.nextEvaluationAt ? style.dim(` (${s.nextEvaluationAt})`) : ''}`,
      );
      row(
        'policy',
        `${shortHash(s.policyHash)}${facts ? ` · every ${facts.every}` : ''} · ${s.evaluations} evaluation${s.evaluations === 1 ? '' : 's'}`,
      );
      const bake = s.state.champion?.bakeUntil;
      row(
        'champion',
        champion
          ? `${champion.version ? `v${champion.version}` : 'none'} ${style.dim(`(alias ${champion.alias})`)}${bake && Date.parse(bake) > now ? ` · baking until ${bake}` : ''}${s.state.champion?.previousVersion ? style.dim(` · previous v${s.state.champion.previousVersion}`) : ''}`
          : style.yellow(`unknown (${mlflowError})`),
      );
      if (s.lastDecision) {
        row('last decision', decisionHeadline(style, s.lastDecision, now));
        const detail = decisionDetail(style, s.lastDecision);
        if (detail) out.push(detail);
      } else row('last decision', style.dim('not evaluated yet'));
      if (s.lastError) row('last error', style.red(s.lastError));
      const undelivered = [s.lastDeliveryFailure, progress?.lastDeliveryFailure]
        .filter((f) => f != null)
        .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
      if (undelivered)
        row(
          'notification',
          `${style.red(`not delivered to ${undelivered.receiver}`)} ${style.dim(relative(undelivered.at, now))}: ${oneLine(undelivered.error, 100)} ${style.dim(`(${undelivered.event} ${undelivered.name}; the worker log has each attempt)`)}`,
        );
      if (s.retrain) {
        row(
          'retrain',
          `${s.retrain.workflowId} · ${progress ? style.cyan(progress.phase) : style.yellow(`phase unknown (${progressError})`)} · trigger ${s.retrain.trigger} · started ${relative(s.retrain.startedAt, now)}${progress?.runId ? ` · run ${progress.runId}` : ''}${progress?.version ? ` · version ${progress.version}` : ''}`,
        );
        if (progress?.shadow)
          out.push(
            `    ${style.dim('shadow')} ${progress.shadow.scored} scored, ${progress.shadow.labelled} labelled, ${progress.shadow.failed} failed since ${progress.shadow.startedAt} — ${oneLine(progress.shadow.interim, 100)}${progress.shadow.reportUri ? style.dim(` · report: ctpilot report ${name} --retrain ${s.retrain.attempt}`) : ''}`,
          );
        if (progress?.phase === 'awaiting-approval')
          out.push(
            `    ${style.yellow('waiting for a decision:')} ctpilot approve ${name}  or  ctpilot reject ${name} --reason "…"${progress.approval ? style.dim(` (until ${progress.approval.timeoutAt}, then ${progress.approval.onTimeout})`) : ''}`,
          );
        if (progress && progress.steps.length > 0)
          out.push(
            renderTable(
              style,
              ['STEP', 'OUTCOME', 'WHEN', 'DETAIL'],
              progress.steps.map((st) => [
                st.step,
                outcome(style, st.outcome),
                relative(st.at, now),
                oneLine(st.detail, 80),
              ]),
            )
              .replace(/\n$/, '')
              .split('\n')
              .map((l) => `    ${l}`)
              .join('\n'),
          );
      }
      if (s.lastRetrain)
        row(
          'last retrain',
          `${s.lastRetrain.workflowId} ${outcome(style, s.lastRetrain.outcome)} ${style.dim(relative(s.lastRetrain.at, now))}${s.lastRetrain.version ? ` · version ${s.lastRetrain.version}` : ''} — ${oneLine(s.lastRetrain.summary, 100)}`,
        );
      if (s.recentAlerts.length > 0) row('alerts', `${s.recentAlerts.length} received recently`);
      out.push(`  ${style.dim('links')}`);
      for (const [label, url] of Object.entries(links))
        if (url) out.push(`    ${style.dim(label.padEnd(11))} ${url}`);
      io.stdout.write(`${out.join('\n')}\n`);
      return EXIT.ok;
    });
  },
};
