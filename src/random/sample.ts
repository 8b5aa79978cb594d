/**
 * Tensor-valued sampling. Every function takes its `Generator` explicitly
 * and draws from it in row-major element order, so the same generator state
 * gives the same tensor, bit for bit.
 */
import { arrayFor, Tensor, type DType, type FloatArray } from '../tensor/tensor.js';
import { checkShape, formatShape, sizeOf, type Shape } from '../tensor/shape.js';
import { describe, Generator } from './generator.js';

/** Options of the tensor-creating samplers. `dtype` defaults to `float32`. */
export interface SampleOptions {
  dtype?: DType;
}

/** Options of `categorical`. */
export interface CategoricalOptions {
  /** Read the input as unnormalized log-probabilities (any real or -Infinity) rather than probabilities. */
  logits?: boolean;
  /** Draw this many samples per distribution, adding a trailing axis of this length; omit for one sample and no extra axis. */
  numSamples?: number;
}

/**
 * Category indices from `categorical`: `indices` in row-major order, laid
 * out by `shape`. Indices are integers stored as float64, so
 * `new Tensor(indices, shape)` turns them into a float64 tensor.
 */
export interface CategoricalSamples {
  indices: Float64Array;
  shape: number[];
}

/**
 * Standard normal samples N(0, 1) by Box–Muller: float64 through
 * `Generator.fillNormal`, float32 through `Generator.fillNormal32` (the
 * same words; the same bits on every backend).
 *
 * @example
 * const rng = new Generator(0);
 * const eps = randn([128, 20], rng);                     // float32, shape [128, 20]
 * const ref = randn([3], rng, { dtype: 'float64' });
 */
export function randn(shape: Shape, rng: Generator, opts: SampleOptions = {}): Tensor {
  const dtype = checkCommon('randn', shape, rng, opts);
  const n = sizeOf(shape);
  const out = arrayFor(dtype, n);
  if (out instanceof Float64Array) rng.fillNormal(out);
  else rng.fillNormal32(out);
  return new Tensor(out, shape);
}

/**
 * Uniform samples on [0, 1). float64 elements carry 53 random bits (two
 * words each); float32 elements carry 24 (one word each), so no element
 * rounds up to 1. The two dtypes therefore consume the generator differently.
 *
 * @example
 * const u = rand([2, 3], new Generator(0)); // float32 values in [0, 1)
 */
export function rand(shape: Shape, rng: Generator, opts: SampleOptions = {}): Tensor {
  const dtype = checkCommon('rand', shape, rng, opts);
  return new Tensor(rng.fillUniform01(arrayFor(dtype, sizeOf(shape))), shape);
}

/**
 * Uniform samples on [low, high): `low + (high - low) * u` with `u` from
 * `rand`, kept strictly below `high` and not below `low` after rounding to
 * the dtype. Needs finite `low < high` and an interval holding at least one
 * value of the dtype.
 *
 * @example
 * const w = uniform([400, 784], -0.05, 0.05, new Generator(0)); // e.g. an init scheme
 */
export function uniform(shape: Shape, low: number, high: number, rng: Generator, opts: SampleOptions = {}): Tensor {
  const dtype = checkCommon('uniform', shape, rng, opts);
  checkFinite('uniform', 'low', low);
  checkFinite('uniform', 'high', high);
  if (!(low < high)) throw new Error(`uniform: low must be less than high, got low=${low}, high=${high}`);
  const width = high - low;
  if (!Number.isFinite(width)) throw new Error(`uniform: high - low overflows float64 (low=${low}, high=${high})`);
  // The representable values of the dtype inside [low, high); results are clamped to them.
  const lo = dtype === 'float32' ? float32AtOrAbove(low) : low;
  const hi = dtype === 'float32' ? float32Below(high) : float64Below(high);
  if (!(lo <= hi)) throw new Error(`uniform: [low, high) = [${low}, ${high}) contains no ${dtype} value`);
  const out = rng.fillUniform01(arrayFor(dtype, sizeOf(shape)));
  for (let i = 0; i < out.length; i++) {
    const v = dtype === 'float32' ? Math.fround(low + width * out[i]) : low + width * out[i];
    out[i] = v > hi ? hi : v < lo ? lo : v;
  }
  return new Tensor(out, shape);
}

/**
 * 0/1 samples with P(1) = probs, elementwise; the result has the shape and
 * dtype of `probs`. One float64 uniform (two words) per element, 1 when it
 * is below the probability, so p = 0 never gives 1 and p = 1 always does.
 *
 * @example
 * const probs = tensor([0.1, 0.5, 0.9]);
 * const x = bernoulli(probs, new Generator(0)); // e.g. dynamic binarization of pixels
 */
