import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../ops/index.js';
import { Module } from './module.js';
import { Linear } from './linear.js';
import { ReLU, Sigmoid, Tanh } from './activation.js';

/** The fused-kernel name of an activation module of exactly these classes (subclasses may change forward), else null. */
function fusableActivation(m: Module): Activation | null {
  const proto = Object.getPrototypeOf(m);
  return proto === ReLU.prototype ? 'relu' : proto === Tanh.prototype ? 'tanh' : proto === Sigmoid.prototype ? 'sigmoid' : null;
}

/**
 * Modules applied one after another, named `0`, `1`, ... like
 * `torch.nn.Sequential`, so state dict keys match (`0.weight`, `2.bias`).
 *
 * @example
 * const net = new Sequential(new Linear(2, 8, { rng }), new Tanh(), new Linear(8, 1, { rng }));
 * net.forward(x).shape;            // [batch, 1]
 * Object.keys(net.stateDict());    // ['0.weight', '0.bias', '2.weight', '2.bias']
 */
export class Sequential extends Module {
  readonly #layers: Module[] = [];

  constructor(...layers: Module[]) {
    super();
    for (const m of layers) this.append(m);
  }

  /** Adds `m` at the end under the next index; returns this. */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new Error(`Sequential: layer ${this.#layers.length} is not a Module`);
    this.registerModule(String(this.#layers.length), m);
    this.#layers.push(m);
    return this;
  }

  /** The number of layers. */
  get length(): number {
    return this.#layers.length;
  }

  /** The layer at index `i` (negative counts from the end). */
  at(i: number): Module {
    const m = this.#layers.at(i);
    if (!m) throw new Error(`Sequential: index ${i} is out of range for ${this.#layers.length} layers`);
    return m;
  }

  /** The layers, in order. */
  layers(): readonly Module[] {
    return this.#layers;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    const layers = this.#layers;
    for (let i = 0; i < layers.length; i++) {
      const m = layers[i];
      // A plain Linear followed by ReLU, Tanh or Sigmoid runs as one fused op (the same values; one pass less).
      const act = i + 1 < layers.length && Object.getPrototypeOf(m) === Linear.prototype ? fusableActivation(layers[i + 1]) : null;
      if (act) {
        h = (m as Linear).forwardActivated(h, act);
        i++;
      } else {
        h = m.forward(h);
      }
    }
    return h;
  }
}
