import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { broadcastTo, mul, oneHot, sub } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution } from './distribution.js';
import { Categorical, categoricalParams, checkCategoricalParams, type CategoricalParams } from './categorical.js';
import { checkExpand } from './utils.js';

/**
 * The categorical distribution over one-hot vectors of length K (an
 * M2 model's labels, a discrete latent). logProb reads the position of the
 * largest entry (the 1 of a one-hot vector) and gathers its log-probability.
 * Not reparameterizable.
 *
 * Shapes: probs or logits [..., K]; batchShape [...]; eventShape [K].
 *
 * @example
 * const c = new OneHotCategorical({ logits: zeros([2, 3]) });
 * c.sample(new Generator(0)).shape;                 // [2, 3], one 1 per row
 * c.logProb(tensor([[0, 1, 0], [1, 0, 0]])).toArray();   // [-log 3, -log 3]
 */
export class OneHotCategorical extends Distribution {
  /** The categorical over indices this is built on. */
  readonly categorical: Categorical;

  constructor(params: CategoricalParams) {
    const p = categoricalParams('OneHotCategorical', params);
    const k = p.raw.shape[p.raw.rank - 1];
    super(p.raw.shape.slice(0, -1), [k], params);
    if (this.validateArgs) checkCategoricalParams(this.name, p.which, p.raw);
    this.categorical = new Categorical(p.which === 'probs' ? { probs: p.raw, validateArgs: false } : { logits: p.raw, validateArgs: false });
  }

  get numEvents(): number {
    return this.categorical.numEvents;
  }
  get logits(): Tensor {
    return this.categorical.logits;
  }
  get probs(): Tensor {
    return this.categorical.probs;
  }
  get dtype(): DType {
    return this.categorical.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return this.categorical.argConstraints;
  }
  get support(): Constraint {
    return constraints.oneHot;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.probs;
  }
  override get variance(): Tensor {
    const p = this.probs;
    return mul(p, sub(1, p));
  }

  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const idx = this.categorical.sample(rng, sampleShape);
    return oneHot(idx, this.numEvents, this.dtype);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const k = this.numEvents;
    const rows = x.size / k;
    const idx = arrayFor(this.dtype, rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (x.data[r * k + j] > x.data[r * k + best]) best = j;
      idx[r] = best;
    }
    return this.categorical.logProb(new Tensor(idx, x.shape.slice(0, -1)));
  }

  override entropy(): Tensor {
    return this.categorical.entropy();
  }

  /** The K one-hot vectors along a new leading axis: [K, ...batchShape, K] (or [K, 1, ..., 1, K]). */
  override enumerateSupport(expand = true): Tensor {
    const k = this.numEvents;
    const v = arrayFor(this.dtype, k * k);
    for (let i = 0; i < k; i++) v[i * k + i] = 1;
    const t = new Tensor(v, [k, ...this.batchShape.map(() => 1), k]);
    return expand ? broadcastTo(t, [k, ...this.batchShape, k]) : t;
  }

  expand(batchShape: readonly number[]): OneHotCategorical {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const c = this.categorical.expand(shape);
    return new OneHotCategorical({ logits: c.logits, validateArgs: false });
  }
}
