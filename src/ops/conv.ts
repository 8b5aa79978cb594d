import { arrayFor, Tensor, type FloatArray } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { kernel, type Activation, type ConvGeometry } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { zeros } from '../tensor/create.js';
import { output } from './util.js';
import { FUSED_ACTIVATIONS, activationGrad, cast } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

/** A size given once for both spatial axes, or as [height, width]. */
export type Size2 = number | readonly [number, number];

/** Window options shared by the convolution ops. */
export interface Conv2dOptions {
  /** Step between windows; positive. Default 1. */
  stride?: Size2;
  /** Zeros added on each side of the input; non-negative. Default 0. */
  padding?: Size2;
  /** Spacing between kernel taps; positive. Default 1. */
  dilation?: Size2;
  /**
   * An activation applied with the bias, in the same pass over the output:
   * 'identity' (default), 'relu', 'tanh' or 'sigmoid'. Its gradient is
   * taken from the output (`activationGrad`). Not for im2col/col2im.
   */
  activation?: Activation;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns added on one side of the output to pick among the input sizes a strided conv maps to the same size; less than stride. Default 0. */
  outputPadding?: Size2;
}

export interface Im2colOptions extends Conv2dOptions {
  /** Kernel height and width; positive. */
  kernelSize: Size2;
}

export interface Col2imOptions extends Im2colOptions {
  /** Spatial size [H, W] of the image the columns are folded back into. */
  outputSize: readonly [number, number];
}

