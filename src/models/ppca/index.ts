/**
 * Probabilistic PCA (closed form and EM, with missing data), the Gaussian
 * maximum-likelihood estimate, and the symmetric eigendecomposition.
 */
export { PPCA, type PPCAOptions, type PPCAFitOptions, type PPCAReport, type PPCAJSON, type PPCAMethod } from './ppca.js';
export { gaussianMle, symmetricEigen, type GaussianMleOptions } from './gaussian-mle.js';
