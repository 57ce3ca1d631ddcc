// ctpilot audit log|verify|export: the audit history, read straight from PostgreSQL.
import type { AuditRow } from '../../activities/audit/chain.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { exportEvidence } from '../lib/evidence-export.ts';
import { printJson } from '../lib/io.ts';
import { configFrom, parseTime, withClients } from '../lib/services.ts';
import { renderTable } from '../lib/table.ts';

const ACTIONS = ['log', 'verify', 'export'] as const;

function describeRow(row: AuditRow): string {
  const details = (row.details ?? {}) as Record<string, unknown>;
  const text =
    typeof details.summary === 'string'
      ? details.summary
      : typeof details.detail === 'string'
        ? details.detail
        : '';
  return text.split('\n')[0]!.slice(0, 160);
}

export const audit: CommandSpec = {
  name: 'audit',
  summary: 'read (log), check (verify) or export an evidence pack of the append-only audit history',
  description:
    '`audit log` lists decisions and workflow steps, oldest first, with the policy version and the workflow behind ' +
    'each. `audit verify` recomputes every model’s hash chain and names any row that was altered, removed or ' +
    'reordered; it exits 1 when one was. `audit export --model M --from T --to T` writes an evidence pack for an ' +
    'auditor — evidence.json, a self-contained index.html, the period’s audit rows as stored, a manifest of SHA-256 ' +
    'sums, and with --pdf a PDF — to a new directory or an s3:// prefix: the policy versions in force, monitoring ' +
    'coverage with every gap longer than twice the cadence, each breach and the action taken, each retrain (MLflow ' +
    'run, gates, shadow verdict, approval, promotion, rollback) and the chain verification; it exits 1 when the ' +
    'chain does not verify (the pack is written and says so).',
  args: [{ name: 'action', description: `what to do: ${ACTIONS.join(' or ')}` }],
  flags: [
    jsonFlag,
    { name: 'model', short: 'm', valueName: 'name', description: 'only this model' },
    { name: 'policy', short: 'p', valueName: 'name', description: 'only this policy (log)' },
    {
      name: 'since',
      valueName: 'time',
      description: 'from this time: ISO 8601, or an age such as 24h, 7d (log)',
    },
    { name: 'until', valueName: 'time', description: 'before this time (log)' },
    { name: 'limit', valueName: 'n', description: 'at most this many rows (log)', default: '200' },
    { name: 'from', valueName: 'time', description: 'start of the pack’s period (export; default 30d ago)' },
    { name: 'to', valueName: 'time', description: 'end of the pack’s period (export; default now)' },
    {
      name: 'out',
      short: 'o',
      valueName: 'dir|s3://bucket/prefix',
      description: 'where to write the pack (export; default ./evidence-<model>-<time>)',
    },
    {
      name: 'policies',
      valueName: 'paths',
      description: 'policy files or directories, comma-separated, for the cadence of past versions (export)',
    },
    { name: 'pdf', description: 'also print the summary to PDF with headless Chromium (export)' },
    {
      name: 'by',
      valueName: 'name',
      description: 'who exports, recorded in the pack (export; default $USER)',
    },
  ],
  examples: [
    { command: 'ctpilot audit log --model fraud-detector --since 7d', description: 'a week of one model' },
    { command: 'ctpilot audit verify', description: 'check every model’s chain' },
    { command: 'ctpilot audit log --json --since 24h | jq ".rows[].outcome"', description: 'for scripts' },
    {
      command: 'ctpilot audit export --model fraud-detector --from 2026-07-01 --to 2026-10-01 --out q3-fraud',
      description: 'an evidence pack for one quarter',
    },
    {
      command: 'ctpilot audit export -m fraud-detector --from 90d --out s3://audit/fraud/2026q3 --pdf',
      description: 'to S3, with a PDF',
    },
  ],
  async run({ args, flags, io, style }) {
    const action = args[0];
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
      throw new UserError(
        `unknown audit action ${JSON.stringify(action)}`,
        `use one of: ${ACTIONS.join(', ')}`,
      );
    }
    if (action === 'export') return exportEvidence({ args, flags, io, style });
    const config = configFrom(io);
    const model = typeof flags.model === 'string' ? flags.model : undefined;
    return withClients(config, async (clients) => {
      if (action === 'verify') {
        const reports = await clients.audit.verify(model);
        const broken = reports.filter((r) => !r.ok);
        if (flags.json === true) printJson(io, { ok: broken.length === 0, models: reports });
        else {
          const lines = reports.map((r) =>
            r.ok
              ? `${style.green('✓')} ${r.model}  ${r.rows} rows, head ${r.head.hash.slice(0, 16)}…`
              : `${style.red('✗')} ${r.model}\n${r.problems.map((p) => `    ${style.red(p.kind)}: ${p.message}`).join('\n')}`,
          );
          if (reports.length === 0)
            lines.push(style.dim(model ? `no audit rows for model ${model}` : 'the audit history is empty'));
          else
            lines.push(
              broken.length === 0
                ? style.green(`${reports.length} chain(s) verified`)
                : style.red(`${broken.length} of ${reports.length} chain(s) broken`),
            );
          io.stdout.write(`${lines.join('\n')}\n`);
        }
        return broken.length === 0 ? EXIT.ok : EXIT.failed;
      }
      const limit = Number(flags.limit ?? 200);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UserError(`--limit must be a positive integer, got ${flags.limit}`);
      const rows = await clients.audit.rows({
        model,
        policy: typeof flags.policy === 'string' ? flags.policy : undefined,
        since: typeof flags.since === 'string' ? parseTime(flags.since) : undefined,
        until: typeof flags.until === 'string' ? parseTime(flags.until) : undefined,
        limit,
      });
      if (flags.json === true) {
        printJson(io, { rows: rows.map(({ content: _content, ...row }) => row) });
        return EXIT.ok;
      }
      if (rows.length === 0) {
        io.stdout.write(`${style.dim('no rows match')}\n`);
        return EXIT.ok;
      }
      io.stdout.write(
        renderTable(
          style,
          ['RECORDED', 'MODEL', 'KIND', 'OUTCOME', 'WORKFLOW', 'SUMMARY'],
          rows.map((r) => [
            r.recordedAt,
            r.model,
            r.kind,
            r.outcome,
            style.dim(r.workflowId),
            describeRow(r),
          ]),
        ),
      );
      if (rows.length === limit) io.stdout.write(`${style.dim(`first ${limit} rows; --limit shows more`)}\n`);
      return EXIT.ok;
    });
  },
};
