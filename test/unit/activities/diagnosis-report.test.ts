// The diagnosis report (activities/diagnosis-report.ts) on the seeded
// scenario worlds: what a person reads — the stage ladder with its verdicts,
// the cause and the action, the drift ranking, the distributions, realized vs
// estimated — escaped and self-contained, and rendered in headless Chromium
// when it is installed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderDiagnosisReport } from '../../../activities/diagnosis-report.ts';
import { briefOf } from '../../../policies/diagnosis.ts';
import { routeDiagnosis } from '../../../policies/diagnosis-routing.ts';
import type { Table } from '../../../stats/columns.ts';
import { diagnose } from '../../../stats/diagnosis/diagnose.ts';
import type { Diagnosis, DiagnosisRoles } from '../../../stats/diagnosis/types.ts';
import { type ScenarioName, scenario } from '../../support/diagnosis-scenarios.ts';

const CHROMIUM = '/usr/bin/chromium';
const STAGE_NAMES = ['validity', 'quality', 'covariate', 'labelShift', 'concept', 'business'];

interface Rendered {
  readonly d: Diagnosis;
  readonly html: string;
}

function render(
  d: Diagnosis,
  reference: Table,
  current: Table,
  meta = { policy: 'churn', model: 'churn-clf' },
): string {
  const brief = briefOf(d, routeDiagnosis(d));
  return renderDiagnosisReport({
    ...meta,
    at: '2025-03-01T12:00:00Z',
    diagnosis: d,
    brief,
    reference,
    current,
  });
}

const cache = new Map<ScenarioName, Rendered>();
function rendered(name: ScenarioName): Rendered {
  let r = cache.get(name);
  if (!r) {
    const s = scenario(name);
    const d = diagnose({ reference: s.reference, current: s.current, roles: s.roles, kpi: s.kpi, seed: 7 });
    r = { d, html: render(d, s.reference, s.current) };
    cache.set(name, r);
  }
  return r;
}

/** The ladder as [stage, verdict, primary] from the rows' attributes. */
const ladder = (html: string) =>
  [...html.matchAll(/<tr class="stage [^"]*?( primary)?" data-stage="([^"]+)" data-verdict="([^"]+)">/g)].map(
    (m) => [m[2], m[3], m[1] !== undefined] as const,
  );
