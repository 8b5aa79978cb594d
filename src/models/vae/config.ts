import type { ActivationName } from '../../nn/index.js';
import { validatePosteriorFlow, type PosteriorFlowConfig } from './flow-posterior.js';

/** How p(x | z) is modelled. */
export type LikelihoodKind = 'bernoulli' | 'gaussian' | 'gaussian-learned';

/**
 * Everything needed to rebuild a VAE (it is what `config.json` stores).
 *
 * - `inputShape` [C, H, W]: the images; an MLP flattens them to D = C H W.
 * - `architecture` 'mlp': hidden sizes are layer widths (encoder D-h1-h2-...,
 *   decoder mirrored); 'conv': hidden sizes are channel counts of stride-2,
 *   kernel-4 convolutions (H and W must be divisible by 2^layers), mirrored by
 *   transposed convolutions.
 * - `conditionDim`: size of a conditioning vector y (one-hot labels for a
 *   conditional VAE), appended to the encoder's features and to z.
 * - `maskInput`: the encoder also sees the observation mask (1 = observed)
 *   as extra input channels, next to x ⊙ mask, so q(z | x_obs) can tell a
 *   missing pixel from a black one (MLP: D more inputs; conv: C more input
 *   channels). For training and inpainting on partially observed images
 *   (`inpaint.ts`); without a mask the encoder is given all ones.
 * - `posterior`: a normalizing flow after the Gaussian q(z | x) — K planar
 *   layers with parameters from the encoder (Rezende & Mohamed 2015) or K
 *   IAF layers reading the encoder's features (Kingma et al. 2016); absent:
 *   the diagonal Gaussian posterior.
 */
export interface VaeConfig {
  inputShape: [number, number, number];
  latent: number;
  hidden: number[];
  activation: ActivationName;
  architecture: 'mlp' | 'conv';
  likelihood: LikelihoodKind;
  /** Observation noise of the fixed-variance Gaussian decoder. */
  sigma?: number;
  conditionDim?: number;
  maskInput?: boolean;
  posterior?: PosteriorFlowConfig;
}

export const defaultVaeConfig: VaeConfig = {
  inputShape: [1, 28, 28],
  latent: 20,
  hidden: [400],
  activation: 'relu',
  architecture: 'mlp',
  likelihood: 'bernoulli',
};

/** Checks a config, naming the field at fault. */
export function validateVaeConfig(c: VaeConfig, where = 'VAE'): VaeConfig {
  const posInt = (v: unknown, name: string) => {
    if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  if (!Array.isArray(c.inputShape) || c.inputShape.length !== 3) {
    throw new Error(`${where}: inputShape must be [channels, height, width], got ${JSON.stringify(c.inputShape)}`);
  }
  c.inputShape.forEach((d, i) => posInt(d, `inputShape[${i}]`));
  posInt(c.latent, 'latent');
  if (!Array.isArray(c.hidden) || c.hidden.length === 0) throw new Error(`${where}: hidden must list at least one size, got ${JSON.stringify(c.hidden)}`);
  c.hidden.forEach((h, i) => posInt(h, `hidden[${i}]`));
  if (!['mlp', 'conv'].includes(c.architecture)) throw new Error(`${where}: architecture must be 'mlp' or 'conv', got ${JSON.stringify(c.architecture)}`);
  if (!['relu', 'tanh', 'softplus', 'sigmoid', 'leakyRelu', 'elu'].includes(c.activation)) {
    throw new Error(`${where}: activation must be relu, tanh or softplus, got ${JSON.stringify(c.activation)}`);
  }
  if (!['bernoulli', 'gaussian', 'gaussian-learned'].includes(c.likelihood)) {
    throw new Error(`${where}: likelihood must be bernoulli, gaussian or gaussian-learned, got ${JSON.stringify(c.likelihood)}`);
  }
  if (c.likelihood === 'gaussian' && c.sigma !== undefined && !(c.sigma > 0 && Number.isFinite(c.sigma))) {
    throw new Error(`${where}: sigma must be a finite positive number, got ${c.sigma}`);
  }
  if (c.conditionDim !== undefined && c.conditionDim !== 0) posInt(c.conditionDim, 'conditionDim');
  if (c.maskInput !== undefined && typeof c.maskInput !== 'boolean') throw new Error(`${where}: maskInput must be true or false, got ${JSON.stringify(c.maskInput)}`);
  if (c.posterior !== undefined) validatePosteriorFlow(c.posterior, where);
  if (c.architecture === 'conv') {
    const f = 2 ** c.hidden.length;
    const [, h, w] = c.inputShape;
    if (h % f !== 0 || w % f !== 0) {
      throw new Error(`${where}: a conv VAE with ${c.hidden.length} stride-2 layers needs height and width divisible by ${f}, got ${h}x${w}`);
    }
  }
  return c;
}
