// Load + validate time for a directory of 500 policies.
//
//   node --import tsx bench/policy-load.ts [count]
//
// Writes `count` policies to a temporary directory — the six examples,
// each copied with its own name, labels and thresholds so no two hashes are
// equal — then measures, in this process: reading and validating the whole
// directory the first time (cold: zod, CEL and PromQL code not yet JIT-
// compiled) and again (warm, median of 5); and end to end, as a user runs it:
// `ctpilot validate <dir> --json` in a fresh process.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { duplicateNames } from '../policies/catalog.ts';
import { readPolicyDir } from '../policies/files.ts';

const COUNT = Number(process.argv[2] ?? 500);
const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(join(root, 'policies/examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(root, 'policies/examples', f), 'utf8'));

const dir = mkdtempSync(join(tmpdir(), 'ctpilot-bench-'));
let bytes = 0;
for (let i = 0; i < COUNT; i++) {
  const base = examples[i % examples.length] as string;
  const text = base
    .replace(/^ {2}name: ([a-z0-9-]+)$/m, (_, n: string) => `  name: ${n}-${i}`)
    .replace(/^metadata:\n/m, `metadata:\n  annotations: { copy: "${i}" }\n`);
  writeFileSync(join(dir, `policy-${String(i).padStart(4, '0')}.yaml`), text);
  bytes += Buffer.byteLength(text);
}

async function once(): Promise<{ ms: number; valid: number }> {
  const t = performance.now();
  const results = await readPolicyDir(dir);
  const loaded = results.flatMap((r) => (r.ok ? [r.policy] : []));
  const dups = duplicateNames(loaded);
  const ms = performance.now() - t;
  if (loaded.length !== COUNT || dups.length > 0) {
    const bad = results.find((r) => !r.ok);
    throw new Error(
      `expected ${COUNT} valid policies, got ${loaded.length} (${dups.length} duplicates) ${bad && !bad.ok ? JSON.stringify(bad.issues[0]) : ''}`,
    );
  }
  return { ms, valid: loaded.length };
}

const cold = await once();
const warm: number[] = [];
for (let i = 0; i < 5; i++) warm.push((await once()).ms);
warm.sort((a, b) => a - b);
const median = warm[2] as number;

const cliStart = performance.now();
const cli = spawnSync(process.execPath, [join(root, 'cli/bin.mjs'), 'validate', '--json', dir], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const cliMs = performance.now() - cliStart;
if (cli.status !== 0) throw new Error(`ctpilot validate exited ${cli.status}: ${cli.stderr.slice(0, 500)}`);
const summary = (JSON.parse(cli.stdout) as { summary: { valid: number } }).summary;
rmSync(dir, { recursive: true, force: true });

console.log(`policy load: ${COUNT} policies, ${(bytes / 1024).toFixed(0)} KiB of YAML`);
console.log(
  `  in-process, cold   ${cold.ms.toFixed(0)} ms  (${((cold.ms / COUNT) * 1000).toFixed(0)} µs/policy)`,
);
console.log(
  `  in-process, warm   ${median.toFixed(0)} ms  (${((median / COUNT) * 1000).toFixed(0)} µs/policy, median of 5)`,
);
console.log(`  ctpilot validate   ${cliMs.toFixed(0)} ms end to end, fresh process (${summary.valid} valid)`);
console.log(`  node ${process.version}, ${process.arch}`);
