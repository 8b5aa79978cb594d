import type { Kernels } from '../registry.js';

// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and
// Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC 2011), as Random123
// specifies it: a keyed bijection of a 128-bit counter made of ten rounds of
// two 32x32 -> 64-bit multiplications, with a Weyl-sequence key schedule.
// Paper: https://doi.org/10.1145/2063384.2063405
// Integer arithmetic on uint32 values held in JavaScript numbers: every
// platform, engine and backend gives the same words. The random layer
// (src/random/philox.ts) re-exports the block function.

/** Round multipliers (Random123 `PHILOX_M4x32_0`, `PHILOX_M4x32_1`). */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
/** Key-schedule increments: the golden ratio and sqrt(3) - 1, as 32-bit fractions (`PHILOX_W32_0`, `PHILOX_W32_1`). */
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Number of rounds of the standard Philox4x32 variant; the paper finds 7 pass BigCrush and recommends 10 for margin. */
export const PHILOX_ROUNDS = 10;

/**
 * The high 32 bits of the 64-bit product of two uint32 values.
 *
 * A double holds the full product only below 2^53, so the operands are split
 * into 16-bit halves; each partial product is below 2^32 and exact, and the
 * carries out of the low word are added explicitly. The low word is
 * `Math.imul(a, b) >>> 0`.
 *
 * @example
 * mulhi32(0xffffffff, 0xffffffff); // returns 0xfffffffe
 * mulhi32(0x10000, 0x10000);       // returns 1
 */
export function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  // Bits 16..47 of the product that overlap the low word: at most 3 * (2^16 - 1) + 2^16, no overflow.
  const mid = ((aLo * bLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aHi * bHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox4x32-10 of one counter block under one key, written into
 * out[offset .. offset + 3].
 * The counter words are c0 (least significant) to c3; the key words k0, k1.
 * This is the allocation-free form the generator uses; see `philox4x32` for
 * the array form.
 *
 * @example
 * const out = new Uint32Array(4);
 * philox4x32Into(0, 0, 0, 0, 0, 0, out);
 * out[0]; // returns 0x6627e8d5
 */
export function philox4x32Into(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
  offset = 0,
): Uint32Array {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < PHILOX_ROUNDS; r++) {
    if (r > 0) {
      // Random123 bumps the key between rounds, not before the first.
      key0 = (key0 + W0) >>> 0;
      key1 = (key1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi32(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
  }
  out[offset] = x0;
  out[offset + 1] = x1;
  out[offset + 2] = x2;
  out[offset + 3] = x3;
  return out;
}

/** out[4b .. 4b + 3] = Philox4x32-10 of counter (firstBlock + b, as two low words; the high two are 0) under (key0, key1). */
export const philox: Kernels['philox'] = (key0, key1, firstBlock, out) => {
  const blocks = out.length >>> 2;
  for (let b = 0; b < blocks; b++) {
    const index = firstBlock + b;
    philox4x32Into(index % 0x100000000, Math.floor(index / 0x100000000), 0, 0, key0, key1, out, 4 * b);
  }
};
