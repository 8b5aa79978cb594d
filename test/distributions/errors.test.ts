// Bad input: invalid parameters, values outside the support, shape
// mismatches and misuse are refused with errors that name the distribution
// and the argument (and the first bad entry); with validateArgs off, no
// checks are made and the formulas are evaluated as is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';

const f64 = { dtype: 'float64' as const };
const t = (v: number[] | number[][]) => L.tensor(v, f64);

const INVALID_PARAMETERS: [string, () => unknown, RegExp][] = [
  ['negative scale', () => new L.Normal(t([0, 0, 0]), t([1, 2, -1])), /^Error: Normal: scale must be positive, got -1 at index 2$/],
  ['zero scale (2-D index)', () => new L.Laplace(0, t([[1, 1], [0, 1]])), /^Error: Laplace: scale must be positive, got 0 at index \[1, 0\]$/],
  ['NaN loc', () => new L.Normal(NaN, 1), /^Error: Normal: loc must be a real number \(not NaN\), got NaN$/],
  ['probs above 1', () => new L.Bernoulli({ probs: t([0.5, 1.5]) }), /^Error: Bernoulli: probs must be in \[0, 1\], got 1.5 at index 1$/],
  ['probs below 0', () => new L.Bernoulli({ probs: -0.1 }), /^Error: Bernoulli: probs must be in \[0, 1\], got -0.1$/],
  ['Bernoulli with both', () => new L.Bernoulli({ probs: 0.5, logits: 0 } as never), /^Error: Bernoulli: pass exactly one of probs and logits; got both$/],
  ['Bernoulli with neither', () => new L.Bernoulli({} as never), /^Error: Bernoulli: pass exactly one of probs and logits; got neither$/],
  ['negative category probability', () => new L.Categorical({ probs: t([[0.5, 0.5], [1.1, -0.1]]) }), /^Error: Categorical: probs must be non-negative and finite, got -0.1 at index \[1, 1\]$/],
  ['all-zero category probabilities', () => new L.OneHotCategorical({ probs: t([0, 0]) }), /^Error: OneHotCategorical: probs must have a positive finite sum along the last axis, got sum 0 at batch index 0$/],
  ['NaN logits', () => new L.Categorical({ logits: t([0, NaN]) }), /^Error: Categorical: logits must be real numbers or -Infinity \(not NaN or \+Infinity\), got NaN at index 1$/],
  ['scalar categorical', () => new L.Categorical({ probs: 1 }), /^Error: Categorical: probs must have shape \[\.\.\., K\] with K >= 1 categories, got \[\]$/],
  ['non-positive temperature', () => new L.RelaxedOneHotCategorical(0, { logits: t([0, 1]) }), /^Error: RelaxedOneHotCategorical: temperature must be positive, got 0$/],
  ['Uniform low >= high', () => new L.Uniform(t([0, 2]), t([1, 1])), /^Error: Uniform: low must be less than high, got low=2, high=1 at index 1$/],
  ['Beta zero concentration', () => new L.Beta(t([1, 0]), 1), /^Error: Beta: concentration1 must be positive, got 0 at index 1$/],
  ['Gamma negative rate', () => new L.Gamma(2, -1), /^Error: Gamma: rate must be positive, got -1$/],
  ['Dirichlet negative concentration', () => new L.Dirichlet(t([[1, 2], [1, -2]])), /^Error: Dirichlet: concentration must be positive, got -2 at index \[1, 1\]$/],
  ['Dirichlet scalar', () => new L.Dirichlet(1), /^Error: Dirichlet: concentration must have shape \[\.\.\., K\]/],
  [
    'non-positive-definite covariance', () => new L.MultivariateNormal(t([0, 0]), { covarianceMatrix: t([[1, 2], [2, 1]]) }),
    /^Error: MultivariateNormal: covarianceMatrix must be symmetric positive definite, got a matrix that is not positive definite \(Cholesky pivot 1 is -3; add jitter to the diagonal if it should be\)$/,
  ],
  [
    'batched non-PD covariance names the batch entry', () => new L.MultivariateNormal(t([0, 0]), { covarianceMatrix: L.stack([L.eye(2, f64), t([[1, 0], [0, -1]])]) }),
    /^Error: MultivariateNormal: covarianceMatrix must be symmetric positive definite, got a matrix that is not positive definite .* at batch index 1$/,
  ],
  [
    'non-symmetric covariance', () => new L.MultivariateNormal(t([0, 0]), { covarianceMatrix: t([[2, 1], [0, 2]]) }),
    /^Error: MultivariateNormal: covarianceMatrix must be symmetric positive definite, got a matrix that is not symmetric \(\[1, 0\] is 0 but \[0, 1\] is 1\)$/,
  ],
  ['non-PD precision', () => new L.MultivariateNormal(t([0, 0]), { precisionMatrix: t([[-1, 0], [0, 1]]) }), /^Error: MultivariateNormal: precisionMatrix must be symmetric positive definite/],
  [
    'scaleTril with an upper entry', () => new L.MultivariateNormal(t([0, 0]), { scaleTril: t([[1, 0.5], [0, 1]]) }),
    /^Error: MultivariateNormal: scaleTril must be lower triangular with a positive diagonal \(a Cholesky factor\), got a matrix with 0.5 above the diagonal at \[0, 1\]$/,
  ],
  [
    'scaleTril with a negative diagonal', () => new L.MultivariateNormal(t([0, 0]), { scaleTril: t([[1, 0], [0.5, -1]]) }),
    /^Error: MultivariateNormal: scaleTril must be lower triangular .*, got a matrix with diagonal entry -1 at \[1, 1\]$/,
  ],
  ['MVN with no matrix', () => new L.MultivariateNormal(t([0, 0]), {}), /^Error: MultivariateNormal: pass exactly one of covarianceMatrix, precisionMatrix, scaleTril; got none$/],
  [
    'MVN with two matrices', () => new L.MultivariateNormal(t([0, 0]), { covarianceMatrix: L.eye(2, f64), scaleTril: L.eye(2, f64) }),
    /^Error: MultivariateNormal: pass exactly one of .*; got covarianceMatrix and scaleTril$/,
  ],
  ['low-rank negative diagonal', () => new L.LowRankMultivariateNormal(t([0, 0]), t([[1], [1]]), t([1, -1])), /^Error: LowRankMultivariateNormal: covDiag must be positive, got -1 at index 1$/],
];

