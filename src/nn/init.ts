/**
 * Weight initialization schemes, in place, with the fan and gain
 * conventions of `torch.nn.init` so that a model initialized here has
 * parameters distributed exactly like the same model in PyTorch. Every
 * random scheme takes its `Generator` explicitly.
 */
import type { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { Generator, randn, uniform } from '../random/index.js';

/** Nonlinearities `calculateGain` knows, by PyTorch's names in camelCase. */
export type Nonlinearity =
  | 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d'
  | 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** Which fan the Kaiming schemes preserve: `fanIn` keeps the forward pass's variance, `fanOut` the backward pass's. */
export type FanMode = 'fanIn' | 'fanOut';

export interface XavierOptions {
  /** Scale of the standard deviation (default 1); see `calculateGain`. */
  gain?: number;
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer, for `leakyRelu` (default 0, as in PyTorch). */
  a?: number;
  /** Which fan to use (default `fanIn`). */
  mode?: FanMode;
  /** The nonlinearity after this layer (default `leakyRelu`, which with a = 0 is ReLU's gain sqrt(2), as in PyTorch). */
  nonlinearity?: Nonlinearity;
}

/**
 * The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`):
 * 1 for linear, conv and sigmoid, 5/3 for tanh, sqrt(2) for ReLU,
 * sqrt(2 / (1 + slope^2)) for leaky ReLU (slope `param`, default 0.01),
 * 3/4 for SELU.
 *
 * @example
 * calculateGain('tanh');   // returns 1.6666666666666667
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'identity': case 'sigmoid':
    case 'conv1d': case 'conv2d': case 'conv3d':
    case 'convTranspose1d': case 'convTranspose2d': case 'convTranspose3d':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new Error(`calculateGain: negative slope must be a finite number, got ${slope}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * Fan-in and fan-out of a weight, as PyTorch computes them: for shape
 * [out, in, ...kernel], fanIn = in * prod(kernel) and fanOut = out *
 * prod(kernel). (For a transposed convolution's weight [inC, outC, kh, kw]
 * this gives fanIn = outC * kh * kw, which is what PyTorch uses too.)
 *
 * @example
 * computeFans(zeros([16, 3, 5, 5]));   // returns { fanIn: 75, fanOut: 400 }
 */
export function computeFans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.rank < 2) {
    throw new Error(`init: fan in and fan out need a tensor of rank >= 2, got shape ${formatShape(t.shape)}`);
  }
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/**
 * Fills `t` in place with U(low, high) and returns it.
 *
 * @example
 * uniform_(zeros([3, 4]), -0.1, 0.1, new Generator(0));
 */
export function uniform_(t: Tensor, low: number, high: number, rng: Generator): Tensor {
  if (t.size === 0) return t;
  if (low === high) {
    checkFinite('uniform_', 'low', low);
    t.data.fill(low);
    return t;
  }
  t.data.set(uniform(t.shape, low, high, rng, { dtype: t.dtype }).data);
  return t;
}

/**
 * Fills `t` in place with N(mean, std^2) and returns it.
 *
 * @example
 * normal_(zeros([3, 4]), 0, 0.02, new Generator(0));
 */
export function normal_(t: Tensor, mean: number, std: number, rng: Generator): Tensor {
  checkFinite('normal_', 'mean', mean);
  if (typeof std !== 'number' || !(std >= 0) || !Number.isFinite(std)) {
    throw new Error(`normal_: std must be a finite non-negative number, got ${std}`);
  }
  if (t.size === 0) return t;
  const z = randn(t.shape, rng, { dtype: 'float64' }).data;
  for (let i = 0; i < z.length; i++) t.data[i] = mean + std * z[i];
  return t;
}

/** Fills `t` with `value` in place and returns it. */
export function constant_(t: Tensor, value: number): Tensor {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`constant_: value must be a number, got ${value}`);
  t.data.fill(value);
  return t;
}

/** Fills `t` with zeros in place and returns it. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fills `t` with ones in place and returns it. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * Xavier/Glorot uniform init in place: U(-a, a) with a = gain *
 * sqrt(6 / (fanIn + fanOut)), so the variance is gain^2 * 2 / (fanIn + fanOut).
 *
 * Paper: Glorot & Bengio, "Understanding the difficulty of training deep
 * feedforward neural networks", AISTATS 2010.
 *
 * @example
 * xavierUniform(linear.weight, { gain: calculateGain('tanh') }, rng);
 */
export function xavierUniform(t: Tensor, options: XavierOptions, rng: Generator): Tensor {
  const std = xavierStd(t, options, 'xavierUniform');
  const a = Math.sqrt(3) * std;
  return a > 0 ? uniform_(t, -a, a, rng) : zeros_(t);
}

/**
 * Xavier/Glorot normal init in place: N(0, std^2) with std = gain *
 * sqrt(2 / (fanIn + fanOut)).
 *
 * Paper: Glorot & Bengio, AISTATS 2010.
 *
 * @example
 * xavierNormal(linear.weight, {}, rng);
 */
export function xavierNormal(t: Tensor, options: XavierOptions, rng: Generator): Tensor {
  return normal_(t, 0, xavierStd(t, options, 'xavierNormal'), rng);
}

/**
 * Kaiming/He uniform init in place: U(-b, b) with b = gain * sqrt(3 / fan),
 * so the variance is gain^2 / fan; gain from `nonlinearity` and `a`, fan
 * by `mode`. PyTorch's default `Linear` and `Conv2d` weights are this with
 * a = sqrt(5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 *
 * Paper: He et al., "Delving deep into rectifiers", ICCV 2015.
 *
 * @example
 * kaimingUniform(conv.weight, { nonlinearity: 'relu' }, rng);
 */
export function kaimingUniform(t: Tensor, options: KaimingOptions, rng: Generator): Tensor {
  const std = kaimingStd(t, options, 'kaimingUniform');
  const b = Math.sqrt(3) * std;
  return uniform_(t, -b, b, rng);
}

/**
 * Kaiming/He normal init in place: N(0, gain^2 / fan).
 *
 * Paper: He et al., ICCV 2015.
 *
 * @example
 * kaimingNormal(linear.weight, { nonlinearity: 'relu', mode: 'fanOut' }, rng);
 */
export function kaimingNormal(t: Tensor, options: KaimingOptions, rng: Generator): Tensor {
  return normal_(t, 0, kaimingStd(t, options, 'kaimingNormal'), rng);
}

function xavierStd(t: Tensor, options: XavierOptions, fn: string): number {
  const gain = options.gain ?? 1;
  checkFinite(fn, 'gain', gain);
  const { fanIn, fanOut } = computeFans(t);
  if (fanIn + fanOut === 0) return 0;
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

function kaimingStd(t: Tensor, options: KaimingOptions, fn: string): number {
  const mode = options.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new Error(`${fn}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const a = options.a ?? 0;
  checkFinite(fn, 'a', a);
  const { fanIn, fanOut } = computeFans(t);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) {
    if (t.size === 0) return 0;
    throw new Error(`${fn}: the ${mode} of shape ${formatShape(t.shape)} is 0`);
  }
  return calculateGain(options.nonlinearity ?? 'leakyRelu', a) / Math.sqrt(fan);
}

function checkFinite(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${fn}: ${name} must be a finite number, got ${v}`);
}
