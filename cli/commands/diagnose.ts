// ctpilot diagnose <policy> [--at T] [--report d.html]: the policy's staged
// triage run now (or at a past instant) without acting — is the evaluation
// valid, is the data broken, have the inputs drifted, has the class mix or
// the concept changed, did the KPI move — with the cause, the features that
// explain it and the action ctpilot would take. Nothing is sent, retrained
// or written to the audit history.

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runDiagnosis } from '../../activities/diagnosis.ts';
import { modelOf } from '../../activities/evaluation.ts';
import { collectMeasurements } from '../../activities/metrics/index.ts';
import { evaluate } from '../../policies/evaluate.ts';
import type { LoadedPolicy } from '../../policies/loader.ts';
import { planMeasurements } from '../../policies/requests.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { printJson, type Style } from '../lib/io.ts';
import { formatIssue, issueJson } from '../lib/issues.ts';
import { loadFiles } from '../lib/policy-files.ts';
import { configFrom, parseTime, withClients } from '../lib/services.ts';

function mark(style: Style, verdict: string): string {
  return verdict === 'fail'
    ? style.red('fail')
    : verdict === 'inconclusive'
      ? style.yellow('inconclusive')
      : style.green(verdict);
}

export const diagnose: CommandSpec = {
  name: 'diagnose',
  summary: 'run a policy’s diagnosis now, without acting: the cause of a breach and what ctpilot would do',
  description:
    'Runs the stages of the policy’s diagnosis section in order — evaluation validity (labels: volume, share, lag), data ' +
    'quality per feature, covariate drift ranked by effect size, label shift, concept drift (realized against ' +
    'CBPE-estimated performance, with its interval and the segment that lost the most) and the business KPI — and ' +
    'prints each verdict with its evidence, the primary cause, the features that explain it and the action the ' +
    'policy routes it to. Measures the policy’s metrics at the same instant for the KPI. Nothing is acted on and ' +
    'nothing is written to the audit history. Exits 1 when the diagnosis could not run (a window unreadable or empty).',
  args: [{ name: 'policy', description: 'a policy file with a diagnosis section' }],
  flags: [
    jsonFlag,
    {
      name: 'at',
      valueName: 'time',
      description: 'diagnose at this instant: ISO 8601 or an age such as 1d (default: now)',
    },
    {
      name: 'report',
      short: 'o',
      valueName: 'file.html',
      description: 'write the HTML diagnosis report here',
    },
  ],
  examples: [
    {
      command: 'ctpilot diagnose policies/examples/credit-scoring.yaml',
      description: 'the stage ladder, now',
    },
    {
      command: 'ctpilot diagnose policies/examples/credit-scoring.yaml --at 2d --report diagnosis.html',
      description: 'two days ago, with a report to share',
    },
    {
      command: 'ctpilot diagnose policies/examples/credit-scoring.yaml --json | jq .diagnosis.primaryCause',
      description: 'for scripts',
    },
  ],
  async run({ args, flags, io, style }) {
    const at = (typeof flags.at === 'string' ? parseTime(flags.at) : new Date()).toISOString();
    const [file] = await loadFiles(args.slice(0, 1), io.cwd);
    if (!file) return EXIT.usage;
    if (!file.result.ok) {
      const issues = file.result.issues;
      if (flags.json === true)
        printJson(io, { file: file.display, valid: false, errors: issues.map(issueJson) });
      else
        io.stdout.write(
          `${issues.map((i) => formatIssue(i, file.source, style)).join('\n')}\n${style.red(`${file.display} is not a valid policy; nothing to diagnose`)}\n`,
        );
      return EXIT.failed;
    }
    const policy: LoadedPolicy = file.result.policy;
    if (!policy.spec.diagnosis)
      throw new UserError(
        `${file.display} has no diagnosis section`,
        'add diagnosis: { reference, current, columns: { features, score, label } } (docs/policies.md, "Diagnosis")',
      );
    const config = configFrom(io);
    return withClients(config, async (clients) => {
      const model = modelOf(policy);
      const requests = planMeasurements(policy, at);
      const measurements = await collectMeasurements(
        requests,
        {
          model,
          aliases: policy.spec.model.aliases,
          experiment: policy.spec.training?.experiment,
          alerts: [],
        },
        clients,
      );
      const { decision } = evaluate(policy, null, measurements, at);
      const run = await runDiagnosis(policy, at, decision.metrics, clients, { model, writeSamples: false });
      let report: string | undefined;
      if (typeof flags.report === 'string' && run.ok) {
        const { renderDiagnosisReport } = await import('../../activities/diagnosis-report.ts');
        report = resolve(io.cwd, flags.report);
        await writeFile(
          report,
          renderDiagnosisReport({
            policy: policy.spec.metadata.name,
            model,
            at,
            diagnosis: run.diagnosis,
            brief: run.brief,
            reference: run.windows.reference,
            current: run.windows.current,
          }),
        );
      }
      if (flags.json === true) {
        printJson(io, {
          policy: policy.spec.metadata.name,
          model,
          at,
          ok: run.ok,
          brief: run.brief,
          ...(run.ok ? { diagnosis: run.diagnosis } : { error: run.error }),
          ...(report ? { report } : {}),
        });
        return run.ok ? EXIT.ok : EXIT.failed;
      }
      const b = run.brief;
      const lines = [
        style.bold(`Diagnosis of ${policy.spec.metadata.name} (model ${model}) at ${at}`),
        `cause    ${style.bold(b.cause)}${b.features.length ? ` (${b.features.join(', ')})` : ''}`,
        `action   ${b.action}: ${b.explanation}`,
        '',
      ];
      for (const s of b.stages)
        lines.push(`  ${s.stage.padEnd(11)} ${mark(style, s.verdict).padEnd(12)} ${s.summary}`);
      if (run.ok) {
        const top = run.diagnosis.drift.slice(0, 5);
        if (top.length) {
          lines.push('', style.bold('Drift, by effect size:'));
          for (const d of top)
            lines.push(
              `  ${d.feature.padEnd(16)} ${d.drifted ? style.red('drifted') : 'stable '} effect ${d.effect.toFixed(3)}  ${d.test} ${d.value.toPrecision(3)} (threshold ${d.threshold})`,
            );
        }
        for (const e of run.diagnosis.events) lines.push(`  event ${e.at}: ${e.text}`);
      } else lines.push('', style.red(`the diagnosis could not run: ${run.error}`));
      if (b.samplesUri) lines.push(`hard cases: ${b.samplesUri}`);
      if (report) lines.push(`report: ${report}`);
      io.stdout.write(`${lines.join('\n')}\n`);
      return run.ok ? EXIT.ok : EXIT.failed;
    });
  },
};
