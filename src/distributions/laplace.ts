import { Tensor, arrayFor, type DType } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { abs, add, broadcastTo, div, log, mul, neg, square, sub } from '../ops/index.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { asParam, broadcastNamed, checkExpand, expandTo, paramDtype, uniformOpen, type Param } from './utils.js';

/**
 * The Laplace (double exponential) distribution with density
 * exp(-|x - loc| / scale) / (2 scale). Reparameterizable by the inverse
 * CDF: rsample = loc - scale sign(v) log(1 - |v|), v uniform on (-1, 1).
 *
 * Shapes: loc and scale broadcast to batchShape; eventShape [].
 *
 * @example
 * new Laplace(0, 1).logProb(tensor([1])).item();   // -1 - log 2 = ~-1.693
 */
export class Laplace extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;

  constructor(loc: Param, scale: Param, options: DistributionOptions = {}) {
    const dtype = paramDtype([loc, scale]);
    const l = asParam(loc, dtype, 'Laplace', 'loc');
    const s = asParam(scale, dtype, 'Laplace', 'scale');
    const batch = broadcastNamed('Laplace', [['loc', l.shape], ['scale', s.shape]]);
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
    return mul(square(this.scale), 2);
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const shape = this.drawShape(rng, sampleShape);
    // -sign(v) log(1 - |v|) for v = 2u - 1 on the open interval (-1, 1), so the log stays finite.
    const e = arrayFor(this.dtype, sizeOf(shape));
    for (let i = 0; i < e.length; i++) {
      const v = 2 * uniformOpen(rng) - 1;
      e[i] = -Math.sign(v) * Math.log1p(-Math.abs(v));
    }
    return add(this.loc, mul(this.scale, new Tensor(e, shape)));
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    return neg(add(div(abs(sub(x, this.loc)), this.scale), log(mul(this.scale, 2))));
  }

  override entropy(): Tensor {
    return add(log(mul(this.scale, 2)), 1);
  }

  expand(batchShape: readonly number[]): Laplace {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    return new Laplace(broadcastTo(this.loc, shape), broadcastTo(this.scale, shape), { validateArgs: false });
  }
}
