// Speed of stats/ against the Python references, side by side in one run on
// the same seeded data (each side regenerates it bit for bit from seeds):
//
//   node --import tsx bench/stats.bench.ts            all tasks
//   node --import tsx bench/stats.bench.ts ks         one task (ks | ks-null | wasserstein | drift-report | diagnosis)
//   CTPILOT_BENCH_DIAGNOSIS_SCALE=0.1 node --import tsx bench/stats.bench.ts diagnosis
//                                                      the diagnosis task at a tenth of its size
//
// Each (tool, task) runs in its own process, so "peak RSS" is that process's
// maximum resident set; "before" is its RSS once the data was generated, so
// peak − before is what the computation itself added. Times are medians of
// repeated runs after warm-up (Node) / first run included (Python, as users
// call it). The Python side needs the parity venv: `node infra/parity-env.mjs`.
// A task may time several Python references (the drift report and the diagnosis: Evidently's
// presets as users call them, and its column-level metrics for the same tests and checks);
// each gets its own process and its own ratio. The `compare` keys of the
// results should agree between the sides (they saw the same data).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIAGNOSIS_BROKEN, DIAGNOSIS_ROWS } from './stats-bench-data.ts';

interface Spec {
  readonly what: string;
  readonly target: number;
  /** Timed repeats on each side. */
  readonly node: number;
  readonly python: number;
  /** The Python tasks to time against (default: the task itself), each with its label. */
  readonly references?: Readonly<Record<string, string>>;
  /** A reference's own target, where it differs from `target` (the same tests without a preset's extras). */
  readonly targets?: Readonly<Record<string, number>>;
  /** Result keys both sides report, which should agree. */
  readonly compare?: readonly string[];
}

const root = fileURLToPath(new URL('..', import.meta.url));
const count = (n: number) => n.toLocaleString('en-US');
const TASKS = {
  ks: {
    what: 'KS two-sample, 1,000,000 vs 1,000,000, drifted (shift 0.002σ)',
    target: 2,
    node: 9,
    python: 5,
  },
  'ks-null': {
    what: 'KS two-sample, 1,000,000 vs 1,000,000, no drift (one population)',
    target: 2,
    node: 9,
    python: 5,
  },
  wasserstein: { what: 'Wasserstein-1, 1,000,000 vs 1,000,000', target: 2, node: 9, python: 5 },
  'drift-report': {
    what: 'drift report, 350,000 rows × 50 columns (vs Evidently DataDriftPreset)',
    target: 20,
    node: 3,
    python: 1,
    references: {
      'drift-report': 'DataDriftPreset, as a user calls it',
      'drift-report-columns': 'ValueDrift per column (the same tests, without the preset)',
    },
    targets: { 'drift-report-columns': 5 },
    compare: ['drifted', 'rows'],
  },
  diagnosis: {
    what: `diagnosis, ${count(DIAGNOSIS_ROWS.reference)} reference × ${count(DIAGNOSIS_ROWS.current)} current rows × 10 features (vs Evidently DataDriftPreset + data quality)`,
    target: 10,
    node: 9,
    python: 5,
    references: {
      diagnosis: 'DataDriftPreset + DataSummaryPreset',
      'diagnosis-columns': 'DataDriftPreset + MissingValueCount, OutRangeValueCount, OutListValueCount',
    },
    compare: ['drifted_features', 'drifted', `${DIAGNOSIS_BROKEN}_missing`, 'rows'],
  },
} as const satisfies Record<string, Spec>;
type Task = keyof typeof TASKS;

interface Run {
  seconds: number[];
  rss_before_mb: number;
  peak_rss_mb: number;
  result: Record<string, unknown>;
}

function run(cmd: string, args: string[]): Run {
  const res = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, DO_NOT_TRACK: '1' },
  });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stderr}`);
  const line = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Run;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const python = spawnSync(process.execPath, ['infra/parity-env.mjs', '--check'], {
  cwd: root,
  encoding: 'utf8',
});
if (python.status !== 0) {
  console.error(python.stderr.trim());
  process.exit(1);
}
const py = python.stdout.trim();
const selected = (process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TASKS)) as Task[];
console.log(`node ${process.version}, ${py}`);
for (const task of selected) {
  const spec: Spec | undefined = TASKS[task];
  if (!spec) throw new Error(`No task named '${task}'. Available: ${Object.keys(TASKS).join(', ')}`);
  const ours = run(process.execPath, ['--import', 'tsx', 'bench/stats-task.ts', task, String(spec.node)]);
  const tOurs = median(ours.seconds);
  console.log(`\n${spec.what}`);
  console.log(
    `  ctpilot  ${tOurs.toFixed(4)} s (median of ${ours.seconds.length})  peak RSS ${ours.peak_rss_mb.toFixed(0)} MB (before ${ours.rss_before_mb.toFixed(0)} MB)  ${JSON.stringify(ours.result)}`,
  );
  const references = Object.entries(spec.references ?? { [task]: '' });
  for (const [refTask, label] of references) {
    const ref = run(py, ['bench/stats_reference.py', refTask, String(spec.python)]);
    const tRef = median(ref.seconds);
    const ratio = tRef / tOurs;
    const target = (spec as Spec).targets?.[refTask] ?? spec.target;
    if (label) console.log(`  python: ${label}`);
    console.log(
      `  python   ${tRef.toFixed(4)} s (median of ${ref.seconds.length})  peak RSS ${ref.peak_rss_mb.toFixed(0)} MB (before ${ref.rss_before_mb.toFixed(0)} MB)  ${JSON.stringify(ref.result)}`,
    );
    if (spec.compare) {
      const differ = spec.compare.filter((k) => ours.result[k] !== ref.result[k]);
      console.log(
        `  same data: ${differ.length ? `NO, ${differ.map((k) => `${k} ${ours.result[k]} vs ${ref.result[k]}`).join(', ')}` : `yes (${spec.compare.join(', ')} agree)`}`,
      );
    }
    console.log(
      `  speed-up ${ratio.toFixed(1)}×  (target ≥ ${target}×: ${ratio >= target ? 'met' : 'NOT met'})`,
    );
  }
}
