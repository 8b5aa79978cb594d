/**
 * latent: latent-variable generative models in TypeScript.
 * The public API; the command line and the web page import only from here.
 */
export { Tensor, type DType, type FloatArray, type NestedArray } from './tensor/tensor.js';
export { tensor, zeros, ones, full, scalar, arange, linspace, eye, zerosLike, onesLike, type CreateOptions } from './tensor/create.js';
export { broadcastShapes, sizeOf, formatShape } from './tensor/shape.js';
export * from './ops/index.js';
export * from './autograd/index.js';
export { setBackend, getBackend, registerKernel, hasKernel, kernel, type Backend, type Kernels, type KernelName, type ConvGeometry } from './kernels/registry.js';
export { nativeStatus, setNativeIsa, type NativeStatus } from './kernels/native.js';
export * from './random/index.js';
export * from './io/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './distributions/index.js';
export * from './infer/index.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './models/gmm/index.js';
export * from './models/ppca/index.js';
export * from './flows/index.js';
