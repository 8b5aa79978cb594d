// indexSelect/indexAdd and gather/scatterAdd: values against hand-computed
// results and against each other (each pair is adjoint), gradients against
// finite differences (first and second order), oneHot, and bad-input errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  concat, gather, grad, indexAdd, indexSelect, oneHot, scatterAdd, tensor, withGradMode, zeros,
  type Tensor,
} from '../../src/index.js';
import { assertClose, assertGradcheck, inputs } from '../helpers.js';

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

test('indexSelect picks rows along any axis, repeats and order as given', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  assert.deepEqual(indexSelect(x, 0, [2, 0, 2]).toArray(), [[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
  assert.deepEqual(indexSelect(x, 1, new Int32Array([1, 1])).toArray(), [[2, 2], [5, 5], [8, 8]]);
  assert.deepEqual(indexSelect(x, -1, tensor([0, 2])).toArray(), [[1, 3], [4, 6], [7, 9]]);
  assert.deepEqual(indexSelect(x, 0, []).shape, [0, 3]);
  // Middle axis of a rank-3 tensor: out[a, j, c] = x[a, idx[j], c].
  const y = inputs([2, 4, 3], 1);
  const idx = [3, 0, 3, 1, 2];
  const out = indexSelect(y, 1, idx);
  assert.deepEqual(out.shape, [2, 5, 3]);
  for (let a = 0; a < 2; a++)
    for (let j = 0; j < 5; j++)
      for (let c = 0; c < 3; c++) assert.equal(out.data[(a * 5 + j) * 3 + c], y.data[(a * 4 + idx[j]) * 3 + c]);
  assert.equal(out.dtype, 'float64');
});

test('indexAdd sums src rows into base at the indices, repeats adding up; base is not modified', () => {
  const base = tensor([[1, 1], [1, 1], [1, 1]]);
  const out = indexAdd(base, 0, [2, 0, 2], tensor([[1, 2], [3, 4], [5, 6]]));
  assert.deepEqual(out.toArray(), [[4, 5], [1, 1], [7, 9]]);
  assert.deepEqual(base.toArray(), [[1, 1], [1, 1], [1, 1]]);
  assert.deepEqual(indexAdd(zeros([2, 3]), 1, [0, 0, 2], tensor([[1, 2, 3], [4, 5, 6]])).toArray(), [[3, 0, 3], [9, 0, 6]]);
  // Mixed dtypes compute in float64.
  assert.equal(indexAdd(zeros([2]), 0, [1], tensor(new Float64Array([0.1]))).dtype, 'float64');
});

test('indexAdd is the adjoint of indexSelect: <indexSelect(x), s> = <x, indexAdd(0, s)>', () => {
  const x = inputs([3, 5, 2], 2);
  const idx = [4, 0, 4, 4, 2, 1];
  const s = inputs([3, 6, 2], 3);
  const lhs = dot(indexSelect(x, 1, idx).data, s.data);
  const rhs = dot(x.data, indexAdd(zeros([3, 5, 2], { dtype: 'float64' }), 1, idx, s).data);
  assert.ok(Math.abs(lhs - rhs) <= 1e-13 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
});

test('gather follows torch.gather, including an index smaller than x off the axis', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(gather(x, 1, tensor([[2, 0], [1, 1]])).toArray(), [[3, 1], [5, 5]]);
  assert.deepEqual(gather(x, 0, tensor([[1, 0, 1]])).toArray(), [[4, 2, 6]]);
  // index [1, 2] reads only the first row and first two columns' positions.
  assert.deepEqual(gather(x, 1, tensor([[2, 2]])).toArray(), [[3, 3]]);
  // Rank 3, axis 1: out[a, j, c] = x[a, index[a, j, c], c].
  const y = inputs([2, 3, 4], 4);
  const index = tensor([0, 2, 1, 0, 2, 2, 1, 1, 0, 0, 0, 0, 1, 2, 0, 1], { shape: [2, 2, 4] });
  const out = gather(y, 1, index);
  assert.deepEqual(out.shape, [2, 2, 4]);
  for (let a = 0; a < 2; a++)
    for (let j = 0; j < 2; j++)
      for (let c = 0; c < 4; c++) {
        const k = index.data[(a * 2 + j) * 4 + c];
        assert.equal(out.data[(a * 2 + j) * 4 + c], y.data[(a * 3 + k) * 4 + c]);
      }
  // A classifier's log-likelihood: pick each row's label column.
  const logits = tensor([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]]);
  assert.deepEqual(gather(logits, -1, tensor([[1], [0]])).toArray(), [[0.5], [0.7]].map((r) => r.map((v) => Math.fround(v))));
});

test('scatterAdd adds src at the indexed positions (repeats sum), the adjoint of gather', () => {
  const out = scatterAdd(tensor([[1, 1, 1], [1, 1, 1]]), 1, tensor([[2, 2], [0, 1]]), tensor([[1, 2], [3, 4]]));
  assert.deepEqual(out.toArray(), [[1, 1, 4], [4, 5, 1]]);
  assert.deepEqual(scatterAdd(zeros([3, 2]), 0, tensor([[2, 0], [2, 2]]), tensor([[1, 2], [3, 4]])).toArray(), [[0, 2], [0, 0], [4, 4]]);

  const x = inputs([3, 4, 2], 5);
  const index = tensor([0, 3, 3, 1, 2, 2, 0, 0, 1, 3, 3, 3], { shape: [2, 3, 2] });
  const s = inputs([2, 3, 2], 6);
  const lhs = dot(gather(x, 1, index).data, s.data);
  const rhs = dot(x.data, scatterAdd(zeros([3, 4, 2], { dtype: 'float64' }), 1, index, s).data);
  assert.ok(Math.abs(lhs - rhs) <= 1e-13 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
});

// Gradient checks: float64, gradcheck's default tolerances (see
// test/ops/gradcheck.test.ts); these maps are linear in the checked inputs,
// so central differences are exact up to rounding.

test('gradcheck: indexSelect with repeated indices, indexAdd', () => {
  assertGradcheck((x) => indexSelect(x, 1, [2, 0, 2, 2, 1]), [inputs([2, 3, 2], 10)], undefined, 'indexSelect axis 1');
  assertGradcheck((x) => indexSelect(x, 0, [1, 1]), [inputs([3, 2], 11)], undefined, 'indexSelect axis 0');
  assertGradcheck((b, s) => indexAdd(b, 0, [2, 0, 2], s), [inputs([3, 4], 12), inputs([3, 4], 13)], undefined, 'indexAdd');
  assertGradcheck((b, s) => indexAdd(b, -1, [0, 0], s), [inputs([2, 3], 14), inputs([2, 2], 15)], undefined, 'indexAdd last axis');
  // indexAdd with a broadcast base (gradient reduced by the tape).
  assertGradcheck((b, s) => indexAdd(b.add(zeros([3, 4], { dtype: 'float64' })), 0, [1], s), [inputs([4], 16), inputs([1, 4], 17)], undefined, 'indexAdd broadcast');
});

test('gradcheck: gather, scatterAdd', () => {
  const index = tensor([0, 3, 3, 1, 2, 2, 0, 0, 1, 3, 3, 3], { shape: [2, 3, 2] });
  assertGradcheck((x) => gather(x, 1, index), [inputs([3, 4, 2], 20)], undefined, 'gather');
  assertGradcheck((x) => gather(x, 0, tensor([[1, 0, 1], [1, 1, 1]])), [inputs([2, 3], 21)], undefined, 'gather axis 0');
  assertGradcheck((b, s) => scatterAdd(b, 1, index, s), [inputs([3, 4, 2], 22), inputs([2, 3, 2], 23)], undefined, 'scatterAdd');
});

test('gradcheck, second order: gradients through indexSelect and gather are themselves differentiable', () => {
  const index = tensor([[1, 0, 1], [2, 2, 0]]);
  // d/dx of sum(indexSelect(x)^3) + sum(gather(x)^3), built with createGraph; gradcheck differentiates it again
  // (through indexAdd's and scatterAdd's rules). gradcheck runs under noGrad, so f turns recording back on.
  const f = (x: Tensor) =>
    withGradMode(true, () => {
      const loss = indexSelect(x, 0, [2, 2, 0]).pow(3).sum().add(gather(x, 1, index).pow(3).sum());
      const [gx] = grad([loss], [x], { createGraph: true });
      return gx;
    });
  assertGradcheck(f, [inputs([3, 3], 30)], undefined, 'index ops second order');
  const g = (b: Tensor, s: Tensor) =>
    withGradMode(true, () => {
      const loss = indexAdd(b, 1, [1, 1], s).pow(3).sum().add(scatterAdd(b, 0, tensor([[0, 2], [0, 0], [1, 2]]), s).pow(3).sum());
      const [gb, gs] = grad([loss], [b, s], { createGraph: true });
      return concat([gb.reshape([-1]), gs.reshape([-1])]);
    });
  assertGradcheck(g, [inputs([3, 2], 31), inputs([3, 2], 32)], undefined, 'add ops second order');
});

test('oneHot builds rows of zeros with a one at each index, without gradient', () => {
  assert.deepEqual(oneHot([2, 0, 1], 3).toArray(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  const t = oneHot(tensor([[1], [0]]), 2, 'float64');
  assert.deepEqual(t.shape, [2, 1, 2]);
  assert.equal(t.dtype, 'float64');
  assert.deepEqual(t.toArray(), [[[0, 1]], [[1, 0]]]);
  assert.equal(oneHot(new Int32Array([1]), 4).requiresGrad, false);
  assert.equal(oneHot(tensor([1, 0], { requiresGrad: true }), 2).requiresGrad, false);
  assertClose(oneHot([], 5).data, [], 0);
});

test('index ops reject bad indices and shapes with messages naming the op, the value and the valid range', () => {
  const x = inputs([3, 4], 40);
  assert.throws(() => indexSelect(x, 0, [0, 3]), /indexSelect: index 3 at position 1 is out of range \(valid: integers 0 to 2\)/);
  assert.throws(() => indexSelect(x, 1, [-1]), /indexSelect: index -1 at position 0 is out of range \(valid: integers 0 to 3\)/);
  assert.throws(() => indexSelect(x, 1, [1.5]), /indexSelect: index 1.5 at position 0 is not an integer \(valid: integers 0 to 3\)/);
  assert.throws(() => indexSelect(x, 1, [NaN]), /indexSelect: index NaN at position 0 is not an integer/);
  assert.throws(() => indexSelect(x, 2, [0]), /indexSelect: axis 2 is out of range for a tensor of rank 2/);
  assert.throws(() => indexSelect(x, 0, tensor([[0]])), /indexSelect: indices must be 1-D, got shape \[1, 1\]/);
  assert.throws(() => indexSelect(tensor(1), 0, [0]), /indexSelect: x must have rank >= 1/);
  assert.throws(() => indexSelect(zeros([0, 2]), 0, [0]), /indexSelect: index 0 at position 0 is out of range \(the axis has size 0, so no index is valid\)/);

  assert.throws(() => indexAdd(x, 0, [0, 1], inputs([3, 4], 41)), /indexAdd: src must have shape \[2, 4\] \(base \[3, 4\] with 2 indices along axis 0\), got \[3, 4\]/);
  assert.throws(() => indexAdd(x, 0, [5], inputs([1, 4], 42)), /indexAdd: index 5 at position 0 is out of range \(valid: integers 0 to 2\)/);

  assert.throws(() => gather(x, 1, tensor([[0, 4]])), /gather: index 4 at position 1 is out of range \(valid: integers 0 to 3\)/);
  assert.throws(() => gather(x, 1, tensor([[0, 0.5]])), /gather: index 0.5 at position 1 is not an integer/);
  assert.throws(() => gather(x, 1, tensor([0, 1])), /gather: index \[2\] must have the rank of x \[3, 4\]/);
  assert.throws(() => gather(x, 1, zeros([4, 1])), /gather: index \[4, 1\] is larger than x \[3, 4\] along axis 0/);

  assert.throws(() => scatterAdd(x, 0, tensor([[3]]), tensor([[1]])), /scatterAdd: index 3 at position 0 is out of range \(valid: integers 0 to 2\)/);
  assert.throws(() => scatterAdd(x, 0, tensor([[0, 1]]), tensor([[1]])), /scatterAdd: src must have the shape of index \[1, 2\], got \[1, 1\]/);
  assert.throws(() => scatterAdd(x, 1, zeros([4, 1]), zeros([4, 1])), /scatterAdd: index \[4, 1\] is larger than base \[3, 4\] along axis 0/);
  // Along the axis itself the index may be longer than base: positions repeat.
  assert.deepEqual(scatterAdd(zeros([1, 2]), 1, zeros([1, 5]), tensor([[1, 2, 3, 4, 5]])).toArray(), [[15, 0]]);

  assert.throws(() => oneHot([0, 3], 3), /oneHot: class index 3 at position 1 is out of range \(valid: integers 0 to 2\)/);
  assert.throws(() => oneHot([0], 0), /oneHot: numClasses must be a positive integer, got 0/);
});
