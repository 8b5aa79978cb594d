/**
 * Gaussian mixtures: maximum likelihood by EM (`GaussianMixture`) and
 * variational Bayes (`BayesianGaussianMixture`), with scikit-learn's
 * semantics; k-means and k-means++ seeding.
 */
export { GaussianMixture, type GaussianMixtureOptions, type GaussianMixtureJSON } from './gaussian-mixture.js';
export {
  BayesianGaussianMixture,
  type BayesianGaussianMixtureOptions,
  type BayesianGaussianMixtureJSON,
  type WeightConcentrationPriorType,
} from './bayesian-mixture.js';
export { INIT_PARAMS, type InitParams, type MixtureOptions, type MixtureFitOptions, type IterationInfo, type FitReport } from './mixture.js';
export { COVARIANCE_TYPES, IllConditionedCovarianceError, type CovarianceType } from './gaussian.js';
export { kmeans, kmeansPlusPlus, type KMeansOptions, type KMeansResult } from './kmeans.js';
