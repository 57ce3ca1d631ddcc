// Just enough double-double arithmetic (an unevaluated sum hi + lo) to form
// the bases of large powers exactly: (1 − x − v/n)^(n−v) with n near a
// million turns a base error of one ulp into a relative error of n ulps.
// Products use Dekker's split because JavaScript has no fused multiply-add.

export type DD = { hi: number; lo: number };

const SPLIT = 134217729; // 2^27 + 1

export function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

export function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

/** (a.hi + a.lo) + b, renormalised. */
export function ddAdd(a: DD, b: number): DD {
  const s = twoSum(a.hi, b);
  return quickTwoSum(s.hi, s.lo + a.lo);
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

/** p / q for integers p, q (|p|, |q| < 2^53) as a double-double. */
export function ddDivInt(p: number, q: number): DD {
  const hi = p / q;
  const prod = twoProd(hi, q);
  const lo = (p - prod.hi - prod.lo) / q;
  return quickTwoSum(hi, lo);
}

/** ln(a.hi + a.lo) to full double precision (first-order correction for lo). */
export function ddLog(a: DD): number {
  return Math.log(a.hi) + a.lo / a.hi;
}

/** n · x exactly, with its floor and fractional part (n an integer). */
export function exactProductFloor(n: number, x: number): { floor: number; frac: number; value: number } {
  const p = twoProd(n, x);
  let fl = Math.floor(p.hi);
  let frac = p.hi - fl + p.lo;
  if (frac < 0) {
    fl -= 1;
    frac += 1;
  } else if (frac >= 1) {
    fl += 1;
    frac -= 1;
  }
  return { floor: fl, frac, value: p.hi };
}
