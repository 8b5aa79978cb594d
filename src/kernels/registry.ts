import type { FloatArray } from '../tensor/tensor.js';
import type { SplineShape } from './cpu/spline.js';

export type { SplineShape } from './cpu/spline.js';

/**
 * The kernels every backend provides, by name. A kernel works on raw
 * contiguous typed arrays and writes into a preallocated `out`; it knows
 * nothing of tensors or gradients (gradient rules live in autograd and are
 * written in ops, so they serve every backend).
 */
export interface Kernels {
  /** out[i] = f(x[i]) for the unary op of that name. */
  unary: (op: UnaryOp, x: FloatArray, out: FloatArray) => void;
  /** out = a (op) b with NumPy broadcasting; shapes given, `outShape` is their broadcast. */
  binary: (op: BinaryOp, a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[], out: FloatArray, outShape: readonly number[]) => void;
  /** out[i] = min(max(x[i], lo), hi). */
  clamp: (x: FloatArray, lo: number, hi: number, out: FloatArray) => void;
  /** out[i] = cond[i] != 0 ? a[i] : b[i]; all of one length. */
  where: (cond: FloatArray, a: FloatArray, b: FloatArray, out: FloatArray) => void;
  /** Running sum along the middle axis of [outer, n, inner] (from the end when `reverse`), accumulated in float64. */
  cumsum: (x: FloatArray, outer: number, n: number, inner: number, reverse: boolean, out: FloatArray) => void;
  /** Reduces the middle axis of x viewed as [outer, n, inner] into out [outer, inner]. */
  reduce: (op: ReduceOp, x: FloatArray, outer: number, n: number, inner: number, out: FloatArray) => void;
  /**
   * C (m x n) = op(A) op(B), row-major and contiguous, where op(A) is m x k
   * (A stored k x m when transA) and op(B) is k x n (B stored n x k when transB).
   * With `accumulate`, C += instead of C =.
   */
  gemm: (transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: FloatArray, aOffset: number, b: FloatArray, bOffset: number,
    c: FloatArray, cOffset: number, accumulate: boolean) => void;
  /** out (contiguous, shape outShape) [idx] = x[offset + sum idx[d] * strides[d]]: permute, broadcast and slice in one. */
  stridedCopy: (x: FloatArray, offset: number, strides: readonly number[], out: FloatArray, outShape: readonly number[]) => void;
  /** The adjoint of stridedCopy: out[offset + sum idx[d] * strides[d]] = src[idx] for src of shape `shape`; other entries untouched. */
  stridedAssign: (src: FloatArray, out: FloatArray, offset: number, strides: readonly number[], shape: readonly number[]) => void;
  /**
   * Unfolds x [N, C, H, W] into cols [N, C*kh*kw, outH*outW] (or, with geometry.batchInColumns,
   * [C*kh*kw, N, outH*outW]): row (c*kh + i)*kw + j, column oy*outW + ox of image n holds
   * x[n, c, oy*strideH - padH + i*dilationH, ox*strideW - padW + j*dilationW], 0 where that reads padding.
   * Every entry of cols is written.
   */
  im2col: (x: FloatArray, geometry: ConvGeometry, cols: FloatArray) => void;
  /**
   * The adjoint of im2col: adds each entry of cols (either layout) into x [N, C, H, W] (overlapping windows sum;
   * padding is dropped). With `overwrite`, x's prior contents are ignored, as if x were zeros.
   */
  col2im: (cols: FloatArray, geometry: ConvGeometry, x: FloatArray, overwrite?: boolean) => void;
  /** With x viewed as [outer, n, inner]: out [outer, m, inner] [o, j, i] = x[o, indices[j], i], m = indices.length. */
  indexSelect: (x: FloatArray, outer: number, n: number, inner: number, indices: Int32Array, out: FloatArray) => void;
  /** The adjoint of indexSelect: out [outer, n, inner] [o, indices[j], i] += src[o, j, i] for src [outer, m, inner]; repeated indices sum. */
  indexAdd: (src: FloatArray, outer: number, n: number, inner: number, indices: Int32Array, out: FloatArray) => void;
  /**
   * out (shape `indexShape`) [p] = x[p with coordinate `axis` replaced by index[p]], like torch.gather.
   * Same rank; indexShape[d] <= xShape[d] for d != axis.
   */
  gather: (x: FloatArray, xShape: readonly number[], axis: number, index: Int32Array, indexShape: readonly number[], out: FloatArray) => void;
  /** The adjoint of gather: out[p with coordinate `axis` replaced by index[p]] += src[p] for every p of `indexShape` (src has that shape). */
  scatterAdd: (src: FloatArray, index: Int32Array, indexShape: readonly number[], axis: number, out: FloatArray, outShape: readonly number[]) => void;

