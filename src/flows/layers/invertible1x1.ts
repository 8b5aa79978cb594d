// Invertible linear mixing in LU form (Glow's "invertible 1x1 convolution"):
// W = P L (U + diag(s)) with P a fixed permutation, L unit lower triangular,
// U strictly upper triangular and s = sign * exp(logS), so log |det W| =
// sum(logS) costs O(D) instead of O(D^3) (Kingma & Dhariwal 2018, §3.2).
import { Tensor, type DType } from '../../tensor/tensor.js';
import { eye, tensor } from '../../tensor/create.js';
import { add, conv2d, diagEmbed, exp, matmul, mul, reshape, sum, transpose, triangularSolve, tril, triu } from '../../ops/index.js';
import type { Generator } from '../../random/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkInput, perExample, resolveEvent, type Event, type EventShape } from './event.js';

export interface Invertible1x1Options {
  /** Draws the initial rotation (Glow starts from a random orthogonal matrix). */
  rng: Generator;
  dtype?: DType;
}

/** A random orthogonal F x F matrix (row-major, float64): Gram-Schmidt on Gaussian columns. */
function randomRotation(f: number, rng: Generator): Float64Array {
  const q = new Float64Array(f * f);
  for (let i = 0; i < f * f; i++) q[i] = rng.normal01();
  for (let j = 0; j < f; j++) {
    // Twice, for orthogonality to rounding level (modified Gram-Schmidt, reorthogonalized).
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < f; i++) dot += q[i * f + j] * q[i * f + k];
        for (let i = 0; i < f; i++) q[i * f + j] -= dot * q[i * f + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < f; i++) norm += q[i * f + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < f; i++) q[i * f + j] /= norm;
  }
  return q;
}

/** A = P L U with partial pivoting (row-major, float64); P as a 0/1 matrix. */
function luDecompose(a: Float64Array, f: number): { p: Float64Array; l: Float64Array; u: Float64Array } {
  const m = Float64Array.from(a);
  const perm = Array.from({ length: f }, (_, i) => i);
  for (let k = 0; k < f; k++) {
    let piv = k;
    for (let i = k + 1; i < f; i++) if (Math.abs(m[i * f + k]) > Math.abs(m[piv * f + k])) piv = i;
    if (m[piv * f + k] === 0) throw new Error('Invertible1x1: the initial matrix is singular');
    if (piv !== k) {
      for (let j = 0; j < f; j++) [m[k * f + j], m[piv * f + j]] = [m[piv * f + j], m[k * f + j]];
      [perm[k], perm[piv]] = [perm[piv], perm[k]];
    }
    for (let i = k + 1; i < f; i++) {
      m[i * f + k] /= m[k * f + k];
      for (let j = k + 1; j < f; j++) m[i * f + j] -= m[i * f + k] * m[k * f + j];
    }
  }
  const p = new Float64Array(f * f);
  const l = new Float64Array(f * f);
  const u = new Float64Array(f * f);
  // Rows perm[i] of A are row i of L U, so A = P (L U) with P[perm[i], i] = 1.
  for (let i = 0; i < f; i++) {
    p[perm[i] * f + i] = 1;
    for (let j = 0; j < f; j++) {
      if (j < i) l[i * f + j] = m[i * f + j];
      else u[i * f + j] = m[i * f + j];
    }
  }
  return { p, l, u };
}

/**
 * An invertible linear map of the features, W = P L (U + diag(sign * exp(logS))),
 * applied in the density direction (data -> base, `inverseAndLogDet`) as in
 * Glow, where it maps data to latents:
 *
 * - vectors [N, D]: z = y W^T (a D x D linear map);
 * - images [N, C, H, W]: z = W y at each pixel (a 1x1 convolution over channels),
 *   log |det dz/dy| = H * W * sum(logS).
 *
 * The forward direction (sampling) applies W^-1 by two triangular solves.
 * Starts from a random rotation (log |det| = 0), LU-decomposed.
 *
 * State dict: `lower`, `upper` ([F, F]; only the strict triangles are used), `logS` [F];
 * buffers `permutation` ([F, F], 0/1) and `signS` [F].
 *
 * Paper: Kingma & Dhariwal 2018, https://arxiv.org/abs/1807.03039
 *
 * @example
 * const mix = new Invertible1x1([4, 8, 8], { rng: new Generator(0) });
 * mix.inverseAndLogDet(x).logDet;   // [N]: 64 * sum(logS)
 */
export class Invertible1x1 extends Bijector {
  override readonly eventDim: number;
  lower: Tensor;
  upper: Tensor;
  logS: Tensor;
  readonly #ev: Event;
  readonly #p: Tensor;
  readonly #sign: Tensor;

  constructor(eventShape: EventShape, options: Invertible1x1Options) {
    super();
    const ev = resolveEvent(eventShape, 'Invertible1x1');
    if (!options || !options.rng) throw new Error('Invertible1x1: options.rng (a Generator) is required for the initial rotation');
    const dtype = options.dtype ?? 'float32';
    const f = ev.features;
    const { p, l, u } = luDecompose(randomRotation(f, options.rng), f);
    const s = Array.from({ length: f }, (_, i) => u[i * f + i]);
    for (let i = 0; i < f; i++) u[i * f + i] = 0;
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.lower = tensor(l, { dtype, shape: [f, f], requiresGrad: true });
    this.upper = tensor(u, { dtype, shape: [f, f], requiresGrad: true });
    this.logS = tensor(s.map((v) => Math.log(Math.abs(v))), { dtype, requiresGrad: true });
    this.#p = tensor(p, { dtype, shape: [f, f] });
    this.#sign = tensor(s.map((v) => Math.sign(v)), { dtype });
    this.registerBuffer('permutation', this.#p);
    this.registerBuffer('signS', this.#sign);
  }

  #factors(): { l: Tensor; u: Tensor } {
    const f = this.#ev.features;
    const l = add(tril(this.lower, -1), eye(f, { dtype: this.lower.dtype }));
    const u = add(triu(this.upper, 1), diagEmbed(mul(this.#sign, exp(this.logS))));
    return { l, u };
  }

  /** W = P L U (data -> base). */
  weight(): Tensor {
    const { l, u } = this.#factors();
    return matmul(this.#p, matmul(l, u));
  }

  /** W^-1 = U^-1 L^-1 P^T, by triangular solves (base -> data). */
  inverseWeight(): Tensor {
    const { l, u } = this.#factors();
    const lInvPt = triangularSolve(l, transpose(this.#p, 0, 1), { lower: true, unitDiagonal: true });
    return triangularSolve(u, lInvPt, { lower: false });
  }

  #apply(v: Tensor, w: Tensor): Tensor {
    const f = this.#ev.features;
    return this.#ev.dim === 1 ? matmul(v, w, { transB: true }) : conv2d(v, reshape(w, [f, f, 1, 1]));
  }

  #logDet(n: number, sign: 1 | -1, dtype: DType): Tensor {
    return perExample(mul(sum(this.logS), sign * this.#ev.positions), n, dtype);
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'Invertible1x1.forward');
    return { value: this.#apply(x, this.inverseWeight()), logDet: this.#logDet(x.shape[0], -1, x.dtype) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    checkInput(y, this.#ev, 'Invertible1x1.inverse');
    return { value: this.#apply(y, this.weight()), logDet: this.#logDet(y.shape[0], 1, y.dtype) };
  }
}
