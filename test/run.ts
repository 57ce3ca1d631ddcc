// The test entry point behind `npm test` and `npm run test:unit`.
//
//   npm test                      unit + integration (starts its own services on free ports)
//   npm run test:unit             unit tests only, no services (the inner loop)
//   npm test -- <path filter>…    only the test files whose path contains a filter
//
// Integration tests share one stack of real services (Temporal, MLflow,
// PostgreSQL, S3, Prometheus) started here on free ports in a scratch
// directory and described to the tests through the same environment variables
// a user would set (TEMPORAL_ADDRESS, MLFLOW_TRACKING_URI, …). Node's own test
// runner runs the files and prints the summary line CI reads.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestStack } from './support/test-stack.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

// The files that take longest start first, so none of them is left running
// alone at the end while the other slots sit idle (longest-first scheduling);
// the rest follow, integration before unit, since unit files are short and fill gaps.
const LONGEST_FIRST = [
  'e2e-promotion',
  'demo',
  'fault-retrain-kill',
  'fault-shadow-kill',
  'fault-services-retrain',
  'example-support-tickets',
  'fault-services-evaluation',
  'e2e-retrain',
  'long-timers',
  'start-signals',
];

function scheduled(files: string[]): string[] {
  const rank = (f: string) => {
    const i = LONGEST_FIRST.findIndex((name) => f.endsWith(`${name}.test.ts`));
    return i === -1 ? LONGEST_FIRST.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b));
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=3', ...files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const unitOnly = argv.includes('--unit');
  const filters = argv.filter((a) => !a.startsWith('--'));
  const select = (files: string[]) =>
    filters.length === 0 ? files : files.filter((f) => filters.some((p) => relative(root, f).includes(p)));

  const unit = select(findTests(join(root, 'test', 'unit')));
  const integration = unitOnly ? [] : select(findTests(join(root, 'test', 'integration')));
  if (unit.length + integration.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 2;
  }

  // One run of Node's test runner over every selected file, so CI reads one
  // summary line. Services start only when an integration test is selected.
  const stack = integration.length > 0 ? await startTestStack() : undefined;
  try {
    return await runNodeTests(scheduled([...integration, ...unit]), { ...process.env, ...stack?.env });
  } finally {
    await stack?.stop();
  }
}

process.exitCode = await main();
