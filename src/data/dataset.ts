/**
 * `Dataset`: examples as one float32 tensor whose first axis indexes them,
 * optional integer class labels, and where they came from.
 */
import { Tensor } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { Generator } from '../random/generator.js';
import { permutation } from '../random/sample.js';
import { DataError, describeValue } from './errors.js';
import type { ImageShape } from './raw.js';

/**
 * A dataset held in memory.
 *
 * - `images`: float32, shape [N, ...itemShape]. Image datasets (every
 *   reader's default, `kind: 'image'`) are [N, C, H, W] with values in
 *   [0, 1] (MNIST: [N, 1, 28, 28]); other data (`kind: 'any'`) keeps the
 *   file's shape.
 * - `labels`: one class index per example in [0, numClasses), or null.
 *
 * Use `flattenImages` (or `minibatches(..., { flatten: true })`) for
 * [N, C * H * W] rows as an MLP wants them.
 *
 * @example
 * const { train } = loadDataset('mnist');
 * train.length;              // 8000
 * train.images.shape;        // [8000, 1, 28, 28]
 * train.labels![0];          // a digit 0..9
 */
export interface Dataset {
  /** Where the examples came from, as used in messages: a file path or e.g. `mnist (bundled) train`. */
  readonly source: string;
  /** Examples, float32 [N, ...itemShape]. */
  readonly images: Tensor;
  /** Class labels (length N), or null. */
  readonly labels: Int32Array | null;
  /** The number of classes when there are labels, else null. */
  readonly numClasses: number | null;
  /** N, the number of examples. */
  readonly length: number;
  /** The shape of one example (images: [C, H, W]). */
  readonly itemShape: readonly number[];
  /** Channels, height and width for image datasets, else null. */
  readonly image: ImageShape | null;
  /** Names of the classes when known (e.g. Fashion-MNIST's "T-shirt/top"), else null. */
  readonly classNames: readonly string[] | null;
  /** True when the values are 0/1 from a static binarization (`binarizeDataset`). */
  readonly binarized: boolean;
}

/** What `createDataset` needs besides the examples. */
export interface CreateDatasetOptions {
  source: string;
  labels?: Int32Array | null;
  numClasses?: number | null;
  image?: ImageShape | null;
  classNames?: readonly string[] | null;
  /** Where the labels came from, when not from `source` (used in messages). */
  labelSource?: string;
  /** The values are all 0 or 1 (checked). */
  binarized?: boolean;
}

/**
 * Builds a `Dataset` from a float32 tensor [N, ...] and optional labels,
 * checking that the labels match the examples (count and range) and that
 * an image dataset's tensor is [N, C, H, W].
 *
 * @example
 * const ds = createDataset(zeros([4, 2]), { source: 'points', labels: Int32Array.from([0, 1, 1, 0]) });
 * ds.numClasses; // 2
 */
export function createDataset(images: Tensor, opts: CreateDatasetOptions): Dataset {
  const source = opts.source;
  if (!(images instanceof Tensor)) throw new DataError(source, `examples must be a Tensor, got ${describeValue(images)}`);
  if (images.dtype !== 'float32') throw new DataError(source, `examples must be float32, got ${images.dtype}`);
  if (images.rank < 1 || images.shape[0] === 0) {
    throw new DataError(source, `has no examples (shape ${formatShape(images.shape)}); expected at least one`);
  }
  const n = images.shape[0];
  const itemShape = images.shape.slice(1);
  const image = opts.image ?? null;
  if (image !== null) {
    const expected = [n, image.channels, image.height, image.width];
    if (images.rank !== 4 || expected.some((d, i) => d !== images.shape[i])) {
      throw new DataError(source, `image tensor must have shape ${formatShape(expected)}, got ${formatShape(images.shape)}`);
    }
  }
  const labels = opts.labels ?? null;
  let numClasses = opts.numClasses ?? null;
  if (labels !== null) {
    const labelSource = opts.labelSource ?? source;
    if (!(labels instanceof Int32Array)) throw new DataError(labelSource, `labels must be an Int32Array, got ${describeValue(labels)}`);
    if (labels.length !== n) {
      throw new DataError(labelSource, `has ${labels.length} labels but ${source} has ${n} examples; expected one label per example`);
    }
    let max = -1;
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (y < 0 || (numClasses !== null && y >= numClasses)) {
        throw new DataError(labelSource, `label ${i} is ${y}; expected a class in [0, ${numClasses ?? 'numClasses'})`);
      }
      if (y > max) max = y;
    }
    numClasses ??= max + 1;
  } else {
    numClasses = null;
  }
  const classNames = opts.classNames ?? null;
  if (classNames !== null && numClasses !== null && classNames.length !== numClasses) {
    throw new DataError(source, `${classNames.length} class names for ${numClasses} classes`);
  }
  const binarized = opts.binarized ?? false;
  if (binarized) {
    const v = images.data;
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== 0 && v[i] !== 1) throw new DataError(source, `marked binarized but value ${i} is ${v[i]}`);
    }
  }
  return { source, images, labels, numClasses, length: n, itemShape, image, classNames, binarized };
}

