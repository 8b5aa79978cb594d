import { philox4x32Into } from './philox.js';
import { kernel } from '../kernels/registry.js';
import '../kernels/cpu/index.js';

/**
 * A random generator passed explicitly to everything that samples: a
 * Philox4x32-10 key (64 bits) and a position in its stream.
 *
 * The stream of a key is Philox applied to the block counters 0, 1, 2, ...
 * (counter words c0, c1 = block index, c2 = c3 = 0); each block yields four
 * uint32 words, consumed in order. The position counts the uint32 words
 * consumed, so the whole state is a few integers: saving and restoring it
 * resumes the sequence bit for bit, and no output is cached anywhere.
 *
 * Word budget of each draw, which fixes where a restored generator resumes:
 * `nextUint32` 1 word, `uniform01` 2, `normal01` 4, `uniformInt(n)` 1 per
 * attempt for n <= 2^32 and 2 per attempt above (rejection sampling, so
 * usually one attempt).
 *
 * Reproducibility: integer and uniform outputs are exact integer arithmetic
 * and identical on every platform. Normals (and anything built on
 * `Math.log`, `Math.cos`, `Math.sin`) are identical wherever those functions
 * are; Node's V8 computes them with its own fdlibm port rather than the
 * system libm, so they agree across operating systems for a given engine.
 *
 * Paper: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011.
 *
 * @example
 * const rng = new Generator(42);
 * rng.uniform01();            // a float64 in [0, 1)
 * const saved = rng.getState();
 * const a = rng.normal01();
 * Generator.fromState(saved).normal01() === a; // returns true
 */
/** Words drawn per call of the `philox` kernel when filling arrays: bounds the temporary buffer at 256 KB. */
const WORDS_PER_CALL = 65536;

export class Generator {
  private key0: number;
  private key1: number;
  /** Number of uint32 words consumed from this key's stream; below 2^53. */
  private position: number;
  /** Number of children derived by `split`/`fork`; indexes the next child's key. */
  private spawned: number;
  /** The block last computed, and its index (-1 when none). Derived from the state, never part of it. */
  private readonly block = new Uint32Array(4);
  private blockIndex = -1;

