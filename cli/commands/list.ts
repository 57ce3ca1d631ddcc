// ctpilot list: every running policy with its state, last decision, champion
// and next evaluation; filtered by labels and by the search attributes the
// Temporal UI filters by.
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT } from '../lib/errors.ts';
import { oneLine, outcome, relative, shortHash } from '../lib/format.ts';
import { printJson, type Style } from '../lib/io.ts';
import { parseSelector } from '../lib/label-selector.ts';
import { temporalQueryUrl } from '../lib/links.ts';
import { listPolicies, type PolicyRow, visibilityQuery } from '../lib/policy-list.ts';
import { registryReader } from '../lib/registry-reader.ts';
import { configFrom } from '../lib/services.ts';
import { renderTable } from '../lib/table.ts';
import { withReader } from '../lib/temporal-reader.ts';

function stateText(style: Style, p: PolicyRow): string {
  if (p.retrain) return style.cyan(`retraining (${p.retrain.phase ?? '?'})`);
  if (p.phase === 'paused') return style.yellow('paused');
  return p.phase ?? '?';
}

function championText(p: PolicyRow): string {
  if (!p.champion) return '?';
  return p.champion.version ? `v${p.champion.version}` : '—';
}

export const list: CommandSpec = {
  name: 'list',
  summary: 'list running policies: state, last decision, champion version, next evaluation',
  description:
    'One line per running policy controller: whether it is waiting, evaluating, retraining (with the retrain’s phase) or ' +
    'paused; its last decision and when; the version the registry’s champion alias points at; and when it evaluates ' +
    'next. -l selects by the policies’ metadata labels (fleet instances carry ctpilot.io/template=<template>); --model, ' +
    '--phase and --decision filter by the search attributes the Temporal UI filters by, and the link printed at the end ' +
    'opens the same selection there. When no worker answers the status query, the state comes from the search ' +
    'attributes and the columns only a worker knows show "?".',
  args: [],
  flags: [
    jsonFlag,
    {
      name: 'selector',
      short: 'l',
      valueName: 'labels',
      description: 'label selector: key=value, key!=value, key, !key; comma-separated, all must hold',
    },
    { name: 'model', short: 'm', valueName: 'name', description: 'only policies of this model (CtModel)' },
    {
      name: 'phase',
      valueName: 'phase',
      description: 'only controllers in this phase (CtPhase: waiting, evaluating, paused, retraining)',
    },
    {
      name: 'decision',
      valueName: 'outcome',
      description:
        'only policies whose last decision had this outcome (CtLastDecision: ok, alert, retrain, …)',
    },
    { name: 'wide', short: 'w', description: 'also show labels, cadence, policy version and the summary' },
  ],
  examples: [
    { command: 'ctpilot list', description: 'every running policy' },
    { command: 'ctpilot list -l tier=critical', description: 'only policies labelled tier: critical' },
    {
      command: 'ctpilot list -l ctpilot.io/template=ranking-fleet --wide',
      description: 'the instances of one fleet template, with labels and cadence',
    },
    {
      command: 'ctpilot list --decision retrain --json | jq -r ".policies[].policy"',
      description: 'for scripts',
    },
  ],
  async run({ flags, io, style }) {
    const config = configFrom(io);
    const selector = typeof flags.selector === 'string' ? parseSelector(flags.selector) : undefined;
    const query = visibilityQuery({
      model: typeof flags.model === 'string' ? flags.model : undefined,
      phase: typeof flags.phase === 'string' ? flags.phase : undefined,
      decision: typeof flags.decision === 'string' ? flags.decision : undefined,
    });
    const registry = registryReader(config.mlflow);
    const result = await withReader(config, (reader) =>
      listPolicies(reader, registry, config, { query, selector }),
    );
    const url = temporalQueryUrl(config, query);
    if (flags.json === true) {
      printJson(io, { policies: result.policies, warnings: result.warnings, query, url });
      return EXIT.ok;
    }
    for (const w of result.warnings) io.stderr.write(`${style.yellow('warning:')} ${w}\n`);
    if (result.policies.length === 0) {
      io.stdout.write(
        `${style.dim(
          result.controllers === 0
            ? 'no policies are running; start some with `ctpilot apply <dir>`'
            : `none of the ${result.controllers} running policies match`,
        )}\n`,
      );
      return EXIT.ok;
    }
    const now = Date.now();
    const wide = flags.wide === true;
    const head = ['POLICY', 'MODEL', 'STATE', 'LAST DECISION', 'CHAMPION', 'NEXT EVALUATION'];
    if (wide) head.push('EVERY', 'VERSION', 'LABELS', 'SUMMARY');
    const rows = result.policies.map((p) => {
      const row = [
        p.policy,
        p.model,
        stateText(style, p),
        p.lastDecision
          ? `${outcome(style, p.lastDecision.outcome)} ${style.dim(relative(p.lastDecision.at, now))}`
          : style.dim('—'),
        championText(p),
        p.phase === 'paused'
          ? style.dim('paused')
          : p.nextEvaluationAt
            ? relative(p.nextEvaluationAt, now)
            : '?',
      ];
      if (wide)
        row.push(
          p.every ?? '?',
          shortHash(p.policyHash),
          Object.entries(p.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(',') || '—',
          oneLine(p.lastDecision?.summary, 60),
        );
      return row;
    });
    io.stdout.write(renderTable(style, head, rows));
    io.stdout.write(
      `${style.dim(`${result.policies.length} of ${result.controllers} running ${result.controllers === 1 ? 'policy' : 'policies'} · ${url}`)}\n`,
    );
    return EXIT.ok;
  },
};
