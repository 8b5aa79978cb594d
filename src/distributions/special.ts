// Special functions the Gamma, Beta and Dirichlet densities and KLs need:
// log|Gamma(x)|, digamma and the polygamma functions, as ops with gradients
// (lgamma' = digamma, polygamma(n)' = polygamma(n + 1), so any order works).
//
// Method: the Stirling (asymptotic) series, reached by the recurrences
// Gamma(x + 1) = x Gamma(x) and psi^(n)(x + 1) = psi^(n)(x) + (-1)^n n! / x^(n+1)
// from x up to a threshold where the truncated series is accurate to
// machine precision, and the reflection formulas for negative arguments
// (Abramowitz & Stegun 6.1.17, 6.1.40, 6.3.7, 6.3.18, 6.4.11).
import { Tensor, arrayFor } from '../tensor/tensor.js';
import { record } from '../autograd/tape.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/** B_2, B_4, ..., B_16: the Bernoulli numbers of the asymptotic series. */
const BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];
const HALF_LOG_2PI = 0.9189385332046728; // log(2 pi) / 2
/** Above this the eight-term series has error below 1e-17 relative (its last term at x = 15 is ~1e-19). */
const SERIES_FROM = 15;

/** sin(pi x) with exact argument reduction (x - 2 round(x / 2) is exact in floating point). */
function sinPi(x: number): number {
  const r = x - 2 * Math.round(x / 2);
  return Math.sin(Math.PI * r);
}

function cosPi(x: number): number {
  const r = x - 2 * Math.round(x / 2);
  return Math.cos(Math.PI * r);
}

/** log|Gamma(x)| for a number; +Infinity at the poles 0, -1, -2, ... */
export function lgammaScalar(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
    return Math.log(Math.PI / Math.abs(sinPi(x))) - lgammaScalar(1 - x);
  }
  let shift = 0;
  let prod = 1;
  let z = x;
  while (z < SERIES_FROM) {
    prod *= z;
    z += 1;
  }
  if (prod !== 1) shift = Math.log(prod);
  const inv = 1 / z;
  const inv2 = inv * inv;
  // sum_k B_2k / (2k (2k - 1) z^(2k - 1)), Horner in 1/z^2.
  let series = 0;
  for (let k = BERNOULLI.length; k >= 1; k--) series = series * inv2 + BERNOULLI[k - 1] / (2 * k * (2 * k - 1));
  return (z - 0.5) * Math.log(z) - z + HALF_LOG_2PI + series * inv - shift;
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/**
 * psi^(n)(x), the n-th derivative of digamma (n = 0 is digamma itself), for
 * a number. NaN at the poles (0, -1, -2, ...) except +Infinity for odd n,
 * where both sides diverge to +Infinity.
 */
export function polygammaScalar(n: number, x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return n === 0 ? Infinity : 0;
  if (x === -Infinity) return NaN;
  if (x <= 0 && Number.isInteger(x)) return n % 2 === 1 ? Infinity : NaN;
  if (n === 0 && x < 0) {
    // Reflection: psi(1 - x) - psi(x) = pi cot(pi x).
    return polygammaScalar(0, 1 - x) - (Math.PI * cosPi(x)) / sinPi(x);
  }
  const sign = n % 2 === 1 ? 1 : -1; // (-1)^(n+1)
  const nFact = factorial(n);
  let acc = 0;
  let z = x;
  const threshold = SERIES_FROM + 2 * n;
  while (z < threshold) {
    // psi^(n)(z) = psi^(n)(z + 1) + (-1)^(n+1) n! / z^(n+1)
    acc += n === 0 ? -1 / z : (sign * nFact) / Math.pow(z, n + 1);
    z += 1;
  }
  const inv = 1 / z;
  const inv2 = inv * inv;
  if (n === 0) {
    // psi(z) ~ log z - 1/(2z) - sum_k B_2k / (2k z^2k)
    let series = 0;
    for (let k = BERNOULLI.length; k >= 1; k--) series = series * inv2 + BERNOULLI[k - 1] / (2 * k);
    return acc + Math.log(z) - 0.5 * inv - series * inv2;
  }
  // psi^(n)(z) ~ (-1)^(n+1) [ (n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)! / ((2k)! z^(2k+n)) ]
  let series = 0;
  for (let k = BERNOULLI.length; k >= 1; k--) {
    series = series * inv2 + (BERNOULLI[k - 1] * factorial(2 * k + n - 1)) / factorial(2 * k);
  }
  const zn = Math.pow(z, n);
  const lead = factorial(n - 1) / zn + nFact / (2 * zn * z) + (series * inv2) / zn;
  return acc + sign * lead;
}

function unaryFn(x: Tensor, op: string, f: (v: number) => number, rule: (g: Tensor) => Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: x must be a Tensor, got ${typeof x}`);
  const out = arrayFor(x.dtype, x.size);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return record(new Tensor(out, x.shape), op, [x], (g) => [rule(g)]);
}

/**
 * log|Gamma(x)| elementwise (torch.lgamma, scipy.special.gammaln); its
 * derivative is digamma. +Infinity at 0, -1, -2, ...
 *
 * @example
 * lgamma(tensor([1, 2, 5, 0.5])).toArray();   // [0, 0, log 24 = ~3.178, log sqrt(pi) = ~0.572]
 */
export function lgamma(x: Tensor): Tensor {
  return unaryFn(x, 'lgamma', lgammaScalar, (g) => mul(g, digamma(x)));
}

/**
 * The digamma function psi(x) = d/dx log Gamma(x), elementwise
 * (torch.digamma, scipy.special.psi); its derivative is polygamma(1, x).
 *
 * @example
 * digamma(tensor([1])).item();   // -0.5772 (minus the Euler–Mascheroni constant)
 */
export function digamma(x: Tensor): Tensor {
  return polygamma(0, x);
}

/**
 * The polygamma function psi^(n)(x), the n-th derivative of digamma
 * (torch.polygamma, scipy.special.polygamma); n = 1 is the trigamma
 * function. Its derivative is polygamma(n + 1, x).
 *
 * @example
 * polygamma(1, tensor([1])).item();   // pi^2 / 6 = ~1.645
 */
export function polygamma(n: number, x: Tensor): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`polygamma: n must be a non-negative integer, got ${n}`);
  if (n > 20) throw new Error(`polygamma: n must be at most 20 (factorials lose precision beyond), got ${n}`);
  return unaryFn(x, n === 0 ? 'digamma' : `polygamma${n}`, (v) => polygammaScalar(n, v), (g) => mul(g, polygamma(n + 1, x)));
}

/** log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), broadcasting. */
export function lbeta(a: Tensor, b: Tensor): Tensor {
  return sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)));
}

/** The log of the multivariate beta function over the last axis: sum lgamma(a_k) - lgamma(sum a_k). */
export function lmvbeta(a: Tensor): Tensor {
  return sub(sum(lgamma(a), -1), lgamma(sum(a, -1)));
}
