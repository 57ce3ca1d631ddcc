#!/usr/bin/env node
// Compiles the TypeScript sources to JavaScript in dist/, for the CLI to
// start without transpiling anything (cli/bin.mjs runs dist/ when it is
// current, the sources through tsx otherwise), writes the verbs' metadata
// (dist/cli/verbs.json) so `ctpilot --help` loads no verb, and bundles the
// workflow code once (dist/workflow-bundle.js) for every worker to use.
//
// Run by the bootstrap (stamped: nothing to do when the sources did not
// change) and by `npm run build`. Plain JavaScript with Node built-ins: it
// runs before anything else may be installed or built.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_DIRS, sourceFingerprint } from './build-fingerprint.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');

/** Builds dist/ and stamps it with the sources' fingerprint. Throws with tsc's output on failure. */
export function build() {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  // Type errors do not stop the emit (noEmitOnError is off): `npm run typecheck` is where they are reported.
  if (tsc.status !== 0 && !/error TS/.test(tsc.stdout))
    throw new Error(`tsc failed: ${tsc.stderr || tsc.stdout}`);
  const meta = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { loadCommands } = await import(${JSON.stringify(join(dist, 'cli', 'commands', 'index.js'))});
       const verbs = (await loadCommands()).map(({ run: _, ...meta }) => meta);
       process.stdout.write(JSON.stringify(verbs));`,
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (meta.status !== 0) throw new Error(`the verbs' metadata could not be written: ${meta.stderr}`);
  mkdirSync(join(dist, 'cli'), { recursive: true });
  writeFileSync(join(dist, 'cli', 'verbs.json'), meta.stdout);
  // The workflow code, bundled once for every worker this checkout starts (npm start, tests) instead of per worker.
  const bundle = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { bundleWorkflowCode } = await import('@temporalio/worker');
       const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
       const { code } = await bundleWorkflowCode({ workflowsPath: ${JSON.stringify(join(root, 'workflows', 'index.ts'))}, logger: quiet });
       (await import('node:fs')).writeFileSync(${JSON.stringify(join(dist, 'workflow-bundle.js'))}, code);`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (bundle.status !== 0) throw new Error(`the workflow bundle could not be built: ${bundle.stderr}`);
  // Last: a stamp only when everything above succeeded.
  writeFileSync(join(dist, '.sources'), `${sourceFingerprint(root)}\n`);
  return { dirs: SOURCE_DIRS };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const began = Date.now();
  try {
    build();
    process.stdout.write(`built dist/ in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    process.stderr.write(`build failed: ${error.message}\n`);
    process.exit(1);
  }
}
