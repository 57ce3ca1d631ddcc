// Sorting float64 windows fast. Every rank-based test (KS, Wasserstein,
// Anderson–Darling, Cramér–von Mises) starts by sorting, and on a million
// values Node's TypedArray.prototype.sort (a comparison sort) costs more than
// SciPy's whole KS test. A radix sort on the IEEE 754 bit patterns is
// linear: two 16-bit passes over the high 32 bits (a pass is skipped when
// every key shares its digit), then each run of equal high words put in order
// by its low word — runs that real data keeps short (see sortRunsByLowWord).
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
  // Map the keys, with the histograms of the high word's two 16-bit digits in the same pass.
  const counts = new Uint32Array(2 * RADIX);
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
    counts[hi & 0xffff]!++;
    counts[RADIX + (hi >>> 16)]!++;
  }
  // Sorted by the high word (sign, exponent and 20 bits of mantissa) in two passes; equal high
  // words then form short runs in real data, each put in order by its low word afterwards.
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(n * 2);
  for (let pass = 0; pass < 2; pass++) {
    if (scatterByDigit(src, dst, n, counts, pass * RADIX, 1, pass * 16)) {
      const t = src;
      src = dst;
      dst = t;
    }
  }
  sortRunsByLowWord(src, dst, n);
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

/**
 * One stable counting-sort pass of (lo, hi) pairs by the 16-bit digit of
 * word `word` (0 lo, 1 hi) at `shift`, from `src` to `dst`. False (nothing
 * moved) when every key shares the digit: the pass would be the identity.
 */
function scatterByDigit(
  src: Uint32Array,
  dst: Uint32Array,
  n: number,
  counts: Uint32Array,
  base: number,
  word: 0 | 1,
  shift: number,
): boolean {
  for (let b = 0; b < RADIX; b++) {
    const c = counts[base + b]!;
    if (c !== 0) {
      if (c === n) return false;
      break;
    }
  }
  // Exclusive prefix sums turn counts into write offsets.
  let sum = 0;
  for (let b = 0; b < RADIX; b++) {
    const c = counts[base + b]!;
    counts[base + b] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const lo = src[2 * i]!;
    const hi = src[2 * i + 1]!;
    const at = counts[base + (((word === 0 ? lo : hi) >>> shift) & 0xffff)]!++;
    dst[2 * at] = lo;
    dst[2 * at + 1] = hi;
  }
  return true;
}

/** Runs this long or shorter are insertion-sorted; longer ones get a radix sort of their own. */
const SHORT_RUN = 48;

/**
 * Pairs sorted by high word: orders each run of equal high words by low word.
 * Continuous data has runs of one or two; data packed into a narrow relative
 * range (timestamps, say: one high word spans 1,024 s of a Unix time) has
 * long ones, sorted by four 8-bit passes over the run alone. `tmp` is scratch.
 */
function sortRunsByLowWord(pairs: Uint32Array, tmp: Uint32Array, n: number): void {
  let counts: Uint32Array | undefined;
  let start = 0;
  while (start < n) {
    const hi = pairs[2 * start + 1]!;
    let end = start + 1;
    while (end < n && pairs[2 * end + 1] === hi) end++;
    if (end - start > SHORT_RUN) {
      counts ??= new Uint32Array(256);
      radixRunByLowWord(pairs, tmp, start, end, counts);
    } else if (end - start > 1) {
      for (let i = start + 1; i < end; i++) {
        const lo = pairs[2 * i]!;
        let j = i - 1;
        while (j >= start && pairs[2 * j]! > lo) {
          pairs[2 * (j + 1)] = pairs[2 * j]!;
          j--;
        }
        pairs[2 * (j + 1)] = lo;
      }
    }
    start = end;
  }
}

/** LSD radix of one run (equal high words) by its low words: four 8-bit passes, ending back in `pairs`. */
function radixRunByLowWord(
  pairs: Uint32Array,
  tmp: Uint32Array,
  start: number,
  end: number,
  counts: Uint32Array,
): void {
  const hi = pairs[2 * start + 1]!;
  let src = pairs;
  let dst = tmp;
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = start; i < end; i++) counts[(src[2 * i]! >>> shift) & 0xff]!++;
    let sum = start;
    for (let b = 0; b < 256; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = start; i < end; i++) {
      const lo = src[2 * i]!;
      const at = counts[(lo >>> shift) & 0xff]!++;
      dst[2 * at] = lo;
      dst[2 * at + 1] = hi;
    }
    const t = src;
    src = dst;
    dst = t;
  }
}
