// A fixed permutation of the features (of the channels, for images): between
// coupling layers it lets every coordinate be transformed and condition in
// turn (RealNVP alternates masks; MAF reverses the order between layers;
// Glow §3.2 compares reversing, shuffling and the learned 1x1 mixing).
import { Tensor, type DType } from '../../tensor/tensor.js';
import { tensor } from '../../tensor/create.js';
import { indexSelect } from '../../ops/index.js';
import { permutation as randomPermutation, type Generator } from '../../random/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { checkInput, perExample, resolveEvent, type Event, type EventShape } from './event.js';

export interface PermutationOptions {
  /** `reverse` (default) or `random` (needs `rng`), or an explicit permutation of 0..F-1. */
  kind?: 'reverse' | 'random' | readonly number[];
  rng?: Generator;
  dtype?: DType;
}

/**
 * y[:, i] = x[:, perm[i]] over the features of vectors [N, D] or the
 * channels of images [N, C, H, W]; log |det| = 0 in both directions.
 *
 * State dict: `permutation` (buffer, the indices as numbers).
 *
 * @example
 * const p = new Permutation(4);                        // reverse: [3, 2, 1, 0]
 * const q = new Permutation(4, { kind: 'random', rng: new Generator(0) });
 */
export class Permutation extends Bijector {
  override readonly eventDim: number;
  readonly #ev: Event;
  readonly #perm: Tensor;

  constructor(eventShape: EventShape, options: PermutationOptions = {}) {
    super();
    const ev = resolveEvent(eventShape, 'Permutation');
    const f = ev.features;
    const kind = options.kind ?? 'reverse';
    let perm: number[];
    if (kind === 'reverse') perm = Array.from({ length: f }, (_, i) => f - 1 - i);
    else if (kind === 'random') {
      if (!options.rng) throw new Error("Permutation: kind 'random' needs options.rng (a Generator)");
      perm = Array.from(randomPermutation(f, options.rng));
    } else if (Array.isArray(kind)) perm = [...kind];
    else throw new Error(`Permutation: kind must be 'reverse', 'random' or an array of indices, got ${JSON.stringify(kind)}`);
    checkPermutation(perm, f);
    this.#ev = ev;
    this.eventDim = ev.dim;
    this.#perm = tensor(perm, { dtype: options.dtype ?? 'float32' });
    this.registerBuffer('permutation', this.#perm);
  }

  /** The permutation (perm[i] = the input feature that output feature i takes). */
  get indices(): number[] {
    return Array.from(this.#perm.data);
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    checkInput(x, this.#ev, 'Permutation.forward');
    const perm = this.indices;
    checkPermutation(perm, this.#ev.features);
    return { value: indexSelect(x, 1, perm), logDet: perExample(tensor(0, { dtype: x.dtype }), x.shape[0], x.dtype) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    checkInput(y, this.#ev, 'Permutation.inverse');
    const perm = this.indices;
    checkPermutation(perm, this.#ev.features);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return { value: indexSelect(y, 1, inv), logDet: perExample(tensor(0, { dtype: y.dtype }), y.shape[0], y.dtype) };
  }
}

function checkPermutation(perm: readonly number[], f: number): void {
  const seen = new Set(perm);
  if (perm.length !== f || seen.size !== f || perm.some((v) => !Number.isInteger(v) || v < 0 || v >= f)) {
    throw new Error(`Permutation: expected a permutation of 0..${f - 1}, got [${perm.slice(0, 10).join(', ')}${perm.length > 10 ? ', ...' : ''}]`);
  }
}
