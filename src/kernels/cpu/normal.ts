import type { Kernels } from '../registry.js';

// Box–Muller (Box & Muller 1958) from raw generator words, in float32 out,
// with its own logarithm, sine and cosine: a fixed sequence of IEEE double
// operations (no library calls, no fused multiply-add), so the native kernel
// that repeats the same sequence gives the same bits. Math.log/cos/sin may
// differ from a C library's in the last bit; these do not, by construction.
// Accuracy: within a few units in the last place of a double, so that after
// rounding to float32 the result equals the correctly rounded Box–Muller
// value except in about one case in 10^8 (test/kernels/normal.test.ts).

const TWO_POW_M53 = 1.1102230246251565e-16;
const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;
const PI_4 = 0.7853981633974483;
// 2^-e for e = 0..53, exact.
const INV_POW2 = Float64Array.from({ length: 54 }, (_, e) => 2 ** -e);
// 1/(2k+1): log m = 2 atanh s = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1)/(m + 1).
const A3 = 1 / 3, A5 = 1 / 5, A7 = 1 / 7, A9 = 1 / 9, A11 = 1 / 11, A13 = 1 / 13, A15 = 1 / 15, A17 = 1 / 17, A19 = 1 / 19;
// Taylor coefficients of sin and cos on [0, pi/4] (the next terms are below 2^-56 there).
const S3 = -1 / 6, S5 = 1 / 120, S7 = -1 / 5040, S9 = 1 / 362880, S11 = -1 / 39916800, S13 = 1 / 6227020800, S15 = -1 / 1307674368000, S17 = 1 / 355687428096000;
const C2 = -1 / 2, C4 = 1 / 24, C6 = -1 / 720, C8 = 1 / 40320, C10 = -1 / 3628800, C12 = 1 / 479001600, C14 = -1 / 87178291200, C16 = 1 / 20922789888000;

/**
 * log(k 2^-53) for an integer k in [1, 2^53]: k = m 2^e with m in
 * [sqrt(2)/2, sqrt(2)], log = (e - 53) ln 2 + 2 atanh((m - 1)/(m + 1)).
 */
export function logScaledInteger(k: number): number {
  // e = floor(log2 k) from the leading zeros of k's high or low word.
  const hi = Math.floor(k / 4294967296);
  let e = hi > 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(k);
  let m = k * INV_POW2[e];
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const p = 1 + s2 * (A3 + s2 * (A5 + s2 * (A7 + s2 * (A9 + s2 * (A11 + s2 * (A13 + s2 * (A15 + s2 * (A17 + s2 * A19))))))));
  return (e - 53) * LN2 + 2 * s * p;
}

function sinPoly(x: number): number {
  const x2 = x * x;
  return x + x * x2 * (S3 + x2 * (S5 + x2 * (S7 + x2 * (S9 + x2 * (S11 + x2 * (S13 + x2 * (S15 + x2 * S17)))))));
}

function cosPoly(x: number): number {
  const x2 = x * x;
  return 1 + x2 * (C2 + x2 * (C4 + x2 * (C6 + x2 * (C8 + x2 * (C10 + x2 * (C12 + x2 * (C14 + x2 * C16)))))));
}

/**
 * out[2i], out[2i + 1] = r cos(theta), r sin(theta) from words[4i .. 4i + 3]:
 * u1 = 1 - (53 bits of words 4i, 4i+1) 2^-53 in (0, 1], r = sqrt(-2 log u1);
 * theta = 2 pi b 2^-53 with b the 53 bits of words 4i+2, 4i+3. An odd
 * out.length drops the last sine. words.length >= 4 ceil(out.length / 2).
 */
export const boxMuller32: Kernels['boxMuller32'] = (words, out) => {
  const n = out.length;
  for (let i = 0, j = 0; i < n; i += 2, j += 4) {
    const a = (words[j] >>> 5) * 67108864 + (words[j + 1] >>> 6);
    const r = Math.sqrt(-2 * logScaledInteger(9007199254740992 - a));
    // theta = (q + f) pi/4: octant q = the top 3 of b's 53 bits, f in [0, 1) the rest, exactly.
    const hiBits = words[j + 2] >>> 5;
    const q = hiBits >>> 24;
    const f = ((hiBits & 0xffffff) * 67108864 + (words[j + 3] >>> 6)) * 8.881784197001252e-16; // 2^-50
    let c: number;
    let s: number;
    if ((q & 1) === 0) {
      const phi = f * PI_4;
      c = cosPoly(phi);
      s = sinPoly(phi);
    } else {
      // psi = pi/4 + f pi/4 = pi/2 - (1 - f) pi/4.
      const phi = (1 - f) * PI_4;
      c = sinPoly(phi);
      s = cosPoly(phi);
    }
    // Rotate by (q >> 1) quarter turns.
    let x: number;
    let y: number;
    switch (q >>> 1) {
      case 0: x = c; y = s; break;
      case 1: x = -s; y = c; break;
      case 2: x = -c; y = -s; break;
      default: x = s; y = -c; break;
    }
    out[i] = r * x;
    if (i + 1 < n) out[i + 1] = r * y;
  }
};
