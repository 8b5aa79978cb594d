// The fused ops (ops/fused.ts) against the chains of primitives they stand
// for, values and gradients, float32 and float64, on the active backend
// (`npm test` runs this file on both). Gradients by finite differences are
// in gradcheck.test.ts.
//
// Tolerances and why:
// - linear and activationGrad: the same bits as the unfused ops. The fused
//   kernels round the same intermediates (the GEMM's product, then the sum
//   with the bias, then the activation), and the gradients are the same
//   GEMMs and column sums. With a 3-D input the weight and bias gradients
//   sum the batch in another order: 1e-5 (float32) or 1e-13 (float64)
//   relative, a few roundings of sums of 6 products.
// - bernoulliLogProbFromLogits, gaussianKLStandard: each term and the row
//   sum in double, rounded once; the unfused chain rounds every
//   intermediate to the dtype. float64: 1e-12 of sum |term|; float32:
//   4e-7 of sum |term| (a few float32 roundings of each term, 2^-24 each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { lcg } from '../helpers.js';

type DT = 'float32' | 'float64';
const dtypes: DT[] = ['float32', 'float64'];

function rand(shape: number[], seed: number, dtype: DT, lo = -2, hi = 2, requiresGrad = false): Tensor {
  const r = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return L.tensor(Array.from({ length: n }, () => lo + (hi - lo) * r()), { shape, dtype, requiresGrad });
}

function sameBits(a: Tensor, b: Tensor, label: string): void {
  assert.deepEqual(a.shape, b.shape, `${label}: shape`);
  for (let i = 0; i < a.size; i++) {
    assert.ok(Object.is(a.data[i], b.data[i]), `${label}: entry ${i}: fused ${a.data[i]}, unfused ${b.data[i]}`);
  }
}

function close(a: Tensor, b: Tensor, tol: (i: number) => number, label: string): void {
  assert.deepEqual(a.shape, b.shape, `${label}: shape`);
  for (let i = 0; i < a.size; i++) {
    assert.ok(Math.abs(a.data[i] - b.data[i]) <= tol(i), `${label}: entry ${i}: fused ${a.data[i]}, unfused ${b.data[i]}`);
  }
}

const unfusedAct = { identity: (y: Tensor) => y, relu: L.relu, tanh: L.tanh, sigmoid: L.sigmoid } as const;

test('linear gives the bits of matmul, add and the activation, values and gradients', () => {
  let seed = 1;
  for (const dtype of dtypes) {
    for (const act of ['identity', 'relu', 'tanh', 'sigmoid'] as const) {
      for (const [xShape, withBias] of [[[7, 13], true], [[2, 3, 13], true], [[13], false], [[0, 13], true]] as const) {
        const label = `linear ${act} ${dtype} x ${JSON.stringify(xShape)} bias=${withBias}`;
        const x = rand([...xShape], seed++, dtype, -2, 2, true);
        const w = rand([5, 13], seed++, dtype, -1, 1, true);
        const b = withBias ? rand([5], seed++, dtype, -1, 1, true) : null;
        const fused = L.linear(x, w, b, act);
        const pre = L.matmul(x, w, { transB: true });
        const unfused = unfusedAct[act](b ? L.add(pre, b) : pre);
        sameBits(fused, unfused, label);
        const v = rand([...fused.shape], seed++, dtype);
        const params = b ? [x, w, b] : [x, w];
        const gf = L.grad([L.sum(L.mul(fused, v))], params);
        const gu = L.grad([L.sum(L.mul(unfused, v))], params);
        if (xShape.length <= 2) {
          gf.forEach((g, i) => sameBits(g, gu[i], `${label}: gradient ${i}`));
        } else {
          // 3-D input: the unfused weight and bias gradients sum over the batch one matrix at a time
          // (matmulBatchSum, sumToShape), the fused ones over all rows at once: another order of the same sums.
          const rel = dtype === 'float64' ? 1e-13 : 1e-5;
          gf.forEach((g, i) => close(g, gu[i], (j) => rel * (1 + Math.abs(gu[i].data[j])), `${label}: gradient ${i}`));
        }
      }
    }
  }
});

test('activationGrad gives the bits of the activations\' gradient rules', () => {
  for (const dtype of dtypes) {
    const g = rand([4, 9], 3, dtype);
    sameBits(L.activationGrad('tanh', g, L.tanh(rand([4, 9], 4, dtype))), L.mul(g, L.sub(1, L.square(L.tanh(rand([4, 9], 4, dtype))))), `tanh ${dtype}`);
    const s = L.sigmoid(rand([4, 9], 5, dtype));
    sameBits(L.activationGrad('sigmoid', g, s), L.mul(g, L.mul(s, L.sub(1, s))), `sigmoid ${dtype}`);
    const pre = rand([4, 9], 6, dtype);
    sameBits(L.activationGrad('relu', g, L.relu(pre)), L.mul(g, L.step(pre)), `relu ${dtype}`);
    sameBits(L.activationGrad('identity', g, pre), g, `identity ${dtype}`);
  }
  assert.throws(() => L.activationGrad('tanh', L.zeros([2]), L.zeros([3])), /must have one shape/);
});

