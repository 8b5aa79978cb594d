/**
 * Neural network layers with named parameters and PyTorch-compatible state
 * dicts, the MLP builder, and initialization schemes.
 */
// StateDict (Record<string, Tensor>) is exported once, from src/io, with the same definition.
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Conv2d, ConvTranspose2d, type Conv2dModuleOptions, type ConvTranspose2dModuleOptions } from './conv.js';
export { ReLU, Tanh, Sigmoid, Softplus, LeakyReLU, ELU, Identity, activation, ACTIVATION_NAMES, type ActivationName } from './activation.js';
export { Sequential } from './container.js';
export { Flatten, Unflatten } from './reshape.js';
export { mlp, type MlpOptions } from './mlp.js';
export * as init from './init.js';
export {
  calculateGain, computeFans, xavierUniform, xavierNormal, kaimingUniform, kaimingNormal,
  uniform_, normal_, constant_, zeros_, ones_,
  type Nonlinearity, type FanMode, type XavierOptions, type KaimingOptions,
} from './init.js';