  /**
   * A generator seeded by a non-negative safe integer (0 <= seed < 2^53).
   * The seed is the Philox key (its low and high 32 bits); the position starts at 0.
   *
   * @example
   * const rng = new Generator(0);
   * rng.nextUint32(); // returns 0x6627e8d5 (Random123's known answer for counter 0, key 0)
   */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(`Generator: seed must be a non-negative safe integer (0 <= seed < 2^53), got ${describe(seed)}`);
    }
    this.key0 = seed % 0x100000000;
    this.key1 = Math.floor(seed / 0x100000000);
    this.position = 0;
    this.spawned = 0;
  }

  /**
   * The next uniformly distributed 32-bit unsigned integer.
   *
   * @example
   * new Generator(7).nextUint32(); // an integer in [0, 2^32)
   */
  nextUint32(): number {
    const pos = this.position;
    if (pos >= Number.MAX_SAFE_INTEGER) {
      throw new Error('Generator: stream exhausted (2^53 words drawn); fork() a new generator');
    }
    // Integer division of a safe integer by 4; `& 3` sees the low 32 bits, which keep the lane.
    const lane = pos & 3;
    const index = (pos - lane) / 4;
    if (index !== this.blockIndex) {
      philox4x32Into(index % 0x100000000, Math.floor(index / 0x100000000), 0, 0, this.key0, this.key1, this.block);
      this.blockIndex = index;
    }
    this.position = pos + 1;
    return this.block[lane];
  }

  /**
   * A float64 uniform on [0, 1) with 53 random bits (two words: the top 27
   * bits of the first and top 26 of the second), every value a multiple of 2^-53.
   *
   * @example
   * const u = new Generator(1).uniform01(); // 0 <= u < 1
   */
  uniform01(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * 1.1102230246251565e-16; // (a * 2^26 + b) / 2^53
  }

  /**
   * A standard normal float64 by the Box–Muller transform (two uniforms,
   * four words). Only the cosine branch is returned: the generator keeps no
   * spare value, so its state stays a handful of integers. Fill functions
   * (`fillNormal`) use both branches.
   *
   * Paper: Box and Muller, "A note on the generation of random normal deviates", 1958.
   *
   * @example
   * const z = new Generator(1).normal01(); // a draw from N(0, 1)
   */
  normal01(): number {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.uniform01();
    const u2 = this.uniform01();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * A uniformly distributed integer in [0, n), without modulo bias
   * (rejection of the incomplete last copy of the range). `n` must be a
   * positive safe integer; n <= 2^32 uses one word per attempt, larger n two.
   *
   * @example
   * new Generator(3).uniformInt(6); // one of 0, 1, 2, 3, 4, 5
   */
  uniformInt(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new Error(`Generator.uniformInt: n must be a positive safe integer, got ${describe(n)}`);
    }
    if (n <= 0x100000000) {
      // Largest multiple of n not above 2^32: words at or past it would favour small residues.
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = 9007199254740992 - (9007199254740992 % n); // 2^53 - (2^53 mod n)
    for (;;) {
      const x = (this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6);
      if (x < limit) return x % n;
    }
  }

  /**
   * Fills `out` with uniforms on [0, 1): for a Float64Array, `uniform01()`
   * per element (53 bits, two words); for a Float32Array, one word per
   * element giving a multiple of 2^-24, so that rounding to float32 never
   * reaches 1.
   *
   * @example
   * const u = new Generator(0).fillUniform01(new Float32Array(8));
   */
  fillUniform01<T extends Float32Array | Float64Array>(out: T): T {
    const n = out.length;
    if (out instanceof Float32Array) {
      for (let i = 0; i < n; ) {
        const w = this.words(Math.min(n - i, WORDS_PER_CALL));
        for (let j = 0; j < w.length; j++, i++) out[i] = (w[j] >>> 8) * 5.960464477539063e-8; // 2^-24
      }
    } else {
      for (let i = 0; i < n; ) {
        const w = this.words(2 * Math.min(n - i, WORDS_PER_CALL / 2));
        // uniform01's arithmetic on each pair of words.
        for (let j = 0; j < w.length; j += 2, i++) out[i] = ((w[j] >>> 5) * 67108864 + (w[j + 1] >>> 6)) * 1.1102230246251565e-16;
      }
    }
    return out;
  }

  /**
   * Fills `out` with standard normals, computed in float64 by Box–Muller
   * using both branches: elements 2i and 2i+1 come from one pair of
   * uniforms, and an odd last element uses only the cosine branch. So the
   * first element equals what `normal01()` would have returned, and n
   * elements consume 4 * ceil(n / 2) words.
   *
   * @example
   * const z = new Generator(0).fillNormal(new Float64Array(1000));
   */
  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    const n = out.length;
    for (let i = 0; i < n; ) {
      const w = this.words(4 * Math.min(Math.ceil((n - i) / 2), WORDS_PER_CALL / 4));
      for (let j = 0; j < w.length; j += 4, i += 2) {
        // Two uniform01 draws from four words, as normal01 makes them.
        const u1 = 1 - ((w[j] >>> 5) * 67108864 + (w[j + 1] >>> 6)) * 1.1102230246251565e-16;
        const u2 = ((w[j + 2] >>> 5) * 67108864 + (w[j + 3] >>> 6)) * 1.1102230246251565e-16;
        const r = Math.sqrt(-2 * Math.log(u1));
        const theta = 2 * Math.PI * u2;
        out[i] = r * Math.cos(theta);
        if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
      }
    }
    return out;
  }

  /**
   * Fills a Float32Array with standard normals from the same words as
   * `fillNormal` (4 per pair), through the `boxMuller32` kernel: its own
   * logarithm and sine/cosine in a fixed sequence of double operations, so
   * the native and TypeScript backends give the same bits. The values
   * equal `Math.fround` of `fillNormal`'s except in about one element in
   * 10^8 at most (none in the 4 million of test/random/normal32.test.ts).
   *
   * @example
   * const eps = new Generator(0).fillNormal32(new Float32Array(128 * 20));
   */
  fillNormal32(out: Float32Array): Float32Array {
    const n = out.length;
    const box = kernel('boxMuller32');
    for (let i = 0; i < n; ) {
      const pairs = Math.min(Math.ceil((n - i) / 2), WORDS_PER_CALL / 4);
      const m = Math.min(2 * pairs, n - i);
      box(this.words(4 * pairs), out.subarray(i, i + m));
      i += m;
    }
    return out;
  }

  /**
   * The next `count` words of the stream, as `nextUint32` would give them
   * one by one, computed in bulk by the `philox` kernel (native when
   * built: integer arithmetic, the same words on every backend).
   */
  private words(count: number): Uint32Array {
    const pos = this.position;
    if (pos + count > Number.MAX_SAFE_INTEGER) {
      // Near the end of the stream: word by word, so that the exhaustion error comes at the same word.
      const w = new Uint32Array(count);
      for (let i = 0; i < count; i++) w[i] = this.nextUint32();
      return w;
    }
    const lane = pos & 3;
    const first = (pos - lane) / 4;
    const blocks = Math.ceil((lane + count) / 4);
    const buf = new Uint32Array(blocks * 4);
    kernel('philox')(this.key0, this.key1, first, buf);
    this.position = pos + count;
    // Keep the last block: the next nextUint32 may continue in it.
    this.block.set(buf.subarray(buf.length - 4));
    this.blockIndex = first + blocks - 1;
    return buf.subarray(lane, lane + count);
  }

  /**
   * `n` new generators whose keys are derived from this one's key by
   * Philox itself (block counter = child index, with a domain tag in the
   * counter's top word that the ordinary stream never uses). Children are
   * a deterministic function of this generator's key and how many children
   * it has made before; drawing from this generator does not change them,
   * and splitting does not change this generator's own sequence.
   * Distinct children have distinct keys except with probability about
   * (number of children)^2 / 2^65.
   *
   * @example
   * const [encoderRng, decoderRng] = new Generator(0).split(2);
   */
  split(n = 2): Generator[] {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new Error(`Generator.split: n must be a non-negative safe integer, got ${describe(n)}`);
    }
    if (this.spawned + n > Number.MAX_SAFE_INTEGER) {
      throw new Error('Generator.split: too many children (2^53) derived from one generator');
    }
    const words = new Uint32Array(4);
    const children: Generator[] = [];
    for (let i = 0; i < n; i++) {
      const index = this.spawned + i;
      philox4x32Into(index % 0x100000000, Math.floor(index / 0x100000000), 0, SPLIT_DOMAIN, this.key0, this.key1, words);
      children.push(Generator.fromKey(words[0], words[1]));
    }
    this.spawned += n;
    return children;
  }

  /**
   * One new independent generator: `split(1)[0]`.
   *
   * @example
   * const rng = new Generator(0);
   * const dataRng = rng.fork(); // e.g. for shuffling, independent of rng's draws
   */
  fork(): Generator {
    return this.split(1)[0];
  }

  /**
   * A copy in the same state: it will produce the same values as this one.
   *
   * @example
   * const rng = new Generator(5);
   * rng.clone().nextUint32() === rng.nextUint32(); // returns true
   */
  clone(): Generator {
    return Generator.fromState(this.getState());
  }

  /**
   * The whole state as a plain JSON-serializable object; `fromState` or
   * `setState` of it resumes the sequence bit for bit.
   *
   * @example
   * const text = JSON.stringify(rng.getState());
   * const resumed = Generator.fromState(JSON.parse(text));
   */
  getState(): GeneratorState {
    return {
      algorithm: GENERATOR_ALGORITHM,
      version: GENERATOR_STATE_VERSION,
      key: [this.key0, this.key1],
      position: this.position,
      spawned: this.spawned,
    };
  }

  /**
   * Restores a state from `getState`, validating it (an error names the
   * malformed field).
   *
   * @example
   * const saved = rng.getState();
   * rng.uniform01();
   * rng.setState(saved); // the same uniform01() comes next
   */
  setState(state: GeneratorState): void {
    checkState(state, 'Generator.setState');
    this.key0 = state.key[0];
    this.key1 = state.key[1];
    this.position = state.position;
    this.spawned = state.spawned;
    this.blockIndex = -1;
  }

  /**
   * A generator in a state from `getState`, validated.
   *
   * @example
   * const resumed = Generator.fromState(JSON.parse(checkpointText).rng);
   */
  static fromState(state: GeneratorState): Generator {
    checkState(state, 'Generator.fromState');
    const g = new Generator(0);
    g.setState(state);
    return g;
  }

  private static fromKey(key0: number, key1: number): Generator {
    const g = new Generator(0);
    g.key0 = key0;
    g.key1 = key1;
    return g;
  }

  toString(): string {
    const hex = (x: number) => x.toString(16).padStart(8, '0');
    return `Generator(${GENERATOR_ALGORITHM}, key 0x${hex(this.key1)}${hex(this.key0)}, position ${this.position})`;
  }
}

