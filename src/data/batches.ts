/**
 * Seeded minibatches: one epoch's pass over a dataset in a shuffled order,
 * each batch gathered with one copy, optionally binarized afresh.
 */
import { Tensor } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { Generator } from '../random/generator.js';
import { permutation } from '../random/sample.js';
import type { Dataset } from './dataset.js';
import { BINARIZE_MODES, binarizeInPlace, type BinarizeMode } from './binarize.js';
import { describeValue } from './errors.js';

/** Options of `minibatches`. */
export interface MinibatchOptions {
  /** Examples per batch, a positive integer. */
  batchSize: number;
  /** Visit the examples in a random order (default true); needs `rng`. */
  shuffle?: boolean;
  /** The generator the epoch's order and dynamic binarization come from. */
  rng?: Generator;
  /** Leave out the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /**
   * `dynamic`: fresh Bernoulli pixels each batch (needs `rng`); `none`:
   * values as stored; `static`/`threshold`: the dataset must already be
   * binarized with `binarizeDataset` (checked), batches are as stored.
   */
  binarize?: BinarizeMode;
  /** Give `x` as rows [B, prod(itemShape)] (for MLPs) instead of [B, ...itemShape]. */
  flatten?: boolean;
  /** Start at this batch of the epoch (to resume a run mid-epoch); the earlier batches are skipped, not drawn. */
  startBatch?: number;
}

/** One minibatch. */
export interface Minibatch {
  /** The examples, float32 [B, ...itemShape] (or [B, D] with `flatten`). */
  x: Tensor;
  /** Their labels, or null when the dataset has none. */
  y: Int32Array | null;
  /** Their row numbers in the dataset. */
  indices: Int32Array;
  /** This batch's number within the epoch, from 0. */
  batch: number;
}

/**
 * The iterator `minibatches` returns: iterable once, over one epoch.
 * `numBatches` and `order` (the epoch's example order) are known up front.
 *
 * @example
 * const epoch = minibatches(train, { batchSize: 100, rng });
 * const bar = new ProgressBar(epoch.numBatches); // e.g. for a progress display
 * for (const { x } of epoch) bar.tick();
 */
export class MinibatchIterator implements IterableIterator<Minibatch> {
  /** Batches in this epoch (counting any skipped by `startBatch`). */
  readonly numBatches: number;
  /** The order in which this epoch visits the examples. */
  readonly order: Int32Array;
  private cursor: number;
  private readonly per: number;
  private readonly itemShape: number[];
  private scratch: Float32Array | null = null;

  constructor(
    private readonly ds: Dataset,
    private readonly batchSize: number,
    order: Int32Array,
    numBatches: number,
    startBatch: number,
    private readonly binRng: Generator | null,
    flatten: boolean,
  ) {
    this.order = order;
    this.numBatches = numBatches;
    this.cursor = startBatch;
    this.per = sizeOf(ds.itemShape);
    this.itemShape = flatten ? [this.per] : [...ds.itemShape];
  }

