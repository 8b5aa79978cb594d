import { Tensor, type DType } from '../tensor/tensor.js';
import { zeros } from '../tensor/create.js';
import { linear, type Activation } from '../ops/index.js';
import type { Generator } from '../random/index.js';
import { Module } from './module.js';
import { kaimingUniform, uniform_ } from './init.js';

export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** The generator for the default initialization. */
  rng: Generator;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/**
 * An affine map y = x W^T + b over the last dimension, with PyTorch's
 * layout (`weight` [outFeatures, inFeatures], `bias` [outFeatures]) and
 * its default initialization: W and b from U(-1/sqrt(inFeatures),
 * 1/sqrt(inFeatures)) (`kaiming_uniform_` with a = sqrt(5), then the bias
 * bound from the fan-in).
 *
 * Input [..., inFeatures], output [..., outFeatures]. The fused `linear`
 * op: one GEMM reading W transposed in place (nothing is copied), then the
 * bias in one pass over the product.
 *
 * @example
 * const rng = new Generator(0);
 * const layer = new Linear(784, 400, { rng });
 * layer.forward(x).shape;   // [batch, 400] for x of shape [batch, 784]
 * Object.keys(layer.stateDict());   // ['weight', 'bias']
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions) {
    super();
    checkSize(inFeatures, 'Linear', 'inFeatures');
    checkSize(outFeatures, 'Linear', 'outFeatures');
    if (!options || !options.rng) throw new Error('Linear: options.rng (a Generator) is required for the initialization');
    const dtype = options.dtype ?? 'float32';
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = zeros([outFeatures, inFeatures], { dtype, requiresGrad: true });
    this.bias = (options.bias ?? true) ? zeros([outFeatures], { dtype, requiresGrad: true }) : null;
    this.resetParameters(options.rng);
  }

  /** Draws PyTorch's default initialization again from `rng`. */
  resetParameters(rng: Generator): void {
    kaimingUniform(this.weight, { a: Math.sqrt(5) }, rng);
    if (this.bias && this.inFeatures > 0) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      uniform_(this.bias, -bound, bound, rng);
    }
  }

  forward(x: Tensor): Tensor {
    return this.forwardActivated(x, 'identity');
  }

  /**
   * act(x W^T + b): the layer and the activation after it in one pass over
   * the output (ops/fused.ts `linear`), bit for bit what `forward` and the
   * activation's op give one after the other. `Sequential` calls it for a
   * Linear followed by ReLU, Tanh or Sigmoid.
   */
  forwardActivated(x: Tensor, act: Activation): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear: input of shape [${x.shape.join(', ')}] must end in inFeatures = ${this.inFeatures}`);
    }
    // One GEMM reading W transposed in place, the bias and activation applied in one pass over its output.
    return linear(x, this.weight, this.bias, act);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

export function checkSize(n: number, where: string, name: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${n}`);
}