function pair(v: Size2 | undefined, fallback: number, min: number, op: string, name: string): [number, number] {
  const p: unknown = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;
  const ok = Array.isArray(p) && p.length === 2 && p.every((d) => Number.isInteger(d) && d >= min);
  if (!ok) {
    const kind = min === 1 ? 'a positive integer' : 'a non-negative integer';
    throw new Error(`${op}: ${name} must be ${kind} or a pair of them, got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  }
  const q = p as [number, number];
  return [q[0], q[1]];
}

function expectRank(t: Tensor, rank: number, op: string, what: string, layout: string): void {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${typeof t}`);
  if (t.rank !== rank) {
    throw new Error(`${op}: ${what} must have rank ${rank} (${layout}), got shape ${formatShape(t.shape)}`);
  }
}

interface Window {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

function windowOf(kernelSize: Size2, options: Conv2dOptions, op: string): Window {
  return {
    kernel: pair(kernelSize, 1, 1, op, 'kernelSize'),
    stride: pair(options.stride, 1, 1, op, 'stride'),
    padding: pair(options.padding, 0, 0, op, 'padding'),
    dilation: pair(options.dilation, 1, 1, op, 'dilation'),
  };
}

/** The geometry of sliding `win` over an [n, c, h, w] image; throws when no window fits. */
function geometryOf(n: number, c: number, h: number, w: number, win: Window, op: string, inputShape: readonly number[]): ConvGeometry {
  const out = (size: number, a: 0 | 1) =>
    Math.floor((size + 2 * win.padding[a] - win.dilation[a] * (win.kernel[a] - 1) - 1) / win.stride[a]) + 1;
  const outH = out(h, 0);
  const outW = out(w, 1);
  if (outH <= 0 || outW <= 0) {
    throw new Error(
      `${op}: output size would be [${outH}, ${outW}] for input ${formatShape(inputShape)} with kernel ${formatShape(win.kernel)}, ` +
        `stride ${formatShape(win.stride)}, padding ${formatShape(win.padding)}, dilation ${formatShape(win.dilation)}; ` +
        'the dilated kernel must fit in the padded input',
    );
  }
  return {
    batch: n, channels: c, height: h, width: w,
    kernelH: win.kernel[0], kernelW: win.kernel[1],
    strideH: win.stride[0], strideW: win.stride[1],
    padH: win.padding[0], padW: win.padding[1],
    dilationH: win.dilation[0], dilationW: win.dilation[1],
    outH, outW,
  };
}

// The two primitives. Each is the other's adjoint (col2im sums what im2col
// copied), so each one's gradient rule is a call of the other, recorded in
// turn: second and higher derivatives of convolutions come for free.

/** x [N, C, H, W] -> cols [N, C*kh*kw, L], or [C*kh*kw, N, L] when geom.batchInColumns; the gradient is `fold`. */
function unfold(x: Tensor, geom: ConvGeometry): Tensor {
  const rows = geom.channels * geom.kernelH * geom.kernelW;
  const positions = geom.outH * geom.outW;
  const cols = output(geom.batchInColumns ? [rows, geom.batch, positions] : [geom.batch, rows, positions], x.dtype);
  kernel('im2col')(x.data, geom, cols.data);
  return record(cols, 'im2col', [x], (g) => [fold(g, geom)]);
}

function fold(cols: Tensor, geom: ConvGeometry): Tensor {
  // col2im accumulates, so it needs a zeroed image.
  const x = zeros([geom.batch, geom.channels, geom.height, geom.width], { dtype: cols.dtype });
  kernel('col2im')(cols.data, geom, x.data);
  return record(x, 'col2im', [cols], (g) => [unfold(g, geom)]);
}

// ---------------------------------------------------------------------------
// Convolution as three primitives over the whole batch, each computed in
// chunks of images: im2col of a chunk into a scratch buffer of about 1 MB
// (in the [C*kh*kw, images, L] layout, so the chunk is one GEMM with the
// shared weight), the GEMM, and a copy between the GEMM's channel-major
// [O, images, L] and NCHW. The columns of the whole batch are never
// materialized: at 128 images of 512 x 49 they are 12.8 MB, written once
// and read three times from memory per step, which made the unchunked
// form bandwidth-bound (80 GFLOP/s against 100-110 in cache).
//
//   conv(x, W)            y[n] = W im2col(x[n])                 [N, O, L]
//   convBackInput(g, W)   dx[n] = col2im(W^T g[n])              [N, C, H, W]
//   convBackWeight(g, x)  dW = sum_n g[n] im2col(x[n])^T        [O, C*kh*kw]
//
// Each is linear in each argument, and the gradients of each are the other
// two (with <., .> the inner product and A = im2col, A^T = col2im:
// <G, A^T W^T g> = <W A G, g> = <W, g (A G)^T>, and so on), so every order
// of derivative is available.

/** Scratch arrays for the chunks, reused across calls: only the kernels of one op call touch them, and nothing keeps them. */
const scratchPool: Record<'float32' | 'float64', FloatArray[]> = { float32: [], float64: [] };

function scratch(dtype: 'float32' | 'float64', slot: number, n: number): FloatArray {
  const pool = scratchPool[dtype];
  if (!pool[slot] || pool[slot].length < n) pool[slot] = arrayFor(dtype, Math.max(n, 1024));
  return pool[slot].subarray(0, n);
}

/** Images per chunk: about 1 MB of columns (fits the cache the GEMM streams them from), at least one. */
function chunkImages(geom: ConvGeometry, dtype: 'float32' | 'float64'): number {
  const perImage = geom.channels * geom.kernelH * geom.kernelW * geom.outH * geom.outW * (dtype === 'float64' ? 8 : 4);
  return Math.max(1, Math.min(geom.batch, Math.floor((1 << 20) / Math.max(1, perImage))));
}

/** Calls fn(n0, count, chunkGeometry) for consecutive chunks of images. */
function forEachChunk(geom: ConvGeometry, dtype: 'float32' | 'float64', fn: (n0: number, count: number, g: ConvGeometry) => void): void {
  const step = chunkImages(geom, dtype);
  for (let n0 = 0; n0 < geom.batch; n0 += step) {
    const count = Math.min(step, geom.batch - n0);
    fn(n0, count, { ...geom, batch: count, batchInColumns: true });
  }
}

/** y [N, O, L] = act(W [O, rows] im2col(x) + bias), bias [O] or null; bias and activation applied to each chunk in cache. */
function conv(x: Tensor, w: Tensor, geom: ConvGeometry, bias: Tensor | null = null, act: Activation = 'identity'): Tensor {
  const [o, rows] = w.shape;
  const L = geom.outH * geom.outW;
  const plane = geom.channels * geom.height * geom.width;
  const y = output([geom.batch, o, L], x.dtype);
  forEachChunk(geom, x.dtype, (n0, count, g) => {
    const cols = scratch(x.dtype, 0, rows * count * L);
    const ym = scratch(x.dtype, 1, o * count * L);
    kernel('im2col')(x.data.subarray(n0 * plane, (n0 + count) * plane), g, cols);
    kernel('gemm')(false, false, o, count * L, rows, w.data, 0, cols, 0, ym, 0, false);
    if (bias || act !== 'identity') kernel('biasActivation')(act, ym, bias ? bias.data : null, 1, o, count * L, ym);
    // [O, count, L] -> [count, O, L]
    kernel('stridedCopy')(ym, 0, [L, count * L, 1], y.data.subarray(n0 * o * L, (n0 + count) * o * L), [count, o, L]);
  });
  return recordConv(y, x, w, geom, bias, act);
}

function recordConv(y: Tensor, x: Tensor, w: Tensor, geom: ConvGeometry, bias: Tensor | null = null, act: Activation = 'identity'): Tensor {
  return record(y, 'conv', bias ? [x, w, bias] : [x, w], (gy, needs) => {
    const gp = act === 'identity' ? gy : activationGrad(act, gy, y);
    const r = convAdjoints(gp, w, needs[0], x, needs[1], geom);
    return [r.dx, r.dw, bias && needs[2] ? sum(gp, [0, 2]) : null];
  });
}

/**
 * convBackInput(gy, w) when `wantX` and convBackWeight(gy, x) when `wantW`,
 * in one pass over the chunks: g is brought to the channel-major layout
 * once for both.
 */
function convAdjoints(gy: Tensor, w: Tensor, wantX: boolean, x: Tensor, wantW: boolean, geom: ConvGeometry,
  bias: Tensor | null = null, act: Activation = 'identity'): { dx: Tensor | null; dw: Tensor | null } {
  const [o, rows] = w.shape;
  const L = geom.outH * geom.outW;
  const plane = geom.channels * geom.height * geom.width;
  // col2im overwrites each chunk of the image (no zero fill needed).
  const dx = wantX ? output([geom.batch, geom.channels, geom.height, geom.width], gy.dtype) : null;
  const dw = wantW ? output([o, rows], gy.dtype) : null;
  let first = true;
  forEachChunk(geom, gy.dtype, (n0, count, g) => {
    const gm = scratch(gy.dtype, 1, o * count * L);
    const cols = scratch(gy.dtype, 0, rows * count * L);
    // [count, O, L] -> [O, count, L]
    kernel('stridedCopy')(gy.data, n0 * o * L, [L, o * L, 1], gm, [o, count, L]);
    if (dw) {
      kernel('im2col')(x.data.subarray(n0 * plane, (n0 + count) * plane), g, cols);
      kernel('gemm')(false, true, o, rows, count * L, gm, 0, cols, 0, dw.data, 0, !first);
    }
    if (dx) {
      kernel('gemm')(true, false, rows, count * L, o, w.data, 0, gm, 0, cols, 0, false);
      const dxChunk = dx.data.subarray(n0 * plane, (n0 + count) * plane);
      kernel('col2im')(cols, g, dxChunk, true);
      // convTranspose2d's bias and activation, on the chunk just written: [count, C, H*W].
      if (bias || act !== 'identity') {
        kernel('biasActivation')(act, dxChunk, bias ? bias.data : null, count, geom.channels, geom.height * geom.width, dxChunk);
      }
    }
    first = false;
  });
  if (dw && first) dw.data.fill(0); // no images: the sum is empty
  return {
    dx: dx && recordBackInput(dx, gy, w, geom, bias, act),
    dw: dw && recordBackWeight(dw, gy, x, geom),
  };
}

/** dx [N, C, H, W] = col2im(W^T g), for g [N, O, L] and W [O, rows]: conv's adjoint in x (and convTranspose2d). */
function convBackInput(gy: Tensor, w: Tensor, geom: ConvGeometry): Tensor {
  return convAdjoints(gy, w, true, gy, false, geom).dx!;
}

function recordBackInput(dx: Tensor, gy: Tensor, w: Tensor, geom: ConvGeometry, bias: Tensor | null = null, act: Activation = 'identity'): Tensor {
  return record(dx, 'convBackInput', bias ? [gy, w, bias] : [gy, w], (gx, needs) => {
    const gp = act === 'identity' ? gx : activationGrad(act, gx, dx);
    const r = convAndWeight(gp, w, needs[0], gy, needs[1], geom);
    return [r.y, r.dw, bias && needs[2] ? sum(gp, [0, 2, 3]) : null];
  });
}

function recordBackWeight(dw: Tensor, gy: Tensor, x: Tensor, geom: ConvGeometry): Tensor {
  return record(dw, 'convBackWeight', [gy, x], (gw, needs) => [
    needs[0] ? conv(x, gw, geom) : null,
    needs[1] ? convBackInput(gy, gw, geom) : null,
  ]);
}

/**
 * conv(x, w) when `wantY` and convBackWeight(gy, x) when `wantW`, in one
 * pass over the chunks: the columns of x are unfolded once for both (the
 * gradient of convBackInput, so of convTranspose2d).
 */
function convAndWeight(x: Tensor, w: Tensor, wantY: boolean, gy: Tensor, wantW: boolean, geom: ConvGeometry): { y: Tensor | null; dw: Tensor | null } {
  const [o, rows] = w.shape;
  const L = geom.outH * geom.outW;
  const plane = geom.channels * geom.height * geom.width;
  const y = wantY ? output([geom.batch, o, L], x.dtype) : null;
  const dw = wantW ? output([o, rows], x.dtype) : null;
  let first = true;
  forEachChunk(geom, x.dtype, (n0, count, g) => {
    const cols = scratch(x.dtype, 0, rows * count * L);
    const m = scratch(x.dtype, 1, o * count * L);
    kernel('im2col')(x.data.subarray(n0 * plane, (n0 + count) * plane), g, cols);
    if (y) {
      kernel('gemm')(false, false, o, count * L, rows, w.data, 0, cols, 0, m, 0, false);
      kernel('stridedCopy')(m, 0, [L, count * L, 1], y.data.subarray(n0 * o * L, (n0 + count) * o * L), [count, o, L]);
    }
    if (dw) {
      kernel('stridedCopy')(gy.data, n0 * o * L, [L, o * L, 1], m, [o, count, L]);
      kernel('gemm')(false, true, o, rows, count * L, m, 0, cols, 0, dw.data, 0, !first);
    }
    first = false;
  });
  if (dw && first) dw.data.fill(0);
  return {
    y: y && recordConv(y, x, w, geom),
    dw: dw && recordBackWeight(dw, gy, x, geom),
  };
}

/**
 * Unfolds the sliding windows of an NCHW image into columns, so that a
 * convolution becomes one matrix product per image.
 *
 * Shapes: x [N, C, H, W] -> [N, C*kh*kw, OH*OW] with
 * OH = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1 (likewise OW).
 * Row (c*kh + i)*kw + j, column oy*OW + ox holds
 * x[n, c, oy*stride - padding + i*dilation, ox*stride - padding + j*dilation] (0 in the padding),
 * the row order of a PyTorch weight [O, C, kh, kw] flattened to [O, C*kh*kw].
 * The gradient is `col2im`.
 *
 * @example
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * im2col(x, { kernelSize: 2, stride: 2 }).toArray();
 * // [[[0, 2, 8, 10], [1, 3, 9, 11], [4, 6, 12, 14], [5, 7, 13, 15]]]
 */
export function im2col(x: Tensor, options: Im2colOptions): Tensor {
  expectRank(x, 4, 'im2col', 'x', '[N, C, H, W]');
  const win = windowOf(options.kernelSize, options, 'im2col');
  const [n, c, h, w] = x.shape;
  return unfold(x, geometryOf(n, c, h, w, win, 'im2col', x.shape));
}

/**
 * Folds columns back into an NCHW image, summing the entries that
 * overlapping windows share: the adjoint (transpose) of `im2col` with the
 * same options, not its inverse. The gradient is `im2col`.
 *
 * Shapes: cols [N, C*kh*kw, OH*OW] -> [N, C, H, W] with [H, W] = `outputSize`
 * and OH, OW the im2col output size for that image.
 *
 * @example
 * // 2x2 windows with stride 2 tile a 4x4 image: every pixel receives exactly one entry.
 * col2im(ones([1, 4, 4]), { kernelSize: 2, stride: 2, outputSize: [4, 4] }).sum().item();   // returns 16
 */
export function col2im(cols: Tensor, options: Col2imOptions): Tensor {
  expectRank(cols, 3, 'col2im', 'cols', '[N, C*kh*kw, OH*OW]');
  const win = windowOf(options.kernelSize, options, 'col2im');
  const [h, w] = pair(options.outputSize, 0, 1, 'col2im', 'outputSize');
  const taps = win.kernel[0] * win.kernel[1];
  const [n, rows, positions] = cols.shape;
  if (rows % taps !== 0) {
    throw new Error(`col2im: cols ${formatShape(cols.shape)} has ${rows} rows, not a multiple of kh*kw = ${taps} for kernel ${formatShape(win.kernel)}`);
  }
  const geom = geometryOf(n, rows / taps, h, w, win, 'col2im', [n, rows / taps, h, w]);
  if (positions !== geom.outH * geom.outW) {
    throw new Error(
      `col2im: cols ${formatShape(cols.shape)} has ${positions} window positions, but a [${h}, ${w}] image with these options ` +
        `has ${geom.outH} x ${geom.outW} = ${geom.outH * geom.outW}`,
    );
  }
  return fold(cols, geom);
}

function activationOf(options: Conv2dOptions, op: string): Activation {
  const act = options.activation ?? 'identity';
  if (!FUSED_ACTIVATIONS.includes(act)) {
    throw new Error(`${op}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${JSON.stringify(act)}`);
  }
  return act;
}

function checkBias(bias: Tensor | null | undefined, channels: number, op: string, weight: Tensor): void {
  if (bias === null || bias === undefined) return;
  if (!(bias instanceof Tensor) || bias.rank !== 1 || bias.shape[0] !== channels) {
    const got = bias instanceof Tensor ? formatShape(bias.shape) : typeof bias;
    throw new Error(`${op}: bias must have shape [${channels}] (one per output channel of weight ${formatShape(weight.shape)}), got ${got}`);
  }
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of an NCHW batch:
 * im2col and one GEMM with the flattened weight per chunk of images, the
 * bias and `options.activation` applied in the same pass (see `conv` above).
 * Its gradients are the convolution's adjoints, themselves differentiable,
 * to any order.
 *
 * Shapes: x [N, C, H, W], weight [O, C, kh, kw] (PyTorch layout), bias [O]
 * -> [N, O, OH, OW], OH = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1 (likewise OW).
 *
 * @example
 * const x = zeros([8, 1, 28, 28]);
 * const w = zeros([32, 1, 4, 4]);
 * conv2d(x, w, null, { stride: 2, padding: 1 }).shape;   // [8, 32, 14, 14]
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  expectRank(x, 4, op, 'input', '[N, C, H, W]');
  expectRank(weight, 4, op, 'weight', '[O, C, kh, kw]');
  const [n, c, h, w] = x.shape;
  const [o, cw, kh, kw] = weight.shape;
  if (c !== cw) {
    throw new Error(`${op}: input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(weight.shape)} expects ${cw} (weight is [O, C, kh, kw])`);
  }
  checkBias(bias, o, op, weight);
  const win = windowOf([kh, kw], options, op);
  const geom = geometryOf(n, c, h, w, win, op, x.shape);
  const dtype = x.dtype === 'float64' || weight.dtype === 'float64' || bias?.dtype === 'float64' ? 'float64' : 'float32';
  const tx = x.dtype === dtype ? x : cast(x, dtype);
  const tw = weight.dtype === dtype ? weight : cast(weight, dtype);
  const tb = bias ? (bias.dtype === dtype ? bias : cast(bias, dtype)) : null;
  const y = conv(tx, reshape(tw, [o, c * kh * kw]), geom, tb, activationOf(options, op));
  return reshape(y, [n, o, geom.outH, geom.outW]);
}

/**
 * Transposed 2-D convolution ("deconvolution"), the adjoint of `conv2d`
 * with the same weight and options: one GEMM with the transposed flattened
 * weight per chunk of images followed by col2im, then the bias and
 * `options.activation` in the same pass.
 * It upsamples: with a 3x3 kernel, stride 2 and padding 1, conv2d maps
 * 28 -> 14 -> 7, and convTranspose2d with outputPadding 1 maps 7 -> 14 -> 28
 * (without it, 13 and 27: a strided conv maps several sizes to one).
 *
 * Shapes: x [N, C, H, W], weight [C, O, kh, kw] (PyTorch layout: input
 * channels first), bias [O] -> [N, O, OH, OW] with
 * OH = (H - 1) stride - 2 padding + dilation (kh - 1) + outputPadding + 1 (likewise OW).
 *
 * @example
 * const z = zeros([8, 64, 7, 7]);
 * const w = zeros([64, 32, 3, 3]);
 * convTranspose2d(z, w, null, { stride: 2, padding: 1, outputPadding: 1 }).shape;   // [8, 32, 14, 14]
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  expectRank(x, 4, op, 'input', '[N, C, H, W]');
  expectRank(weight, 4, op, 'weight', '[C, O, kh, kw]');
  const [n, c, h, w] = x.shape;
  const [cw, o, kh, kw] = weight.shape;
  if (c !== cw) {
    throw new Error(`${op}: input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(weight.shape)} expects ${cw} (weight is [C, O, kh, kw])`);
  }
  checkBias(bias, o, op, weight);
  const win = windowOf([kh, kw], options, op);
  const outPad = pair(options.outputPadding, 0, 0, op, 'outputPadding');
  for (const a of [0, 1] as const) {
    if (outPad[a] >= win.stride[a]) {
      throw new Error(`${op}: outputPadding ${formatShape(outPad)} must be less than stride ${formatShape(win.stride)} in each dimension`);
    }
  }
  const size = (s: number, a: 0 | 1) => (s - 1) * win.stride[a] - 2 * win.padding[a] + win.dilation[a] * (win.kernel[a] - 1) + outPad[a] + 1;
  const oh = size(h, 0);
  const ow = size(w, 1);
  if (oh <= 0 || ow <= 0) {
    throw new Error(
      `${op}: output size would be [${oh}, ${ow}] for input ${formatShape(x.shape)} with kernel ${formatShape(win.kernel)}, ` +
        `stride ${formatShape(win.stride)}, padding ${formatShape(win.padding)}, dilation ${formatShape(win.dilation)}, ` +
        `outputPadding ${formatShape(outPad)}; reduce padding`,
    );
  }
  // The conv2d that maps [OH, OW] back to [H, W]; outputPadding < stride makes its output exactly [H, W].
  // convTranspose2d is that conv2d's adjoint in its input: convBackInput with x in the place of the gradient.
  const geom = geometryOf(n, o, oh, ow, win, op, [n, o, oh, ow]);
  const dtype = x.dtype === 'float64' || weight.dtype === 'float64' || bias?.dtype === 'float64' ? 'float64' : 'float32';
  const tx = x.dtype === dtype ? x : cast(x, dtype);
  const tw = weight.dtype === dtype ? weight : cast(weight, dtype);
  const tb = bias ? (bias.dtype === dtype ? bias : cast(bias, dtype)) : null;
  const act = activationOf(options, op);
  return convAdjoints(reshape(tx, [n, c, h * w]), reshape(tw, [c, o * kh * kw]), true, tx, false, geom, tb, act).dx!;
}
