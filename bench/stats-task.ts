// Node side of one benchmark task, run in its own process so its peak memory
// is its own. Prints one JSON line like bench/stats_reference.py does.
import { diagnose } from '../stats/diagnosis/diagnose.ts';
import { driftReport } from '../stats/drift.ts';
import { ks2samp } from '../stats/ks.ts';
import { wasserstein } from '../stats/wasserstein.ts';
import { sample } from '../test/unit/stats/parity-data.ts';
import {
  DIAGNOSIS_BROKEN,
  DIAGNOSIS_ROLES,
  DIAGNOSIS_ROWS,
  diagnosisTable,
  KS_A,
  KS_B,
  KS_NULL,
  WIDE_ROWS,
  wideTable,
} from './stats-bench-data.ts';

const rssMb = () => process.resourceUsage().maxRSS / 1024;

function timed<T>(fn: () => T, repeats: number, warmup: number): { seconds: number[]; result: T } {
  let result = fn();
  for (let i = 1; i < warmup; i++) result = fn();
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = process.hrtime.bigint();
    result = fn();
    seconds.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return { seconds, result };
}

const [task = '', repeatsArg = '5'] = process.argv.slice(2);
const repeats = Number(repeatsArg);
let out: { seconds: number[]; result: unknown };
let before: number;
if (task === 'ks' || task === 'ks-null' || task === 'wasserstein') {
  const a = sample(KS_A);
  const b = sample(task === 'ks-null' ? KS_NULL : KS_B);
  before = rssMb();
  if (task !== 'wasserstein') {
    const r = timed(() => ks2samp(a, b), repeats, 2);
    out = { seconds: r.seconds, result: { statistic: r.result.statistic, pvalue: r.result.pValue } };
  } else {
    const r = timed(() => wasserstein(a, b), repeats, 2);
    out = { seconds: r.seconds, result: { distance: r.result } };
  }
} else if (task === 'drift-report') {
  const ref = wideTable('reference');
  const cur = wideTable('current');
  before = rssMb();
  const r = timed(() => driftReport(ref, cur), repeats, 1);
  out = { seconds: r.seconds, result: { drifted: r.result.drifted, share: r.result.share, rows: WIDE_ROWS } };
} else if (task === 'diagnosis') {
  const reference = diagnosisTable('reference');
  const current = diagnosisTable('current');
  before = rssMb();
  const r = timed(() => diagnose({ reference, current, roles: DIAGNOSIS_ROLES }), repeats, 2);
  const d = r.result;
  const drifted = d.drift.filter((f) => f.drifted).map((f) => f.feature);
  const missing = d.stages.find((s) => s.stage === 'quality')?.evidence.alerts as
    | readonly { column: string; check: string; value: number }[]
    | undefined;
  const broken = missing?.find((a) => a.column === DIAGNOSIS_BROKEN && a.check === 'missing-rate');
  out = {
    seconds: r.seconds,
    result: {
      drifted_features: drifted.length,
      drifted: [...drifted].sort().join(','),
      [`${DIAGNOSIS_BROKEN}_missing`]: broken?.value ?? 0,
      cause: d.primaryCause,
      rows: `${DIAGNOSIS_ROWS.reference}x${DIAGNOSIS_ROWS.current}`,
    },
  };
} else {
  throw new Error(`No task named '${task}'. Available: ks, ks-null, wasserstein, drift-report, diagnosis`);
}
console.log(JSON.stringify({ task, ...out, rss_before_mb: before, peak_rss_mb: rssMb() }));