  next(): IteratorResult<Minibatch> {
    if (this.cursor >= this.numBatches) return { done: true, value: undefined };
    const b = this.cursor++;
    const start = b * this.batchSize;
    const end = Math.min(start + this.batchSize, this.order.length);
    const count = end - start;
    const indices = this.order.slice(start, end);
    const per = this.per;
    const src = this.ds.images.data as Float32Array;
    const out = new Float32Array(count * per);
    for (let k = 0; k < count; k++) {
      const i = indices[k];
      out.set(src.subarray(i * per, (i + 1) * per), k * per);
    }
    if (this.binRng !== null) {
      // Batch b always draws from the b-th child of the binarization generator.
      this.scratch ??= new Float32Array(this.batchSize * per);
      binarizeInPlace(out, this.binRng.fork(), 'minibatches', `${this.ds.source} batch ${b}: `, this.scratch);
    }
    let y: Int32Array | null = null;
    const labels = this.ds.labels;
    if (labels !== null) {
      y = new Int32Array(count);
      for (let k = 0; k < count; k++) y[k] = labels[indices[k]];
    }
    return { done: false, value: { x: new Tensor(out, [count, ...this.itemShape]), y, indices, batch: b } };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/**
 * One epoch of minibatches. Each call is a new epoch: with `rng`, it derives
 * two generators by `rng.split(2)` — the first draws the order
 * (`permutation(N, ·)`, when `shuffle`), the second's b-th child
 * (`fork()`) draws batch b's dynamic binarization (the draws of
 * `binarizeDynamic(x, child)`: one float32 uniform per pixel). `split` advances only `rng`'s child counter, not its
 * stream, so the batches do not depend on what else draws from `rng`, and
 * the same generator state gives the same batches, bit for bit
 * (`rng.getState()` before the call is enough to replay or resume an epoch,
 * with `startBatch`).
 *
 * Every example appears exactly once per epoch (the last batch is smaller
 * unless `dropLast`). Each batch is gathered with one copy of its rows.
 *
 * @example
 * const rng = new Generator(0);
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const { x, y } of minibatches(train, { batchSize: 100, rng, binarize: 'dynamic', flatten: true })) {
 *     // x: [100, 784] of 0/1, y: Int32Array(100)
 *   }
 * }
 */
export function minibatches(ds: Dataset, opts: MinibatchOptions): MinibatchIterator {
  const fn = 'minibatches';
  if (typeof ds !== 'object' || ds === null || !(ds.images instanceof Tensor)) {
    throw new Error(`${fn}: expected a Dataset (from loadDataset or createDataset), got ${describeValue(ds)}`);
  }
  if (typeof opts !== 'object' || opts === null) throw new Error(`${fn}: options must be an object with batchSize, got ${describeValue(opts)}`);
  const n = ds.length;
  const { batchSize } = opts;
  if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new Error(`${fn}: batchSize must be a positive integer, got ${describeValue(batchSize)}`);
  }
  const shuffle = opts.shuffle ?? true;
  const dropLast = opts.dropLast ?? false;
  const flatten = opts.flatten ?? false;
  for (const [name, v] of [['shuffle', shuffle], ['dropLast', dropLast], ['flatten', flatten]] as const) {
    if (typeof v !== 'boolean') throw new Error(`${fn}: ${name} must be a boolean, got ${describeValue(v)}`);
  }
  const binarize = opts.binarize ?? 'none';
  if (!BINARIZE_MODES.includes(binarize)) {
    throw new Error(`${fn}: binarize must be one of ${BINARIZE_MODES.join(', ')}, got ${describeValue(binarize)}`);
  }
  if ((binarize === 'static' || binarize === 'threshold') && !ds.binarized) {
    throw new Error(
      `${fn}: binarize '${binarize}' needs a dataset binarized once beforehand: ` +
        `binarizeDataset(ds, '${binarize}', rng) (${ds.source} is not)`,
    );
  }
  const rng = opts.rng;
  if (rng !== undefined && !(rng instanceof Generator)) throw new Error(`${fn}: rng must be a Generator, got ${describeValue(rng)}`);
  if (rng === undefined && (shuffle || binarize === 'dynamic')) {
    throw new Error(`${fn}: ${shuffle ? 'shuffle' : "binarize 'dynamic'"} needs an rng (a Generator); pass { rng } or shuffle: false`);
  }
  const numBatches = dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  if (numBatches === 0) {
    throw new Error(`${fn}: batchSize ${batchSize} with dropLast leaves no batch from the ${n} examples of ${ds.source}`);
  }
  const startBatch = opts.startBatch ?? 0;
  if (!Number.isSafeInteger(startBatch) || startBatch < 0 || startBatch > numBatches) {
    throw new Error(`${fn}: startBatch must be an integer in [0, ${numBatches}], got ${describeValue(startBatch)}`);
  }
  const [orderRng, binRng] = rng !== undefined ? rng.split(2) : [null, null];
  let order: Int32Array;
  if (shuffle) order = Int32Array.from(permutation(n, orderRng!));
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  let batchRng: Generator | null = null;
  if (binarize === 'dynamic') {
    batchRng = binRng!;
    if (startBatch > 0) batchRng.split(startBatch);
  }
  return new MinibatchIterator(ds, batchSize, order, numBatches, startBatch, batchRng, flatten);
}

/**
 * The number of batches in one epoch of `n` examples.
 *
 * @example
 * numBatches(8000, 128);        // 63
 * numBatches(8000, 128, true);  // 62
 */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
