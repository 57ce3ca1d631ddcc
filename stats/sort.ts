// Sorting float64 windows fast. Every rank-based test (KS, Wasserstein,
// Anderson–Darling, Cramér–von Mises) starts by sorting, and on a million
// values Node's TypedArray.prototype.sort (a comparison sort) costs more than
// SciPy's whole KS test. An LSD radix sort on the IEEE 754 bit patterns is
// linear: 16-bit digits, four scatter passes, passes skipped when every key
// shares the digit (common for the high digits of real data).
//
// Key mapping (why it orders correctly): for a positive double the bit pattern
// read as an unsigned integer grows with the value, so flipping only the sign
// bit puts positives above negatives; for a negative double the pattern grows
// as the value *falls*, so flipping all bits reverses it. -0 therefore sorts
// just below +0 (they compare equal, so any order is a correct sort), and
// NaNs are moved to the end before sorting, as NumPy does.

const RADIX = 65536;

/**
 * Sorts `values` ascending into a new Float64Array; NaNs go last.
 *
 * @example
 * Array.from(sortFloat64(Float64Array.from([3, -1, 0, -0, 2.5, Number.NaN, -Infinity]))); // [-Infinity, -1, -0, 0, 2.5, 3, NaN]
 */
export function sortFloat64(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  sortFloat64InPlace(out);
  return out;
}

/** Sorts `a` ascending in place (NaNs last) and returns it. */
export function sortFloat64InPlace(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < 2) return a;
  // Small arrays: the comparison sort wins on constant factors.
  if (n < 512) {
    a.sort();
    return a;
  }
  // Move NaNs to the end; sort the prefix.
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    if (!Number.isNaN(v)) a[m++] = v;
  }
  for (let i = m; i < n; i++) a[i] = Number.NaN;
  radixSortFinite(m === n ? a : a.subarray(0, m));
  return a;
}

function radixSortFinite(a: Float64Array): void {
  const n = a.length;
  if (n < 2) return;
  const words = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  // Histograms of all four 16-bit digits in one read pass, after mapping keys.
  const counts = new Uint32Array(4 * RADIX);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    let hi = words[2 * i + 1]!;
    let l = lo;
    if (hi & 0x80000000) {
      hi = ~hi >>> 0;
      l = ~lo >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    words[2 * i] = l;
    words[2 * i + 1] = hi;
    counts[l & 0xffff]!++;
    counts[RADIX + (l >>> 16)]!++;
    counts[2 * RADIX + (hi & 0xffff)]!++;
    counts[3 * RADIX + (hi >>> 16)]!++;
  }
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(n * 2);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * RADIX;
    // Skip a pass when one bucket holds every key: it would be the identity.
    let skip = false;
    for (let b = 0; b < RADIX; b++) {
      const c = counts[base + b]!;
      if (c !== 0) {
        skip = c === n;
        break;
      }
    }
    if (skip) continue;
    // Exclusive prefix sums turn counts into write offsets.
    let sum = 0;
    for (let b = 0; b < RADIX; b++) {
      const c = counts[base + b]!;
      counts[base + b] = sum;
      sum += c;
    }
    const word = pass < 2 ? 0 : 1;
    const shift = pass % 2 === 0 ? 0 : 16;
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i]!;
      const hi = src[2 * i + 1]!;
      const digit = ((word === 0 ? lo : hi) >>> shift) & 0xffff;
      const at = counts[base + digit]!++;
      dst[2 * at] = lo;
      dst[2 * at + 1] = hi;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // Undo the key mapping, writing into `a`'s memory if the result is elsewhere.
  for (let i = 0; i < n; i++) {
    const l = src[2 * i]!;
    const hi = src[2 * i + 1]!;
    if (hi & 0x80000000) {
      words[2 * i] = l;
      words[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    } else {
      words[2 * i] = ~l >>> 0;
      words[2 * i + 1] = ~hi >>> 0;
    }
  }
}
