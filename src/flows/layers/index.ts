// Discrete flow layers: affine coupling (RealNVP), rational-quadratic spline
// coupling (Neural Spline Flows), ActNorm and invertible
// 1x1 / LU mixing (Glow), permutations, the batch-norm flow, and the logit
// preprocessing for data in [0, 1]; squeeze and the multi-scale composite
// (RealNVP §3.6, Glow §3).
export { AffineCoupling, type AffineCouplingOptions, type CouplingMask } from './coupling.js';
export { ActNorm, type ActNormOptions } from './actnorm.js';
export { Permutation, type PermutationOptions } from './permutation.js';
export { Invertible1x1, type Invertible1x1Options } from './invertible1x1.js';
export { BatchNormFlow, type BatchNormFlowOptions } from './batchnorm.js';
export { LogitTransform } from './logit.js';
export { type EventShape } from './event.js';
export { SplineCoupling, rationalQuadraticSpline, rationalQuadraticSplineOps, type SplineCouplingOptions, type SplineOptions } from './spline.js';
export { Squeeze, squeeze2d, unsqueeze2d } from './squeeze.js';
export { MultiScaleFlow, type MultiScaleOptions } from './multiscale.js';
