// Backtest over a recorded period with a known incident, against a real
// Prometheus that holds the recording (imported with promtool), then the
// HTML report rendered in headless Chromium.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MlflowClient } from '../../activities/mlflow/client.ts';
import { ctpilot } from '../unit/cli/helpers.ts';
import {
  MINUTE,
  POLICY,
  promtoolAvailable,
  type Recording,
  recordingTimes,
  startRecordedPrometheus,
} from './backtest-recording.ts';

const CHROMIUM = '/usr/bin/chromium';

/** Runs in the page (a string: the test is compiled without DOM types): decodes a PNG and counts drawn, red and green pixels. */
const COUNT_PIXELS = `async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  let drawn = 0, red = 0, green = 0;
  for (let i = 0; i < d.length; i += 4) {
    const r = d[i], g = d[i + 1], b = d[i + 2];
    if (r < 235 || g < 235 || b < 235) drawn++;
    if (r > 150 && g < 90 && b < 90) red++;
    if (g > 100 && r < 90 && b < 90) green++;
  }
  return { total: d.length / 4, drawn, red, green };
}`;
const iso = (ms: number) => new Date(ms).toISOString();

interface Json {
  steps: Array<{ at: string; outcome: string }>;
  source: { mode: string; prometheusQueries: number };
  summary: {
    counts: { retrain: number; alert: number; rollback: number };
    wouldAct: Array<{ at: string; kind: string; origin: string }>;
    held: Array<{ guard: string; kind: string; origin: string; first: string; last: string }>;
    episodes: Array<{ trigger: string; from: string; to: string }>;
  };
}

