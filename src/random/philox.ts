/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
 * "Parallel random numbers: as easy as 1, 2, 3" (SC 2011), as specified by the
 * Random123 library: a keyed bijection of a 128-bit counter made of ten rounds
 * of two 32x32 -> 64-bit multiplications, with a Weyl-sequence key schedule.
 *
 * Paper: https://doi.org/10.1145/2063384.2063405
 *
 * Everything here is integer arithmetic on uint32 values held in JavaScript
 * numbers, so the output is the same on every platform and engine. The
 * round function lives with the kernels (src/kernels/cpu/random.ts), which
 * sit below this layer and compute the generator's stream in bulk.
 */
import { PHILOX_ROUNDS, mulhi32, philox4x32Into } from '../kernels/cpu/random.js';

export { PHILOX_ROUNDS, mulhi32, philox4x32Into };


/**
 * Philox4x32-10: maps a 128-bit counter (four uint32 words, least
 * significant first) and a 64-bit key (two uint32 words) to four uint32
 * words, exactly as Random123's `philox4x32(ctr, key)`.
 *
 * @example
 * philox4x32([0, 0, 0, 0], [0, 0]);
 * // returns Uint32Array [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  if (counter.length !== 4) throw new Error(`philox4x32: counter must have 4 uint32 words, got ${counter.length}`);
  if (key.length !== 2) throw new Error(`philox4x32: key must have 2 uint32 words, got ${key.length}`);
  const words = [...Array.from(counter), ...Array.from(key)];
  words.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
      const where = i < 4 ? `counter[${i}]` : `key[${i - 4}]`;
      throw new Error(`philox4x32: ${where} must be an integer in [0, 2^32), got ${w}`);
    }
  });
  return philox4x32Into(counter[0], counter[1], counter[2], counter[3], key[0], key[1], new Uint32Array(4));
}
