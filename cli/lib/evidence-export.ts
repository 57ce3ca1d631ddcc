// `ctpilot audit export`: gathers what an evidence pack rests on — the
// model's whole audit chain and its verification, the cadences of the
// policy versions (running controllers, policy files), links into the
// Temporal and MLflow UIs — builds the pack (activities/evidence/pack.ts,
// pure) and writes it to a directory or an S3 prefix.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyChain } from '../../activities/audit/chain.ts';
import { readCheckpoints } from '../../activities/audit/checkpoints.ts';
import type { Cadence } from '../../activities/evidence/coverage.ts';
import {
  findBrowser,
  PackDestinationError,
  type PackFile,
  packFiles,
  printPdf,
  writeToDirectory,
  writeToS3,
} from '../../activities/evidence/files.ts';
import { renderHtml } from '../../activities/evidence/html.ts';
import { buildPack, type PackAnchors } from '../../activities/evidence/pack.ts';
import { MlflowError } from '../../activities/mlflow/errors.ts';
import { parseDuration } from '../../policies/duration.ts';
import type { Clients } from '../../workers/clients.ts';
import type { Config } from '../../workers/config.ts';
import { loadPolicySet } from '../../workers/policy-sync.ts';
import { CtModel } from '../../workflows/search-attributes.ts';
import { type AuditVerification, verifyAudit } from './audit-verify.ts';
import type { CommandContext } from './command.ts';
import { currentPolicy, withTemporal } from './controllers.ts';
import { EXIT, UserError } from './errors.ts';
import { printJson } from './io.ts';
import { mlflowModelUrl, mlflowRunUrl, temporalWorkflowUrl } from './links.ts';
import { mapLimit } from './map-limit.ts';
import { operator } from './operator.ts';
import { expandArgs } from './policy-files.ts';
import { configFrom, connectTemporal, parseTime, withClients } from './services.ts';

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function cadenceOf(every: string, source: Cadence['source']): Cadence | undefined {
  const ms = parseDuration(every);
  return ms ? { every, ms, source } : undefined;
}

/** Cadences of the versions the model's running controllers run now (Temporal is optional here). */
async function controllerCadences(
  config: Config,
  model: string,
  notes: string[],
): Promise<Record<string, Cadence>> {
  const out: Record<string, Cadence> = {};
  try {
    await withTemporal(config, async (t) => {
      const ids: string[] = [];
      for await (const e of t.client.workflow.list({
        query: `WorkflowType = 'policyControllerWorkflow' AND ExecutionStatus = 'Running' AND ${CtModel.name} = '${model.replace(/'/g, "\\'")}'`,
      }))
        ids.push(e.workflowId);
      for (const id of ids) {
        const policy = await currentPolicy(t, id);
        const cadence = policy ? cadenceOf(policy.spec.evaluate.every, 'controller') : undefined;
        if (policy && cadence) out[policy.hash] = cadence;
      }
    });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    notes.push(`Temporal was not asked for the running controllers' cadences: ${error.message}`);
  }
  return out;
}

/** Cadences of the versions in policy files given with --policies (any version ever applied, if its file is kept). */
async function fileCadences(
  paths: readonly string[],
  cwd: string,
  clients: Clients,
): Promise<Record<string, Cadence>> {
  const out: Record<string, Cadence> = {};
  // One file at a time: old and new versions of one policy share its name, which one set refuses.
  for (const path of await expandArgs(paths, cwd)) {
    const set = await loadPolicySet([path], clients.mlflow);
    if (!set.ok)
      throw new UserError(
        `--policies: ${set.failures.length} file(s) in ${path} are not valid policies (first: ${set.failures[0]!.file})`,
        'run `ctpilot validate` on them, or leave them out',
      );
    for (const p of set.policies) {
      const c = cadenceOf(p.spec.evaluate.every, 'policy-file');
      if (c) out[p.hash] = c;
    }
  }
  return out;
}

