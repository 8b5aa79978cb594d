import type { DType } from '../tensor/tensor.js';
import type { Generator } from '../random/index.js';
import { activation, type ActivationName } from './activation.js';
import { Sequential } from './container.js';
import { Linear } from './linear.js';

export interface MlpOptions {
  /** The nonlinearity between hidden layers (default relu). */
  activation?: ActivationName;
  /** A nonlinearity after the last layer (default none). */
  outputActivation?: ActivationName;
  /** Learnable biases (default true). */
  bias?: boolean;
  /** The generator for the layers' default initialization. */
  rng: Generator;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/**
 * A multilayer perceptron: Linear(sizes[0], sizes[1]), activation, ...,
 * Linear(sizes[n-2], sizes[n-1]), then `outputActivation` if given. The
 * result is a `Sequential` whose state dict matches `torch.nn.Sequential`
 * of the same Linear and activation layers (Linear layers at indices 0, 2,
 * 4, ...), so weights move between the two unchanged.
 *
 * @example
 * const net = mlp([3, 16, 16, 1], { activation: 'tanh', rng: new Generator(0) });
 * Object.keys(net.stateDict());
 * // ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']
 */
export function mlp(sizes: readonly number[], options: MlpOptions): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new Error(`mlp: sizes must list at least the input and output sizes, got ${JSON.stringify(sizes)}`);
  }
  sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`mlp: sizes[${i}] must be a positive integer, got ${n}`);
  });
  if (!options || !options.rng) throw new Error('mlp: options.rng (a Generator) is required for the initialization');
  const act = options.activation ?? 'relu';
  activation(act); // validates the name before any layer draws from rng
  if (options.outputActivation !== undefined) activation(options.outputActivation);
  const net = new Sequential();
  for (let i = 0; i + 1 < sizes.length; i++) {
    net.append(new Linear(sizes[i], sizes[i + 1], { bias: options.bias, rng: options.rng, dtype: options.dtype }));
    if (i + 2 < sizes.length) net.append(activation(act));
  }
  if (options.outputActivation !== undefined) net.append(activation(options.outputActivation));
  return net;
}
