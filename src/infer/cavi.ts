// Coordinate ascent variational inference (CAVI) for conditionally
// conjugate models: each factor of a mean-field q is set in turn to its
// optimum given the others, log q_j*(z_j) = E_{-j}[log p(x, z)] + const,
// which never lowers the ELBO. A generic driver, and two models with the
// updates and the ELBO in closed form. Plain float64 arithmetic throughout.
import { Tensor } from '../tensor/tensor.js';
import { scalar, tensor } from '../tensor/create.js';
import { formatShape } from '../tensor/shape.js';
import type { Generator } from '../random/generator.js';
import { permutation } from '../random/sample.js';
import { Normal } from '../distributions/normal.js';
import { Gamma } from '../distributions/gamma.js';
import { lgammaScalar, polygammaScalar } from '../distributions/special.js';
import { checkFinite, checkFunction, checkInteger, checkOptions, checkPositive, checkRng, describe } from './checks.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Options of `coordinateAscent`. */
export interface CoordinateAscentOptions<S> {
  /** The initial variational parameters (a complete q, so its ELBO is defined). */
  init: S;
  /** The coordinate updates, applied in order once per sweep; each returns the new state (q_j set to its optimum given the rest). */
  updates: readonly ((state: S) => S)[];
  /** The ELBO of a state, in closed form. */
  elbo: (state: S) => number;
  /** Sweeps at most (default 1000). */
  maxIterations?: number;
  /** Stop when a sweep raises the ELBO by less than tolerance * (1 + |ELBO|) (default 1e-12). */
  tolerance?: number;
}

/** What `coordinateAscent` returns. */
export interface CoordinateAscentResult<S> {
  state: S;
  /** The ELBO at the initial state and after every sweep. */
  elboTrace: number[];
  /** The ELBO at the initial state and after every single coordinate update (for checking monotonicity). */
  updateTrace: number[];
  /** Sweeps made. */
  iterations: number;
  /** Whether the tolerance was met before maxIterations. */
  converged: boolean;
}

/**
 * The CAVI driver: sweeps the coordinate updates until the ELBO stops
 * rising. Each update must be the exact maximizer of the ELBO in its
 * coordinate, log q_j* = E_{-j}[log p(x, z)] + const, so the ELBO is
 * non-decreasing after every update (up to rounding); a decrease larger
 * than rounding is a bug in an update or in the ELBO, and throws.
 *
 * Paper: Blei, Kucukelbir and McAuliffe, "Variational inference: a review
 * for statisticians", JASA 112, 2017, §2.4 and Algorithm 1; Bishop, Pattern
 * Recognition and Machine Learning, §10.1.1 (eq. 10.9).
 *
 * @example
 * const r = coordinateAscent({ init, updates: [updateQMu, updateQTau], elbo });
 * r.elboTrace;   // non-decreasing
 */