function checkDataset(ds: unknown, fn: string): asserts ds is Dataset {
  if (typeof ds !== 'object' || ds === null || !((ds as Dataset).images instanceof Tensor)) {
    throw new Error(`${fn}: expected a Dataset (from loadDataset or createDataset), got ${describeValue(ds)}`);
  }
}

/**
 * The examples at `indices`, in that order (repeats allowed), with their
 * labels: one copy of each selected row.
 *
 * @example
 * const firstHundred = subsetDataset(train, Array.from({ length: 100 }, (_, i) => i));
 */
export function subsetDataset(ds: Dataset, indices: ArrayLike<number>, source?: string): Dataset {
  checkDataset(ds, 'subsetDataset');
  const n = ds.length;
  const per = sizeOf(ds.itemShape);
  const src = ds.images.data as Float32Array;
  const out = new Float32Array(indices.length * per);
  const labels = ds.labels ? new Int32Array(indices.length) : null;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(Number.isInteger(i) && i >= 0 && i < n)) {
      throw new Error(`subsetDataset: index ${k} is ${describeValue(i)}; expected an integer in [0, ${n}) for ${ds.source}`);
    }
    out.set(src.subarray(i * per, (i + 1) * per), k * per);
    if (labels) labels[k] = ds.labels![i];
  }
  return createDataset(new Tensor(out, [indices.length, ...ds.itemShape]), {
    source: source ?? `${ds.source} (subset of ${indices.length})`,
    labels,
    numClasses: ds.numClasses,
    image: ds.image,
    classNames: ds.classNames,
    binarized: ds.binarized,
  });
}

/**
 * Splits a dataset into two random parts: `testFraction` of the examples
 * (rounded) go to `test`, drawn with one `permutation(N, rng)`; both parts
 * keep the shuffled order. Same rng state, same split.
 *
 * @example
 * const { train, test } = splitDataset(ds, 0.2, new Generator(0));
 */
export function splitDataset(ds: Dataset, testFraction: number, rng: Generator): { train: Dataset; test: Dataset } {
  checkDataset(ds, 'splitDataset');
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw new Error(`splitDataset: testFraction must be a number in (0, 1), got ${describeValue(testFraction)}`);
  }
  const nTest = Math.round(ds.length * testFraction);
  if (nTest === 0 || nTest === ds.length) {
    throw new Error(`splitDataset: testFraction ${testFraction} of ${ds.length} examples leaves one part empty`);
  }
  const order = permutation(ds.length, rng);
  return {
    train: subsetDataset(ds, order.subarray(0, ds.length - nTest), `${ds.source} (train part)`),
    test: subsetDataset(ds, order.subarray(ds.length - nTest), `${ds.source} (test part)`),
  };
}

/**
 * `perClass` example indices of each class, drawn without replacement with
 * the given rng (e.g. the 100 labeled examples of semi-supervised M2: 10 per
 * digit), sorted ascending. Throws when a class has fewer examples.
 *
 * @example
 * const labeled = subsetDataset(train, stratifiedIndices(train, 10, new Generator(1)));
 */
export function stratifiedIndices(ds: Dataset, perClass: number, rng: Generator): Int32Array {
  checkDataset(ds, 'stratifiedIndices');
  if (ds.labels === null || ds.numClasses === null) throw new Error(`stratifiedIndices: ${ds.source} has no labels`);
  if (!Number.isSafeInteger(perClass) || perClass < 1) {
    throw new Error(`stratifiedIndices: perClass must be a positive integer, got ${describeValue(perClass)}`);
  }
  const order = permutation(ds.length, rng);
  const taken = new Int32Array(ds.numClasses);
  const out: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const y = ds.labels[i];
    if (taken[y] < perClass) {
      taken[y]++;
      out.push(i);
    }
  }
  for (let c = 0; c < ds.numClasses; c++) {
    if (taken[c] < perClass) {
      throw new Error(`stratifiedIndices: class ${c} of ${ds.source} has ${taken[c]} examples, fewer than ${perClass}`);
    }
  }
  return Int32Array.from(out).sort();
}

/**
 * The examples as rows [N, prod(itemShape)], sharing storage.
 *
 * @example
 * flattenImages(train).shape; // [8000, 784]
 */
export function flattenImages(ds: Dataset): Tensor {
  checkDataset(ds, 'flattenImages');
  return new Tensor(ds.images.data, [ds.length, sizeOf(ds.itemShape)]);
}

/**
 * The number of examples of each class.
 *
 * @example
 * classCounts(train); // Int32Array(10) [ 801, 902, ... ]
 */
export function classCounts(ds: Dataset): Int32Array {
  checkDataset(ds, 'classCounts');
  if (ds.labels === null || ds.numClasses === null) throw new Error(`classCounts: ${ds.source} has no labels`);
  const counts = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.labels.length; i++) counts[ds.labels[i]]++;
  return counts;
}
