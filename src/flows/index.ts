/**
 * Normalizing flows: the bijector interface and composition; affine and
 * rational-quadratic spline couplings, ActNorm, permutations and 1x1
 * mixing, batch-norm flow, squeeze and multi-scale (layers/); planar,
 * radial, MADE, MAF/IAF (autoregressive/); continuous flows with odeint,
 * Hutchinson's trace estimator and the adjoint method (continuous/).
 */
export { Bijector, FlowSequence, InverseBijector, BijectorTransform, type FlowResult } from './bijector.js';
export * from './layers/index.js';
export * from './autoregressive/index.js';
export * from './continuous/index.js';
