import type { Tensor } from '../tensor/tensor.js';
import { formatShape, normalizeAxis, sizeOf } from '../tensor/shape.js';
import { reshape } from '../ops/index.js';
import { Module } from './module.js';

/**
 * Flattens dimensions startDim..endDim into one (default 1..-1: keep the
 * batch dimension), like `torch.nn.Flatten`. Shares storage.
 *
 * @example
 * new Flatten().forward(x).shape;   // [N, 784] for x of shape [N, 1, 28, 28]
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(options: { startDim?: number; endDim?: number } = {}) {
    super();
    this.startDim = options.startDim ?? 1;
    this.endDim = options.endDim ?? -1;
  }

  forward(x: Tensor): Tensor {
    const s = normalizeAxis(this.startDim, x.rank, 'Flatten');
    const e = normalizeAxis(this.endDim, x.rank, 'Flatten');
    if (s > e) throw new Error(`Flatten: startDim ${this.startDim} comes after endDim ${this.endDim} for shape ${formatShape(x.shape)}`);
    return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * Splits dimension `dim` into `sizes`, like `torch.nn.Unflatten` (one
 * size may be -1). Shares storage.
 *
 * @example
 * new Unflatten(1, [1, 28, 28]).forward(x).shape;   // [N, 1, 28, 28] for x of shape [N, 784]
 */
export class Unflatten extends Module {
  readonly dim: number;
  readonly sizes: readonly number[];

  constructor(dim: number, sizes: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((d) => !Number.isInteger(d) || (d < 0 && d !== -1))) {
      throw new Error(`Unflatten: sizes must be a non-empty list of non-negative integers (one may be -1), got ${JSON.stringify(sizes)}`);
    }
    this.dim = dim;
    this.sizes = [...sizes];
  }

  forward(x: Tensor): Tensor {
    const d = normalizeAxis(this.dim, x.rank, 'Unflatten');
    const known = this.sizes.filter((v) => v !== -1);
    const product = sizeOf(known);
    const n = x.shape[d];
    const ok = this.sizes.includes(-1) ? product > 0 && n % product === 0 : product === n;
    if (!ok) throw new Error(`Unflatten: cannot split dimension ${d} of size ${n} (shape ${formatShape(x.shape)}) into ${formatShape(this.sizes)}`);
    return reshape(x, [...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}, sizes=${formatShape(this.sizes)}`;
  }
}
