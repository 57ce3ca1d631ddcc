// ctpilot status <policy>: the controller's status query, the running
// retrain's progress query, and the registry's champion, with links.
import { WorkflowNotFoundError } from '@temporalio/client';
import { MlflowClient } from '../../activities/mlflow/client.ts';
import { MlflowError } from '../../activities/mlflow/errors.ts';
import { type RetrainProgress, retrainProgressQuery } from '../../workflows/messages.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import {
  answered,
  controllerHandle,
  controllerStatus,
  currentPolicy,
  noController,
  Refused,
  withTemporal,
} from '../lib/controllers.ts';
import { decisionDetail, decisionHeadline } from '../lib/decision-view.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { oneLine, outcome, relative, shortHash } from '../lib/format.ts';
import { printJson } from '../lib/io.ts';
import { mlflowModelUrl, mlflowRunUrl, temporalWorkflowUrl } from '../lib/links.ts';
import { refusal } from '../lib/operator.ts';
import { configFrom } from '../lib/services.ts';
import { renderTable } from '../lib/table.ts';

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
    const mlflow = new MlflowClient({
      trackingUri: config.mlflow.trackingUri,
      token: config.mlflow.token,
      timeoutMs: 5000,
      attempts: 1,
    });
    return withTemporal(config, async (t) => {
      let description: Awaited<ReturnType<ReturnType<typeof controllerHandle>['describe']>>;
      try {
        description = await controllerHandle(t, name).describe();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw noController(name);
        throw error;
      }
      const controllerUrl = temporalWorkflowUrl(config, description.workflowId, description.runId);
      if (description.status.name !== 'RUNNING') {
        const closed = {
          policy: name,
          workflowId: description.workflowId,
          running: false,
          closedStatus: description.status.name,
          closedAt: description.closeTime?.toISOString() ?? null,
          links: { controller: controllerUrl },
        };
        if (flags.json === true) printJson(io, closed);
        else
          io.stdout.write(
            `${style.red(`policy ${name} is not running`)}: its controller ended ${description.status.name}${closed.closedAt ? ` at ${closed.closedAt}` : ''}\n  ${style.dim(controllerUrl)}\n${style.cyan('fix:')} apply the policy again with \`ctpilot apply <file>\`\n`,
          );
        return EXIT.failed;
      }

      let s: Awaited<ReturnType<typeof controllerStatus>>;
      try {
        s = await controllerStatus(t, name);
      } catch (error) {
        if (error instanceof Refused) return refusal(io, style, flags.json === true, error, { policy: name });
        throw error;
      }
      let progress: RetrainProgress | null = null;
      let progressError: string | null = null;
      let retrainRunId: string | undefined;
      if (s.retrain) {
        try {
          const handle = t.client.workflow.getHandle(s.retrain.workflowId);
          progress = await answered(t, `the progress query of ${s.retrain.workflowId}`, 5000, () =>
            handle.query(retrainProgressQuery),
          );
          retrainRunId = (await handle.describe()).runId;
        } catch (error) {
          if (!(error instanceof UserError) && !(error instanceof WorkflowNotFoundError)) throw error;
          progressError = error.message;
        }
      }

      const policy = await currentPolicy(t, description.workflowId);
      const alias = policy?.spec.model.aliases.champion ?? 'champion';
      let champion: { alias: string; version: string | null } | null = null;
      let mlflowError: string | null = null;
      let runUrl: string | null = null;
      try {
        champion = { alias, version: (await mlflow.getAlias(s.model, alias))?.version ?? null };
        if (progress?.runId) {
          const run = await mlflow.getRun(progress.runId);
          runUrl = mlflowRunUrl(config, run.info.experiment_id, progress.runId);
        }
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
          every: policy?.spec.evaluate.every ?? null,
          labels: policy?.spec.metadata.labels ?? null,
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
        `${shortHash(s.policyHash)}${policy ? ` · every ${policy.spec.evaluate.every}` : ''} · ${s.evaluations} evaluation${s.evaluations === 1 ? '' : 's'}`,
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
