import type { Tensor, DType } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { checkExpand, sumRightmost } from './utils.js';

/**
 * Reinterprets the last `reinterpretedBatchNdims` batch dimensions of a
 * base distribution as event dimensions: logProb and entropy are summed
 * over them. A diagonal Gaussian over a latent vector is
 * `new Independent(new Normal(mu, sigma), 1)`.
 *
 * Shapes: base batchShape [...b, ...r] (r of length reinterpretedBatchNdims),
 * eventShape [...e] -> batchShape [...b], eventShape [...r, ...e].
 *
 * @example
 * const q = new Independent(new Normal(zeros([8, 20]), ones([8, 20])), 1);
 * q.batchShape;                 // [8]
 * q.eventShape;                 // [20]
 * q.logProb(zeros([8, 20])).shape;   // [8]
 */
export class Independent extends Distribution {
  readonly baseDist: Distribution;
  readonly reinterpretedBatchNdims: number;

  constructor(baseDist: Distribution, reinterpretedBatchNdims: number, options: DistributionOptions = {}) {
    if (!(baseDist instanceof Distribution)) throw new Error(`Independent: baseDist must be a Distribution, got ${typeof baseDist}`);
    const n = reinterpretedBatchNdims;
    if (!Number.isInteger(n) || n < 0) throw new Error(`Independent: reinterpretedBatchNdims must be a non-negative integer, got ${n}`);
    const b = baseDist.batchShape;
    if (n > b.length) {
      throw new Error(`Independent: reinterpretedBatchNdims (${n}) exceeds the batch rank of the base ${baseDist.name} (batch shape ${formatShape(b)})`);
    }
    super(b.slice(0, b.length - n), [...b.slice(b.length - n), ...baseDist.eventShape], { validateArgs: options.validateArgs ?? baseDist.validateArgs });
    this.baseDist = baseDist;
    this.reinterpretedBatchNdims = n;
  }

  get dtype(): DType {
    return this.baseDist.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return {};
  }
  get support(): Constraint {
    const s = this.baseDist.support;
    return this.reinterpretedBatchNdims > 0 ? constraints.independent(s, this.reinterpretedBatchNdims) : s;
  }
  override get hasRsample(): boolean {
    return this.baseDist.hasRsample;
  }
  override get hasEnumerateSupport(): boolean {
    return this.reinterpretedBatchNdims === 0 && this.baseDist.hasEnumerateSupport;
  }
  override get mean(): Tensor {
    return this.baseDist.mean;
  }
  override get variance(): Tensor {
    return this.baseDist.variance;
  }

  override sample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    return this.baseDist.sample(rng, sampleShape);
  }
  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    if (!this.baseDist.hasRsample) return super.rsample(rng, sampleShape);
    return this.baseDist.rsample(rng, sampleShape);
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    return sumRightmost(this.baseDist.logProb(x), this.reinterpretedBatchNdims);
  }

  override entropy(): Tensor {
    return sumRightmost(this.baseDist.entropy(), this.reinterpretedBatchNdims);
  }

  override enumerateSupport(expand = true): Tensor {
    if (this.reinterpretedBatchNdims > 0) {
      throw new Error('Independent: enumerateSupport is not available when batch dimensions are reinterpreted (the support is a product set)');
    }
    return this.baseDist.enumerateSupport(expand);
  }

  expand(batchShape: readonly number[]): Independent {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    const inner = this.eventShape.slice(0, this.reinterpretedBatchNdims);
    return new Independent(this.baseDist.expand([...shape, ...inner]), this.reinterpretedBatchNdims, { validateArgs: false });
  }
}
