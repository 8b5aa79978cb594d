// Initialization schemes: gains and fans as torch.nn.init computes them, and
// the sample mean and variance of each scheme against its formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zeros, type Tensor } from '../../src/index.js';
import { Generator } from '../../src/random/index.js';
import {
  Linear, calculateGain, computeFans, xavierUniform, xavierNormal, kaimingUniform, kaimingNormal,
  uniform_, normal_, constant_, zeros_, ones_, init,
} from '../../src/nn/index.js';

function moments(t: Tensor): { mean: number; variance: number; maxAbs: number } {
  let s = 0;
  let maxAbs = 0;
  for (const v of t.data) {
    s += v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / t.size;
  let ss = 0;
  for (const v of t.data) ss += (v - mean) ** 2;
  return { mean, variance: ss / (t.size - 1), maxAbs };
}

/**
 * Checks a zero-mean sample against the variance `v` of its scheme. With n
 * draws, the sample mean has standard error sqrt(v / n) and the sample
 * variance sqrt((mu4 - v^2) / n), where the fourth moment mu4 is 9/5 v^2 for
 * a uniform and 3 v^2 for a normal. Allow 5 standard errors (a fixed seed,
 * so the check is deterministic; 5 SE is loose enough not to depend on it
 * and tight enough that a wrong fan or gain, off by >= 5% in variance for
 * these sizes, fails).
 */
function checkMoments(t: Tensor, v: number, kind: 'uniform' | 'normal', label: string): void {
  const n = t.size;
  const m = moments(t);
  const seMean = Math.sqrt(v / n);
  const seVar = v * Math.sqrt((kind === 'uniform' ? 0.8 : 2) / n);
  assert.ok(Math.abs(m.mean) < 5 * seMean, `${label}: mean ${m.mean}, allowed ${5 * seMean}`);
  assert.ok(Math.abs(m.variance - v) < 5 * seVar, `${label}: variance ${m.variance}, expected ${v} +- ${5 * seVar}`);
  if (kind === 'uniform') {
    const bound = Math.sqrt(3 * v);
    assert.ok(m.maxAbs <= bound * (1 + 1e-6), `${label}: max |w| ${m.maxAbs} above the bound ${bound}`);
    assert.ok(m.maxAbs > 0.99 * bound, `${label}: max |w| ${m.maxAbs} does not reach the bound ${bound}`);
  }
}

test('calculateGain matches torch.nn.init.calculate_gain', () => {
  assert.equal(calculateGain('linear'), 1);
  assert.equal(calculateGain('conv2d'), 1);
  assert.equal(calculateGain('sigmoid'), 1);
  assert.equal(calculateGain('tanh'), 5 / 3);
  assert.equal(calculateGain('relu'), Math.SQRT2);
  assert.equal(calculateGain('leakyRelu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
  assert.equal(calculateGain('leakyRelu', 0.2), Math.sqrt(2 / 1.04));
  assert.equal(calculateGain('selu'), 0.75);
  assert.throws(() => calculateGain('gelu' as never), /unknown nonlinearity "gelu"/);
});

test('computeFans: [out, in] for Linear, receptive field for conv, rank >= 2', () => {
  assert.deepEqual(computeFans(zeros([400, 784])), { fanIn: 784, fanOut: 400 });
  assert.deepEqual(computeFans(zeros([16, 3, 5, 5])), { fanIn: 75, fanOut: 400 });
  assert.throws(() => computeFans(zeros([7])), /rank >= 2, got shape \[7\]/);
});

test('init distributions: sample mean and variance match the formulas (200k draws each)', () => {
  const rng = new Generator(2024);
  const shape = [400, 500]; // fanOut 400, fanIn 500
  const fanIn = 500;
  const fanOut = 400;
  const f32 = () => zeros(shape);
  const f64 = () => zeros(shape, { dtype: 'float64' });

  checkMoments(xavierUniform(f32(), {}, rng), 2 / (fanIn + fanOut), 'uniform', 'xavierUniform');
  checkMoments(xavierUniform(f64(), { gain: 5 / 3 }, rng), (25 / 9) * 2 / (fanIn + fanOut), 'uniform', 'xavierUniform gain 5/3');
  checkMoments(xavierNormal(f32(), {}, rng), 2 / (fanIn + fanOut), 'normal', 'xavierNormal');
  checkMoments(xavierNormal(f64(), { gain: 2 }, rng), 4 * 2 / (fanIn + fanOut), 'normal', 'xavierNormal gain 2');
  checkMoments(kaimingUniform(f32(), {}, rng), 2 / fanIn, 'uniform', 'kaimingUniform default (leakyRelu a=0)');
  checkMoments(kaimingUniform(f32(), { nonlinearity: 'relu', mode: 'fanOut' }, rng), 2 / fanOut, 'uniform', 'kaimingUniform relu fanOut');
  checkMoments(kaimingUniform(f64(), { a: Math.sqrt(5) }, rng), 1 / (3 * fanIn), 'uniform', 'kaimingUniform a=sqrt(5) (PyTorch Linear)');
  checkMoments(kaimingNormal(f32(), {}, rng), 2 / fanIn, 'normal', 'kaimingNormal');
  checkMoments(kaimingNormal(f64(), { nonlinearity: 'tanh', mode: 'fanOut' }, rng), (25 / 9) / fanOut, 'normal', 'kaimingNormal tanh fanOut');
  checkMoments(uniform_(f32(), -0.3, 0.3, rng), 0.09 / 3, 'uniform', 'uniform_');
  checkMoments(normal_(f64(), 0, 0.02, rng), 0.0004, 'normal', 'normal_');
});

test('conv weights use the receptive field in the fan', () => {
  const w = zeros([64, 32, 3, 3]); // fanIn 288, fanOut 576; 18432 draws
  checkMoments(kaimingNormal(w, { nonlinearity: 'relu' }, new Generator(5)), 2 / 288, 'normal', 'kaimingNormal conv');
});

test('Linear default init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, like torch.nn.Linear', () => {
  const lin = new Linear(256, 512, { rng: new Generator(9), dtype: 'float64' });
  checkMoments(lin.weight, 1 / (3 * 256), 'uniform', 'Linear weight');
  const bound = 1 / 16;
  assert.ok(lin.bias!.data.every((v) => Math.abs(v) <= bound));
  const m = moments(lin.bias!);
  // 512 draws: variance within 5 SE (relative SE sqrt(0.8/512) = 4%).
  assert.ok(Math.abs(m.variance / (bound * bound / 3) - 1) < 5 * Math.sqrt(0.8 / 512), `bias variance ${m.variance}`);
});

test('deterministic: the same generator state gives the same weights', () => {
  const a = xavierUniform(zeros([10, 10]), {}, new Generator(1));
  const b = xavierUniform(zeros([10, 10]), {}, new Generator(1));
  assert.deepEqual(a.data, b.data);
});

test('constant schemes and argument errors', () => {
  assert.ok(zeros_(zeros([3]).add(1)).data.every((v) => v === 0));
  assert.ok(ones_(zeros([3])).data.every((v) => v === 1));
  assert.ok(constant_(zeros([3]), 0.25).data.every((v) => v === 0.25));
  assert.equal(init.xavierUniform, xavierUniform);
  const rng = new Generator(0);
  assert.throws(() => kaimingUniform(zeros([3, 3]), { mode: 'fan_in' as never }, rng), /mode must be 'fanIn' or 'fanOut'/);
  assert.throws(() => xavierUniform(zeros([3, 3]), { gain: NaN }, rng), /gain must be a finite number, got NaN/);
  assert.throws(() => normal_(zeros([3]), 0, -1, rng), /std must be a finite non-negative number, got -1/);
  assert.throws(() => xavierNormal(zeros([3]), {}, rng), /rank >= 2/);
});
