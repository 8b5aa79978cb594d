import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bernoulli,
  categorical,
  Generator,
  gumbel,
  permutation,
  rand,
  randint,
  randn,
  uniform,
} from '../../src/random/index.js';
import { tensor } from '../../src/tensor/create.js';
import { Tensor } from '../../src/tensor/tensor.js';

// Statistical checks use a fixed seed, so they are deterministic; the
// tolerances are chosen so that a correct sampler would fail them for only
// about one seed in a million: 5 standard errors for means and variances
// (two-sided normal tail 5.7e-7), and the chi-square 1 - 1e-6 quantile for
// frequency tables. A sampler that is wrong by a percent in any cell at these
// sample sizes exceeds them.
const N = 100_000;
const Z = 5;

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / (xs.length - 1);
}

/** Pearson's statistic of observed counts against expected probabilities. */
function chiSquare(counts: number[], probs: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  let x = 0;
  for (let i = 0; i < counts.length; i++) x += (counts[i] - n * probs[i]) ** 2 / (n * probs[i]);
  return x;
}

/**
 * The 1 - 1e-6 quantile of chi-square with `df` degrees of freedom by the
 * Wilson–Hilferty cube approximation (z = 4.7534 is the normal 1 - 1e-6
 * quantile); it errs on the large side for small df, which only loosens the test.
 */
function chiSquareBound(df: number): number {
  const c = 2 / (9 * df);
  return df * (1 - c + 4.7534 * Math.sqrt(c)) ** 3;
}

function histogram(values: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < values.length; i++) counts[values[i]]++;
  return counts;
}