/** sum |x l| + |softplus(l)| per row: the scale of the rounding error of the row's sum. */
function bernoulliScale(x: Tensor, l: Tensor): Tensor {
  return L.sum(L.add(L.abs(L.mul(x, l)), L.softplus(l)), -1);
}

test('bernoulliLogProbFromLogits matches x l - softplus(l) summed over the last axis, values and gradients', () => {
  let seed = 100;
  for (const dtype of dtypes) {
    const rel = dtype === 'float64' ? 1e-12 : 4e-7;
    for (const [xShape, lShape] of [[[6, 50], [6, 50]], [[1, 50], [6, 50]], [[50], [2, 3, 50]], [[2, 1, 4], [3, 1]], [[7], [7]]] as const) {
      const label = `bernoulliLogProbFromLogits ${dtype} x ${JSON.stringify(xShape)} logits ${JSON.stringify(lShape)}`;
      const x = L.tensor(Array.from(rand([...xShape], seed++, dtype, 0, 1).data, (v) => (v < 0.3 ? 1 : 0)), { shape: [...xShape], dtype, requiresGrad: true });
      const l = rand([...lShape], seed++, dtype, -20, 20, true);
      const fused = L.bernoulliLogProbFromLogits(x, l);
      const unfused = L.sum(L.sub(L.mul(x, l), L.softplus(l)), -1);
      const scale = bernoulliScale(x, l);
      close(fused, unfused, (i) => rel * scale.data[i], label);
      const v = rand([...fused.shape], seed++, dtype);
      const [fx, fl] = L.grad([L.sum(L.mul(fused, v))], [x, l]);
      const [ux, ul] = L.grad([L.sum(L.mul(unfused, v))], [x, l]);
      // d/dlogits = g (x - sigmoid(l)): fused, x - s rounded once; unfused, g x and g s each rounded. Where x and s
      // nearly cancel the difference is a few roundings of |g| (|x| + 1), not of the result.
      const full = L.broadcastShapes(L.broadcastShapes([...v.shape, 1], x.shape), l.shape);
      const gScale = L.sumToShape(L.broadcastTo(L.mul(L.abs(L.unsqueeze(v, -1)), L.add(L.abs(x), 1)), full), fl.shape);
      const eps = dtype === 'float64' ? 2 ** -52 : 2 ** -24;
      close(fl, ul, (i) => 8 * eps * gScale.data[i], `${label}: d/dlogits`);
      close(fx, ux, (i) => 4 * rel * Math.abs(ux.data[i]), `${label}: d/dx`);
    }
  }
});

test('bernoulliLogProbFromLogits is stable for large logits and saves no sigmoid without gradients', () => {
  const x = L.tensor([[1, 0, 1, 0]]);
  const l = L.tensor([[100, 100, -100, -100]]);
  // x l - softplus(l): 100 - 100, 0 - 100, -100 - 0, 0 - 0.
  assert.deepEqual(L.bernoulliLogProbFromLogits(x, l).toArray(), [-200]);
  const y = L.noGrad(() => L.bernoulliLogProbFromLogits(x, l));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => L.bernoulliLogProbFromLogits(L.zeros([]), L.zeros([])), /rank >= 1/);
  assert.throws(() => L.bernoulliLogProbFromLogits(L.zeros([3]), L.zeros([2, 4])), /cannot be broadcast/);
});

test('gaussianKLStandard matches -1/2 sum (1 + logvar - mu^2 - e^logvar), values and gradients', () => {
  let seed = 200;
  for (const dtype of dtypes) {
    const rel = dtype === 'float64' ? 1e-12 : 4e-7;
    for (const [mShape, vShape] of [[[8, 20], [8, 20]], [[2, 3, 5], [5]]] as const) {
      const label = `gaussianKLStandard ${dtype} ${JSON.stringify([mShape, vShape])}`;
      const mu = rand([...mShape], seed++, dtype, -3, 3, true);
      const lv = rand([...vShape], seed++, dtype, -5, 2, true);
      const fused = L.gaussianKLStandard(mu, lv);
      const unfused = L.mul(L.sum(L.sub(L.sub(L.add(lv, 1), L.square(mu)), L.exp(lv)), -1), -0.5);
      const scale = L.sum(L.add(L.add(L.abs(lv), 1), L.add(L.square(mu), L.exp(lv))), -1);
      close(fused, unfused, (i) => rel * scale.data[i], label);
      const v = rand([...fused.shape], seed++, dtype);
      const gf = L.grad([L.sum(L.mul(fused, v))], [mu, lv]);
      const gu = L.grad([L.sum(L.mul(unfused, v))], [mu, lv]);
      gf.forEach((g, i) => close(g, gu[i], (j) => 4 * rel * Math.abs(gu[i].data[j]) + (dtype === 'float32' ? 1e-6 : 1e-14), `${label}: gradient ${i}`));
    }
  }
});

test('linear checks its arguments', () => {
  const x = L.zeros([2, 3]);
  assert.throws(() => L.linear(x, L.zeros([4, 5])), /must end in in = 5/);
  assert.throws(() => L.linear(x, L.zeros([4, 3]), L.zeros([3])), /bias must have shape \[4\]/);
  assert.throws(() => L.linear(x, L.zeros([3])), /weight must have shape \[out, in\]/);
  assert.throws(() => L.linear(x, L.zeros([4, 3]), null, 'gelu' as 'relu'), /activation must be one of/);
});
