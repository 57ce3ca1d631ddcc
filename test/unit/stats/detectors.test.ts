// River parity for the streaming detectors: the same seeded streams (see
// generate_parity.py `river_streams`) must raise drift at the same indices,
// with River's defaults; and every detector's state must survive a JSON round
// trip mid-stream (it lives in Temporal workflow state).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Adwin } from '../../../stats/detectors/adwin.ts';
import { Ddm } from '../../../stats/detectors/ddm.ts';
import { Eddm } from '../../../stats/detectors/eddm.ts';
import { Kswin } from '../../../stats/detectors/kswin.ts';
import { PageHinkley } from '../../../stats/detectors/page-hinkley.ts';
import { StatsConfigError } from '../../../stats/errors.ts';
import { normals, uniforms } from '../../../stats/random.ts';

interface Stream {
  type: 'numeric' | 'binary';
  seed: number;
  n: number;
  segments: [number, number, number, number][];
}
const fx: { cases: { name: string; stream: Stream; drifts: Record<string, number[]> }[] } = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/river.json', import.meta.url), 'utf8'),
);

function stream(s: Stream): Float64Array {
  if (s.type === 'numeric') {
    const x = normals(s.seed, s.n);
    for (const [start, end, loc, scale] of s.segments)
      for (let i = start; i < end; i++) x[i] = loc + scale * x[i]!;
    return x;
  }
  const u = uniforms(s.seed, s.n);
  const out = new Float64Array(s.n);
  for (const [start, end, p0, p1] of s.segments) {
    for (let i = start; i < end; i++) out[i] = u[i]! < p0 + ((p1 - p0) * (i - start)) / (end - start) ? 1 : 0;
  }
  return out;
}

interface Detector {
  update(x: number): Detector;
  readonly driftDetected: boolean;
  toJSON(): unknown;
}

function make(name: string): { create: () => Detector; restore: (s: unknown) => Detector } {
  if (name === 'adwin') return { create: () => new Adwin(), restore: (s) => Adwin.fromJSON(s as never) };
  if (name === 'page_hinkley')
    return { create: () => new PageHinkley(), restore: (s) => PageHinkley.fromJSON(s as never) };
  if (name === 'ddm') return { create: () => new Ddm(), restore: (s) => Ddm.fromJSON(s as never) };
  if (name === 'eddm') return { create: () => new Eddm(), restore: (s) => Eddm.fromJSON(s as never) };
  const seed = Number(/^kswin_seed(\d+)$/.exec(name)?.[1]);
  return { create: () => new Kswin({ seed }), restore: (s) => Kswin.fromJSON(s as never) };
}

function run(
  det: Detector,
  x: Float64Array,
  restoreAt?: number,
  restore?: (s: unknown) => Detector,
): number[] {
  const found: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (i === restoreAt && restore) det = restore(JSON.parse(JSON.stringify(det.toJSON())));
    det.update(x[i]!);
    if (det.driftDetected) found.push(i);
  }
  return found;
}

describe('detectors flag drift at the same indices as River', () => {
  for (const c of fx.cases) {
    const x = stream(c.stream);
    for (const [name, want] of Object.entries(c.drifts)) {
      it(`${c.name} / ${name}`, () => {
        const { create, restore } = make(name);
        assert.deepEqual(run(create(), x), want);
        // Same answer when the state is serialised and restored half-way.
        assert.deepEqual(run(create(), x, Math.floor(x.length / 2) + 3, restore), want);
      });
    }
  }
});

describe('detector configuration errors', () => {
  it('Page–Hinkley lists valid modes', () => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong
    assert.throws(() => new PageHinkley({ mode: 'sideways' as any }), /Available: up, down, both/);
  });
  it('EDDM alpha < beta and KSWIN statSize > windowSize are rejected', () => {
    assert.throws(() => new Eddm({ alpha: 0.5, beta: 0.9 }), StatsConfigError);
    assert.throws(() => new Kswin({ seed: 1, windowSize: 10, statSize: 30 }), StatsConfigError);
    assert.throws(() => new Adwin({ delta: 2 }), StatsConfigError);
  });
});
