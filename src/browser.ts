/**
 * latent in a web browser: the part of the public API (`src/index.ts`) that
 * needs no Node.js — tensors, ops and autodiff on the TypeScript kernels,
 * seeded randomness, safetensors parsing from bytes, the VAE and what
 * decodes, encodes, interpolates and inpaints with it, the discrete flows
 * (FlowModel and its layers), the CNF and its ODE solvers, and the 2-D toy
 * densities. The explorer page
 * (`web/app.ts`, served by `latent serve`) is bundled from this entry.
 *
 * Left out: the native kernel loader, the file-based data readers, model
 * directories on disk and everything that writes files. A module here that
 * also holds a file-writing helper (safetensors, PNG) gets that helper
 * stubbed by the bundler (`web/bundle.ts`), which refuses any other import
 * of a Node.js module.
 */
export { Tensor, type DType, type FloatArray } from './tensor/tensor.js';
export { tensor, zeros, ones, full, scalar } from './tensor/create.js';
export * from './ops/index.js';
export { noGrad } from './autograd/index.js';
export { getBackend } from './kernels/registry.js';
export { Generator, randn } from './random/index.js';
export { parseSafetensors, type StateDict } from './io/safetensors.js';
export { VAE, type Posterior } from './models/vae/vae.js';
export { validateVaeConfig, type VaeConfig } from './models/vae/config.js';
export { inpaint, type InpaintMethod, type InpaintResult } from './models/vae/inpaint.js';
export { latentPath, posteriorMeans, principalComponents, LABEL_PALETTE, type InterpolationMethod, type PrincipalComponents } from './models/vae/visualize.js';
export { FlowModel, validateFlowConfig, meanLogProb, type FlowConfig } from './models/flow/flow.js';
export { gridPoints, histogramLogDensity, densityPanels, type GridWindow } from './models/flow/visualize.js';
export { CNF, validateCnfConfig, type CnfConfig } from './models/cnf/cnf.js';
export { sampleToy2d, toy2dLogDensity, toy2dEntropy, TOY2D_NAMES } from './data/toy2d.js';
