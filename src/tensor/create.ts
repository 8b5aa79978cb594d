import { arrayFor, Tensor, type DType, type FloatArray, type NestedArray } from './tensor.js';
import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof data !== 'number') throw new Error('tensor: nested array is ragged: expected a number');
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(`tensor: nested array is ragged: expected ${shape[dim]} entries at depth ${dim}`);
  }
  for (const d of data) flatten(d, shape, dim + 1, out);
}

/**
 * Creates a tensor from a number, nested arrays, or a flat array with a shape.
 *
 * @example
 * tensor([[1, 2], [3, 4]]).shape;                     // [2, 2]
 * tensor([1, 2, 3, 4], { shape: [2, 2] }).shape;      // [2, 2]
 * tensor(3).item();                                   // 3
 */
export function tensor(
  data: NestedArray | FloatArray | ArrayLike<number>,
  options: CreateOptions & { shape?: Shape } = {},
): Tensor {
  const dtype = options.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32');
  let flat: ArrayLike<number>;
  let shape: number[];
  if (typeof data === 'number') {
    flat = [data];
    shape = [];
  } else if (Array.isArray(data) && options.shape === undefined) {
    shape = inferShape(data);
    const out: number[] = [];
    flatten(data, shape, 0, out);
    flat = out;
  } else {
    flat = data as ArrayLike<number>;
    shape = options.shape ? [...options.shape] : [flat.length];
  }
  checkShape(shape, 'tensor');
  if (flat.length !== sizeOf(shape)) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const arr = arrayFor(dtype, flat.length);
  arr.set(flat as ArrayLike<number>);
  return new Tensor(arr, shape, options.requiresGrad ?? false);
}

/** A tensor filled with one value. */
export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  checkShape(shape, 'full');
  const arr = arrayFor(options.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) arr.fill(value);
  return new Tensor(arr, shape, options.requiresGrad ?? false);
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype });
}

/** The scalar `value` as a 0-d tensor. */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return full([], value, { dtype });
}

/** Values start, start+step, ... below end, like `numpy.arange`. */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step) || step === 0) {
    throw new Error(`arange: start, end and step must be finite and step non-zero, got ${start}, ${end}, ${step}`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const arr = arrayFor(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) arr[i] = start + i * step;
  return new Tensor(arr, [n], options.requiresGrad ?? false);
}

/** `n` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, n: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`linspace: n must be a non-negative integer, got ${n}`);
  const arr = arrayFor(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) arr[i] = n === 1 ? start : start + ((end - start) * i) / (n - 1);
  return new Tensor(arr, [n], options.requiresGrad ?? false);
}

/** The n-by-n identity matrix. */
export function eye(n: number, options: CreateOptions = {}): Tensor {
  const t = zeros([n, n], options);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}
