// The logit preprocessing of RealNVP and MAF for data in [0, 1]: flows model
// u = logit(lambda + (1 - 2 lambda) x) on the real line, and the density of x
// picks up the log-determinant of that map (Dinh et al. 2017, §4.1;
// Papamakarios et al. 2017 use this form with lambda = 1e-6 for MNIST).
import type { Tensor } from '../../tensor/tensor.js';
import { add, log, logSigmoid, mul, neg, sigmoid, sub, sum } from '../../ops/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkInput, resolveEvent, type Event, type EventShape } from './event.js';

/**
 * A fixed bijector between (0, 1)^event (the data side) and the reals (the
 * base side):
 *
 * - inverse (data -> base): u = logit(p), p = lambda + (1 - 2 lambda) x,
 *   log |det du/dx| = sum(log(1 - 2 lambda) - log p - log(1 - p));
 * - forward (base -> data): x = (sigmoid(u) - lambda) / (1 - 2 lambda).
 *
 * It has no parameters; put it last in the forward direction (first on the data).
 *
 * @example
 * const pre = new LogitTransform(784, { lambda: 1e-6 });
 * pre.inverseAndLogDet(x01);   // x01 [N, 784] in [0, 1]
 */
export class LogitTransform extends Bijector {
  override readonly eventDim: number;
  readonly lambda: number;
  readonly #ev: Event;

  constructor(eventShape: EventShape, options: { lambda?: number } = {}) {
    super();
    const ev = resolveEvent(eventShape, 'LogitTransform');
    const lambda = options.lambda ?? 1e-6;
    if (!(lambda >= 0 && lambda < 0.5)) throw new Error(`LogitTransform: lambda must be in [0, 0.5), got ${lambda}`);
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.lambda = lambda;
  }

  forwardAndLogDet(u: Tensor): FlowResult {
    checkInput(u, this.#ev, 'LogitTransform.forward');
    const c = 1 - 2 * this.lambda;
    const value = mul(sub(sigmoid(u), this.lambda), 1 / c);
    // dx/du = sigmoid(u) (1 - sigmoid(u)) / c, with log sigmoid(-u) = log(1 - sigmoid(u)).
    const perCoord = add(logSigmoid(u), logSigmoid(neg(u)));
    return { value, logDet: sub(sum(perCoord, this.#ev.eventAxes), (this.#ev.shape.reduce((a, b) => a * b, 1)) * Math.log(c)) };
  }

  inverseAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'LogitTransform.inverse');
    const c = 1 - 2 * this.lambda;
    const p = add(mul(x, c), this.lambda);
    const logP = log(p);
    const log1mP = log(sub(1, p));
    const size = this.#ev.shape.reduce((a, b) => a * b, 1);
    const logDet = sub(size * Math.log(c), sum(add(logP, log1mP), this.#ev.eventAxes));
    return { value: sub(logP, log1mP), logDet };
  }
}
