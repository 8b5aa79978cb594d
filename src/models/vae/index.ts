export { VAE, type Posterior } from './vae.js';
export { defaultVaeConfig, validateVaeConfig, type VaeConfig, type LikelihoodKind } from './config.js';
export {
  FlowPosteriorDistribution, PosteriorFlow, AmortizedPlanarFlow, ContextIAF, makePosteriorFlow, validatePosteriorFlow, IAF_GATE_BIAS,
  type PosteriorFlowConfig,
} from './flow-posterior.js';
export { makeObjective, logImportanceWeights, type Objective, type ObjectiveSpec, type ObjectiveResult, type Batch } from './objectives.js';
export { evaluateVae, meanImage, type VaeEvaluation, type EvaluateOptions } from './evaluate.js';
export { M2, defaultM2Config, validateM2Config, m2VaeConfig, labelClassifier, classifyWith, accuracy, m2Loss, crossEntropy, type M2Config, type M2LossOptions } from './m2.js';
export { trainM2, trainClassifier, semiSupervisedBatches, type TrainM2Options, type TrainClassifierOptions, type SemiSupervisedBatch, type SemiSupervisedBatchOptions } from './m2-train.js';
export { makeMask, parseMaskSpec, formatMaskSpec, validateMaskSpec, maskIsRandom, HALF_SIDES, MASK_SPEC_SYNTAX, type MaskSpec, type HalfSide } from './masks.js';
export {
  maskedBatch, observedMeanImage, fitMaskedVae, inpaint, mwgLogAcceptance, conditionalLogLikelihood, missingPixelMse, evaluateInpainting, INPAINT_METHODS,
  type MaskedLikelihood, type FitMaskedOptions, type InpaintMethod, type InpaintOptions, type InpaintResult, type ConditionalLogLikelihood,
  type ConditionalLogLikelihoodOptions, type InpaintingEvaluation, type EvaluateInpaintingOptions,
} from './inpaint.js';
export {
  posteriorMeans, latentPath, interpolate, principalComponents, latentMap, latentMapLayout, plotLatentMap, saveLatentMap, latentGrid, LABEL_PALETTE, UNLABELED_COLOR,
  type InterpolationMethod, type PrincipalComponents, type LatentMap, type LatentMapPlotOptions, type LatentMapLayout,
} from './visualize.js';
export {
  QuadrantNet, QuadrantCVAE, quadrantMasks, quadrantIndex, quadrantLogLikelihood, defaultQuadrantConfig, QUADRANT_ORDER,
  type QuadrantConfig, type GivenQuadrants, type GaussianLatent, type QuadrantLogLikelihoodOptions,
} from './quadrant-cvae.js';
