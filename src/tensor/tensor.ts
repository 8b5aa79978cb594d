import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';

/** Element types. `float32` is the default; `float64` serves gradient checks and references. */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/**
 * The record an op leaves on its output so that reverse mode can run:
 * the parents and one closure that maps the output's gradient to the
 * parents' gradients (micrograd's `_backward`, but returning tensors built
 * from ops, so the sweep itself can be differentiated for higher order).
 * `needs[i]` says whether parent i wants a gradient, so a rule can skip work.
 */
export interface GradNode {
  readonly op: string;
  readonly parents: readonly Tensor[];
  readonly backward: (grad: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];
}

export function arrayFor(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Node's Buffer when present (not in a browser), for `uninitializedArray`. */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/**
 * A typed array whose contents are unspecified, for an op's output that its
 * kernel overwrites entirely. `new Float32Array(n)` must zero its memory
 * (calloc, or page faults on fresh pages); at the sizes of a training
 * step's activations that is a pass over memory as long as the kernel's
 * own. From 32 KB up, Node's Buffer.allocUnsafeSlow gives malloc'd memory
 * without the zeroing; below, and outside Node, this is `arrayFor`.
 * Never hand such an array to code that reads it before writing it.
 */
export function uninitializedArray(dtype: DType, n: number): FloatArray {
  const bytes = n * (dtype === 'float64' ? 8 : 4);
  if (bytes < 32768 || !NodeBuffer) return arrayFor(dtype, n);
  const buf = NodeBuffer.allocUnsafeSlow(bytes);
  return dtype === 'float64' ? new Float64Array(buf.buffer, buf.byteOffset, n) : new Float32Array(buf.buffer, buf.byteOffset, n);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/**
 * An n-dimensional array of float32 or float64 numbers in contiguous
 * row-major storage, optionally recording the ops that made it so that
 * gradients can flow back to it.
 *
 * Tensors are ordinary garbage-collected objects: nothing to dispose.
 * Ops never mutate their inputs; `reshape` may share storage with its input.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.mul(x).sum();   // 30
 * y.backward();
 * x.grad!.toArray();          // [[2, 4], [6, 8]]
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The storage, row-major. Mutating it in place is allowed only for leaves outside a recorded graph (e.g. in an optimizer step). */
  data: FloatArray;
  /** Whether gradients flow to this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autodiff. */
  node: GradNode | null = null;
  /** Optional name, used by modules and error messages. */
  name?: string;

  constructor(data: FloatArray, shape: Shape, requiresGrad = false) {
    checkShape(shape, 'Tensor');
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${sizeOf(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** True for tensors the user created (no recorded op); gradients accumulate in `.grad` only on these. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`item: tensor of shape ${formatShape(this.shape)} has ${this.data.length} elements, expected exactly 1`);
    }
    return this.data[0];
  }

  /** The values as nested JavaScript arrays (a number for a scalar). */
  toArray(): NestedArray {
    const { data, shape } = this;
    if (shape.length === 0) return data[0];
    const build = (dim: number, offset: number): NestedArray[] | number[] => {
      const n = shape[dim];
      if (dim === shape.length - 1) return Array.from(data.subarray(offset, offset + n));
      const stride = sizeOf(shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A copy of the values as a flat typed array. */
  values(): FloatArray {
    return this.data.slice();
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Marks a leaf as needing gradients and returns it. */
  requireGrad(flag = true): this {
    if (this.node !== null && !flag) throw new Error('requireGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export type NestedArray = number | NestedArray[];
