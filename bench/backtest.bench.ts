// Backtest speed: one range query per query over the whole span (what
// `ctpilot backtest` does) against one instant query per metric per step
// (`--instant`, what replaying the controller's own provider would do), on the
// same recorded history in a real Prometheus.
//
//   node --import tsx bench/backtest.bench.ts            30 days at one sample a minute, backtested every 5m
//   node --import tsx bench/backtest.bench.ts --days 7   a quicker run
//
// The recording (test/integration/backtest-recording.ts: a fraud model's
// precision and labels, with an incident) is imported with promtool into a
// Prometheus started on a free port. Each mode runs twice; the second run is
// reported (the first warms Prometheus's page cache and ours).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOUR,
  openMetrics,
  POLICY,
  promtoolAvailable,
  recordingTimes,
  startRecordedPrometheus,
} from '../test/integration/backtest-recording.ts';
import { ctpilot } from '../test/unit/cli/helpers.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main() {
  if (!promtoolAvailable()) throw new Error('prometheus and promtool are needed (npm run bootstrap as root)');
  const days = arg('days', 30);
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-bench-backtest-'));
  const recording = recordingTimes(Date.now(), days);
  const began = performance.now();
  const prometheus = await startRecordedPrometheus(dir, openMetrics(recording));
  process.stdout.write(
    `recording: ${days} days, 2 series at 1/min, imported and served in ${((performance.now() - began) / 1000).toFixed(1)} s\n`,
  );
  try {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, POLICY);
    const args = [
      'backtest',
      file,
      '--json',
      '--from',
      new Date(recording.start + 2 * HOUR).toISOString(),
      '--to',
      new Date(recording.end).toISOString(),
    ];
    const env = { PROMETHEUS_URL: prometheus.url, CTPILOT_HOME: dir };
    const rows: string[] = [];
    let reference: string | undefined;
    const seconds: Record<string, number> = {};
    for (const mode of ['range', 'instant'] as const) {
      let out:
        | { steps: unknown[]; source: { prometheusQueries: number }; summary: { counts: unknown } }
        | undefined;
      let ms = 0;
      for (let run = 0; run < 2; run++) {
        const t = performance.now();
        const ran = await ctpilot(mode === 'instant' ? [...args, '--instant'] : args, { env });
        ms = performance.now() - t;
        if (ran.code !== 0) throw new Error(ran.stderr);
        out = JSON.parse(ran.stdout);
      }
      const counts = JSON.stringify(out?.summary.counts);
      reference ??= counts;
      if (counts !== reference) throw new Error(`the modes disagree: ${reference} vs ${counts}`);
      seconds[mode] = ms / 1000;
      rows.push(
        `| ${mode.padEnd(7)} | ${String(out?.steps.length).padStart(6)} | ${String(out?.source.prometheusQueries).padStart(7)} | ${(ms / 1000).toFixed(2).padStart(7)} s |`,
      );
    }
    process.stdout.write(
      `\n| mode    |  steps | queries |  wall time |\n|---|---:|---:|---:|\n${rows.join('\n')}\n\nrange queries are ${((seconds.instant ?? 0) / (seconds.range ?? 1)).toFixed(1)}× faster than instant queries over ${days} days\n`,
    );
  } finally {
    await prometheus.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
