// ctpilot audit log|verify|export: the audit history, read straight from PostgreSQL.

import { resolve } from 'node:path';
import type { AuditRow } from '../../activities/audit/chain.ts';
import { type AuditVerification, verifyAudit } from '../lib/audit-verify.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { exportEvidence } from '../lib/evidence-export.ts';
import { printJson, type Style } from '../lib/io.ts';
import { verifyPack } from '../lib/pack-verify.ts';
import { configFrom, connectTemporal, parseTime, withClients } from '../lib/services.ts';
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

function verificationText(result: AuditVerification, unread: readonly string[], style: Style): string {
  const lines: string[] = [];
  for (const m of result.models) {
    const r = m.report;
    const sig = r.signatures;
    const signing =
      sig.signed === 0
        ? 'unsigned'
        : `${sig.signed} signed${sig.unsignedBefore ? `, ${sig.unsignedBefore} from before signing` : ''}, key ${sig.keyIds.join(', ')}`;
    const anchors = `anchors: ${m.anchors.temporal} Temporal, ${m.anchors.checkpoints} checkpoint(s)`;
    if (r.ok)
      lines.push(
        `${style.green('✓')} ${m.model}  ${r.rows} rows (${signing}), head ${r.head.modelSeq} ${r.head.hash.slice(0, 16)}…; ${anchors}`,
      );
    else
      lines.push(
        `${style.red('✗')} ${m.model}  ${r.rows} rows (${signing}); ${anchors}\n${r.problems.map((p) => `    ${style.red(p.kind)}: ${p.message}`).join('\n')}`,
      );
  }
  if (result.models.length === 0)
    lines.push(style.dim('the audit history is empty, and no anchor expects a chain'));
  const a = result.anchors;
  lines.push(
    style.dim(
      `checked against: ${
        [
          a.keys.checked ? `signatures (key ${a.keys.keyIds.join(', ')})` : null,
          a.temporal.checked
            ? `Temporal histories (${a.temporal.runs} runs, ${a.temporal.appends} appends${a.temporal.retentionDays !== null ? `; retention ${a.temporal.retentionDays} d` : ''})`
            : null,
          a.checkpoints.checked
            ? `checkpoints in s3://${a.checkpoints.bucket} (${a.checkpoints.count}; ${a.checkpoints.protection.detail})`
            : null,
        ]
          .filter(Boolean)
          .join('; ') || 'the table alone'
      }`,
    ),
  );
  if (!a.keys.checked) lines.push(style.yellow(`not checked: signatures — ${a.keys.why}`));
  for (const u of unread) lines.push(style.red(`not checked: ${u}`));
  for (const w of result.warnings) lines.push(style.yellow(`warning: ${w}`));
  const broken = result.models.filter((m) => !m.report.ok).length;
  lines.push(
    broken === 0 && unread.length === 0
      ? style.green(`${result.models.length} chain(s) verified`)
      : broken > 0
        ? style.red(`${broken} of ${result.models.length} chain(s) broken`)
        : style.red('not verified: an anchor could not be read'),
  );
  return `${lines.join('\n')}\n`;
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
      name: 'pack',
      valueName: 'dir',
      description: 'verify: check an exported evidence pack offline (no services needed)',
    },
    {
      name: 'publicKey',
      valueName: 'file',
      description: 'verify --pack: the published public key (PEM) to check signatures with',
    },
    {
      name: 'noTemporal',
      description:
        'verify: do not compare with the heads in the Temporal histories (when Temporal is not reachable)',
    },
    {
      name: 'noCheckpoints',
      description: 'verify: do not compare with the signed checkpoints in the artefact store',
    },
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
    if (action === 'verify' && typeof flags.pack === 'string') {
      // Offline: the pack's files and a public key, nothing else.
      const check = await verifyPack(
        resolve(io.cwd, flags.pack),
        typeof flags.publicKey === 'string' ? resolve(io.cwd, flags.publicKey) : undefined,
      );
      if (flags.json === true) printJson(io, check);
      else
        io.stdout.write(
          `${check.ok ? style.green(`✓ evidence pack ${flags.pack} verifies`) : style.red(`✗ evidence pack ${flags.pack} does not verify`)}\n${check.problems.map((p) => `    ${style.red(p)}`).join('\n')}${check.problems.length ? '\n' : ''}${style.dim(`  checked: ${check.checked.join('; ')}\n  key: ${check.keyIds.join(', ') || 'none'} from ${check.keySource}`)}\n`,
        );
      return check.ok ? EXIT.ok : EXIT.failed;
    }
    const config = configFrom(io);
    const model = typeof flags.model === 'string' ? flags.model : undefined;
    return withClients(config, async (clients) => {
      if (action === 'verify') {
        let temporal: Awaited<ReturnType<typeof connectTemporal>> | undefined;
        let temporalWhyNot: string | undefined;
        if (flags.temporal === false) temporalWhyNot = '--no-temporal';
        else {
          try {
            temporal = await connectTemporal(config);
          } catch (error) {
            temporalWhyNot = (error as Error).message;
          }
        }
        let result: AuditVerification;
        try {
          result = await verifyAudit({
            config,
            clients,
            ...(temporal ? { temporal: temporal.client } : {}),
            ...(temporalWhyNot ? { temporalWhyNot } : {}),
            ...(model ? { model } : {}),
            checkpoints: flags.checkpoints !== false,
          });
        } finally {
          await temporal?.close();
        }
        // An anchor that could not be read (and was not turned off) is not a pass.
        const unread = [
          ...(!result.anchors.temporal.checked && flags.temporal !== false
            ? [`Temporal: ${result.anchors.temporal.why}`]
            : []),
          ...(!result.anchors.checkpoints.checked && flags.checkpoints !== false
            ? [`checkpoints: ${result.anchors.checkpoints.why}`]
            : []),
        ];
        const ok = result.ok && unread.length === 0;
        if (flags.json === true)
          printJson(io, {
            ...result,
            ok,
            unread,
            // One object per model: its chain report, why it must exist, how many anchors it was checked with.
            models: result.models.map((m) => ({ ...m.report, expectedBy: m.expectedBy, anchors: m.anchors })),
          });
        else io.stdout.write(verificationText(result, unread, style));
        return ok ? EXIT.ok : EXIT.failed;
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