for (const [name, fn, re] of INVALID_PARAMETERS) {
  test(`invalid parameters are refused: ${name}`, () => {
    assert.throws(fn, re);
  });
}

const SHAPE_MISMATCHES: [string, () => unknown, RegExp][] = [
  ['loc [3] vs scale [4]', () => new L.Normal(L.zeros([3]), L.ones([4])), /^Error: Normal: loc \[3\] and scale \[4\] cannot be broadcast together$/],
  ['low [2, 3] vs high [2]', () => new L.Uniform(L.zeros([2, 3]), L.ones([2])), /^Error: Uniform: low \[2, 3\] and high \[2\] cannot be broadcast together$/],
  ['MVN loc [3] vs covariance [2, 2]', () => new L.MultivariateNormal(L.zeros([3]), { covarianceMatrix: L.eye(2) }), /^Error: MultivariateNormal: covarianceMatrix \[2, 2\] does not match loc \[3\]: expected shape \[\.\.\., 3, 3\]$/],
  ['MVN batch [2] vs [3]', () => new L.MultivariateNormal(L.zeros([2, 2]), { covarianceMatrix: L.broadcastTo(L.eye(2), [3, 2, 2]) }), /^Error: MultivariateNormal: the batch shape of loc \[2\] and that of covarianceMatrix \[3\] cannot be broadcast together$/],
  ['low-rank factor rows', () => new L.LowRankMultivariateNormal(L.zeros([3]), L.zeros([2, 1]), L.ones([3])), /^Error: LowRankMultivariateNormal: covFactor \[2, 1\] must have 3 rows/],
  ['relaxed temperature vs batch', () => new L.RelaxedOneHotCategorical(L.ones([3]), { logits: L.zeros([2, 4]) }), /^Error: RelaxedOneHotCategorical: logits \(batch part\) \[2\] and temperature \[3\] cannot be broadcast together$/],
  ['Independent too many dims', () => new L.Independent(new L.Normal(L.zeros([3]), 1), 2), /^Error: Independent: reinterpretedBatchNdims \(2\) exceeds the batch rank of the base Normal \(batch shape \[3\]\)$/],
  [
    'mixture components', () => new L.MixtureSameFamily(new L.Categorical({ probs: L.ones([2]) }), new L.Normal(L.zeros([3]), 1)),
    /^Error: MixtureSameFamily: componentDistribution's batch shape \[3\] must end with the number of mixture components \(2, from the Categorical\)$/,
  ],
  ['mixture of a non-Categorical', () => new L.MixtureSameFamily(new L.Normal(0, 1) as never, new L.Normal(L.zeros([3]), 1)), /^Error: MixtureSameFamily: mixtureDistribution must be a Categorical, got a Normal$/],
  ['transforms not Transform', () => new L.TransformedDistribution(new L.Normal(0, 1), [{}] as never), /^Error: TransformedDistribution: transforms\[0\] must be a Transform/],
  ['stick-breaking on a scalar base', () => new L.TransformedDistribution(new L.Normal(0, 1), [new L.StickBreakingTransform()]), /^Error: TransformedDistribution: the transforms need values of at least 1 dimension\(s\), but the base Normal has shape \[\]$/],
  ['parameter of the wrong type', () => new L.Normal([1, 2] as never, 1), /^Error: Normal: loc must be a Tensor or a number, got an array \(wrap it in tensor\(\.\.\.\)\)$/],
];

for (const [name, fn, re] of SHAPE_MISMATCHES) {
  test(`shape mismatches are refused: ${name}`, () => {
    assert.throws(fn, re);
  });
}

