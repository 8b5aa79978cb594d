import { Tensor, type DType } from '../tensor/tensor.js';
import { add, broadcastTo, clamp, div, exp, log, logSoftmax, logsumexp, mul, reshape, sub, sum } from '../ops/index.js';
import { gumbel } from '../random/sample.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution } from './distribution.js';
import { categoricalParams, checkCategoricalParams, normalizeCategorical, type CategoricalParams } from './categorical.js';
import { lgammaScalar } from './special.js';
import { asParam, broadcastNamed, checkExpand, expandTo, finfo, type Param } from './utils.js';

/**
 * The Concrete / Gumbel-softmax distribution on the simplex: a continuous
 * relaxation of OneHotCategorical at `temperature` tau, approaching it as
 * tau -> 0. Reparameterizable: rsample = softmax((logits + g) / tau) with g
 * standard Gumbel noise. The density (Maddison et al. 2017, eq. 6):
 * log p(y) = log (K-1)! + (K-1) log tau + sum_k (log pi_k - (tau + 1) log y_k) - K log sum_k pi_k y_k^-tau,
 * the same as torch's (an ExpRelaxedCategorical pushed through exp).
 *
 * Paper: Jang, Gu and Poole, "Categorical reparameterization with
 * Gumbel-softmax", ICLR 2017; Maddison, Mnih and Teh, "The Concrete
 * distribution", ICLR 2017.
 *
 * Shapes: temperature broadcasting with batchShape; probs or logits [..., K]; batchShape [...]; eventShape [K].
 *
 * @example
 * const q = new RelaxedOneHotCategorical(0.5, { logits: tensor([[1, 0, -1]]) });
 * const y = q.rsample(new Generator(0));   // [1, 3], rows on the simplex, differentiable in the logits
 */
export class RelaxedOneHotCategorical extends Distribution {
  /** tau [...batchShape]. */
  readonly temperature: Tensor;
  /** Normalized log-probabilities [...batchShape, K]. */
  readonly logits: Tensor;
  /** Normalized probabilities [...batchShape, K]. */
  readonly probs: Tensor;

  constructor(temperature: Param, params: CategoricalParams) {
    const dist = 'RelaxedOneHotCategorical';
    const p = categoricalParams(dist, params);
    const t = asParam(temperature, p.raw.dtype, dist, 'temperature');
    const batch = broadcastNamed(dist, [[`${p.which} (batch part)`, p.raw.shape.slice(0, -1)], ['temperature', t.shape]]);
    const k = p.raw.shape[p.raw.rank - 1];
    super(batch, [k], params);
    if (this.validateArgs) {
      checkCategoricalParams(this.name, p.which, p.raw);
      this.checkParams({ temperature: t });
    }
    const { logits, probs } = normalizeCategorical(p.which, p.raw);
    this.temperature = expandTo(t, batch);
    this.logits = expandTo(logits, [...batch, k]);
    this.probs = expandTo(probs, [...batch, k]);
  }

  get dtype(): DType {
    return this.logits.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { probs: constraints.simplex, logits: constraints.realVector, temperature: constraints.positive };
  }
  get support(): Constraint {
    return constraints.simplex;
  }
  override get hasRsample(): boolean {
    return true;
  }

  /** tau with a trailing axis, to divide [..., K] scores. */
  private get tauColumn(): Tensor {
    return reshape(this.temperature, [...this.temperature.shape, 1]);
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const g = gumbel(this.drawShape(rng, sampleShape), rng, { dtype: this.dtype });
    const scores = div(add(this.logits, g), this.tauColumn);
    // Entries that underflow are raised to the smallest normal number, so log y stays finite (torch clamps likewise).
    return clamp(exp(logSoftmax(scores, -1)), finfo(this.dtype).tiny);
  }

  logProb(value: Tensor | number): Tensor {
    const y = this.checkSample(value);
    const k = this.eventShape[0];
    const logy = log(y);
    const score = sub(this.logits, mul(logy, this.tauColumn));
    const normalized = sum(sub(score, logsumexp(score, -1, true)), -1);
    const logScale = add(mul(log(this.temperature), k - 1), lgammaScalar(k));
    return sub(add(normalized, logScale), sum(logy, -1));
  }

  expand(batchShape: readonly number[]): RelaxedOneHotCategorical {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const k = this.eventShape[0];
    return new RelaxedOneHotCategorical(broadcastTo(this.temperature, shape), { logits: broadcastTo(this.logits, [...shape, k]), validateArgs: false });
  }
}
