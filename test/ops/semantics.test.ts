// Forward values against closed forms, numerical stability, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import { assertClose } from '../helpers.js';

const f64 = { dtype: 'float64' as const };

test('broadcasting follows NumPy: shapes and values', () => {
  const a = L.tensor([[1], [2]]); // [2, 1]
  const b = L.tensor([10, 20, 30]); // [3]
  const c = L.add(a, b);
  assert.deepEqual(c.shape, [2, 3]);
  assert.deepEqual(c.toArray(), [[11, 21, 31], [12, 22, 32]]);
  const d = L.mul(L.ones([2, 1, 3]), L.arange(4).reshape([4, 1]));
  assert.deepEqual(d.shape, [2, 4, 3]);
  assert.equal(L.sum(d).item(), 2 * 3 * (0 + 1 + 2 + 3));
  assert.deepEqual(L.broadcastShapes([5, 1, 4], [3, 1]), [5, 3, 4]);
});

test('shape mismatch errors name the op and both shapes', () => {
  assert.throws(() => L.add(L.zeros([2, 3]), L.zeros([4])), /add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  assert.throws(() => L.mul(L.zeros([2, 3]), L.zeros([3, 2])), /mul: shapes \[2, 3\] and \[3, 2\]/);
  assert.throws(() => L.matmul(L.zeros([2, 3]), L.zeros([4, 5])), /matmul: a \[2, 3\] and b \[4, 5\] do not chain: inner dimensions 3 and 4 differ/);
  assert.throws(() => L.matmul(L.zeros([2, 3]), L.zeros([2, 3]), { transB: false }), /inner dimensions 3 and 2/);
  assert.throws(() => L.reshape(L.zeros([2, 3]), [4, 2]), /reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
  assert.throws(() => L.concat([L.zeros([2, 3]), L.zeros([3, 3])], 1), /concat: tensor 1 has shape \[3, 3\]/);
  assert.throws(() => L.sum(L.zeros([2, 3]), 2), /sum: axis 2 is out of range for a tensor of rank 2/);
  assert.throws(() => L.permute(L.zeros([2, 3]), [0, 0]), /permute/);
  assert.throws(() => L.tensor([1, 2, 3], { shape: [2, 2] }), /3 values do not fill shape \[2, 2\]/);
  assert.throws(() => L.tensor([[1, 2], [3]]), /ragged/);
});

test('non-finite scalars are refused where they make no sense', () => {
  const x = L.zeros([3]);
  assert.throws(() => L.leakyRelu(x, NaN), /leakyRelu: slope must be a finite number, got NaN/);
  assert.throws(() => L.elu(x, Infinity), /elu: alpha must be a finite number/);
  assert.throws(() => L.clamp(x, NaN, 1), /clamp: bounds must not be NaN/);
  assert.throws(() => L.clamp(x, 2, 1), /clamp: min \(2\) is greater than max \(1\)/);
  assert.throws(() => L.arange(0, Infinity), /arange/);
});

test('unary ops equal their closed forms', () => {
  const xs = [-3, -0.5, 0.25, 2];
  const x = L.tensor(xs, f64);
  const check = (t: L.Tensor, fn: (v: number) => number, name: string) =>
    assertClose(t.data, xs.map(fn), 1e-15, 1e-15, name);
  check(L.exp(x), Math.exp, 'exp');
  check(L.tanh(x), Math.tanh, 'tanh');
  check(L.sigmoid(x), (v) => 1 / (1 + Math.exp(-v)), 'sigmoid');
  check(L.softplus(x), (v) => Math.log(1 + Math.exp(v)), 'softplus');
  check(L.relu(x), (v) => Math.max(v, 0), 'relu');
  check(L.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v), 'leakyRelu');
  check(L.elu(x, 2), (v) => (v > 0 ? v : 2 * (Math.exp(v) - 1)), 'elu');
  check(L.expm1(x), Math.expm1, 'expm1');
  check(L.abs(x), Math.abs, 'abs');
});

test('softplus, sigmoid and logSigmoid are exact for large |x|', () => {
  const x = L.tensor([-1000, -40, 40, 1000], f64);
  assertClose(L.softplus(x).data, [0, Math.exp(-40), 40, 1000], 0, 1e-15, 'softplus');
  assertClose(L.sigmoid(x).data, [0, Math.exp(-40), 1, 1], 0, 1e-15, 'sigmoid');
  assertClose(L.logSigmoid(x).data, [-1000, -40, -Math.exp(-40), 0], 0, 1e-15, 'logSigmoid');
  // float32 too: no overflow to Infinity or NaN.
  const y = L.softplus(L.tensor([-1e4, 1e4]));
  assert.deepEqual(Array.from(y.data), [0, 1e4]);
});

test('logsumexp is stable: all -inf gives -inf with zero gradient, huge values do not overflow', () => {
  const x = L.tensor([[-Infinity, -Infinity], [1000, 1000], [0, -Infinity]], { ...f64, requiresGrad: true });
  const y = L.logsumexp(x, 1);
  assert.equal(y.data[0], -Infinity);
  assertClose(y.data.subarray(1), [1000 + Math.LN2, 0], 1e-12, 0, 'logsumexp');
  L.sum(L.where(L.eq(y, -Infinity), 0, y)).backward();
  const g = Array.from(x.grad!.data);
  assert.ok(g.every((v) => Number.isFinite(v)), `gradient must be finite, got ${g}`);
  // exp(x - lse) with lse = 1000 + ln 2 rounded: a few ulps of 1000 off 0.5.
  assertClose(g, [0, 0, 0.5, 0.5, 1, 0], 1e-12, 0, 'gradient');
  assert.equal(L.logsumexp(L.zeros([0]), 0).item(), -Infinity);
  // softmax of huge logits stays a distribution. x - lse cancels near 1e4,
  // whose ulp is 1.8e-12: agreement to 1e-11 is all float64 allows.
  const p = L.softmax(L.tensor([1e4, 1e4 - 1, -1e4], f64));
  assertClose(p.data, [1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1)), 0], 1e-11, 0, 'softmax');
});