export function coordinateAscent<S>(options: CoordinateAscentOptions<S>): CoordinateAscentResult<S> {
  const fn = 'coordinateAscent';
  checkOptions(fn, options);
  if (!Array.isArray(options.updates) || options.updates.length === 0) {
    throw new Error(`${fn}: updates must be a non-empty array of functions (state) => state, got ${describe(options.updates)}`);
  }
  options.updates.forEach((u, i) => checkFunction(fn, `updates[${i}]`, u));
  checkFunction(fn, 'elbo', options.elbo);
  const maxIterations = options.maxIterations === undefined ? 1000 : checkInteger(fn, 'maxIterations', options.maxIterations, 1);
  const tolerance = options.tolerance === undefined ? 1e-12 : checkFinite(fn, 'tolerance', options.tolerance);
  if (tolerance < 0) throw new Error(`${fn}: tolerance must be >= 0, got ${tolerance}`);
  const value = (s: S, where: string): number => {
    const v = options.elbo(s);
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${fn}: elbo returned ${describe(v)} ${where}`);
    return v;
  };
  let state = options.init;
  let current = value(state, 'at the initial state');
  const elboTrace = [current];
  const updateTrace = [current];
  let converged = false;
  let iterations = 0;
  while (iterations < maxIterations) {
    const before = current;
    for (let j = 0; j < options.updates.length; j++) {
      state = options.updates[j](state);
      const next = value(state, `after update ${j} of sweep ${iterations}`);
      // A coordinate update maximizes the ELBO in its coordinate; allow only rounding-size decreases.
      if (next < current - 1e-9 * (1 + Math.abs(current))) {
        throw new Error(`${fn}: update ${j} lowered the ELBO from ${current} to ${next} in sweep ${iterations}; it is not the coordinate optimum`);
      }
      current = next;
      updateTrace.push(current);
    }
    iterations++;
    elboTrace.push(current);
    if (current - before <= tolerance * (1 + Math.abs(current))) {
      converged = true;
      break;
    }
  }
  return { state, elboTrace, updateTrace, iterations, converged };
}

// ---------------------------------------------------------------------------
// The univariate Gaussian with unknown mean and precision (PRML §10.1.3).

/** The Normal-Gamma prior p(mu | tau) = N(mu0, 1 / (lambda0 tau)), p(tau) = Gamma(a0, b0) (shape, rate). */
export interface NormalGammaPrior {
  mu0: number;
  lambda0: number;
  a0: number;
  b0: number;
}

/** The factorized q(mu) q(tau) = N(mu; muN, 1 / lambdaN) Gamma(tau; aN, bN) of `caviNormalGamma`. */
export interface NormalGammaFactors {
  muN: number;
  lambdaN: number;
  aN: number;
  bN: number;
}

function readData(fn: string, x: Tensor | ArrayLike<number>): Float64Array {
  const d = x instanceof Tensor ? x.data : x;
  if (d === null || typeof d !== 'object' || typeof d.length !== 'number') throw new Error(`${fn}: x must be a Tensor or an array of numbers, got ${describe(x)}`);
  if (x instanceof Tensor && x.rank !== 1) throw new Error(`${fn}: x must be one-dimensional [N], got shape ${formatShape(x.shape)}`);
  if (d.length === 0) throw new Error(`${fn}: x is empty; need at least one observation`);
  const out = Float64Array.from(d as ArrayLike<number>);
  out.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${fn}: x must be finite, got ${v} at index ${i}`);
  });
  return out;
}

function readNormalGammaPrior(fn: string, prior: NormalGammaPrior): NormalGammaPrior {
  if (typeof prior !== 'object' || prior === null) throw new Error(`${fn}: prior must be { mu0, lambda0, a0, b0 }, got ${describe(prior)}`);
  checkFinite(fn, 'prior.mu0', prior.mu0);
  checkPositive(fn, 'prior.lambda0', prior.lambda0);
  checkPositive(fn, 'prior.a0', prior.a0);
  checkPositive(fn, 'prior.b0', prior.b0);
  return prior;
}

/**
 * The exact posterior of the Normal-Gamma model, itself Normal-Gamma:
 * mu | tau, x ~ N(muN, 1 / (lambdaN tau)), tau | x ~ Gamma(aN, bN), with
 * lambdaN = lambda0 + N, muN = (lambda0 mu0 + N xbar) / lambdaN,
 * aN = a0 + N/2, bN = b0 + S/2 + lambda0 N (xbar - mu0)^2 / (2 lambdaN),
 * S = sum (x_n - xbar)^2, and the log evidence
 * log p(x) = lgamma(aN) - lgamma(a0) + a0 log b0 - aN log bN + (log lambda0 - log lambdaN)/2 - (N/2) log 2 pi.
 * Note: here lambdaN multiplies tau (a conditional precision), unlike the
 * factors of `caviNormalGamma`. Posterior moments: E[mu] = muN,
 * E[tau] = aN / bN, Var[mu] = bN / (lambdaN (aN - 1)) (aN > 1).
 *
 * Reference: Murphy, "Conjugate Bayesian analysis of the Gaussian distribution", 2007, §3; Bishop, PRML §2.3.6.
 *
 * @example
 * normalGammaPosterior([0.1, -0.3, 0.5], { mu0: 0, lambda0: 1, a0: 1, b0: 1 }).logEvidence;
 */
export function normalGammaPosterior(x: Tensor | ArrayLike<number>, prior: NormalGammaPrior): NormalGammaFactors & { logEvidence: number } {
  const fn = 'normalGammaPosterior';
  const data = readData(fn, x);
  const { mu0, lambda0, a0, b0 } = readNormalGammaPrior(fn, prior);
  const n = data.length;
  let xbar = 0;
  for (const v of data) xbar += v / n;
  let s = 0;
  for (const v of data) s += (v - xbar) ** 2;
  const lambdaN = lambda0 + n;
  const muN = (lambda0 * mu0 + n * xbar) / lambdaN;
  const aN = a0 + n / 2;
  const bN = b0 + s / 2 + (lambda0 * n * (xbar - mu0) ** 2) / (2 * lambdaN);
  const logEvidence = lgammaScalar(aN) - lgammaScalar(a0) + a0 * Math.log(b0) - aN * Math.log(bN)
    + 0.5 * (Math.log(lambda0) - Math.log(lambdaN)) - (n / 2) * LOG_2PI;
  return { muN, lambdaN, aN, bN, logEvidence };
}

