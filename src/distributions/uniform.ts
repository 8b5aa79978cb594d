import { Tensor, type DType } from '../tensor/tensor.js';
import { add, broadcastTo, div, ge, gt, log, mul, square, sub } from '../ops/index.js';
import { rand } from '../random/sample.js';
import type { Generator } from '../random/generator.js';
import { constraints, type Constraint } from './constraints.js';
import { Distribution, type DistributionOptions } from './distribution.js';
import { asParam, broadcastNamed, checkExpand, expandTo, formatIndex, formatValue, paramDtype, type Param } from './utils.js';

/**
 * The continuous uniform distribution on [low, high). logProb is
 * -log(high - low) inside and -Infinity outside (with validation on, a
 * value outside [low, high] throws instead). Reparameterizable:
 * rsample = low + (high - low) u, u ~ U[0, 1).
 *
 * Shapes: low and high broadcast to batchShape; eventShape [].
 *
 * @example
 * const u = new Uniform(0, tensor([2, 4]));
 * u.entropy().toArray();   // [log 2, log 4]
 */
export class Uniform extends Distribution {
  readonly low: Tensor;
  readonly high: Tensor;

  constructor(low: Param, high: Param, options: DistributionOptions = {}) {
    const dtype = paramDtype([low, high]);
    const lo = asParam(low, dtype, 'Uniform', 'low');
    const hi = asParam(high, dtype, 'Uniform', 'high');
    const batch = broadcastNamed('Uniform', [['low', lo.shape], ['high', hi.shape]]);
    super(batch, [], options);
    this.low = expandTo(lo, batch);
    this.high = expandTo(hi, batch);
    if (this.validateArgs) {
      this.checkParams({ low: lo, high: hi });
      const l = this.low.data;
      const h = this.high.data;
      for (let i = 0; i < l.length; i++) {
        if (!(l[i] < h[i])) throw new Error(`Uniform: low must be less than high, got low=${formatValue(l[i], dtype)}, high=${formatValue(h[i], dtype)}${batch.length === 0 ? '' : ` at index ${formatIndex(i, batch)}`}`);
      }
    }
  }

  get dtype(): DType {
    return this.low.dtype;
  }
  get argConstraints(): Record<string, Constraint> {
    return { low: constraints.real, high: constraints.real };
  }
  /** [low, high], per batch entry. */
  get support(): Constraint {
    return constraints.interval(this.low, this.high);
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return mul(add(this.low, this.high), 0.5);
  }
  override get variance(): Tensor {
    return div(square(sub(this.high, this.low)), 12);
  }

  override rsample(rng: Generator, sampleShape: readonly number[] = []): Tensor {
    const u = rand(this.drawShape(rng, sampleShape), rng, { dtype: this.dtype });
    return add(this.low, mul(sub(this.high, this.low), u));
  }

  logProb(value: Tensor | number): Tensor {
    const x = this.checkSample(value);
    const inside = mul(ge(x, this.low), gt(this.high, x));
    return sub(log(inside), log(sub(this.high, this.low)));
  }

  override entropy(): Tensor {
    return log(sub(this.high, this.low));
  }

  expand(batchShape: readonly number[]): Uniform {
    const shape = checkExpand(this.name, this.batchShape, batchShape);
    return new Uniform(broadcastTo(this.low, shape), broadcastTo(this.high, shape), { validateArgs: false });
  }
}
