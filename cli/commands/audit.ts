// ctpilot audit log|verify: the audit history, read straight from PostgreSQL.
import type { AuditRow } from '../../activities/audit/chain.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { configFrom, parseTime, withClients } from '../lib/services.ts';

const ACTIONS = ['log', 'verify'] as const;

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
  summary: 'read (log) or check (verify) the append-only audit history',
  description:
    '`audit log` lists decisions and workflow steps, oldest first, with the policy version and the workflow behind ' +
    'each. `audit verify` recomputes every model’s hash chain and names any row that was altered, removed or ' +
    'reordered; it exits 1 when one was.',
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
  ],
  examples: [
    { command: 'ctpilot audit log --model fraud-detector --since 7d', description: 'a week of one model' },
    { command: 'ctpilot audit verify', description: 'check every model’s chain' },
    { command: 'ctpilot audit log --json --since 24h | jq ".rows[].outcome"', description: 'for scripts' },
  ],
  async run({ args, flags, io, style }) {
    const action = args[0];
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
      throw new UserError(
        `unknown audit action ${JSON.stringify(action)}`,
        `use one of: ${ACTIONS.join(', ')}`,
      );
    }
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
      const lines = rows.map(
        (r) =>
          `${r.recordedAt}  ${r.model.padEnd(22)} ${r.kind.padEnd(22)} ${r.outcome.padEnd(13)} ${style.dim(r.workflowId)}  ${describeRow(r)}`,
      );
      if (rows.length === 0) lines.push(style.dim('no rows match'));
      else if (rows.length === limit) lines.push(style.dim(`first ${limit} rows; --limit shows more`));
      io.stdout.write(`${lines.join('\n')}\n`);
      return EXIT.ok;
    });
  },
};