export function bernoulli(probs: Tensor, rng: Generator): Tensor {
  checkTensor('bernoulli', 'probs', probs);
  checkRng('bernoulli', rng);
  const p = probs.data;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) {
      throw new Error(`bernoulli: probs must be finite and lie in [0, 1], got ${p[i]} at flat index ${i}`);
    }
  }
  const out = arrayFor(probs.dtype, p.length);
  for (let i = 0; i < p.length; i++) out[i] = rng.uniform01() < p[i] ? 1 : 0;
  return new Tensor(out, probs.shape);
}

/**
 * Category indices sampled along the last axis of `probsOrLogits` (shape
 * [...batch, K]), with replacement. Probabilities need not be normalized
 * (non-negative, finite, positive sum per row); with `logits: true` the
 * values are unnormalized log-probabilities (finite or -Infinity, at least
 * one finite per row).
 *
 * Returns `{ indices, shape }` with indices in [0, K) as a Float64Array:
 * `shape` is `batch` when `numSamples` is omitted, else `[...batch, numSamples]`.
 * Rows are sampled in order, each row's samples consecutively, one float64
 * uniform each (inverse CDF), so the same state gives the same indices.
 *
 * @example
 * const { indices, shape } = categorical(tensor([[0.2, 0.8], [1, 0]]), new Generator(0), { numSamples: 3 });
 * // shape: [2, 3]; row 1's indices are all 0
 */
export function categorical(
  probsOrLogits: Tensor,
  rng: Generator,
  opts: CategoricalOptions = {},
): CategoricalSamples {
  const fn = 'categorical';
  checkTensor(fn, 'probsOrLogits', probsOrLogits);
  checkRng(fn, rng);
  const logits = opts.logits ?? false;
  if (typeof logits !== 'boolean') throw new Error(`${fn}: opts.logits must be a boolean, got ${describe(logits)}`);
  const { shape, data } = probsOrLogits;
  if (shape.length === 0 || shape[shape.length - 1] === 0) {
    throw new Error(`${fn}: probsOrLogits must have a non-empty last axis of categories, got shape ${formatShape(shape)}`);
  }
  const k = shape[shape.length - 1];
  const batch = shape.slice(0, -1);
  const rows = data.length / k;
  const perRow = opts.numSamples ?? 1;
  if (!Number.isSafeInteger(perRow) || perRow < 0) {
    throw new Error(`${fn}: opts.numSamples must be a non-negative integer, got ${describe(opts.numSamples)}`);
  }
  const outShape = opts.numSamples === undefined ? batch : [...batch, perRow];
  const indices = new Float64Array(rows * perRow);
  const cumulative = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const total = cumulativeWeights(data, r * k, k, logits, cumulative, fn);
    let lastPositive = k - 1;
    while (cumulative[lastPositive] === (lastPositive > 0 ? cumulative[lastPositive - 1] : 0)) lastPositive--;
    for (let s = 0; s < perRow; s++) {
      const u = rng.uniform01() * total;
      // First category whose cumulative weight exceeds u; zero-weight categories can never be first.
      let lo = 0;
      let hi = lastPositive;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      indices[r * perRow + s] = lo;
    }
  }
  return { indices, shape: outShape };
}

/**
 * Standard Gumbel samples, -log(-log u) with u uniform on the open interval
 * (0, 1) (53 bits, two words each), so every sample is finite. Adding them
 * to logits and taking the argmax samples a categorical (the Gumbel-max trick).
 *
 * @example
 * const g = gumbel([4, 10], new Generator(0)); // mean ~0.5772 (Euler–Mascheroni)
 */
export function gumbel(shape: Shape, rng: Generator, opts: SampleOptions = {}): Tensor {
  const dtype = checkCommon('gumbel', shape, rng, opts);
  const out = arrayFor(dtype, sizeOf(shape));
  for (let i = 0; i < out.length; i++) {
    const a = rng.nextUint32() >>> 5;
    const b = rng.nextUint32() >>> 6;
    const u = (a * 67108864 + b + 0.5) * 1.1102230246251565e-16; // (k + 1/2) / 2^53, strictly inside (0, 1)
    out[i] = -Math.log(-Math.log(u));
  }
  return new Tensor(out, shape);
}

/**
 * `n` integers drawn uniformly from [low, high), without modulo bias
 * (`Generator.uniformInt`). `low` and `high` are safe integers with
 * low < high and high - low < 2^53.
 *
 * @example
 * randint(0, 10, 5, new Generator(0)); // returns a Float64Array of 5 digits
 */
