// MADE (Germain, Gregor, Murray & Larochelle 2015): an MLP whose weight
// matrices are masked so that output i depends only on the inputs that
// come before i in a chosen order — one pass gives all the conditionals
// of an autoregressive model.
import { Tensor, type DType } from '../../tensor/tensor.js';
import { tensor } from '../../tensor/create.js';
import { add, linear, mul, relu, slice, tanh, elu } from '../../ops/index.js';
import type { Generator } from '../../random/generator.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';

/** A Linear layer whose weight is multiplied elementwise by a fixed 0/1 mask [out, in] (a buffer, saved with the weights). */
export class MaskedLinear extends Linear {
  mask: Tensor;
  constructor(inFeatures: number, outFeatures: number, mask: Tensor, options: { rng: Generator; dtype?: DType }) {
    super(inFeatures, outFeatures, options);
    if (mask.rank !== 2 || mask.shape[0] !== outFeatures || mask.shape[1] !== inFeatures) {
      throw new Error(`MaskedLinear: mask must have shape [${outFeatures}, ${inFeatures}], got [${mask.shape.join(', ')}]`);
    }
    this.mask = mask;
    this.registerBuffer('mask', mask);
  }
  override forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`MaskedLinear: input of shape [${x.shape.join(', ')}] must end in inFeatures = ${this.inFeatures}`);
    }
    return linear(x, mul(this.weight, this.mask), this.bias);
  }
}

/** Options of `MADE`. */
export interface MadeOptions {
  /** Generator of the weights' initialization. */
  rng: Generator;
  /** Hidden layer widths (default [4 D]); each must be >= D - 1 (>= D with a context) so every degree has a unit. */
  hidden?: number[];
  /** Outputs per input dimension (default 2: a shift and a log-scale). */
  outputsPerDim?: number;
  /**
   * The autoregressive order: 'natural' (x_1 first, the default),
   * 'reversed', or a permutation of 0..D-1 listing the dimensions from first to last.
   */
  order?: 'natural' | 'reversed' | readonly number[];
  /** Size of a context vector h every output may depend on (IAF's encoder output; default 0: none). */
  contextDim?: number;
  /** Hidden nonlinearity (default relu). */
  activation?: 'relu' | 'tanh' | 'elu';
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/** The position of each dimension in `order` (1-based degrees of the inputs, as in Germain et al. §4). */
export function inputDegrees(dim: number, order: MadeOptions['order'] = 'natural'): number[] {
  let perm: number[];
  if (order === 'natural') perm = Array.from({ length: dim }, (_, i) => i);
  else if (order === 'reversed') perm = Array.from({ length: dim }, (_, i) => dim - 1 - i);
  else {
    perm = [...order];
    const seen = new Set(perm);
    if (perm.length !== dim || seen.size !== dim || perm.some((v) => !Number.isInteger(v) || v < 0 || v >= dim)) {
      throw new Error(`MADE: order must be 'natural', 'reversed' or a permutation of 0..${dim - 1}, got ${JSON.stringify(order)}`);
    }
  }
  const deg = new Array<number>(dim);
  perm.forEach((d, pos) => (deg[d] = pos + 1));
  return deg;
}

/**
 * A masked autoencoder for distribution estimation: an MLP from x [..., D]
 * (and optionally a context h [..., C]) to `outputsPerDim` blocks of D
 * outputs, where output block j's entry i depends on x_k only if k comes
 * strictly before i in `order` (and freely on h). Degrees: inputs take
 * their position 1..D; hidden unit k of a layer takes degree
 * 1 + (k mod max(1, D - 1)) (Germain et al.'s deterministic variant, so
 * the masks follow from the configuration), or k mod D with a context —
 * degree-0 units see only h, so even the first dimension's outputs depend
 * on the context; a hidden connection exists
 * when m_l(k) >= m_{l-1}(k'), an output connection when m_out(i) > m_L(k).
 * The context enters the first hidden layer through an unmasked Linear,
 * as the IAF paper feeds the encoder's h (Kingma et al. 2016, §4).
 *
 * Shapes: x [..., D], context [..., C] (broadcasting against x's batch) ->
 * [..., outputsPerDim * D], block j in columns j D .. (j + 1) D - 1.
 *
 * Paper: Germain, Gregor, Murray & Larochelle, "MADE: Masked Autoencoder for Distribution Estimation", ICML 2015.
 *
 * @example
 * const made = new MADE(5, { hidden: [32, 32], rng: new Generator(0) });
 * const [shift, logScale] = made.blocks(x);   // each [N, 5]; shift[:, i] sees x[:, < i] only
 */
export class MADE extends Module<[Tensor, Tensor?], Tensor> {
  readonly dim: number;
  readonly outputsPerDim: number;
  readonly contextDim: number;
  readonly activationName: 'relu' | 'tanh' | 'elu';
  /** Input degrees m_0(i) in 1..D. */
  readonly degrees: readonly number[];
  layers: MaskedLinear[];
  context: Linear | null;

