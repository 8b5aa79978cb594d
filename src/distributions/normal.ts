import { Tensor, type DType } from '../tensor/tensor.js';
import { add, broadcastTo, div, log, mul, square, sub } from '../ops/index.js';
import { randn } from '../random/sample.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { asParam, broadcastNamed, checkExpand, expandTo, paramDtype, type Param } from './utils.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The normal (Gaussian) distribution N(loc, scale^2), elementwise.
 * Reparameterizable: rsample = loc + scale * eps with eps ~ N(0, 1).
 *
 * Shapes: loc and scale broadcast to batchShape; eventShape [].
 *
 * @example
 * const p = new Normal(0, 1);
 * p.logProb(tensor([0])).item();   // -0.919 = -log(2 pi) / 2
 * const q = new Normal(tensor([0, 1], { requiresGrad: true }), tensor([1, 2]));
 * q.rsample(new Generator(0), [3]).shape;   // [3, 2]
 */
export class Normal extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;

  constructor(loc: Param, scale: Param, options: DistributionOptions = {}) {
    const dtype = paramDtype([loc, scale]);
    const l = asParam(loc, dtype, 'Normal', 'loc');
    const s = asParam(scale, dtype, 'Normal', 'scale');
    const batch = broadcastNamed('Normal', [['loc', l.shape], ['scale', s.shape]]);
    super(batch, [], options);
    if (this.validateArgs) this.checkParams({ loc: l, scale: s });
    this.loc = expandTo(l, batch);
    this.scale = expandTo(s, batch);
  }

  get dtype(): DType {
    return this.loc.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { loc: constraints.real, scale: constraints.positive };
  }
  get support(): Constraint {
    return constraints.real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return square(this.scale);
  }
  override get stddev(): Tensor {
    return this.scale;
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const eps = randn(this.drawShape(rng, sampleShape), rng, { dtype: this.dtype });
    return add(this.loc, mul(this.scale, eps));
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const z = div(sub(x, this.loc), this.scale);
    return sub(mul(square(z), -0.5), add(log(this.scale), HALF_LOG_2PI));
  }

  override entropy(): Tensor {
    return add(log(this.scale), 0.5 + HALF_LOG_2PI);
  }

  expand(batchShape: readonly number[]): Normal {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    return new Normal(broadcastTo(this.loc, shape), broadcastTo(this.scale, shape), { validateArgs: false });
  }
}