export function randint(low: number, high: number, n: number, rng: Generator): Float64Array {
  const fn = 'randint';
  if (!Number.isSafeInteger(low)) throw new Error(`${fn}: low must be a safe integer, got ${describe(low)}`);
  if (!Number.isSafeInteger(high)) throw new Error(`${fn}: high must be a safe integer, got ${describe(high)}`);
  if (!(low < high)) throw new Error(`${fn}: low must be less than high, got low=${low}, high=${high}`);
  // Both safe, so a true difference above 2^53 - 1 rounds to at least 2^53 and fails the check.
  const range = high - low;
  if (!Number.isSafeInteger(range)) throw new Error(`${fn}: high - low must be below 2^53, got low=${low}, high=${high}`);
  checkCount(fn, n);
  checkRng(fn, rng);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = low + rng.uniformInt(range);
  return out;
}

/**
 * A uniformly random permutation of 0..n-1 by the Fisher–Yates shuffle
 * (Durstenfeld's in-place form: n - 1 bounded draws), e.g. to shuffle
 * training examples into minibatches each epoch.
 *
 * @example
 * const order = permutation(60000, rng); // order[i] is the i-th example to visit
 */
export function permutation(n: number, rng: Generator): Float64Array {
  checkCount('permutation', n);
  checkRng('permutation', rng);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.uniformInt(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/**
 * Fills `cumulative` with the running sums of the category weights of one
 * row and returns the total. Logits are shifted by their maximum before
 * exponentiating so the largest weight is 1 and nothing overflows.
 */
function cumulativeWeights(
  data: FloatArray,
  offset: number,
  k: number,
  logits: boolean,
  cumulative: Float64Array,
  fn: string,
): number {
  const row = Math.floor(offset / k);
  let max = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = data[offset + j];
    const ok = logits ? v < Infinity : v >= 0 && v < Infinity; // also rejects NaN
    if (!ok) {
      const expected = logits ? 'finite or -Infinity logits' : 'finite non-negative probabilities';
      throw new Error(`${fn}: probsOrLogits must hold ${expected}, got ${v} at row ${row}, category ${j}`);
    }
    if (v > max) max = v;
  }
  if (logits && max === -Infinity) {
    throw new Error(`${fn}: probsOrLogits row ${row} has every logit -Infinity: no category is possible`);
  }
  let total = 0;
  for (let j = 0; j < k; j++) {
    total += logits ? Math.exp(data[offset + j] - max) : data[offset + j];
    cumulative[j] = total;
  }
  if (!(total > 0 && total < Infinity)) {
    throw new Error(`${fn}: probsOrLogits row ${row} has probabilities summing to ${total}; expected a positive finite sum`);
  }
  return total;
}

function checkCommon(fn: string, shape: Shape, rng: Generator, opts: SampleOptions): DType {
  if (!Array.isArray(shape)) throw new Error(`${fn}: shape must be an array of dimensions, got ${describe(shape)}`);
  checkShape(shape, fn);
  checkRng(fn, rng);
  if (typeof opts !== 'object' || opts === null) throw new Error(`${fn}: opts must be an object, got ${describe(opts)}`);
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`${fn}: opts.dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
  }
  return dtype;
}

function checkRng(fn: string, rng: unknown): void {
  if (!(rng instanceof Generator)) throw new Error(`${fn}: rng must be a Generator, got ${describe(rng)}`);
}

function checkTensor(fn: string, name: string, t: unknown): void {
  if (!(t instanceof Tensor)) throw new Error(`${fn}: ${name} must be a Tensor, got ${describe(t)}`);
}

function checkFinite(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
}

function checkCount(fn: string, n: unknown): void {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new Error(`${fn}: n must be a non-negative integer, got ${describe(n)}`);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The next float32 toward -Infinity from a float32 value `x` (not NaN, not -Infinity). */
function nextDownFloat32(x: number): number {
  if (x === 0) return -1.401298464324817e-45; // -(smallest subnormal)
  f32[0] = x;
  u32[0] += x > 0 ? -1 : 1;
  return f32[0];
}

/** The largest float32 strictly below `x`. */
function float32Below(x: number): number {
  const f = Math.fround(x);
  return f < x ? f : nextDownFloat32(f);
}

/** The smallest float32 at or above `x`. */
function float32AtOrAbove(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : -nextDownFloat32(-f);
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The largest float64 strictly below a finite `x`. */
function float64Below(x: number): number {
  if (x === 0) return -5e-324;
  f64[0] = x;
  u64[0] += x > 0 ? -1n : 1n;
  return f64[0];
}
