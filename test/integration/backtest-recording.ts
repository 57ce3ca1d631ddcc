// A recorded period with a known incident, for the backtest tests: two days
// of a fraud model's metrics at one sample a minute, written as OpenMetrics
// and turned into TSDB blocks by `promtool tsdb create-blocks-from
// openmetrics` in the data directory of a Prometheus started for the test —
// the way a team would import an export of its own history.
//
// The story (times relative to `start`, a UTC midnight two days ago):
//   day 1, 20:00–20:09  a blip: precision 0.88 for ten minutes (two evaluations at a 5m cadence)
//   day 2, 14:00–16:59  the incident: precision 0.85 for three hours
// Otherwise precision is 0.96. Labels arrive at 10 a minute throughout.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '../../infra/stack/ports.ts';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export interface Recording {
  readonly start: number;
  readonly end: number;
  readonly blip: { readonly from: number; readonly to: number };
  readonly incident: { readonly from: number; readonly to: number };
}

/** The recording's times: `days` days ending at the last UTC midnight (the incident on the last day). */
export function recordingTimes(now = Date.now(), days = 2): Recording {
  const start = Math.floor(now / DAY) * DAY - days * DAY;
  const last = start + (days - 1) * DAY;
  return {
    start,
    end: start + days * DAY - MINUTE,
    blip: { from: start + 20 * HOUR, to: start + 20 * HOUR + 10 * MINUTE },
    incident: { from: last + 14 * HOUR, to: last + 17 * HOUR },
  };
}

export function openMetrics(r: Recording): string {
  const precision: string[] = [];
  const labels: string[] = [];
  let count = 0;
  for (let t = r.start; t <= r.end; t += MINUTE) {
    const inIncident = t >= r.incident.from && t < r.incident.to;
    const inBlip = t >= r.blip.from && t < r.blip.to;
    const value = inIncident ? 0.85 : inBlip ? 0.88 : 0.96;
    precision.push(`fraud_precision{model="fraud-detector"} ${value} ${t / 1000}`);
    count += 10;
    labels.push(`fraud_labels_total{model="fraud-detector"} ${count} ${t / 1000}`);
  }
  return [
    '# TYPE fraud_precision gauge',
    ...precision,
    '# TYPE fraud_labels counter',
    ...labels,
    '# EOF',
    '',
  ].join('\n');
}

export const POLICY = `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: fraud-detector }
model: { name: fraud-detector }
evaluate: { every: 5m }
metrics:
  precision:
    description: share of flagged transactions that were fraud
    prometheus: { query: 'avg(fraud_precision{model="{{ model.name }}"})' }
    objective: { min: 0.92 }
  labels_seen:
    prometheus: { query: 'sum(increase(fraud_labels_total{model="{{ model.name }}"}[1h]))' }
triggers:
  slo-breach:
    when: precision.breached
    for: 3
    require: labels_seen.value >= 500
    action: retrain
  slo-warning:
    when: precision.breached
    action: alert
guards:
  cooldown: 24h
training:
  experiment: fraud-retraining
  launcher:
    mlflowProject: { uri: ./examples/fraud, entryPoint: train }
`;

export function promtoolAvailable(): boolean {
  return (
    spawnSync('sh', ['-c', 'command -v promtool && command -v prometheus'], { stdio: 'ignore' }).status === 0
  );
}

/** Imports the recording into a fresh data directory and starts a Prometheus on it. */
export async function startRecordedPrometheus(
  dir: string,
  recording: Recording | string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const file = join(dir, 'recording.om.txt');
  writeFileSync(file, typeof recording === 'string' ? recording : openMetrics(recording));
  const imported = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, data], {
    encoding: 'utf8',
  });
  if (imported.status !== 0) throw new Error(`promtool could not import the recording: ${imported.stderr}`);
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1m\n');
  const [port] = await freePorts(1);
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=10y',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b) => (stderr += b));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`the recorded Prometheus did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
