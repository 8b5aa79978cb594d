import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { kernel, type ConvGeometry } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { zeros } from '../tensor/create.js';
import { empty } from './util.js';
import { add } from './elementwise.js';
import { matmul } from './matmul.js';
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

function unfold(x: Tensor, geom: ConvGeometry): Tensor {
  const cols = empty([geom.batch, geom.channels * geom.kernelH * geom.kernelW, geom.outH * geom.outW], x.dtype);
  kernel('im2col')(x.data, geom, cols.data);
  return record(cols, 'im2col', [x], (g) => [fold(g, geom)]);
}

function fold(cols: Tensor, geom: ConvGeometry): Tensor {
  // col2im accumulates, so it needs a zeroed image.
  const x = zeros([geom.batch, geom.channels, geom.height, geom.width], { dtype: cols.dtype });
  kernel('col2im')(cols.data, geom, x.data);
  return record(x, 'col2im', [cols], (g) => [unfold(g, geom)]);
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

function checkBias(bias: Tensor | null | undefined, channels: number, op: string, weight: Tensor): void {
  if (bias === null || bias === undefined) return;
  if (!(bias instanceof Tensor) || bias.rank !== 1 || bias.shape[0] !== channels) {
    const got = bias instanceof Tensor ? formatShape(bias.shape) : typeof bias;
    throw new Error(`${op}: bias must have shape [${channels}] (one per output channel of weight ${formatShape(weight.shape)}), got ${got}`);
  }
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) of an NCHW batch,
 * written as im2col followed by one batched matrix product with the
 * flattened weight, plus a broadcast bias; its gradients come from
 * differentiating those ops, to any order.
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
  const pointwise = kh === 1 && kw === 1 && win.stride[0] === 1 && win.stride[1] === 1 && win.padding[0] === 0 && win.padding[1] === 0;
  const cols = pointwise ? reshape(x, [n, c, h * w]) : unfold(x, geom);
  // [O, C*kh*kw] @ [N, C*kh*kw, L] -> [N, O, L]: the weight broadcasts over the batch.
  let y = matmul(reshape(weight, [o, c * kh * kw]), cols);
  if (bias) y = add(y, reshape(bias, [o, 1]));
  return reshape(y, [n, o, geom.outH, geom.outW]);
}

/**
 * Transposed 2-D convolution ("deconvolution"), the adjoint of `conv2d`
 * with the same weight and options: written as one batched matrix product
 * with the transposed flattened weight followed by col2im, plus a bias.
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
  const geom = geometryOf(n, o, oh, ow, win, op, [n, o, oh, ow]);
  // [C, O*kh*kw]^T @ [N, C, H*W] -> [N, O*kh*kw, H*W], folded into [N, O, OH, OW].
  const cols = matmul(reshape(weight, [c, o * kh * kw]), reshape(x, [n, c, h * w]), { transA: true });
  const y = fold(cols, geom);
  if (!bias) return y;
  return reshape(add(reshape(y, [n, o, oh * ow]), reshape(bias, [o, 1])), [n, o, oh, ow]);
}