/** Options of `caviNormalGamma`. */
export interface CaviNormalGammaOptions {
  /** The starting E[tau] (default a0 / b0, the prior mean). */
  initExpectedTau?: number;
  maxIterations?: number;
  tolerance?: number;
}

/** What `caviNormalGamma` returns. */
export interface CaviNormalGammaResult extends CoordinateAscentResult<NormalGammaFactors> {
  /** The fitted factors. */
  factors: NormalGammaFactors;
  /** q(mu) = N(muN, 1 / lambdaN) as a float64 Normal. */
  qMu: Normal;
  /** q(tau) = Gamma(aN, bN) as a float64 Gamma. */
  qTau: Gamma;
}

/**
 * CAVI for the univariate Gaussian with unknown mean mu and precision tau,
 * x_n ~ N(mu, 1/tau), under the Normal-Gamma prior, with the mean-field
 * q(mu, tau) = q(mu) q(tau) (Bishop, PRML §10.1.3, eqs. 10.26-10.30):
 *   q(mu) = N(muN, 1/lambdaN):  muN = (lambda0 mu0 + N xbar) / (lambda0 + N),  lambdaN = (lambda0 + N) E[tau]
 *   q(tau) = Gamma(aN, bN):     aN = a0 + (N + 1)/2,
 *                               bN = b0 + E_mu[sum_n (x_n - mu)^2 + lambda0 (mu - mu0)^2] / 2
 * The ELBO, in closed form, is E[log p(x | mu, tau)] + E[log p(mu | tau)] +
 * E[log p(tau)] + H[q(mu)] + H[q(tau)] with E[tau] = aN/bN,
 * E[log tau] = psi(aN) - log bN, E[(x - mu)^2] = (x - muN)^2 + 1/lambdaN.
 * The fixed point is known in closed form: muN as above and
 * bN = C / (1 - 1/(2 aN)) with C = b0 + (sum_n (x_n - muN)^2 + lambda0 (muN - mu0)^2)/2
 * (substitute lambdaN = (lambda0 + N) aN / bN into the bN update).
 *
 * @example
 * const r = caviNormalGamma(x, { mu0: 0, lambda0: 1, a0: 1, b0: 1 });
 * r.factors.muN;                 // equals the exact posterior mean of mu
 * r.elboTrace;                   // non-decreasing, below normalGammaPosterior(x, prior).logEvidence
 */
export function caviNormalGamma(x: Tensor | ArrayLike<number>, prior: NormalGammaPrior, options: CaviNormalGammaOptions = {}): CaviNormalGammaResult {
  const fn = 'caviNormalGamma';
  const data = readData(fn, x);
  const { mu0, lambda0, a0, b0 } = readNormalGammaPrior(fn, prior);
  checkOptions(fn, options);
  const n = data.length;
  let xbar = 0;
  for (const v of data) xbar += v / n;
  const initTau = options.initExpectedTau === undefined ? a0 / b0 : checkPositive(fn, 'initExpectedTau', options.initExpectedTau);
  const aN = a0 + (n + 1) / 2;
  // E_mu[sum (x - mu)^2 + lambda0 (mu - mu0)^2] for q(mu) = N(m, 1/l).
  const expectedSquares = (m: number, l: number): number => {
    let s = 0;
    for (const v of data) s += (v - m) ** 2;
    return s + n / l + lambda0 * ((m - mu0) ** 2 + 1 / l);
  };
  const elbo = (f: NormalGammaFactors): number => {
    const eTau = f.aN / f.bN;
    const eLogTau = polygammaScalar(0, f.aN) - Math.log(f.bN);
    let sq = 0;
    for (const v of data) sq += (v - f.muN) ** 2 + 1 / f.lambdaN;
    const logLik = 0.5 * n * (eLogTau - LOG_2PI) - 0.5 * eTau * sq;
    const logPriorMu = 0.5 * (Math.log(lambda0) + eLogTau - LOG_2PI) - 0.5 * lambda0 * eTau * ((f.muN - mu0) ** 2 + 1 / f.lambdaN);
    const logPriorTau = a0 * Math.log(b0) - lgammaScalar(a0) + (a0 - 1) * eLogTau - b0 * eTau;
    const entropyMu = 0.5 * (1 + LOG_2PI - Math.log(f.lambdaN));
    const entropyTau = f.aN - Math.log(f.bN) + lgammaScalar(f.aN) + (1 - f.aN) * polygammaScalar(0, f.aN);
    return logLik + logPriorMu + logPriorTau + entropyMu + entropyTau;
  };
  const muN = (lambda0 * mu0 + n * xbar) / (lambda0 + n);
  const init: NormalGammaFactors = { muN, lambdaN: (lambda0 + n) * initTau, aN, bN: aN / initTau };
  const r = coordinateAscent<NormalGammaFactors>({
    init,
    updates: [
      (f) => ({ ...f, muN, lambdaN: (lambda0 + n) * (f.aN / f.bN) }),
      (f) => ({ ...f, aN, bN: b0 + 0.5 * expectedSquares(f.muN, f.lambdaN) }),
    ],
    elbo,
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
  });
  const f = r.state;
  return {
    ...r,
    factors: f,
    qMu: new Normal(scalar(f.muN, 'float64'), scalar(1 / Math.sqrt(f.lambdaN), 'float64')),
    qTau: new Gamma(scalar(f.aN, 'float64'), scalar(f.bN, 'float64')),
  };
}