describe('ctpilot backtest over a recorded incident', {
  skip: promtoolAvailable() ? false : 'Prometheus/promtool not installed',
}, () => {
  let dir: string;
  let recording: Recording;
  let prometheus: { url: string; stop(): Promise<void> };
  let policyFile: string;
  let env: Record<string, string>;
  let args: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctpilot-backtest-'));
    recording = recordingTimes();
    prometheus = await startRecordedPrometheus(dir, recording);
    policyFile = join(dir, 'fraud.yaml');
    writeFileSync(policyFile, POLICY);
    env = { PROMETHEUS_URL: prometheus.url, CTPILOT_HOME: dir };
    // From two hours in (labels_seen needs an hour of history) to the end of the recording.
    args = [
      'backtest',
      policyFile,
      '--from',
      iso(recording.start + 2 * 60 * MINUTE),
      '--to',
      iso(recording.end),
    ];
  });
  after(async () => {
    await prometheus?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('marks the incident at the right time: an alert when it starts, a retrain on the third breach, then cooldown', async () => {
    const ran = await ctpilot([...args, '--json'], { env });
    assert.equal(ran.code, 0, ran.stderr);
    const out = JSON.parse(ran.stdout) as Json;
    const { summary } = out;
    const retrains = summary.wouldAct.filter((w) => w.kind === 'retrain');
    const alerts = summary.wouldAct.filter((w) => w.kind === 'alert');
    // Three consecutive breaches at a 5-minute cadence: 14:00, 14:05, 14:10.
    assert.deepEqual(
      retrains.map((r) => [r.at, r.origin]),
      [[iso(recording.incident.from + 10 * MINUTE), 'slo-breach']],
    );
    // The blip alerts (two breaches) but never retrains; the incident alerts at its first evaluation.
    assert.deepEqual(
      alerts.map((a) => a.at),
      [iso(recording.blip.from), iso(recording.incident.from)],
    );
    assert.deepEqual(summary.counts, { retrain: 1, alert: 2, rollback: 0 });
    // Persistence is met again at 14:25; the 24h cooldown holds it back until the incident ends.
    const cooldown = summary.held.find((h) => h.guard === 'cooldown' && h.origin === 'slo-breach');
    assert.ok(cooldown, JSON.stringify(summary.held));
    assert.equal(cooldown.first, iso(recording.incident.from + 25 * MINUTE));
    assert.equal(cooldown.last, iso(recording.incident.to - 5 * MINUTE));
    const incident = summary.episodes.find(
      (e) => e.trigger === 'slo-breach' && e.from === iso(recording.incident.from),
    );
    assert.equal(incident?.to, iso(recording.incident.to - 5 * MINUTE));
    // One range query per query over the whole span (two metrics), not one per step.
    assert.equal(out.source.mode, 'range');
    assert.equal(out.source.prometheusQueries, 2);
  });

  it('gives the same decisions as one instant query per step', async () => {
    const range = JSON.parse((await ctpilot([...args, '--json'], { env })).stdout) as Json;
    const instant = JSON.parse((await ctpilot([...args, '--json', '--instant'], { env })).stdout) as Json;
    assert.equal(instant.source.mode, 'instant');
    assert.ok(instant.source.prometheusQueries > 500);
    assert.deepEqual(
      instant.steps.map((s) => `${s.at} ${s.outcome}`),
      range.steps.map((s) => `${s.at} ${s.outcome}`),
    );
  });

  it('measures data-window metrics with the real providers, reading a fixed window once', async () => {
    const rows = (shift: number) =>
      `amount\n${Array.from({ length: 200 }, (_, i) => ((i * 37) % 200) / 20 + shift).join('\n')}\n`;
    writeFileSync(join(dir, 'reference.csv'), rows(0));
    writeFileSync(join(dir, 'current.csv'), rows(4));
    const file = join(dir, 'drift.yaml');
    writeFileSync(
      file,
      `${POLICY.replace(
        'triggers:',
        `  amount_drift:
    drift:
      feature: amount
      reference: { uri: "file://${dir}/reference.csv" }
      current: { uri: "file://${dir}/current.csv" }
      test: auto
triggers:
  input-drift:
    when: amount_drift.drifted
    action: alert`,
      )}`,
    );
    const from = recording.incident.from - 60 * MINUTE;
    const ran = await ctpilot(
      ['backtest', file, '--json', '--from', iso(from), '--to', iso(recording.incident.from - 30 * MINUTE)],
      { env },
    );
    assert.equal(ran.code, 0, ran.stderr);
    const out = JSON.parse(ran.stdout) as Json & {
      source: { windowReads: number };
      steps: Array<{ metrics: Array<{ metric: string; phase: string; reason: string }> }>;
    };
    assert.equal(out.source.windowReads, 1);
    assert.equal(out.steps.length, 7);
    for (const step of out.steps) {
      const drift = step.metrics.find((m) => m.metric === 'amount_drift');
      assert.equal(drift?.phase, 'breach', drift?.reason);
    }
    assert.deepEqual(
      out.summary.wouldAct.filter((w) => w.origin === 'input-drift').map((w) => w.at),
      [iso(from)],
    );
  });

  it('prints a readable summary, and says when Prometheus cannot be reached', async () => {
    const ran = await ctpilot(args, { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Would have retrained 1 time, alerted 2 times, rolled back 0 times\./);
    assert.match(
      ran.stdout,
      new RegExp(`${iso(recording.incident.from + 10 * MINUTE)}\\s+retrain\\s+by slo-breach`),
    );
    assert.match(ran.stdout, /retrain by slo-breach: cooldown on \d+ step/);
    const down = await ctpilot(args, { env: { ...env, PROMETHEUS_URL: 'http://127.0.0.1:9' } });
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot reach Prometheus at http:\/\/127\.0\.0\.1:9/);
  });

  it('a span without usable data says so and exits 1; another --step is warned about', async () => {
    // A day before the recording starts: Prometheus has nothing for any step.
    const before = [
      'backtest',
      policyFile,
      '--from',
      iso(recording.start - 26 * 60 * MINUTE),
      '--to',
      iso(recording.start - 2 * 60 * MINUTE),
    ];
    const empty = await ctpilot(before, { env });
    assert.equal(empty.code, 1, empty.stderr);
    assert.match(empty.stdout, /No usable data: no metric had a usable measurement at any of the \d+ steps/);
    assert.doesNotMatch(empty.stdout, /Would have retrained 0 times/);
    assert.match(empty.stdout, new RegExp(`precision\\s+${iso(recording.start - 26 * 60 * MINUTE)} → `));
    const stepped = await ctpilot([...args, '--step', '1m'], { env });
    assert.equal(stepped.code, 0, stepped.stderr);
    assert.match(
      stepped.stderr,
      /warning: --step 1m differs from evaluate\.every 5m: persistence counts steps/,
    );
    const json = JSON.parse((await ctpilot([...args, '--step', '1m', '--json'], { env })).stdout) as {
      notes?: string[];
    };
    assert.ok(json.notes?.some((n) => /differs from evaluate\.every/.test(n)));
  });

  it('a policy written for the watched version ({{ version }}) backtests the current champion, or says what to pass', async () => {
    const mlflow = new MlflowClient({ trackingUri: process.env.MLFLOW_TRACKING_URI! });
    const model = `fraud-versioned-${Date.now()}`;
    const file = join(dir, 'versioned.yaml');
    writeFileSync(
      file,
      POLICY.replace('model: { name: fraud-detector }', `model: { name: ${model} }`)
        .replace(
          `avg(fraud_precision{model="{{ model.name }}"})`,
          `avg(fraud_precision{model="fraud-detector",version!="v{{ version }}"})`,
        )
        .replace(
          `fraud_labels_total{model="{{ model.name }}"}`,
          `fraud_labels_total{model="fraud-detector"}`,
        ),
    );
    const withMlflow = { ...env, MLFLOW_TRACKING_URI: process.env.MLFLOW_TRACKING_URI! };
    const span = ['--from', iso(recording.incident.from - 30 * MINUTE), '--to', iso(recording.incident.from)];
    // No champion to take the version from: a usage error that names the flag.
    const none = await ctpilot(['backtest', file, ...span], { env: withMlflow });
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      new RegExp(`use \\{\\{ version \\}\\}, and ${model} has no \`champion\` alias`),
    );
    assert.match(none.stderr, /fix: give the version to backtest: --champion-version <v>/);
    // With one, it is used and said.
    await mlflow.ensureRegisteredModel(model);
    const v = await mlflow.createModelVersion({ name: model, source: 's3://ctpilot/nowhere' });
    await mlflow.setAlias(model, 'champion', v.version);
    const ran = await ctpilot(['backtest', file, ...span, '--json'], { env: withMlflow });
    assert.equal(ran.code, 0, ran.stderr);
    const out = JSON.parse(ran.stdout) as Json & { championVersion: string; notes: string[] };
    assert.equal(out.championVersion, v.version);
    assert.match(
      out.notes[0] ?? '',
      new RegExp(`\\{\\{ version \\}\\} = ${v.version}, the current champion`),
    );
    assert.ok(out.source.prometheusQueries > 0, 'queries ran');
    assert.ok(
      out.steps.every((s) => s.outcome !== 'inconclusive'),
      'the version was filled in',
    );
    // And --champion-version wins.
    const other = await ctpilot(['backtest', file, ...span, '--json', '--champion-version', '41'], {
      env: withMlflow,
    });
    assert.equal((JSON.parse(other.stdout) as { championVersion: string }).championVersion, '41');
  });

  it('writes an HTML report that renders its charts in headless Chromium', {
    skip: existsSync(CHROMIUM)
      ? false
      : 'Debian chromium not installed (npm run bootstrap installs it as root)',
  }, async () => {
    const report = join(dir, 'report.html');
    const ran = await ctpilot([...args, '--report', report], { env });
    assert.equal(ran.code, 0, ran.stderr);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${report}`);
      // Self-contained: nothing fetched from anywhere.
      assert.deepEqual(requests, []);
      assert.equal(await page.locator('svg.chart').count(), 2);
      const chart = page.locator('svg.chart[data-metric="precision"]');
      assert.equal(await chart.locator('path.series').count(), 1);
      assert.equal(await chart.locator('line.threshold').count(), 1);
      assert.ok((await chart.locator('circle.breach').count()) >= 36);
      const retrainAt = iso(recording.incident.from + 10 * MINUTE);
      assert.equal(await chart.locator(`line.marker.retrain[data-at="${retrainAt}"]`).count(), 1);
      assert.equal(await page.locator('#count-retrain').textContent(), '1');
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });

      // The chart as pixels: decode its screenshot in the page and count what was drawn.
      const png = (await chart.screenshot()).toString('base64');
      const pixels = (await page.evaluate(`(${COUNT_PIXELS})(${JSON.stringify(png)})`)) as {
        total: number;
        drawn: number;
        red: number;
        green: number;
      };
      assert.ok(pixels.total > 100_000, JSON.stringify(pixels));
      assert.ok(pixels.drawn > pixels.total * 0.02, `the chart looks blank: ${JSON.stringify(pixels)}`);
      assert.ok(pixels.red > 50, `no breach or retrain marks drawn: ${JSON.stringify(pixels)}`);
      assert.ok(pixels.green > 200, `no value line drawn: ${JSON.stringify(pixels)}`);
    } finally {
      await browser.close();
    }
  });
});