const ranking = (html: string) =>
  [...html.matchAll(/<tr class="feature[^"]*" data-feature="([^"]*)">/g)].map((m) => m[1]);
/** The page's words: cells and blocks apart, inline markup dropped, the styles left out. */
const text = (html: string) =>
  html
    .replace(/<style>[^<]*<\/style>/, '')
    .replace(/<\/?(td|th|tr|li|div|p|h\d|table|section|ul|svg)\b[^>]*>/g, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(
      /&(lt|gt|quot|#39|amp);/g,
      (_, x: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[x]!,
    )
    .replace(/\s+/g, ' ');

function assertSelfContained(html: string) {
  assert.doesNotMatch(html, /http/i, 'no URL of any kind');
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|\ssrc=|url\(|@import/i);
}

describe('diagnosis report', () => {
  it('data quality: the quality stage fails and is the cause; income missing shown', () => {
    const { d, html } = rendered('data-quality');
    assert.deepEqual(ladder(html), [
      ['validity', 'pass', false],
      ['quality', 'fail', true],
      ['covariate', 'pass', false],
      ['labelShift', 'pass', false],
      ['concept', 'pass', false],
      ['business', 'pass', false],
    ]);
    const t = text(html);
    for (const s of d.stages) assert.ok(t.includes(s.summary.replace(/\s+/g, ' ')), s.summary);
    assert.match(t, /Primary cause: data quality \(income\)/);
    assert.match(t, /Action: alert to data-eng/);
    assert.match(t, /alerting data-eng; no retrain on broken data/);
    assert.match(html, /<title>Diagnosis of churn \(churn-clf\) at 2025-03-01T12:00:00Z<\/title>/);
    // income is charted (named by the cause) with its missing values counted and drawn as a bar.
    assert.match(html, /<svg class="chart distribution" data-feature="income"/);
    assert.match(t, /income \(named by the cause\)/);
    assert.match(t, /missing: reference 0 of 5000 \(0\.0 %\), current 1[34]\d\d of 3000 \(4\d\.\d %\)/);
    assert.match(html, /class="bar current missing"/);
    assert.equal(ranking(html)[0], d.drift.toSorted((a, b) => b.effect - a.effect)[0]!.feature);
    assert.match(t, /No business KPI declared/);
    assert.match(t, /reference 5000 rows, current 3000 rows/);
    assertSelfContained(html);
  });

  it('concept drift with a KPI drop: realized below the interval, worst segment east, KPI dropped', () => {
    const { d, html } = rendered('concept-drift-kpi-drop');
    assert.deepEqual(
      ladder(html).map(([s, v]) => [s, v]),
      d.stages.map((s) => [s.stage, s.verdict]),
    );
    assert.deepEqual(
      ladder(html).map(([s]) => s),
      STAGE_NAMES,
    );
    assert.deepEqual(
      ladder(html).filter(([, , p]) => p),
      [['concept', 'fail', true]],
    );
    const t = text(html);
    assert.match(t, /Primary cause: concept drift \(segment\)/);
    assert.match(t, /Action: retrain to ml-eng/);
    const p = d.performance;
    assert.match(
      t,
      new RegExp(
        `accuracy: realized ${p.realized!.toFixed(3)} vs estimated ${p.estimated!.toFixed(3)} \\(interval ${p.lower!.toFixed(3)}–${p.upper!.toFixed(3)}\\); reference ${p.reference!.toFixed(3)}; on ${p.labelled} labelled`,
      ),
    );
    assert.match(t, /Realized is below the interval/);
    assert.match(html, /<svg class="chart performance" data-metric="accuracy"/);
    assert.match(html, /<rect class="interval"/);
    assert.match(html, /<circle class="estimated"/);
    assert.match(html, /<circle class="realized" [^>]*fill="#c62828"/);
    assert.match(html, /<line class="reference"/);
    assert.match(t, /segment=east: realized 0\.4\d\d vs estimated 0\.7\d\d on 804 rows/);
    assert.match(t, /retention_rate 0\.710 0\.800 yes retention_rate 0\.71 vs 0\.80 \(−11 %, limit −5 %\)/);
    // The segment column is categorical: side-by-side bars of shares.
    assert.match(html, /<svg class="chart distribution" data-feature="segment"/);
    assert.match(t, /share of each window's rows per category/);
    assertSelfContained(html);
  });

  it('covariate drift: age ranked first and drifted, its histograms overlaid', () => {
    const { d, html } = rendered('covariate-drift');
    assert.deepEqual(
      ladder(html).map(([s, v]) => [s, v]),
      [
        ['validity', 'pass'],
        ['quality', 'pass'],
        ['covariate', 'fail'],
        ['labelShift', 'fail'],
        ['concept', 'pass'],
        ['business', 'pass'],
      ],
    );
    assert.equal(ladder(html).find(([, , p]) => p)?.[0], 'covariate');
    const order = ranking(html);
    assert.equal(order[0], 'age');
    assert.deepEqual(order.toSorted(), d.drift.map((f) => f.feature).toSorted());
    assert.match(
      text(html),
      /1 age wasserstein 0\.862 0\.100 0\.862 yes/,
      'the top row: feature, test, value, threshold, effect, drifted',
    );
    assert.match(html, /<tr class="feature drifted" data-feature="age">/);
    // Top three by effect, each with shared bins for both windows.
    const charted = [...html.matchAll(/<svg class="chart distribution" data-feature="([^"]+)"/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(charted, ['age', 'visits', 'engagement']);
    assert.equal(html.match(/class="bar reference"/g)?.length, html.match(/class="bar current"/g)?.length);
    const p = d.performance;
    assert.match(
      text(html),
      new RegExp(`realized ${p.realized!.toFixed(3)} vs estimated ${p.estimated!.toFixed(3)}`),
    );
    assertSelfContained(html);
  });

  it('escapes a hostile feature name everywhere it appears', () => {
    const s = scenario('covariate-drift');
    const evil = '<script>alert("x")</script>';
    const rename = (t: Table): Table =>
      Object.fromEntries(Object.entries(t).map(([k, c]) => [k === 'age' ? evil : k, c]));
    const roles: DiagnosisRoles = {
      ...s.roles,
      features: s.roles.features.map((f) => (f === 'age' ? evil : f)),
    };
    const reference = rename(s.reference);
    const current = rename(s.current);
    const d = diagnose({ reference, current, roles, seed: 7 });
    assert.equal(d.features[0], evil);
    const html = render(d, reference, current, { policy: 'p<b>', model: 'm"&' });
    assert.ok(!html.includes(evil));
    assert.doesNotMatch(html, /<script/i);
    assert.ok(!html.includes('p<b>') && !html.includes('m"&'));
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
    assert.ok(html.includes(escaped));
    assert.equal(ranking(html)[0], escaped);
    assert.ok(html.includes(`<svg class="chart distribution" data-feature="${escaped}"`));
    assert.ok(html.includes('Diagnosis of p&lt;b&gt;'));
    assert.ok(html.includes('model m&quot;&amp;'));
    assertSelfContained(html);
  });

  it('without a KPI and without labels: says so instead of drawing numbers', () => {
    const s = scenario('stable');
    const n = s.current.churned!.values.length;
    const current: Table = {
      ...s.current,
      churned: { kind: 'numeric', values: new Float64Array(n).fill(Number.NaN) },
    };
    const d = diagnose({ reference: s.reference, current, roles: s.roles, seed: 7 });
    assert.equal(d.kpi, undefined);
    assert.equal(d.performance.realized, null);
    const html = render(d, s.reference, current);
    const t = text(html);
    assert.match(t, /Primary cause: performance signal suspect/);
    assert.deepEqual(
      ladder(html).map(([st, v]) => [st, v]),
      d.stages.map((st) => [st.stage, st.verdict]),
    );
    assert.ok(ladder(html).some(([, v]) => v === 'inconclusive'));
    assert.match(t, /realized not measured \(no labelled current rows\) vs estimated —/);
    assert.match(t, /on 0 labelled current rows/);
    assert.match(t, /No business KPI declared/);
    assert.match(t, /No segment breakdown/);
    assertSelfContained(html);
  });

  it('survives missing pieces: no stages, no drift list, no performance, empty tables', () => {
    const { d } = rendered('covariate-drift');
    const bare: Diagnosis = {
      ...d,
      stages: [],
      drift: [],
      findings: [],
      performance: {
        metric: 'accuracy',
        realized: null,
        estimated: null,
        lower: null,
        upper: null,
        reference: null,
        labelled: 0,
      },
      worstSegment: undefined,
      kpi: { metric: 'ctr', value: null, baseline: null, dropped: 'unknown', detail: 'ctr not measured' },
      events: [{ at: '2025-03-01T08:00:00Z', text: 'campaign <launch> & "promo"', tags: ['marketing'] }],
      rows: { reference: 0, current: 0 },
    };
    const html = render(bare, {}, {});
    const t = text(html);
    assert.deepEqual(
      ladder(html).map(([s, v]) => [s, v]),
      STAGE_NAMES.map((s) => [s, 'missing']),
    );
    assert.match(t, /No per-feature drift tests/);
    assert.match(t, /No features to show/, 'age, the cause, is in neither (empty) window');
    assert.match(t, /No performance numbers/);
    assert.match(t, /ctr — — unknown ctr not measured/);
    assert.ok(html.includes('campaign &lt;launch&gt; &amp; &quot;promo&quot;'));
    assert.match(t, /reference 0 rows, current 0 rows; 0 current rows labelled\./);
    assertSelfContained(html);
    // A column of different kinds in the two windows, and an empty window, do not throw either.
    const mixed = render(
      { ...bare, drift: [{ ...d.drift[0]!, feature: 'x' }] },
      { x: { kind: 'numeric', values: new Float64Array([1, 2]) } },
      { x: { kind: 'categorical', values: ['a', null] } },
    );
    assert.match(text(mixed), /numeric in the reference, categorical in the current window/);
    const empty = render(
      { ...bare, drift: [{ ...d.drift[0]!, feature: 'x' }] },
      { x: { kind: 'numeric', values: new Float64Array(0) } },
      { x: { kind: 'numeric', values: new Float64Array([Number.NaN]) } },
    );
    assert.match(text(empty), /no values in either window/);
    assert.match(text(empty), /current 1 of 1 \(100\.0 %\)/);
  });

  it('renders in headless Chromium as a person sees it', {
    skip: existsSync(CHROMIUM)
      ? false
      : 'Debian chromium not installed (npm run bootstrap installs it as root)',
    timeout: 15_000,
  }, async () => {
    const { html } = rendered('concept-drift-kpi-drop');
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
    const dir = mkdtempSync(join(tmpdir(), 'ctpilot-diagnosis-report-'));
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('request', (r) => {
        if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
      });
      await page.setContent(html, { waitUntil: 'load' });

      const stages = page.locator('table.ladder tr.stage');
      assert.equal(await stages.count(), 6);
      for (let i = 0; i < 6; i++) assert.ok(await stages.nth(i).isVisible(), `ladder row ${i + 1} visible`);
      assert.equal(await page.locator('table.ladder tr.stage.primary').getAttribute('data-stage'), 'concept');
      assert.match(
        (await page.locator('#cause').textContent()) ?? '',
        /Primary cause: concept drift \(segment\)/,
      );
      assert.ok(await page.locator('#cause').isVisible());
      assert.equal(await page.locator('.headline .action').textContent(), 'retrain');

      const charts = page.locator('svg.chart');
      assert.equal(await charts.count(), 5, 'four distributions and the performance chart');
      for (let i = 0; i < (await charts.count()); i++) {
        const box = await charts.nth(i).boundingBox();
        assert.ok(box && box.width > 100 && box.height > 50, `chart ${i}: ${JSON.stringify(box)}`);
      }
      for (const sel of ['rect.interval', 'circle.realized', 'circle.estimated', 'line.reference']) {
        const box = await page.locator(`svg.performance ${sel}`).first().boundingBox();
        assert.ok(box && (box.width > 0 || box.height > 0), `${sel}: ${JSON.stringify(box)}`);
      }
      const bar = await page.locator('tr.feature').first().locator('svg.effect-bar').boundingBox();
      assert.ok(bar && bar.width > 0);

      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 20_000, 'the screenshot has content');
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'nothing fetched');
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
