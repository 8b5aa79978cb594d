export { VAE, type Posterior } from './vae.js';
export { defaultVaeConfig, validateVaeConfig, type VaeConfig, type LikelihoodKind } from './config.js';
export { makeObjective, logImportanceWeights, type Objective, type ObjectiveSpec, type ObjectiveResult, type Batch } from './objectives.js';
export { evaluateVae, meanImage, type VaeEvaluation, type EvaluateOptions } from './evaluate.js';