/** Tag in counter word c3 for deriving children's keys; the ordinary stream keeps c3 = 0. */
const SPLIT_DOMAIN = 0x53504c54; // "SPLT"

export const GENERATOR_ALGORITHM = 'philox4x32-10';
export const GENERATOR_STATE_VERSION = 1;

/**
 * The saved state of a `Generator`: plain numbers, safe to write as JSON.
 * `key` holds the 64-bit Philox key as uint32 words, low word first;
 * `position` counts uint32 words drawn; `spawned` counts children made by
 * `split`/`fork`.
 */
export interface GeneratorState {
  algorithm: typeof GENERATOR_ALGORITHM;
  version: typeof GENERATOR_STATE_VERSION;
  key: [number, number];
  position: number;
  spawned: number;
}

const STATE_FIELDS = ['algorithm', 'version', 'key', 'position', 'spawned'];

function checkState(state: unknown, where: string): asserts state is GeneratorState {
  const bad = (what: string): never => {
    throw new Error(`${where}: malformed generator state: ${what}`);
  };
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    bad(`expected an object from Generator.getState(), got ${describe(state)}`);
  }
  const s = state as Record<string, unknown>;
  const extra = Object.keys(s).filter((k) => !STATE_FIELDS.includes(k));
  if (extra.length > 0) bad(`unknown field(s) ${extra.join(', ')}`);
  if (s.algorithm !== GENERATOR_ALGORITHM) bad(`algorithm must be '${GENERATOR_ALGORITHM}', got ${describe(s.algorithm)}`);
  if (s.version !== GENERATOR_STATE_VERSION) bad(`version must be ${GENERATOR_STATE_VERSION}, got ${describe(s.version)}`);
  const key = s.key;
  if (!Array.isArray(key) || key.length !== 2) bad(`key must be an array of 2 uint32 words, got ${describe(key)}`);
  (key as unknown[]).forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 0xffffffff) {
      bad(`key[${i}] must be an integer in [0, 2^32), got ${describe(w)}`);
    }
  });
  for (const field of ['position', 'spawned'] as const) {
    const v = s[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      bad(`${field} must be a non-negative safe integer, got ${describe(v)}`);
    }
  }
}

/** A short description of a bad argument for error messages (internal to `src/random`). */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null || v === undefined) {
    return String(v);
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
  return `a ${typeof v}`;
}
