import type { Kernels } from '../registry.js';

// Philox4x32-10 in bulk: the TypeScript reference of the `philox` kernel,
// the same function as src/random/philox.ts (Salmon et al., SC 2011, as
// Random123 specifies it), repeated here because kernels sit below the
// random layer. Integer arithmetic only: every backend gives the same words.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** The high 32 bits of the 64-bit product of two uint32 values (16-bit halves keep every partial product exact). */
function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const mid = ((aLo * bLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aHi * bHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** out[4b .. 4b + 3] = Philox4x32-10 of counter (firstBlock + b, as two low words; the high two are 0) under (key0, key1). */
export const philox: Kernels['philox'] = (key0, key1, firstBlock, out) => {
  const blocks = out.length >>> 2;
  for (let b = 0; b < blocks; b++) {
    const index = firstBlock + b;
    let x0 = index % 0x100000000;
    let x1 = Math.floor(index / 0x100000000);
    let x2 = 0;
    let x3 = 0;
    let k0 = key0 >>> 0;
    let k1 = key1 >>> 0;
    for (let r = 0; r < 10; r++) {
      if (r > 0) {
        k0 = (k0 + W0) >>> 0;
        k1 = (k1 + W1) >>> 0;
      }
      const hi0 = mulhi32(M0, x0);
      const lo0 = Math.imul(M0, x0) >>> 0;
      const hi1 = mulhi32(M1, x2);
      const lo1 = Math.imul(M1, x2) >>> 0;
      x0 = (hi1 ^ x1 ^ k0) >>> 0;
      x1 = lo1;
      x2 = (hi0 ^ x3 ^ k1) >>> 0;
      x3 = lo0;
    }
    out[4 * b] = x0;
    out[4 * b + 1] = x1;
    out[4 * b + 2] = x2;
    out[4 * b + 3] = x3;
  }
};
