/**
 * Probability distributions (torch.distributions' vocabulary): the
 * `Distribution` base, one class per family, constraints, transforms
 * (bijectors) with `bijectTo`, the KL registry, and the special functions
 * the densities need.
 */
export { Distribution, setDefaultValidateArgs, type DistributionOptions } from './distribution.js';
export { Normal } from './normal.js';
export { MultivariateNormal, type MultivariateNormalOptions } from './multivariateNormal.js';
export { LowRankMultivariateNormal } from './lowRankMultivariateNormal.js';
export { Bernoulli, type BernoulliParams } from './bernoulli.js';
export { Categorical, type CategoricalParams } from './categorical.js';
export { OneHotCategorical } from './oneHotCategorical.js';
export { RelaxedOneHotCategorical } from './relaxedOneHotCategorical.js';
export { Uniform } from './uniform.js';
export { Laplace } from './laplace.js';
export { Gamma } from './gamma.js';
export { Beta } from './beta.js';
export { Dirichlet } from './dirichlet.js';
export { Independent } from './independent.js';
export { MixtureSameFamily } from './mixtureSameFamily.js';
export { TransformedDistribution } from './transformedDistribution.js';
export {
  constraints, Constraint, Real, GreaterThan, LessThan, Interval, IntegerInterval, BooleanConstraint, Simplex, OneHot, LowerCholesky,
  PositiveDefinite, IndependentConstraint,
} from './constraints.js';
export {
  Transform, ExpTransform, SoftplusTransform, SigmoidTransform, AffineTransform, StickBreakingTransform, LowerCholeskyTransform,
  PositiveDefiniteTransform, InverseTransform, IndependentTransform, ComposeTransform, bijectTo,
} from './transforms.js';
export { registerKL, klDivergence, klStandardNormal, registeredKLPairs, type DistributionClass, type KLFunction } from './kl.js';
export { lgamma, digamma, polygamma } from './special.js';
export type { Param } from './utils.js';