  // Fused kernels (src/kernels/cpu/fused.ts): one pass where the unfused ops take several.

  /**
   * out[o, k, i] = act(x[o, k, i] + bias[k]) over x viewed as [outer, channels, inner] (act(x) without a bias):
   * a Linear's output is [rows, features, 1], a convolution's [images, channels, pixels]. The sum is rounded to
   * the dtype before the activation, so the bits are those of add then the activation's unary kernel. `out` may
   * be `x` (in place).
   */
  biasActivation: (act: Activation, x: FloatArray, bias: FloatArray | null, outer: number, channels: number, inner: number, out: FloatArray) => void;
  /**
   * out = g * act'(x) written from the activation's output y = act(x): relu g * (y > 0), tanh g * (1 - y y),
   * sigmoid g * (y (1 - y)), identity g; intermediates rounded to the dtype as the unfused gradient rules round them.
   */
  activationGrad: (act: Activation, g: FloatArray, y: FloatArray, out: FloatArray) => void;
  /**
   * out[r] = sum_j x[r, j] l[r, j] - softplus(l[r, j]) over logits l [rows, cols] (the Bernoulli log-likelihood
   * from logits), the sum in double; the terms in double (TypeScript, and native float64) or in float32 arithmetic
   * (native float32: within a few float32 roundings of each term); x has rows*cols entries or cols (one row
   * repeated). With `sigmoid` (rows*cols), also writes sigmoid(l) there, for the gradient.
   */
  bernoulliLogits: (x: FloatArray, logits: FloatArray, rows: number, cols: number, out: FloatArray, sigmoid: FloatArray | null) => void;
  /** out[r, j] = g[r] (x[r, j] - sigmoid(l[r, j])) in double, rounded once; sigmoid read from `sigmoid` when given. x as in bernoulliLogits. */
  bernoulliLogitsGrad: (g: FloatArray, x: FloatArray, logits: FloatArray, sigmoid: FloatArray | null, rows: number, cols: number, out: FloatArray) => void;
  /** out[r] = -1/2 sum_j (1 + lv[r, j] - mu[r, j]^2 - exp(lv[r, j])): KL(N(mu, e^lv) || N(0, I)) over the last axis, in double. */
  gaussianKL: (mu: FloatArray, logvar: FloatArray, rows: number, cols: number, out: FloatArray) => void;
  /**
   * One Adam/AdamW update in place (optim/adam.ts), torch.optim.Adam's operations in its order, each in double and
   * stored to the dtype where PyTorch stores (m, v, vmax, p): g' = (maximize ? -g : g) + l2 p; p' = p shrink;
   * m = beta1 m + (1 - beta1) g'; v = beta2 v + (1 - beta2) g'^2; vmax = max(vmax, v) (amsgrad, when vmax is given);
   * p = p' + (-stepSize m) / (sqrt(v or vmax) / bc2Sqrt + eps).
   */
  adamStep: (p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vmax: FloatArray | null,
    stepSize: number, beta1: number, beta2: number, bc2Sqrt: number, eps: number, l2: number, shrink: number, maximize: boolean) => void;

