import type { Tensor, DType } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { conv2d, convTranspose2d, type Size2 } from '../ops/index.js';
import type { Generator } from '../random/index.js';
import { Module } from './module.js';
import { computeFans, kaimingUniform, uniform_ } from './init.js';
import { checkSize } from './linear.js';

export interface Conv2dModuleOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** The generator for the default initialization. */
  rng: Generator;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

export interface ConvTranspose2dModuleOptions extends Conv2dModuleOptions {
  outputPadding?: Size2;
}

function pair(k: Size2, where: string): [number, number] {
  const p: [number, number] = typeof k === 'number' ? [k, k] : [k[0], k[1]];
  checkSize(p[0], where, 'kernelSize');
  checkSize(p[1], where, 'kernelSize');
  return p;
}

/** PyTorch's `_ConvNd.reset_parameters`: kaiming_uniform_(a = sqrt(5)), bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn from the weight. */
function resetConv(weight: Tensor, bias: Tensor | null, rng: Generator): void {
  kaimingUniform(weight, { a: Math.sqrt(5) }, rng);
  if (bias) {
    const { fanIn } = computeFans(weight);
    if (fanIn > 0) {
      const bound = 1 / Math.sqrt(fanIn);
      uniform_(bias, -bound, bound, rng);
    }
  }
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch) over input [N, C, H, W]
 * with `weight` [outChannels, inChannels, kh, kw] and `bias`
 * [outChannels], PyTorch's layout and default initialization (weight and
 * bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = inChannels * kh * kw).
 *
 * @example
 * const conv = new Conv2d(1, 32, 4, { stride: 2, padding: 1, rng });
 * conv.forward(x).shape;   // [N, 32, 14, 14] for x of shape [N, 1, 28, 28]
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2dModuleOptions) {
    super();
    checkSize(inChannels, 'Conv2d', 'inChannels');
    checkSize(outChannels, 'Conv2d', 'outChannels');
    if (!options || !options.rng) throw new Error('Conv2d: options.rng (a Generator) is required for the initialization');
    const dtype = options.dtype ?? 'float32';
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'Conv2d');
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.weight = zeros([outChannels, inChannels, ...this.kernelSize], { dtype, requiresGrad: true });
    this.bias = (options.bias ?? true) ? zeros([outChannels], { dtype, requiresGrad: true }) : null;
    resetConv(this.weight, this.bias, options.rng);
  }

  /** Draws PyTorch's default initialization again from `rng`. */
  resetParameters(rng: Generator): void {
    resetConv(this.weight, this.bias, rng);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=${String(this.stride)}, padding=${String(this.padding)}`;
  }
}

/**
 * 2-D transposed convolution (the adjoint of `Conv2d`, for decoders) over
 * input [N, inChannels, H, W] with PyTorch's layout: `weight`
 * [inChannels, outChannels, kh, kw], `bias` [outChannels]. Output size
 * (H - 1) stride - 2 padding + dilation (kh - 1) + outputPadding + 1.
 * Default initialization as PyTorch's, whose fan-in for this layout is
 * outChannels * kh * kw.
 *
 * @example
 * const up = new ConvTranspose2d(32, 1, 4, { stride: 2, padding: 1, rng });
 * up.forward(h).shape;   // [N, 1, 28, 28] for h of shape [N, 32, 14, 14]
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Size2;
  readonly padding: Size2;
  readonly outputPadding: Size2;
  readonly dilation: Size2;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: ConvTranspose2dModuleOptions) {
    super();
    checkSize(inChannels, 'ConvTranspose2d', 'inChannels');
    checkSize(outChannels, 'ConvTranspose2d', 'outChannels');
    if (!options || !options.rng) throw new Error('ConvTranspose2d: options.rng (a Generator) is required for the initialization');
    const dtype = options.dtype ?? 'float32';
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'ConvTranspose2d');
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.outputPadding = options.outputPadding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.weight = zeros([inChannels, outChannels, ...this.kernelSize], { dtype, requiresGrad: true });
    this.bias = (options.bias ?? true) ? zeros([outChannels], { dtype, requiresGrad: true }) : null;
    resetConv(this.weight, this.bias, options.rng);
  }

  /** Draws PyTorch's default initialization again from `rng`. */
  resetParameters(rng: Generator): void {
    resetConv(this.weight, this.bias, rng);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation,
    });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=${String(this.stride)}, padding=${String(this.padding)}`;
  }
}
