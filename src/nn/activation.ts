import type { Tensor } from '../tensor/tensor.js';
import { div, elu, leakyRelu, mul, relu, sigmoid, softplus, tanh } from '../ops/index.js';
import { Module } from './module.js';

/**
 * max(x, 0), elementwise.
 *
 * @example
 * new ReLU().forward(tensor([-1, 2])).toArray();   // [0, 2]
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * tanh(x), elementwise.
 *
 * @example
 * new Tanh().forward(tensor([0])).toArray();   // [0]
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * 1 / (1 + e^-x), elementwise.
 *
 * @example
 * new Sigmoid().forward(tensor([0])).toArray();   // [0.5]
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * log(1 + e^(beta x)) / beta, elementwise, computed stably for every x.
 * (PyTorch switches to the identity above `threshold`; the exact form
 * here differs from it by less than e^-20 relative there.)
 *
 * @example
 * new Softplus().forward(tensor([0])).toArray();   // [0.6931...]
 */
export class Softplus extends Module {
  readonly beta: number;

  constructor(options: { beta?: number } = {}) {
    super();
    const beta = options.beta ?? 1;
    if (!Number.isFinite(beta) || beta <= 0) throw new Error(`Softplus: beta must be a finite positive number, got ${beta}`);
    this.beta = beta;
  }

  forward(x: Tensor): Tensor {
    return this.beta === 1 ? softplus(x) : div(softplus(mul(x, this.beta)), this.beta);
  }

  protected override extraRepr(): string {
    return `beta=${this.beta}`;
  }
}

/**
 * x for x > 0, negativeSlope * x otherwise (default slope 0.01, as PyTorch).
 *
 * @example
 * new LeakyReLU({ negativeSlope: 0.2 }).forward(tensor([-1, 1])).toArray();   // [-0.2, 1]
 */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(options: { negativeSlope?: number } = {}) {
    super();
    this.negativeSlope = options.negativeSlope ?? 0.01;
    if (!Number.isFinite(this.negativeSlope)) throw new Error(`LeakyReLU: negativeSlope must be a finite number, got ${this.negativeSlope}`);
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/**
 * x for x > 0, alpha (e^x - 1) otherwise (default alpha 1).
 *
 * Paper: Clevert et al., "Fast and accurate deep network learning by exponential linear units (ELUs)", ICLR 2016.
 *
 * @example
 * new ELU().forward(tensor([0, 1])).toArray();   // [0, 1]
 */
export class ELU extends Module {
  readonly alpha: number;

  constructor(options: { alpha?: number } = {}) {
    super();
    this.alpha = options.alpha ?? 1;
    if (!Number.isFinite(this.alpha)) throw new Error(`ELU: alpha must be a finite number, got ${this.alpha}`);
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/**
 * Returns its input unchanged (a placeholder layer).
 *
 * @example
 * new Identity().forward(x) === x;   // returns true
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Activation names accepted by `mlp` and `activation()`. */
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'softplus' | 'leakyRelu' | 'elu' | 'identity';

export const ACTIVATION_NAMES: readonly ActivationName[] = ['relu', 'tanh', 'sigmoid', 'softplus', 'leakyRelu', 'elu', 'identity'];

/**
 * A new activation module by name (for configs and the command line).
 *
 * @example
 * activation('tanh');   // a Tanh module
 */
export function activation(name: ActivationName): Module {
  switch (name) {
    case 'relu': return new ReLU();
    case 'tanh': return new Tanh();
    case 'sigmoid': return new Sigmoid();
    case 'softplus': return new Softplus();
    case 'leakyRelu': return new LeakyReLU();
    case 'elu': return new ELU();
    case 'identity': return new Identity();
    default:
      throw new Error(`activation: unknown activation ${JSON.stringify(name)}; expected one of ${ACTIVATION_NAMES.join(', ')}`);
  }
}