  /**
   * Rational-quadratic splines (src/kernels/cpu/spline.ts): value[i] and log |d value / d x| of row i's spline at
   * x[i] (or of its inverse), from unnormalized widths and heights [M, K] and interior derivatives [M, K - 1];
   * the identity and 0 outside [-B, B]. In double, rounded to the outputs' dtype.
   */
  rqSpline: (x: FloatArray, widths: FloatArray, heights: FloatArray, derivatives: FloatArray, shape: SplineShape, value: FloatArray, logDet: FloatArray) => void;
  /** The gradient of sum(gValue value + gLogDet logDet) of rqSpline with respect to x and the three parameter sets (outputs overwritten). */
  rqSplineGrad: (x: FloatArray, widths: FloatArray, heights: FloatArray, derivatives: FloatArray, shape: SplineShape,
    gValue: FloatArray, gLogDet: FloatArray, gx: FloatArray, gWidths: FloatArray, gHeights: FloatArray, gDerivatives: FloatArray) => void;

  /**
   * Philox4x32-10 (Salmon et al., SC 2011; Random123's philox4x32) of out.length / 4 consecutive blocks:
   * out[4b .. 4b + 3] = philox(counter [lo, hi, 0, 0] of block index firstBlock + b, key [key0, key1]).
   * The random generator's stream in bulk (random/generator.ts); integer arithmetic, the same words on every backend.
   */
  philox: (key0: number, key1: number, firstBlock: number, out: Uint32Array) => void;

  /**
   * Standard normals by Box–Muller from generator words, rounded to float32: out[2i], out[2i + 1] from
   * words[4i .. 4i + 3] (53 bits for u1, 53 for the angle), an odd out.length dropping the last sine.
   * Computed with its own logarithm and sine/cosine polynomials, the same IEEE double operations on
   * every backend, so every backend gives the same bits (src/kernels/cpu/normal.ts).
   */
  boxMuller32: (words: Uint32Array, out: Float32Array) => void;
}

/** Activations the fused kernels apply (and differentiate from their output). */
export type Activation = 'identity' | 'relu' | 'tanh' | 'sigmoid';

/** The geometry of a 2-D convolution window over NCHW data, as the im2col/col2im kernels take it. */
export interface ConvGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  /** floor((height + 2 padH - dilationH (kernelH - 1) - 1) / strideH) + 1. */
  readonly outH: number;
  readonly outW: number;
  /**
   * The layout of the columns: [N, C*kh*kw, outH*outW] (one GEMM per image, false or absent) or
   * [C*kh*kw, N, outH*outW] (true: the batch inside the columns, one GEMM for the whole batch).
   */
  readonly batchInColumns?: boolean;
}

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'abs' | 'sign'
  | 'tanh' | 'sigmoid' | 'softplus' | 'relu' | 'step' | 'reciprocal' | 'square';
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type ReduceOp = 'sum' | 'max' | 'min' | 'logsumexp';

export type Backend = 'js' | 'native';
export type KernelName = keyof Kernels;

const table = new Map<KernelName, Map<Backend, Kernels[KernelName]>>();
let active: Backend = 'js';

/** Registers `fn` as kernel `name` for `backend`. Native kernels register under the same names as the TypeScript ones. */
export function registerKernel<K extends KernelName>(name: K, backend: Backend, fn: Kernels[K]): void {
  let byBackend = table.get(name);
  if (!byBackend) table.set(name, (byBackend = new Map()));
  byBackend.set(backend, fn);
}

/** The kernel `name` of the active backend, falling back to the TypeScript kernel. */
export function kernel<K extends KernelName>(name: K): Kernels[K] {
  const byBackend = table.get(name);
  const fn = byBackend?.get(active) ?? byBackend?.get('js');
  if (!fn) throw new Error(`kernel '${name}' is not registered for any backend`);
  return fn as Kernels[K];
}

/** The kernel `name` of exactly `backend` (no fallback), or undefined: for tests that compare backends. */
export function kernelFor<K extends KernelName>(name: K, backend: Backend): Kernels[K] | undefined {
  return table.get(name)?.get(backend) as Kernels[K] | undefined;
}

export function hasKernel(name: KernelName, backend: Backend): boolean {
  return table.get(name)?.has(backend) ?? false;
}

/** Chooses the backend whose kernels ops use from now on. */
export function setBackend(backend: Backend): void {
  if (backend !== 'js' && ![...table.values()].some((m) => m.has(backend))) {
    throw new Error(`setBackend: backend '${backend}' has no registered kernels (is the native addon built?)`);
  }
  active = backend;
}

export function getBackend(): Backend {
  return active;
}
