import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import { assertClose } from '../helpers.js';

const f64 = { dtype: 'float64' as const };

test('backward accumulates into leaves, like PyTorch', () => {
  const x = L.tensor([1, 2, 3], { ...f64, requiresGrad: true });
  L.sum(L.mul(x, x)).backward();
  L.sum(L.mul(x, 3)).backward();
  assert.deepEqual(Array.from(x.grad!.data), [2 + 3, 4 + 3, 6 + 3]);
});

test('a tensor used twice gets the sum of both paths', () => {
  const x = L.tensor([2], { ...f64, requiresGrad: true });
  const y = L.mul(L.exp(x), L.mul(x, x));
  y.sum().backward();
  // d/dx e^x x^2 = e^x (x^2 + 2x)
  assertClose(x.grad!.data, [Math.exp(2) * (4 + 4)], 1e-12, 1e-12, 'product rule');
});

test('higher-order gradients with createGraph match closed forms', () => {
  const x = L.tensor([0.3, -0.7], { ...f64, requiresGrad: true });
  const y = L.sum(L.tanh(x));
  const [g1] = L.grad(y, [x], { createGraph: true });
  const t = x.data.map(Math.tanh);
  assertClose(g1.data, t.map((v) => 1 - v * v), 1e-15, 0, 'first derivative');
  const [g2] = L.grad(L.sum(g1), [x], { createGraph: true });
  assertClose(g2.data, t.map((v) => -2 * v * (1 - v * v)), 1e-15, 0, 'second derivative');
  const [g3] = L.grad(L.sum(g2), [x]);
  // d3/dx3 tanh = -2 (1 - t^2)(1 - 3 t^2)
  assertClose(g3.data, t.map((v) => -2 * (1 - v * v) * (1 - 3 * v * v)), 1e-14, 0, 'third derivative');
});

test('vector-Jacobian product of a matrix map through gradOutputs', () => {
  const w = L.tensor([[1, 2], [3, 4], [5, 6]], f64);
  const x = L.tensor([[1, -1]], { ...f64, requiresGrad: true });
  const y = L.matmul(x, w, { transB: true }); // [1, 3]
  const v = L.tensor([[1, 0, 2]], f64);
  const [vjp] = L.grad(y, [x], { gradOutputs: [v] });
  assert.deepEqual(vjp.toArray(), [[1 * 1 + 2 * 5, 1 * 2 + 2 * 6]]);
});

test('grad with respect to an interior tensor', () => {
  const x = L.tensor([1, 2], { ...f64, requiresGrad: true });
  const h = L.mul(x, 3);
  const y = L.sum(L.mul(h, h));
  const [gh, gx] = L.grad(y, [h, x]);
  assert.deepEqual(Array.from(gh.data), [6, 12]);
  assert.deepEqual(Array.from(gx.data), [18, 36]);
});

test('noGrad and detach cut the graph', () => {
  const x = L.tensor([1, 2], { requiresGrad: true });
  const y = L.noGrad(() => L.mul(x, 2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, null);
  const z = L.mul(x.detach(), 2);
  assert.equal(z.requiresGrad, false);
  const w = L.add(L.mul(x, x.detach()), 0);
  L.sum(w).backward();
  assert.deepEqual(Array.from(x.grad!.data), [1, 2]);
});

test('autodiff errors are clear', () => {
  const x = L.tensor([1, 2], { requiresGrad: true });
  assert.throws(() => L.mul(x, 2).backward(), /backward: output 0 has shape \[2\]; pass its gradient or reduce it to a scalar first/);
  assert.throws(() => L.tensor([1]).sum().backward(), /does not require gradients/);
  const u = L.tensor([1], { requiresGrad: true });
  assert.throws(() => L.grad(L.sum(x), [u]), /grad: input 0 \(\[1\]\) is not used by the outputs/);
  assert.deepEqual(Array.from(L.grad(L.sum(x), [u], { allowUnused: true })[0].data), [0]);
  assert.throws(() => L.grad(L.sum(x), [x], { gradOutputs: [L.ones([2])] }), /gradient for output 0 has shape \[2\], expected \[\]/);
});

test('deep graphs do not overflow the stack', () => {
  let x = L.tensor([1], { ...f64, requiresGrad: true });
  const x0 = x;
  for (let i = 0; i < 20000; i++) x = L.add(x, 1e-4);
  x.sum().backward();
  assert.equal(x0.grad!.item(), 1);
});

test('each leaf gets its own gradient storage', () => {
  const a = L.tensor([1, 2], { requiresGrad: true });
  const b = L.tensor([3, 4], { requiresGrad: true });
  L.sum(L.add(a, b)).backward();
  assert.notEqual(a.grad!.data, b.grad!.data);
  a.grad!.data[0] = 100;
  assert.equal(b.grad!.data[0], 1);
  const seed = L.ones([2]);
  const c = L.tensor([5, 6], { requiresGrad: true });
  L.mul(c, 1).backward(seed);
  c.grad!.data[0] = 9;
  assert.equal(seed.data[0], 1, "the caller's gradOutput is not aliased");
});

test('leaf gradients share no storage through reshape or a seed, and are not copied otherwise', () => {
  // reshape's rule shares its storage: a and the reshaped b receive one array from add's rule.
  const a = L.tensor([1, 2, 3, 4], { requiresGrad: true });
  const b = L.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  L.sum(L.add(a, L.reshape(b, [4]))).backward();
  assert.notEqual(a.grad!.data, b.grad!.data);
  b.grad!.data[0] = 7;
  assert.equal(a.grad!.data[0], 1);
  // The seed reaches the leaf through reshape.
  const seed = L.ones([4]);
  const c = L.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  L.reshape(c, [4]).backward(seed);
  assert.notEqual(c.grad!.data, seed.data);
  // A gradient made for one leaf alone is kept as it is: it is the leaf's.
  const w = L.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const x = L.tensor([[1, 0], [0, 1]]);
  const y = L.matmul(x, w);
  L.sum(L.mul(y, y)).backward();
  assert.deepEqual(w.grad!.toArray(), [[2, 4], [6, 8]]);
});