// ---------------------------------------------------------------------------
// The Bayesian mixture of Gaussians with known unit variance (Blei et al. 2017, §3).

/** The factors of `caviGaussianMixture`: q(mu_k) = N(m_k, s2_k I), q(c_i) = Categorical(phi_i). */
export interface GaussianMixtureFactors {
  /** m [K, D], row-major. */
  means: Float64Array;
  /** s2 [K]: the variance of q(mu_k) in every coordinate. */
  variances: Float64Array;
  /** phi [N, K], row-major; each row sums to 1. */
  responsibilities: Float64Array;
}

/** Options of `caviGaussianMixture`. */
export interface CaviGaussianMixtureOptions {
  /** Components, an integer >= 1 (and <= N). */
  K: number;
  /** sigma^2, the prior variance of each component mean, mu_k ~ N(0, sigma^2 I); > 0. */
  priorVariance: number;
  /** Picks the K data points the means start at. */
  rng: Generator;
  maxIterations?: number;
  tolerance?: number;
}

/** What `caviGaussianMixture` returns. */
export interface CaviGaussianMixtureResult extends CoordinateAscentResult<GaussianMixtureFactors> {
  factors: GaussianMixtureFactors;
  /** K and D. */
  K: number;
  D: number;
}

/**
 * CAVI for the Bayesian mixture of K unit-variance Gaussians of Blei,
 * Kucukelbir and McAuliffe (JASA 2017, §3): mu_k ~ N(0, sigma^2 I),
 * c_i ~ Categorical(1/K), x_i | c_i, mu ~ N(mu_{c_i}, I), with
 * q = prod_k N(mu_k; m_k, s2_k I) prod_i Categorical(c_i; phi_i). The updates
 * (their eqs. 26, 34, 35, in D dimensions):
 *   phi_ik  ∝ exp(m_k . x_i - (|m_k|^2 + D s2_k) / 2)
 *   m_k     = sum_i phi_ik x_i / (1/sigma^2 + sum_i phi_ik),   s2_k = 1 / (1/sigma^2 + sum_i phi_ik)
 * (all phi_i together, then all (m_k, s2_k) together: within each block the
 * factors do not interact, so each block update is exact). The ELBO (their
 * eq. 21) is sum_k E[log p(mu_k)] + sum_i (E[log p(c_i)] + E[log p(x_i | c_i, mu)])
 * - sum_i E[log q(c_i)] - sum_k E[log q(mu_k)], all in closed form.
 * Means start at K distinct data points drawn with `rng`, s2_k = 1.
 *
 * Shapes: x [N, D] (or [N] for D = 1).
 *
 * @example
 * const r = caviGaussianMixture(x, { K: 3, priorVariance: 100, rng: new Generator(0) });
 * r.factors.means;   // [K * D], the posterior means of the component centres
 */
