import { arrayFor, Tensor, uninitializedArray, type DType } from '../tensor/tensor.js';

/** A tensor or a plain number (taken as a scalar of the other operand's dtype). */
export type TensorLike = Tensor | number;

export function resultDtype(a: TensorLike, b: TensorLike): DType {
  const da = a instanceof Tensor ? a.dtype : null;
  const db = b instanceof Tensor ? b.dtype : null;
  if (da === 'float64' || db === 'float64') return 'float64';
  return 'float32';
}

export function asTensor(x: TensorLike, dtype: DType, op: string, arg = 'argument'): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new Error(`${op}: ${arg} must be a Tensor or a number, got ${typeof x}`);
  const arr = arrayFor(dtype, 1);
  arr[0] = x;
  return new Tensor(arr, []);
}

/** Throws unless `value` is a finite number: for op options where NaN or infinity make no sense. */
export function finiteScalar(value: number, op: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${op}: ${name} must be a finite number, got ${value}`);
  }
  return value;
}

/** A zero-filled tensor of `shape`, for outputs a kernel writes only in part. */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(arrayFor(dtype, n), shape);
}

/**
 * A tensor of `shape` with unspecified contents (`uninitializedArray`), for
 * the output of a kernel that writes every entry: elementwise, GEMM,
 * reductions, strided copies, im2col, the fused kernels.
 */
export function output(shape: readonly number[], dtype: DType): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(uninitializedArray(dtype, n), shape);
}
