// ctpilot history <policy>: the policy's decisions over time, from the audit history.
import type { AuditRow } from '../../activities/audit/chain.ts';
import { latestDecisions, policyKnown } from '../../activities/evidence/audit-reader.ts';
import type { Action, Decision } from '../../policies/decision.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { oneLine, outcome, shortHash } from '../lib/format.ts';
import { printJson, type Style } from '../lib/io.ts';
import { configFrom, parseTime, withClients } from '../lib/services.ts';
import { renderTable } from '../lib/table.ts';

/** One decision as `history` shows it: the audit row's columns and the decision it recorded. */
export interface HistoryEntry {
  readonly at: string;
  readonly evaluation: number | null;
  readonly outcome: string;
  readonly reason: string | null;
  readonly summary: string;
  readonly policyVersion: string | null;
  readonly actions: ReadonlyArray<Pick<Action, 'kind' | 'status' | 'origin'> & { heldBy: string[] }>;
  readonly breached: string[];
  /** What the diagnosis blamed, when one ran: `dataQuality(income)`. */
  readonly cause: string | null;
  readonly workflowId: string;
  readonly seq: number;
}

export function historyEntry(row: AuditRow): HistoryEntry {
  const details = (row.details ?? {}) as Partial<Decision>;
  const inputs = (row.inputs ?? {}) as { reason?: string };
  const evaluation = /^evaluation:(\d+):/.exec(row.step)?.[1];
  return {
    at: row.recordedAt,
    evaluation: evaluation ? Number(evaluation) : null,
    outcome: row.outcome,
    reason: inputs.reason ?? null,
    summary: typeof details.summary === 'string' ? details.summary : '',
    policyVersion: row.policyVersion ?? null,
    actions: (details.actions ?? []).map((a) => ({
      kind: a.kind,
      status: a.status,
      origin: a.origin,
      heldBy: a.heldBy.map((h) => h.guard),
    })),
    breached: (details.metrics ?? []).filter((m) => m.phase === 'breach').map((m) => m.metric),
    cause: details.diagnosis
      ? `${details.diagnosis.cause}${details.diagnosis.features.length ? `(${details.diagnosis.features.slice(0, 2).join(',')})` : ''}`
      : null,
    workflowId: row.workflowId,
    seq: row.seq,
  };
}

function actionsText(style: Style, e: HistoryEntry): string {
  if (e.actions.length === 0) return style.dim('—');
  return e.actions
    .map(
      (a) =>
        `${a.kind}${a.status === 'act' ? '' : `:${a.status}${a.heldBy.length ? `(${a.heldBy.join(',')})` : ''}`} ${style.dim(a.origin)}`,
    )
    .join('; ');
}

export const history: CommandSpec = {
  name: 'history',
  summary: 'show a policy’s decisions over time, from the audit history',
  description:
    'Lists the policy’s evaluations from the audit history (PostgreSQL; no worker needed): when, why it ran ' +
    '(schedule, an operator, an alert), the outcome, the metrics in breach, the actions taken or held back and by ' +
    'which guard, and a policy version column where it changed. The latest --limit decisions are shown, oldest first. ' +
    '`ctpilot audit log --policy P` shows every row, including retrain steps. Exits 2 when no audit row names the policy.',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [
    jsonFlag,
    { name: 'since', valueName: 'time', description: 'from this time: ISO 8601, or an age such as 24h, 7d' },
    { name: 'until', valueName: 'time', description: 'before this time' },
    {
      name: 'outcome',
      valueName: 'outcomes',
      description:
        'only these outcomes, comma-separated (ok, inconclusive, alert, retrain, rollback, held, dryRun)',
    },
    { name: 'limit', valueName: 'n', description: 'the latest n decisions', default: '50' },
  ],
  examples: [
    { command: 'ctpilot history fraud-detector', description: 'the last 50 decisions' },
    {
      command: 'ctpilot history fraud-detector --since 7d --outcome retrain,held',
      description: 'a week of actions',
    },
    {
      command: 'ctpilot history fraud-detector --json | jq ".decisions[].outcome"',
      description: 'for scripts',
    },
  ],
  async run({ args, flags, io, style }) {
    const policy = args[0]!;
    const limit = Number(flags.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UserError(`--limit must be a positive integer, got ${flags.limit}`, 'e.g. --limit 200');
    const outcomes =
      typeof flags.outcome === 'string'
        ? flags.outcome
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean)
        : undefined;
    const config = configFrom(io);
    return withClients(config, async (clients) => {
      const rows = await latestDecisions(clients.pool, {
        policy,
        since: typeof flags.since === 'string' ? parseTime(flags.since) : undefined,
        until: typeof flags.until === 'string' ? parseTime(flags.until) : undefined,
        outcomes,
        limit,
      });
      if (rows.length === 0 && !(await policyKnown(clients.pool, policy)))
        throw new UserError(
          `the audit history has no decision of policy ${policy}`,
          'check the name with `ctpilot list`; a new policy has decisions after its first evaluation',
        );
      const entries = rows.map(historyEntry);
      if (flags.json === true) {
        printJson(io, { policy, decisions: entries });
        return EXIT.ok;
      }
      if (entries.length === 0) {
        io.stdout.write(`${style.dim('no decisions match')}\n`);
        return EXIT.ok;
      }
      let version: string | null = null;
      // A CAUSE column once any decision shown was diagnosed.
      const diagnosed = entries.some((e) => e.cause !== null);
      const table = entries.map((e) => {
        const changed = e.policyVersion !== version;
        version = e.policyVersion;
        return [
          e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          e.evaluation === null ? '?' : `#${e.evaluation}`,
          e.reason ?? '?',
          outcome(style, e.outcome),
          e.breached.length > 0 ? style.red(e.breached.join(',')) : style.dim('—'),
          ...(diagnosed ? [e.cause ?? style.dim('—')] : []),
          actionsText(style, e),
          changed ? shortHash(e.policyVersion) : style.dim('"'),
          oneLine(e.summary, 80),
        ];
      });
      io.stdout.write(
        renderTable(
          style,
          [
            'AT',
            'EVAL',
            'WHY',
            'OUTCOME',
            'BREACHED',
            ...(diagnosed ? ['CAUSE'] : []),
            'ACTIONS',
            'VERSION',
            'SUMMARY',
          ],
          table,
        ),
      );
      if (entries.length === limit)
        io.stdout.write(`${style.dim(`latest ${limit} decisions; --limit shows more`)}\n`);
      return EXIT.ok;
    });
  },
};