export async function exportEvidence({ flags, io, style }: CommandContext): Promise<number> {
  const model = typeof flags.model === 'string' ? flags.model : undefined;
  if (!model)
    throw new UserError(
      'audit export needs --model',
      'name the registered model, e.g. --model fraud-detector',
    );
  const now = new Date();
  const fromText =
    typeof flags.from === 'string' ? flags.from : typeof flags.since === 'string' ? flags.since : '30d';
  const toText =
    typeof flags.to === 'string' ? flags.to : typeof flags.until === 'string' ? flags.until : undefined;
  const from = parseTime(fromText, now);
  const to = toText ? parseTime(toText, now) : now;
  if (!(from < to))
    throw new UserError(
      `the period is empty: --from ${from.toISOString()} is not before --to ${to.toISOString()}`,
    );
  const by = operator(flags, io);
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const out =
    typeof flags.out === 'string'
      ? flags.out
      : `evidence-${model.replace(/[^A-Za-z0-9._-]+/g, '-')}-${stamp}`;
  const toS3 = out.startsWith('s3://');
  const wantPdf = flags.pdf === true;
  const browser = wantPdf ? await findBrowser(io.env) : undefined;
  if (wantPdf && !browser)
    throw new UserError(
      '--pdf needs headless Chromium or Chrome, and none was found',
      'install it (Debian: `apt-get install chromium`) or set CTPILOT_CHROMIUM to its path; the HTML summary prints to PDF from any browser too',
    );
  const config = configFrom(io);
  const notes: string[] = [];

  return withClients(config, async (clients) => {
    const rows = await clients.audit.rows({ model });
    // The same verification as `audit verify`: signatures, and the anchors outside PostgreSQL.
    let temporal: Awaited<ReturnType<typeof connectTemporal>> | undefined;
    let temporalWhyNot: string | undefined;
    try {
      temporal = await connectTemporal(config);
    } catch (error) {
      temporalWhyNot = (error as Error).message;
    }
    let verified: AuditVerification;
    try {
      verified = await verifyAudit({
        config,
        clients,
        model,
        checkpoints: true,
        ...(temporal ? { temporal: temporal.client } : {}),
        ...(temporalWhyNot ? { temporalWhyNot } : {}),
      });
    } finally {
      await temporal?.close();
    }
    const mine = verified.models.find((m) => m.model === model);
    // No rows and nothing outside that expects any: a wrong name. No rows but anchors that do: a deleted
    // chain, which the pack must state (verifyAudit threw for an unknown name already).
    if (rows.length === 0 && !mine)
      throw new UserError(
        `the audit history has no rows of model ${model}`,
        'check the name with `ctpilot audit log` or `ctpilot list`; the model is the MLflow registered model',
      );
    const chain = mine?.report ?? verifyChain(model, rows);
    const a = verified.anchors;
    const anchors: PackAnchors = {
      used: [
        ...(a.keys.checked ? [`signatures by key ${a.keys.keyIds.join(', ')}`] : []),
        ...(a.temporal.checked
          ? [`the Temporal histories (${mine?.anchors.temporal ?? 0} appends recorded)`]
          : []),
        ...(a.checkpoints.checked
          ? [
              `${mine?.anchors.checkpoints ?? 0} signed checkpoint(s) in s3://${a.checkpoints.bucket} (${a.checkpoints.protection.detail})`,
            ]
          : []),
      ],
      notChecked: [
        ...(a.keys.checked ? [] : [`signatures — ${a.keys.why}`]),
        ...(a.temporal.checked ? [] : [`the Temporal histories — ${a.temporal.why}`]),
        ...(a.checkpoints.checked ? [] : [`checkpoints — ${a.checkpoints.why}`]),
        ...verified.warnings,
      ],
      publicKeys: Object.fromEntries(clients.auditKeys.verifier?.keys ?? []),
      temporalAppends: mine?.anchors.temporal ?? 0,
      checkpoints: mine?.anchors.checkpoints ?? 0,
    };
    const checkpoints = (
      await readCheckpoints(clients.store, config.audit.bucket, model).catch(() => undefined)
    )?.checkpoints.map((c) => c.checkpoint);

    const cadences = await controllerCadences(config, model, notes);
    if (typeof flags.policies === 'string') {
      const paths = flags.policies.split(',').map((p) => p.trim());
      Object.assign(cadences, await fileCadences(paths, io.cwd, clients));
    }

    // Links to MLflow runs need each run's experiment; MLflow is optional here.
    const experiments = new Map<string, string>();
    const runIds = [...new Set(rows.map((r) => r.mlflowRunId).filter((r): r is string => !!r))];
    let mlflowDown: string | undefined;
    await mapLimit(runIds, 8, async (runId) => {
      if (mlflowDown) return;
      try {
        experiments.set(runId, (await clients.mlflow.getRun(runId)).info.experiment_id);
      } catch (error) {
        if (!(error instanceof MlflowError)) throw error;
        if (error.name === 'MlflowUnavailableError') mlflowDown = error.message;
      }
    });
    if (mlflowDown) notes.push(`MLflow was not reachable, so runs are not linked: ${mlflowDown}`);

    const pack = buildPack({
      model,
      from: from.toISOString(),
      to: to.toISOString(),
      generatedAt: now.toISOString(),
      generatedBy: by,
      rows,
      chain,
      anchors,
      cadences,
      sources: {
        'audit history': redact(config.postgres.url),
        Temporal: `${config.temporal.address} (namespace ${config.temporal.namespace})`,
        MLflow: config.mlflow.trackingUri,
      },
      links: {
        workflow: (id, run) => temporalWorkflowUrl(config, id, run),
        run: (runId) =>
          experiments.has(runId) ? mlflowRunUrl(config, experiments.get(runId)!, runId) : null,
        model: (version) => mlflowModelUrl(config, model, version),
      },
    });
    const withNotes = { ...pack, notes: [...notes, ...pack.notes] };
    const html = renderHtml(withNotes);

    const extra: PackFile[] = [];
    if (browser) {
      const scratch = await mkdtemp(join(tmpdir(), 'ctpilot-pack-'));
      try {
        await writeFile(join(scratch, 'index.html'), html);
        await printPdf(browser, join(scratch, 'index.html'), join(scratch, 'evidence.pdf'));
        extra.push({
          name: 'evidence.pdf',
          contentType: 'application/pdf',
          bytes: new Uint8Array(await readFile(join(scratch, 'evidence.pdf'))),
        });
      } catch (error) {
        throw new UserError(
          `the PDF could not be printed: ${(error as Error).message}`,
          'leave out --pdf (the HTML summary prints from any browser), or check CTPILOT_CHROMIUM',
        );
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
    const periodRows = rows.filter((r) => {
      const at = Date.parse(r.recordedAt);
      return at >= from.getTime() && at < to.getTime();
    });
    const files = packFiles(withNotes, periodRows, html, extra, {
      ...(checkpoints ? { checkpoints } : {}),
      ...(clients.auditKeys.signer ? { signer: clients.auditKeys.signer } : {}),
    });
    let written: string[];
    try {
      written = toS3
        ? await writeToS3(clients.store, out, files)
        : await writeToDirectory(resolve(io.cwd, out), files);
    } catch (error) {
      if (error instanceof PackDestinationError) throw new UserError(error.message, error.fix);
      throw error;
    }

    const result = {
      model,
      period: pack.period,
      location: toS3 ? out : resolve(io.cwd, out),
      files: written,
      verification: {
        ok: pack.verification.ok,
        problems: pack.verification.problems,
        head: pack.verification.head,
      },
      summary: pack.summary,
      coverage: { ok: pack.coverage.ok, gaps: pack.coverage.gaps },
    };
    if (flags.json === true) printJson(io, result);
    else {
      const s = pack.summary;
      const lines = [
        `${style.bold(`evidence pack for ${model}`)} ${style.dim(`${pack.period.from} → ${pack.period.to}`)}`,
        pack.verification.ok
          ? `  ${style.green('✓')} audit chain verified (${pack.verification.rowsInChain} rows, head ${pack.verification.head.hash.slice(0, 16)}…)`
          : `  ${style.red('✗ audit chain broken')}: ${pack.verification.problems.map((p) => `${p.kind} at seq ${p.seq ?? '?'}`).join(', ')}`,
        `  ${s.evaluations} evaluations, ${s.gaps > 0 ? style.yellow(`${s.gaps} coverage gap(s)`) : pack.coverage.ok ? style.green('no coverage gaps') : style.yellow(`no coverage gaps found, ${pack.coverage.unassessed} interval(s) not assessed (cadence unknown: see --policies)`)}, ${s.episodes} breach episode(s), ${s.retrains} retrain(s), ${s.approvals} approval(s), ${s.promotions} promotion(s), ${s.rollbacks} rollback(s)`,
        `  written to ${result.location}`,
        ...written.map((w) => `    ${style.dim(w)}`),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return pack.verification.ok ? EXIT.ok : EXIT.failed;
  });
}
