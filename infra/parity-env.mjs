#!/usr/bin/env node
// Creates .venv-parity/ (SciPy, River, Evidently, pinned in
// infra/requirements-parity.txt) for the stats/ parity fixtures and the
// benchmarks in bench/. Idempotent: the venv carries a stamp with the sha256
// of the requirements file, and nothing is done when the stamp matches, so
// running it a second time costs a hash and a file read.
//
//   node infra/parity-env.mjs            ensure the venv, print its python path
//   node infra/parity-env.mjs --check    exit 1 (and say why) when it is missing or stale
//
// Plain Node, built-ins only: it runs before any npm install.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requirements = join(root, 'infra', 'requirements-parity.txt');
const venv = join(root, '.venv-parity');
const python = join(venv, 'bin', 'python');
const stampFile = join(venv, '.requirements-sha256');

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: 'inherit' });
  if (res.error) throw new Error(`failed to run ${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status}`);
}

const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
const fresh = have === wanted && existsSync(python);

if (process.argv.includes('--check')) {
  if (!fresh) {
    console.error('.venv-parity is missing or stale. Run `node infra/parity-env.mjs` first.');
    process.exit(1);
  }
  console.log(python);
  process.exit(0);
}

if (!fresh) {
  // A venv whose stamp differs may hold versions we no longer pin: start over
  // rather than layering installs, so the venv is exactly the pinned set.
  if (existsSync(venv)) rmSync(venv, { recursive: true, force: true });
  console.error(`creating ${venv} from infra/requirements-parity.txt …`);
  run('python3', ['-m', 'venv', venv]);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
  writeFileSync(stampFile, `${wanted}\n`);
}
console.log(python);