export function caviGaussianMixture(x: Tensor, options: CaviGaussianMixtureOptions): CaviGaussianMixtureResult {
  const fn = 'caviGaussianMixture';
  if (!(x instanceof Tensor) || (x.rank !== 1 && x.rank !== 2)) throw new Error(`${fn}: x must be a Tensor [N, D] or [N], got ${describe(x)}`);
  checkOptions(fn, options);
  const n = x.shape[0];
  const d = x.rank === 2 ? x.shape[1] : 1;
  if (n < 1 || d < 1) throw new Error(`${fn}: x of shape ${formatShape(x.shape)} holds no data`);
  const K = checkInteger(fn, 'K', options.K, 1);
  if (K > n) throw new Error(`${fn}: K (${K}) exceeds the number of data points (${n})`);
  const sigma2 = checkPositive(fn, 'priorVariance', options.priorVariance);
  const rng = checkRng(fn, options.rng);
  const xs = Float64Array.from(x.data);
  xs.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${fn}: x must be finite, got ${v} at flat index ${i}`);
  });
  const order = permutation(n, rng);
  const means = new Float64Array(K * d);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) means[k * d + j] = xs[order[k] * d + j];
  const variances = new Float64Array(K).fill(1);
  const init: GaussianMixtureFactors = { means, variances, responsibilities: new Float64Array(n * K) };
  const phiUpdate = (f: GaussianMixtureFactors): GaussianMixtureFactors => {
    const phi = new Float64Array(n * K);
    const logits = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        let dot = 0;
        let mm = 0;
        for (let j = 0; j < d; j++) {
          dot += f.means[k * d + j] * xs[i * d + j];
          mm += f.means[k * d + j] ** 2;
        }
        logits[k] = dot - 0.5 * (mm + d * f.variances[k]);
        if (logits[k] > mx) mx = logits[k];
      }
      let s = 0;
      for (let k = 0; k < K; k++) s += (phi[i * K + k] = Math.exp(logits[k] - mx));
      for (let k = 0; k < K; k++) phi[i * K + k] /= s;
    }
    return { ...f, responsibilities: phi };
  };
  const muUpdate = (f: GaussianMixtureFactors): GaussianMixtureFactors => {
    const m = new Float64Array(K * d);
    const s2 = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let nk = 0;
      for (let i = 0; i < n; i++) {
        const p = f.responsibilities[i * K + k];
        nk += p;
        for (let j = 0; j < d; j++) m[k * d + j] += p * xs[i * d + j];
      }
      const prec = 1 / sigma2 + nk;
      for (let j = 0; j < d; j++) m[k * d + j] /= prec;
      s2[k] = 1 / prec;
    }
    return { ...f, means: m, variances: s2 };
  };
  const elbo = (f: GaussianMixtureFactors): number => {
    let total = 0;
    for (let k = 0; k < K; k++) {
      let mm = 0;
      for (let j = 0; j < d; j++) mm += f.means[k * d + j] ** 2;
      const e2 = mm + d * f.variances[k]; // E|mu_k|^2
      total += -0.5 * d * Math.log(2 * Math.PI * sigma2) - e2 / (2 * sigma2); // E log p(mu_k)
      total += 0.5 * d * (Math.log(2 * Math.PI * f.variances[k]) + 1); // H[q(mu_k)]
    }
    for (let i = 0; i < n; i++) {
      total -= Math.log(K); // E log p(c_i)
      let xx = 0;
      for (let j = 0; j < d; j++) xx += xs[i * d + j] ** 2;
      for (let k = 0; k < K; k++) {
        const p = f.responsibilities[i * K + k];
        if (p === 0) continue;
        let dot = 0;
        let mm = 0;
        for (let j = 0; j < d; j++) {
          dot += xs[i * d + j] * f.means[k * d + j];
          mm += f.means[k * d + j] ** 2;
        }
        // E|x_i - mu_k|^2 = |x_i|^2 - 2 x_i . m_k + |m_k|^2 + D s2_k.
        total += p * (-0.5 * d * LOG_2PI - 0.5 * (xx - 2 * dot + mm + d * f.variances[k]));
        total -= p * Math.log(p); // H[q(c_i)]
      }
    }
    return total;
  };
  // The initial q needs responsibilities to have an ELBO: take the first phi update as part of the start.
  const start = phiUpdate(init);
  const r = coordinateAscent<GaussianMixtureFactors>({
    init: start, updates: [muUpdate, phiUpdate], elbo, maxIterations: options.maxIterations, tolerance: options.tolerance,
  });
  return { ...r, factors: r.state, K, D: d };
}

/** The means of a mixture fit as a [K, D] float64 Tensor. */
export function mixtureMeans(result: CaviGaussianMixtureResult): Tensor {
  return tensor(result.factors.means, { shape: [result.K, result.D], dtype: 'float64' });
}