/** Standard normal CDF via erf, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, far under the KS bound). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

test('randn: mean 0, variance 1 and a normal shape (Kolmogorov–Smirnov)', () => {
  const x = randn([N], new Generator(1), { dtype: 'float64' }).data;
  assert.ok(Math.abs(mean(x)) < Z / Math.sqrt(N), `mean ${mean(x)}`);
  // The sample variance of normals has standard error sqrt(2 / N).
  assert.ok(Math.abs(variance(x) - 1) < Z * Math.sqrt(2 / N), `variance ${variance(x)}`);
  const sorted = Float64Array.from(x).sort();
  let d = 0;
  for (let i = 0; i < N; i++) {
    const f = normalCdf(sorted[i]);
    d = Math.max(d, f - i / N, (i + 1) / N - f);
  }
  // Kolmogorov distribution: P(sqrt(N) D > 2.7) ~ 2 exp(-2 * 2.7^2) = 9e-7.
  assert.ok(d * Math.sqrt(N) < 2.7, `KS statistic sqrt(N) D = ${d * Math.sqrt(N)}`);
});

test('randn: float32 is the float64 draw rounded, shape and dtype as asked', () => {
  const a = randn([3, 5], new Generator(4));
  const b = randn([3, 5], new Generator(4), { dtype: 'float64' });
  assert.deepEqual(a.shape, [3, 5]);
  assert.equal(a.dtype, 'float32');
  assert.equal(b.dtype, 'float64');
  assert.equal(a.requiresGrad, false);
  assert.deepEqual(Array.from(a.data), Array.from(b.data, Math.fround));
  assert.deepEqual(randn([], new Generator(4)).shape, []);
  assert.equal(randn([0, 3], new Generator(4)).size, 0);
});

test('rand: values in [0, 1) with mean 1/2, variance 1/12 and flat bins, in both dtypes', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const u = rand([N], new Generator(2), { dtype }).data;
    for (const v of u) assert.ok(v >= 0 && v < 1, `${dtype} value ${v} outside [0, 1)`);
    assert.ok(Math.abs(mean(u) - 0.5) < Z * Math.sqrt(1 / 12 / N), `${dtype} mean ${mean(u)}`);
    // Var of (U - 1/2)^2 is 1/180, so the sample variance has standard error sqrt(1/180/N).
    assert.ok(Math.abs(variance(u) - 1 / 12) < Z * Math.sqrt(1 / 180 / N), `${dtype} variance ${variance(u)}`);
    const bins = histogram(Array.from(u, (v) => Math.floor(v * 20)), 20);
    assert.ok(chiSquare(bins, new Array(20).fill(1 / 20)) < chiSquareBound(19));
  }
});

test('uniform: values in [low, high) with mean (low + high) / 2', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const [low, high] = [-3, 0.1];
    const x = uniform([N], low, high, new Generator(5), { dtype }).data;
    for (const v of x) assert.ok(v >= low && v < high, `${dtype} value ${v} outside [${low}, ${high})`);
    const sd = (high - low) / Math.sqrt(12);
    assert.ok(Math.abs(mean(x) - (low + high) / 2) < (Z * sd) / Math.sqrt(N), `${dtype} mean ${mean(x)}`);
  }
});

test('uniform: rounding never reaches high, even on intervals one ulp wide', () => {
  const x = uniform([1000], 1, 1 + 2 ** -52, new Generator(0), { dtype: 'float64' }).data;
  assert.ok(x.every((v) => v === 1));
  // 0.1 is not a float32: fround(0.1) > 0.1, so rounded results must be kept below it.
  const y = uniform([N], 0.1 - 1e-7, 0.1, new Generator(0)).data;
  assert.ok(y.every((v) => v >= 0.1 - 1e-7 && v < 0.1));
  assert.throws(() => uniform([1], 1 + 1e-9, 1 + 2e-9, new Generator(0)), /uniform: .* contains no float32 value/);
});

test('bernoulli: frequency of ones matches p; p = 0 and p = 1 are exact; shape and dtype kept', () => {
  const p = 0.3;
  const x = bernoulli(tensor(new Float64Array(N).fill(p), { shape: [N / 10, 10] }), new Generator(6));
  assert.deepEqual(x.shape, [N / 10, 10]);
  assert.equal(x.dtype, 'float64');
  assert.ok(x.data.every((v) => v === 0 || v === 1));
  assert.ok(Math.abs(mean(x.data) - p) < Z * Math.sqrt((p * (1 - p)) / N), `frequency ${mean(x.data)}`);
  const edge = bernoulli(tensor([0, 1, 0, 1, 0, 1]), new Generator(6));
  assert.equal(edge.dtype, 'float32');
  assert.deepEqual(Array.from(edge.data), [0, 1, 0, 1, 0, 1]);
});

test('categorical: frequencies match probs (chi-square); zero-probability categories never drawn', () => {
  const probs = [0.1, 0.2, 0, 0.3, 0.4];
  const { indices, shape } = categorical(tensor(probs), new Generator(7), { numSamples: N });
  assert.deepEqual(shape, [N]);
  const counts = histogram(indices, 5);
  assert.equal(counts[2], 0);
  const nz = [0, 1, 3, 4];
  assert.ok(
    chiSquare(nz.map((i) => counts[i]), nz.map((i) => probs[i])) < chiSquareBound(3),
    `counts ${counts}`,
  );
});

test('categorical: logits and unnormalized probs give the softmax / normalized frequencies', () => {
  const probs = [0.5, 0.25, 0.125, 0.125];
  const logits = tensor(probs.map((p) => Math.log(p) + 3)); // a shift does not change the distribution
  const fromLogits = categorical(logits, new Generator(8), { logits: true, numSamples: N });
  assert.ok(chiSquare(histogram(fromLogits.indices, 4), probs) < chiSquareBound(3));
  const scaled = tensor(probs.map((p) => p * 7));
  const fromScaled = categorical(scaled, new Generator(8), { numSamples: N });
  assert.ok(chiSquare(histogram(fromScaled.indices, 4), probs) < chiSquareBound(3));
  const withNegInf = categorical(tensor([-Infinity, 0, -Infinity]), new Generator(8), { logits: true, numSamples: 100 });
  assert.ok(withNegInf.indices.every((i) => i === 1));
});

test('categorical: batch shapes, rows sampled independently, with and without numSamples', () => {
  const probs = tensor([
    [[1, 0, 0], [0, 1, 0]],
    [[0, 0, 1], [0.5, 0.5, 0]],
  ]);
  const one = categorical(probs, new Generator(9));
  assert.deepEqual(one.shape, [2, 2]);
  assert.deepEqual(Array.from(one.indices.subarray(0, 3)), [0, 1, 2]);
  const many = categorical(probs, new Generator(9), { numSamples: 4 });
  assert.deepEqual(many.shape, [2, 2, 4]);
  assert.equal(many.indices.length, 16);
  assert.deepEqual(Array.from(many.indices.subarray(0, 12)), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.ok(many.indices.subarray(12).every((i) => i === 0 || i === 1));
  assert.deepEqual(categorical(probs, new Generator(9), { numSamples: 1 }).shape, [2, 2, 1]);
});

test('gumbel: mean is the Euler–Mascheroni constant, variance pi^2 / 6, and Gumbel-max samples the softmax', () => {
  const g = gumbel([N], new Generator(10), { dtype: 'float64' }).data;
  assert.ok(g.every(Number.isFinite));
  const v = Math.PI ** 2 / 6;
  assert.ok(Math.abs(mean(g) - 0.5772156649015329) < Z * Math.sqrt(v / N), `mean ${mean(g)}`);
  // Gumbel excess kurtosis is 12/5, so the sample variance has standard error v * sqrt((2 + 12/5) / N).
  assert.ok(Math.abs(variance(g) - v) < Z * v * Math.sqrt(4.4 / N), `variance ${variance(g)}`);
  const logits = [0, 1, 2];
  const z = logits.reduce((s, l) => s + Math.exp(l), 0);
  const noise = gumbel([N / 2, 3], new Generator(11), { dtype: 'float64' }).data;
  const argmax: number[] = [];
  for (let i = 0; i < N / 2; i++) {
    const scores = logits.map((l, j) => l + noise[3 * i + j]);
    argmax.push(scores.indexOf(Math.max(...scores)));
  }
  assert.ok(chiSquare(histogram(argmax, 3), logits.map((l) => Math.exp(l) / z)) < chiSquareBound(2));
});

test('randint: integers in [low, high), uniform over the values', () => {
  const x = randint(-3, 7, N, new Generator(12));
  assert.ok(x.every((v) => Number.isInteger(v) && v >= -3 && v < 7));
  const counts = histogram(Array.from(x, (v) => v + 3), 10);
  assert.ok(chiSquare(counts, new Array(10).fill(0.1)) < chiSquareBound(9), `counts ${counts}`);
  const big = randint(2 ** 52, 2 ** 52 + 2 ** 45, 1000, new Generator(12));
  assert.ok(big.every((v) => Number.isInteger(v) && v >= 2 ** 52 && v < 2 ** 52 + 2 ** 45));
  assert.deepEqual(Array.from(randint(5, 6, 3, new Generator(12))), [5, 5, 5]);
});

test('permutation: a permutation of 0..n-1, with every ordering equally likely', () => {
  const p = permutation(1000, new Generator(13));
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(permutation(0, new Generator(13)).length, 0);
  assert.deepEqual(Array.from(permutation(1, new Generator(13))), [0]);
  // All 3! orderings of 3 elements: chi-square over the 6 cells.
  const g = new Generator(14);
  const orders = ['0,1,2', '0,2,1', '1,0,2', '1,2,0', '2,0,1', '2,1,0'];
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[orders.indexOf(Array.from(permutation(3, g)).join(','))]++;
  assert.ok(chiSquare(counts, new Array(6).fill(1 / 6)) < chiSquareBound(5), `counts ${counts}`);
});

test('samplers draw in a fixed order: the same state gives the same tensor', () => {
  const a = new Generator(15);
  const b = Generator.fromState(a.getState());
  assert.deepEqual(Array.from(randn([7], a).data), Array.from(randn([7], b).data));
  assert.deepEqual(Array.from(uniform([7], 2, 3, a).data), Array.from(uniform([7], 2, 3, b).data));
  assert.deepEqual(Array.from(permutation(7, a)), Array.from(permutation(7, b)));
  assert.deepEqual(a.getState(), b.getState());
});

test('samplers reject bad arguments with errors naming the function and the argument', () => {
  const g = new Generator(0);
  assert.throws(() => randn([2, -1], g), /randn: invalid shape \[2, -1\]/);
  assert.throws(() => rand([1.5], g), /rand: invalid shape/);
  assert.throws(() => randn(3 as unknown as number[], g), /randn: shape must be an array/);
  assert.throws(() => randn([2], {} as Generator), /randn: rng must be a Generator/);
  assert.throws(() => rand([2], g, { dtype: 'int32' as 'float32' }), /rand: opts.dtype must be 'float32' or 'float64'/);
  assert.throws(() => uniform([2], NaN, 1, g), /uniform: low must be a finite number/);
  assert.throws(() => uniform([2], 0, Infinity, g), /uniform: high must be a finite number/);
  assert.throws(() => uniform([2], 1, 1, g), /uniform: low must be less than high/);
  assert.throws(() => uniform([2], -1.7e308, 1.7e308, g, { dtype: 'float64' }), /uniform: high - low overflows/);
  assert.throws(() => gumbel([-1], g), /gumbel: invalid shape/);
  assert.throws(() => bernoulli(tensor([0.5, 1.5]), g), /bernoulli: probs must be finite and lie in \[0, 1\], got 1.5 at flat index 1/);
  assert.throws(() => bernoulli(tensor([NaN]), g), /bernoulli: probs/);
  assert.throws(() => bernoulli([0.5] as unknown as Tensor, g), /bernoulli: probs must be a Tensor/);
  assert.throws(() => categorical(tensor(0.5), g), /categorical: probsOrLogits must have a non-empty last axis/);
  assert.throws(() => categorical(tensor([0.5, -0.5]), g), /categorical: probsOrLogits must hold finite non-negative probabilities, got -0.5 at row 0, category 1/);
  assert.throws(() => categorical(tensor([[1, 0], [0, 0]]), g), /categorical: probsOrLogits row 1 has probabilities summing to 0/);
  assert.throws(() => categorical(tensor([Infinity, 0]), g, { logits: true }), /categorical: probsOrLogits must hold finite or -Infinity logits/);
  assert.throws(() => categorical(tensor([-Infinity, -Infinity]), g, { logits: true }), /categorical: probsOrLogits row 0 has every logit -Infinity/);
  assert.throws(() => categorical(tensor([1, 1]), g, { numSamples: -1 }), /categorical: opts.numSamples must be/);
  assert.throws(() => randint(0.5, 3, 2, g), /randint: low must be a safe integer/);
  assert.throws(() => randint(0, Infinity, 2, g), /randint: high must be a safe integer/);
  assert.throws(() => randint(3, 3, 2, g), /randint: low must be less than high/);
  assert.throws(() => randint(-(2 ** 52), 2 ** 52, 2, g), /randint: high - low must be below 2\^53/);
  assert.throws(() => randint(0, 3, -2, g), /randint: n must be a non-negative integer/);
  assert.throws(() => permutation(-1, g), /permutation: n must be a non-negative integer/);
  assert.throws(() => permutation(2.5, g), /permutation: n must be/);
});
