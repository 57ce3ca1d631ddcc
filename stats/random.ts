// A seeded generator that NumPy reproduces bit for bit, so fixtures for large
// windows store a seed instead of a million numbers, and permutation tests can
// be replayed in Python. It is mulberry32 (32-bit state advanced by a fixed
// odd increment, output mixed with integer multiplies); its i-th output depends
// only on seed + i·increment, which also makes the NumPy side vectorisable.
// Doubles are built from 53 random bits by exact scaling: no log/sin/cos,
// whose last bits differ between libm and V8.

const INCREMENT = 0x6d2b79f5;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/** The mulberry32 output for one raw state value (a uint32). */
export function mulberry32Mix(state: number): number {
  let t = state >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * Seeded uniform generator.
 *
 * @example
 * const rng = new Rng(42);
 * rng.nextUint32(); // 2581720956
 * rng.nextDouble(); // 0.44829056302060033
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }
  /** Next uint32 in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + INCREMENT) >>> 0;
    return mulberry32Mix(this.state);
  }
  /** Next double in [0, 1) with 53 random bits: (hi>>>5 · 2^26 + lo>>>6) / 2^53. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * TWO_POW_26 + lo) / TWO_POW_53;
  }
  /** Uniform integer in [0, n) by rejection (no modulo bias); n ≤ 2^32. */
  nextBelow(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }
  /** The generator's state, for JSON. */
  getState(): number {
    return this.state;
  }
  static fromState(state: number): Rng {
    const r = new Rng(0);
    r.state = state >>> 0;
    return r;
  }
}

/** Fills a Float64Array with n uniform doubles from `seed` (first double uses outputs 1 and 2). */
export function uniforms(seed: number, n: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextDouble();
  return out;
}

/**
 * Approximately normal doubles, bit-exact across languages: the sum of 12
 * uniforms minus 6 (Irwin–Hall), accumulated left to right, then
 * `loc + scale·z`. Only + and · are used, which IEEE 754 rounds identically
 * in V8 and NumPy.
 */
export function normals(seed: number, n: number, loc = 0, scale = 1): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < 12; k++) s += rng.nextDouble();
    out[i] = loc + scale * (s - 6);
  }
  return out;
}

/** In-place Fisher–Yates shuffle driven by `rng` (index j drawn with nextBelow(i+1), i from n-1 down). */
export function shuffle<T extends { [i: number]: number; length: number }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