  constructor(dim: number, options: MadeOptions) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`MADE: dim must be a positive integer, got ${dim}`);
    if (!options || !options.rng) throw new Error('MADE: options.rng (a Generator) is required for the initialization');
    const hidden = options.hidden ?? [4 * dim];
    const c = options.contextDim ?? 0;
    if (!Number.isInteger(c) || c < 0) throw new Error(`MADE: contextDim must be a non-negative integer, got ${c}`);
    const minWidth = c > 0 ? dim : Math.max(1, dim - 1);
    if (!Array.isArray(hidden) || hidden.length === 0 || hidden.some((h) => !Number.isInteger(h) || h < minWidth)) {
      throw new Error(`MADE: hidden must list at least one width, each an integer >= ${c > 0 ? 'D' : 'max(1, D - 1)'} = ${minWidth} (one unit per degree), got ${JSON.stringify(options.hidden)}`);
    }
    const p = options.outputsPerDim ?? 2;
    if (!Number.isInteger(p) || p < 1) throw new Error(`MADE: outputsPerDim must be a positive integer, got ${p}`);
    const act = options.activation ?? 'relu';
    if (!['relu', 'tanh', 'elu'].includes(act)) throw new Error(`MADE: activation must be relu, tanh or elu, got ${JSON.stringify(act)}`);
    const dtype = options.dtype ?? 'float32';
    this.dim = dim;
    this.outputsPerDim = p;
    this.contextDim = c;
    this.activationName = act;
    this.degrees = inputDegrees(dim, options.order);
    const rng = options.rng;
    const maskOf = (rows: number[], cols: readonly number[], strict: boolean) => {
      const m = new (dtype === 'float64' ? Float64Array : Float32Array)(rows.length * cols.length);
      rows.forEach((r, i) => cols.forEach((q, j) => (m[i * cols.length + j] = (strict ? r > q : r >= q) ? 1 : 0)));
      return tensor(m, { shape: [rows.length, cols.length], dtype });
    };
    let prev: readonly number[] = this.degrees;
    let prevWidth = dim;
    const layers: MaskedLinear[] = [];
    for (const h of hidden) {
      // With a context, degree-0 units see h alone, so the first dimension's outputs depend on h too.
      const deg = Array.from({ length: h }, (_, k) => (c > 0 ? k % dim : 1 + (k % Math.max(1, dim - 1))));
      layers.push(new MaskedLinear(prevWidth, h, maskOf(deg, prev, false), { rng, dtype }));
      prev = deg;
      prevWidth = h;
    }
    const outDeg = Array.from({ length: p * dim }, (_, k) => this.degrees[k % dim]);
    layers.push(new MaskedLinear(prevWidth, p * dim, maskOf(outDeg, prev, true), { rng, dtype }));
    this.layers = layers;
    this.context = c > 0 ? new Linear(c, hidden[0], { rng, dtype, bias: false }) : null;
  }

  /** All outputs, [..., outputsPerDim * D]. */
  forward(x: Tensor, context?: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.rank < 1 || x.shape[x.rank - 1] !== this.dim) {
      throw new Error(`MADE: x must have shape [..., ${this.dim}], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
    }
    if (this.context && !context) throw new Error(`MADE: this network was built with contextDim ${this.contextDim}; pass a context of shape [..., ${this.contextDim}]`);
    if (!this.context && context) throw new Error('MADE: a context was given, but this network was built without one (contextDim 0)');
    let a = x;
    for (let l = 0; l < this.layers.length; l++) {
      a = this.layers[l].forward(a);
      if (l === 0 && this.context) a = add(a, this.context.forward(context!));
      if (l < this.layers.length - 1) a = this.activationName === 'relu' ? relu(a) : this.activationName === 'tanh' ? tanh(a) : elu(a);
    }
    return a;
  }

  /** The outputs split into `outputsPerDim` blocks, each [..., D]. */
  blocks(x: Tensor, context?: Tensor): Tensor[] {
    const out = this.forward(x, context);
    const last = out.rank - 1;
    return Array.from({ length: this.outputsPerDim }, (_, j) => slice(out, last, j * this.dim, (j + 1) * this.dim));
  }

  /** The output layer, for initializations that set the flow near the identity. */
  get outputLayer(): MaskedLinear {
    return this.layers[this.layers.length - 1];
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}, outputsPerDim=${this.outputsPerDim}, contextDim=${this.contextDim}`;
  }
}
