// Hostile and malformed data windows: a corpus (test/fixtures/hostile/
// windows: wrong types, NaN only, empty, ragged CSV, JSON Lines garbage, a
// fake Parquet file, a missing column), random files, and a large file
// generated here — read by the real window readers through the drift
// provider, as a policy's `file://` windows. Each becomes an error, no data
// or a finite value with its reason; none throws, none is mistaken for drift
// when there is nothing to compare.
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { driftProvider } from '../../../activities/metrics/window-metrics.ts';
import { loadPolicy } from '../../../policies/loader.ts';
import type { Measurement } from '../../../policies/measurement.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import { root } from '../policies/helpers.ts';
import { budget, longRun } from './budget.ts';
import { hostileString } from './hostile.ts';

const CORPUS = join(root, 'test/fixtures/hostile/windows');
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, string>;
const REFERENCE = join(CORPUS, 'three-rows.csv');

/** The drift measurement of `x` between a fixed reference and the given current window. */
async function drift(current: string, test = 'ks', format?: string): Promise<Measurement> {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name: 'hostile-window' },
      model: { name: 'm' },
      metrics: {
        x_drift: {
          drift: {
            feature: 'x',
            reference: { uri: `file://${REFERENCE}` },
            current: { uri: `file://${current}`, ...(format ? { format } : {}) },
            test,
          },
        },
      },
      triggers: { shift: { when: 'x_drift.drifted', action: 'alert' } },
    }),
    'hostile.yaml',
  );
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  const [request] = planMeasurements(loaded.policy, new Date());
  return driftProvider({})(request as never, {
    model: 'm',
    aliases: { champion: 'champion', challenger: 'challenger' },
    alerts: [],
  });
}

function assertSound(m: Measurement): void {
  const o = m.outcome;
  if (o.kind === 'value') assert.ok(Number.isFinite(o.value), JSON.stringify(o));
  if (o.kind === 'error') assert.ok(o.message.length > 0);
  if (o.kind === 'noData') assert.ok(o.reason.length > 0);
}

describe('fuzz: data windows', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ctpilot-hostile-windows-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const [file, kind] of Object.entries(expected)) {
    it(`corpus ${file}: ${kind}`, async () => {
      const m = await drift(join(CORPUS, file));
      assertSound(m);
      // A value here is KS's p-value over the rows that could be read (garbage rows dropped): never "drifted" on noise.
      assert.equal(m.outcome.kind, kind, JSON.stringify(m.outcome));
      if (m.outcome.kind === 'value') assert.ok(m.outcome.value > 0.05, 'no drift claimed');
    });
  }

  it('random CSV and JSON Lines contents: always a sound measurement, never a throw', async () => {
    const cell = fc.oneof(
      fc.double().map(String),
      fc.integer().map(String),
      hostileString,
      fc.constantFrom('', 'NaN', 'Infinity', '-inf', 'null', 'true', '1e400', '0x1F'),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('csv', 'jsonl'),
        fc.array(fc.array(cell, { minLength: 0, maxLength: 3 }), { maxLength: 30 }),
        fc.boolean(),
        async (format, rows, header) => {
          const path = join(scratch, `random-${n++}.${format}`);
          const text =
            format === 'csv'
              ? `${header ? 'x,y\n' : ''}${rows.map((r) => r.join(',')).join('\n')}`
              : rows.map((r) => (r.length === 0 ? '' : JSON.stringify({ x: r[0], y: r[1] }))).join('\n');
          writeFileSync(path, text);
          assertSound(await drift(path));
        },
      ),
      budget(150),
    );
  });

  it('a window larger than the reader budget is summarised while it streams, not held whole', async () => {
    // 1.2 million rows (over the one-million-row budget) in CI; 300 MB (over the byte budget) in a long run.
    const rows = longRun ? 60_000_000 : 1_200_000;
    const path = join(scratch, 'large.csv');
    const out = createWriteStream(path);
    out.write('x\n');
    for (let i = 0; i < rows; i += 10_000) {
      let chunk = '';
      for (let j = i; j < i + 10_000; j++) chunk += `${(j % 1000) / 10}\n`;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    const m = await drift(path, 'psi');
    assertSound(m);
    // The reference is three rows held as columns, the current one summaries: they cannot be compared — said so.
    assert.equal(m.outcome.kind, 'noData', JSON.stringify(m.outcome));
    assert.match(JSON.stringify(m.outcome), /budget/);
  });
});
