// ctpilot report <policy>: the latest report of a policy's retrains — the
// shadow comparison's HTML page, which ctpilot keeps in the artefact store —
// fetched to a local file an operator can open. Found through the audit
// history, which records where each report was written.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuditRow } from '../../activities/audit/chain.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT, fileError, UserError } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { configFrom, withClients } from '../lib/services.ts';

/** The kinds of report, and the audit step that records where each was written. */
const KINDS = { shadow: 'shadow.verdict' } as const;
type Kind = keyof typeof KINDS;

function attemptOf(row: AuditRow): number | undefined {
  const n = /^retrain:.+:(\d+)$/.exec(row.workflowId)?.[1];
  return n === undefined ? undefined : Number(n);
}

export const report: CommandSpec = {
  name: 'report',
  summary: 'fetch the latest shadow report of a policy’s retrains to a local HTML file (and open it)',
  description:
    'Looks up, in the audit history, the report the policy’s latest retrain wrote (or that of retrain N with ' +
    '--retrain), fetches it from the artefact store (S3) and writes it to a local file — by default ' +
    '$CTPILOT_HOME/reports/<policy>/retrain-<N>-<kind>.html — then prints the path. --open opens it in the ' +
    'desktop’s browser (xdg-open, open). Exits 1 when the policy has no such report yet.',
  args: [{ name: 'policy', description: 'the policy name (metadata.name)' }],
  flags: [
    jsonFlag,
    {
      name: 'retrain',
      short: 'r',
      valueName: 'N',
      description: 'the report of retrain N (default: the latest)',
    },
    {
      name: 'kind',
      valueName: 'kind',
      description: 'which report',
      choices: Object.keys(KINDS),
      default: 'shadow',
    },
    {
      name: 'out',
      short: 'o',
      valueName: 'file',
      description: 'where to write it (default under $CTPILOT_HOME/reports/)',
    },
    { name: 'open', description: 'open it in the browser once written' },
  ],
  examples: [
    { command: 'ctpilot report support-tickets', description: 'the latest shadow report, as a local file' },
    { command: 'ctpilot report fraud-detector --retrain 3 --open', description: 'retrain 3’s, opened' },
    { command: 'ctpilot report fraud-detector -o shadow.html', description: 'to a file of your choice' },
  ],
  async run({ args, flags, io, style }) {
    const policy = args[0]!;
    const kind = String(flags.kind ?? 'shadow') as Kind;
    const wanted = flags.retrain === undefined ? undefined : Number(flags.retrain);
    if (wanted !== undefined && (!Number.isInteger(wanted) || wanted < 1))
      throw new UserError(`--retrain must be a retrain number (1, 2, …), got ${flags.retrain}`);
    const config = configFrom(io);
    return withClients(config, async (clients) => {
      const rows = (await clients.audit.rows({ policy, kind: KINDS[kind] })).filter(
        (r) => typeof (r.details as { reportUri?: unknown } | undefined)?.reportUri === 'string',
      );
      const row = wanted === undefined ? rows.at(-1) : rows.filter((r) => attemptOf(r) === wanted).at(-1);
      if (!row) {
        const known = [...new Set(rows.map(attemptOf).filter((n) => n !== undefined))];
        const message =
          wanted === undefined
            ? `policy ${policy} has no ${kind} report yet`
            : `retrain ${wanted} of ${policy} has no ${kind} report`;
        const fix =
          known.length > 0
            ? `retrains with one: ${known.join(', ')}`
            : `a ${kind} report is written when a retrain's shadow comparison ends; \`ctpilot status ${policy}\` shows where the running one is`;
        if (flags.json === true) printJson(io, { policy, kind, found: false, message, fix });
        else io.stderr.write(`${style.yellow(message)}\n${style.cyan('fix:')} ${fix}\n`);
        return EXIT.failed;
      }
      const uri = (row.details as { reportUri: string }).reportUri;
      const attempt = attemptOf(row);
      let body: Uint8Array;
      try {
        body = await clients.store.get(uri);
      } catch (error) {
        throw new UserError(
          `cannot fetch ${uri}: ${(error as Error).message}`,
          'check that the artefact store (S3_ENDPOINT, S3_BUCKET) is the one the worker writes to',
        );
      }
      const out =
        typeof flags.out === 'string'
          ? resolve(io.cwd, flags.out)
          : join(config.home, 'reports', policy, `retrain-${attempt ?? 'unknown'}-${kind}.html`);
      try {
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, body);
      } catch (error) {
        throw fileError(out, error, 'write');
      }
      const url = pathToFileURL(out).href;
      let opened: string | undefined;
      if (flags.open === true) {
        const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
        opened = await new Promise<string | undefined>((done) => {
          const child = spawn(opener, [out], { stdio: 'ignore', detached: true });
          child.once('error', () => done(undefined));
          child.once('spawn', () => {
            child.unref();
            done(opener);
          });
        });
      }
      if (flags.json === true)
        printJson(io, {
          policy,
          kind,
          retrain: row.workflowId,
          attempt,
          from: uri,
          path: out,
          url,
          opened: opened ?? null,
        });
      else {
        io.stdout.write(
          `${style.green('✓')} ${kind} report of ${row.workflowId} (${row.outcome}, ${row.recordedAt})\n  ${out}\n  ${style.dim(`${url}  (from ${uri})`)}\n`,
        );
        if (flags.open === true && !opened)
          io.stderr.write(
            `${style.yellow('could not open it:')} no xdg-open here; open the file above in a browser\n`,
          );
      }
      return EXIT.ok;
    });
  },
};