test('reductions along axes with keepDims', () => {
  const x = L.arange(24, undefined, 1, f64).reshape([2, 3, 4]);
  assert.deepEqual(L.sum(x, [0, 2]).toArray(), [0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 92, 124]);
  assert.deepEqual(L.sum(x, 1, true).shape, [2, 1, 4]);
  assert.deepEqual(L.max(x, -1).toArray(), [[3, 7, 11], [15, 19, 23]]);
  assert.deepEqual(L.min(x, [0, 1]).toArray(), [0, 1, 2, 3]);
  assert.deepEqual(L.mean(x, 2).toArray(), [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
  assert.equal(L.variance(L.tensor([1, 2, 3, 4], f64)).item(), 5 / 3);
  assert.ok(Number.isNaN(L.max(L.tensor([1, NaN, 3])).item()), 'max propagates NaN');
});

test('cumsum along an axis, forwards and backwards', () => {
  const x = L.arange(6, undefined, 1, f64).reshape([2, 3]);
  assert.deepEqual(L.cumsum(x, 1).toArray(), [[0, 1, 3], [3, 7, 12]]);
  assert.deepEqual(L.cumsum(x, 0).toArray(), [[0, 1, 2], [3, 5, 7]]);
  assert.deepEqual(L.cumsum(x, 1, true).toArray(), [[3, 3, 2], [12, 9, 5]]);
});

test('matmul: every transpose variant equals the explicit transpose', () => {
  const a = L.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], ...f64 });
  const b = L.tensor([7, 8, 9, 10, 11, 12], { shape: [3, 2], ...f64 });
  const ref = [[58, 64], [139, 154]];
  assert.deepEqual(L.matmul(a, b).toArray(), ref);
  assert.deepEqual(L.matmul(L.transpose(a), b, { transA: true }).toArray(), ref);
  assert.deepEqual(L.matmul(a, L.transpose(b), { transB: true }).toArray(), ref);
  assert.deepEqual(L.matmul(L.transpose(a), L.transpose(b), { transA: true, transB: true }).toArray(), ref);
  const batched = L.matmul(L.stack([a, L.mul(a, 2)]), b);
  assert.deepEqual(batched.toArray(), [ref, ref.map((r) => r.map((v) => 2 * v))]);
});

test('slice, concat, stack and split', () => {
  const x = L.arange(10).reshape([2, 5]);
  assert.deepEqual(L.slice(x, 1, 1, 4).toArray(), [[1, 2, 3], [6, 7, 8]]);
  assert.deepEqual(L.slice(x, 1, -2).toArray(), [[3, 4], [8, 9]]);
  assert.deepEqual(L.slice(x, 1, 0, undefined, 2).toArray(), [[0, 2, 4], [5, 7, 9]]);
  assert.deepEqual(L.concat([x, x], 0).shape, [4, 5]);
  assert.deepEqual(L.stack([x, x], 2).shape, [2, 5, 2]);
  const [p, q] = L.split(x, [2, 3], 1);
  assert.deepEqual(p.toArray(), [[0, 1], [5, 6]]);
  assert.deepEqual(q.shape, [2, 3]);
});

test('float64 promotes, float32 stays float32', () => {
  assert.equal(L.add(L.ones([2]), 1).dtype, 'float32');
  assert.equal(L.add(L.ones([2]), L.ones([2], f64)).dtype, 'float64');
  assert.equal(L.matmul(L.ones([2, 2]), L.ones([2, 2], f64)).dtype, 'float64');
});
