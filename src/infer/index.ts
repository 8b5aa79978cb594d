/**
 * Inference: Monte Carlo estimators of the marginal likelihood (naive,
 * importance sampling), variational objectives (ELBO with sampled or
 * closed-form KL, the IWAE bound), score-function gradients with baselines,
 * black-box VI (ADVI) with Gaussian families, SVI over a model/guide pair,
 * and CAVI for conjugate models.
 *
 * Shapes are samples first: latent draws z [k, ...batch, ...event], log
 * densities and log weights [k, ...batch], bounds [...batch].
 */
export { logmeanexp, streamingLogMeanExp } from './logmeanexp.js';
export { modelLogJoint, modelLogLikelihood, type LatentModel, type LogJoint } from './model.js';
export {
  importanceSampling, naiveMonteCarlo, weightDiagnostics,
  type ImportanceSamplingOptions, type MarginalLikelihoodEstimate, type NaiveMonteCarloOptions,
} from './estimators.js';
export { elbo, elboTerms, iwaeBound, sampleLogWeights, type ElboOptions, type ElboTerms, type ObjectiveOptions } from './elbo.js';
export {
  scoreFunctionSurrogate, scoreFunctionGradient, MovingAverageBaseline, type ScoreFunctionOptions, type ScoreFunctionResult,
} from './scoreFunction.js';
export { MeanFieldGaussian, FullRankGaussian, type VariationalFamily, type GaussianFamilyOptions } from './families.js';
export { FlowFamily, type FlowFamilyOptions, type FlowFamilyKind } from './flow-family.js';
export { advi, type AdviOptions, type AdviFlatOptions, type AdviSettings, type AdviResult, type LatentSite, type LatentLayout } from './advi.js';
export { SVI, type SVIOptions, type VariationalObjective } from './svi.js';
export {
  coordinateAscent, caviNormalGamma, normalGammaPosterior, caviGaussianMixture, mixtureMeans,
  type CoordinateAscentOptions, type CoordinateAscentResult, type NormalGammaPrior, type NormalGammaFactors,
  type CaviNormalGammaOptions, type CaviNormalGammaResult, type GaussianMixtureFactors, type CaviGaussianMixtureOptions,
  type CaviGaussianMixtureResult,
} from './cavi.js';