test('logProb: a value outside the support throws while validating (as torch raises ValueError)', () => {
  assert.throws(() => new L.Beta(2, 2).logProb(t([0.5, 1.5])), /^Error: Beta: value must be within the support \(in \[0, 1\]\), got 1.5 at index 1$/);
  assert.throws(() => new L.Gamma(2, 1).logProb(-1), /^Error: Gamma: value must be within the support \(positive\), got -1$/);
  assert.throws(() => new L.Bernoulli({ probs: 0.3 }).logProb(t([1, 0.5])), /^Error: Bernoulli: value must be within the support \(0 or 1\), got 0.5 at index 1$/);
  assert.throws(() => new L.Categorical({ probs: L.ones([3]) }).logProb(t([0, 3])), /^Error: Categorical: value must be within the support \(an integer in \[0, 2\]\), got 3 at index 1$/);
  assert.throws(() => new L.Uniform(0, 1).logProb(2), /^Error: Uniform: value must be within the support \(in \[low, high\]\), got 2$/);
  assert.throws(
    () => new L.Dirichlet(L.ones([3])).logProb(t([0.5, 0.6, 0.1])),
    /^Error: Dirichlet: value must be within the support \(on the simplex \(non-negative, summing to 1 along the last axis\)\), got \[0.5, 0.6, 0.1\] \(sum 1.2\d*\)$/,
  );
  assert.throws(() => new L.OneHotCategorical({ probs: L.ones([3]) }).logProb(t([1, 1, 0])), /^Error: OneHotCategorical: value must be within the support \(one-hot/);
  assert.throws(() => new L.Normal(0, 1).logProb(NaN), /^Error: Normal: value must be within the support \(a real number \(not NaN\)\), got NaN$/);
});

test('logProb with validateArgs off: no check; the formula as is (-Infinity outside a Uniform, cross-entropy for grey levels)', () => {
  const off = { validateArgs: false };
  assert.equal(new L.Uniform(0, 1, off).logProb(2).item(), -Infinity);
  const logits = t([0.3]);
  const grey = new L.Bernoulli({ logits, ...off }).logProb(t([0.25])).item();
  const p = 1 / (1 + Math.exp(-0.3));
  assert.ok(Math.abs(grey - (0.25 * Math.log(p) + 0.75 * Math.log(1 - p))) < 1e-15, 'negative binary cross-entropy');
  assert.ok(Number.isNaN(new L.Gamma(2, 1, off).logProb(-1).item()));
  // No parameter checks either.
  assert.doesNotThrow(() => new L.Normal(0, -1, off));
});

test('setDefaultValidateArgs changes the default; an explicit option wins', () => {
  try {
    L.setDefaultValidateArgs(false);
    assert.doesNotThrow(() => new L.Normal(0, -1));
    assert.throws(() => new L.Normal(0, -1, { validateArgs: true }), /Normal: scale must be positive/);
  } finally {
    L.setDefaultValidateArgs(true);
  }
  assert.throws(() => new L.Normal(0, -1), /Normal: scale must be positive/);
  assert.throws(() => L.setDefaultValidateArgs('no' as never), /setDefaultValidateArgs: flag must be a boolean/);
});

test('logProb: value shapes must end with the event shape and broadcast with the batch shape (validation on or off)', () => {
  for (const validateArgs of [true, false]) {
    const n = new L.Normal(L.zeros([3]), 1, { validateArgs });
    assert.throws(() => n.logProb(L.zeros([4])), /^Error: Normal: value of shape \[4\] does not broadcast with the batch shape \[3\]$/);
    const mvn = new L.MultivariateNormal(L.zeros([2, 3]), { covarianceMatrix: L.eye(3), validateArgs });
    assert.throws(() => mvn.logProb(L.zeros([2, 2])), /^Error: MultivariateNormal: value of shape \[2, 2\] must end with the event shape \[3\]$/);
    assert.throws(() => mvn.logProb(L.zeros([4, 3])), /does not broadcast with the batch shape \[2\] \(before the event shape \[3\]\)/);
    assert.throws(() => n.logProb('x' as never), /^Error: Normal: value must be a Tensor or a number, got string$/);
  }
});

test('sampling misuse: non-reparameterizable rsample, a bad rng, a bad sample shape, undefined moments', () => {
  assert.throws(
    () => new L.Gamma(2, 1).rsample(new L.Generator(0)),
    /^Error: Gamma: rsample is not available: the distribution is not reparameterizable \(hasRsample is false\); use sample\(\) and a score-function estimator for gradients$/,
  );
  assert.throws(() => new L.Normal(0, 1).sample(42 as never), /^Error: Normal: rng must be a Generator \(e.g. new Generator\(0\)\), got a number$/);
  assert.throws(() => new L.Normal(0, 1).sample(new L.Generator(0), [2.5]), /^Error: Normal: sampleShape must be an array of non-negative integers/);
  assert.throws(() => new L.Categorical({ probs: L.ones([3]) }).mean, /Categorical: mean is not defined for category labels; use probs/);
  assert.throws(() => new L.TransformedDistribution(new L.Normal(0, 1), new L.ExpTransform()).entropy(), /TransformedDistribution: entropy has no closed form here/);
});
