/**
 * Binarization of grey-level images in [0, 1] to 0/1 pixels, for Bernoulli
 * decoders.
 *
 * - Static: one Bernoulli draw per pixel, made once and kept (the fixed
 *   binarized MNIST of Salakhutdinov and Murray, "On the quantitative
 *   analysis of deep belief networks", 2008, used by Burda et al., "Importance
 *   weighted autoencoders", 2016), or a fixed threshold.
 * - Dynamic: a fresh draw every time a minibatch is formed (`minibatches`
 *   with `binarize: 'dynamic'`), as in the IWAE paper's main experiments.
 */
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../random/generator.js';
import { createDataset, type Dataset } from './dataset.js';
import { describeValue } from './errors.js';

/** The command line's `--binarize` modes, plus `threshold` (x > 0.5). */
export type BinarizeMode = 'dynamic' | 'static' | 'threshold' | 'none';

/** The modes `binarizeDataset` and `minibatches` accept. */
export const BINARIZE_MODES: readonly BinarizeMode[] = Object.freeze(['dynamic', 'static', 'threshold', 'none']);

function checkImages(fn: string, images: unknown): asserts images is Tensor {
  if (!(images instanceof Tensor)) throw new Error(`${fn}: images must be a Tensor, got ${describeValue(images)}`);
}

function checkRng(fn: string, rng: unknown): asserts rng is Generator {
  if (!(rng instanceof Generator)) throw new Error(`${fn}: rng must be a Generator, got ${describeValue(rng)}`);
}

/**
 * Replaces each value p of `x` (in place) by a Bernoulli(p) draw: one
 * float32 uniform u per element from `rng.fillUniform01` (one 32-bit word
 * each, u a multiple of 2^-24), in row-major order, and 1 when u < p. Values
 * must lie in [0, 1]. `scratch`, when given, holds the uniforms (length >= x's).
 */
export function binarizeInPlace(x: Float32Array | Float64Array, rng: Generator, fn: string, where: string, scratch?: Float32Array): void {
  const u = scratch !== undefined && scratch.length >= x.length ? scratch.subarray(0, x.length) : new Float32Array(x.length);
  rng.fillUniform01(u);
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    if (!(p >= 0 && p <= 1)) {
      throw new Error(`${fn}: ${where}value ${p} at flat index ${i} is not a probability in [0, 1]; binarization needs images in [0, 1]`);
    }
    x[i] = u[i] < p ? 1 : 0;
  }
}

/**
 * A static binarization: each pixel becomes 1 with probability equal to its
 * value, drawn once from `rng` (one float32 uniform u per pixel from
 * `rng.fillUniform01`, in row-major order; the pixel is 1 when u < value).
 * With `{ threshold }` the
 * pixels are instead `x > threshold` and `rng` is not used (may be null).
 * Same shape and dtype as `images`.
 *
 * @example
 * const fixed = binarizeStatic(train.images, new Generator(123));          // keep it for every epoch
 * const hard = binarizeStatic(train.images, null, { threshold: 0.5 });
 */
export function binarizeStatic(images: Tensor, rng: Generator | null, opts: { threshold?: number } = {}): Tensor {
  const fn = 'binarizeStatic';
  checkImages(fn, images);
  const src = images.data;
  const out = new (src.constructor as new (n: number) => Float32Array | Float64Array)(src.length);
  if (opts.threshold !== undefined) {
    const t = opts.threshold;
    if (typeof t !== 'number' || !(t >= 0 && t < 1)) throw new Error(`${fn}: threshold must be a number in [0, 1), got ${describeValue(t)}`);
    for (let i = 0; i < src.length; i++) {
      const p = src[i];
      if (!(p >= 0 && p <= 1)) throw new Error(`${fn}: value ${p} at flat index ${i} is not in [0, 1]; binarization needs images in [0, 1]`);
      out[i] = p > t ? 1 : 0;
    }
  } else {
    checkRng(fn, rng);
    out.set(src);
    binarizeInPlace(out, rng, fn, '');
  }
  return new Tensor(out, images.shape);
}

/**
 * A dynamic binarization: a fresh Bernoulli draw for each call (call it per
 * minibatch, as `minibatches(..., { binarize: 'dynamic' })` does), with the
 * draws of `binarizeStatic(images, rng)`.
 *
 * @example
 * const xb = binarizeDynamic(batch.x, rng); // new 0/1 pixels each time
 */
export function binarizeDynamic(images: Tensor, rng: Generator): Tensor {
  const fn = 'binarizeDynamic';
  checkImages(fn, images);
  checkRng(fn, rng);
  const src = images.data;
  const out = src.slice();
  binarizeInPlace(out, rng, fn, '');
  return new Tensor(out, images.shape);
}

/**
 * Applies a binarization mode to a whole dataset, once: `static` draws
 * with `rng`, `threshold` uses x > 0.5; both return a new dataset marked
 * `binarized`. `dynamic` and `none` return the dataset unchanged (dynamic
 * draws happen per minibatch). Pass a different rng (e.g. `rng.fork()`) for
 * the test set than for the training set.
 *
 * @example
 * const rng = new Generator(seed);
 * const trainSet = binarizeDataset(train, mode, rng);
 * for (const { x } of minibatches(trainSet, { batchSize: 100, rng, binarize: mode })) { ... }
 */
export function binarizeDataset(ds: Dataset, mode: BinarizeMode, rng: Generator | null): Dataset {
  if (!BINARIZE_MODES.includes(mode)) {
    throw new Error(`binarizeDataset: mode must be one of ${BINARIZE_MODES.join(', ')}, got ${describeValue(mode)}`);
  }
  if (mode === 'dynamic' || mode === 'none' || ds.binarized) return ds;
  const images = mode === 'static' ? binarizeStatic(ds.images, rng) : binarizeStatic(ds.images, null, { threshold: 0.5 });
  return createDataset(images, {
    source: `${ds.source} (${mode === 'static' ? 'statically binarized' : 'thresholded at 0.5'})`,
    labels: ds.labels,
    numClasses: ds.numClasses,
    image: ds.image,
    classNames: ds.classNames,
    binarized: true,
  });
}
