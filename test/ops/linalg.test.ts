// Linear algebra ops: values against reconstructions and closed forms,
// gradients against central finite differences in float64 (first and second
// order), and the error for a matrix that is not positive definite.
// Tolerances: gradcheck's defaults (atol 1e-5 + rtol 1e-4 at step 1e-6), as in
// gradcheck.test.ts; the matrices here are well conditioned (eigenvalues
// bounded away from 0 by the added identity), so a correct rule is off by
// ~1e-9 at most and a wrong one by O(1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, assertGradcheck, inputs } from '../helpers.js';

const f64 = { dtype: 'float64' as const };

/** A symmetric positive-definite batch: X X^T + n I. */
function spd(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1];
  return L.add(L.matmul(x, x, { transB: true }), L.mul(L.eye(n, f64), n));
}

/** A well-conditioned lower-triangular batch: tril(X) with diagonal 1.5 + |x_ii|. */
function lowerTri(x: Tensor): Tensor {
  return L.add(L.tril(x, -1), L.diagEmbed(L.add(L.abs(L.diagonal(x)), 1.5)));
}

function matmulValues(a: Tensor, b: Tensor, opts?: L.MatmulOptions): Float64Array {
  return Float64Array.from(L.matmul(a, b, opts).data);
}

test('cholesky reconstructs A = L L^T, is lower triangular, and matches a 2x2 closed form', () => {
  const a = spd(inputs([2, 3, 4, 4], 1));
  const l = L.cholesky(a);
  assertClose(matmulValues(l, l, { transB: true }), a.data, 1e-12, 1e-12, 'L L^T');
  const upper = L.triu(l, 1);
  assert.ok(upper.data.every((v) => v === 0), 'strictly upper part is zero');
  assert.ok(L.diagonal(l).data.every((v) => v > 0), 'positive diagonal');
  assert.deepEqual(L.cholesky(L.tensor([[4, 2], [2, 2]], f64)).toArray(), [[2, 0], [1, 1]]);
});

test('cholesky reads only the lower triangle', () => {
  const a = L.tensor([[4, 99], [2, 2]], f64);
  assert.deepEqual(L.cholesky(a).toArray(), [[2, 0], [1, 1]]);
});

test('cholesky names the failing pivot and the batch entry, and suggests jitter', () => {
  const good = L.tensor([[4, 2], [2, 2]], f64);
  const bad = L.tensor([[1, 2], [2, 1]], f64); // eigenvalues 3 and -1
  assert.throws(() => L.cholesky(bad), /cholesky: the matrix is not positive definite: pivot 1 \(0-based, of 2\) is -3, not positive; .*add jitter to the diagonal/);
  assert.throws(() => L.cholesky(L.stack([good, bad])), /cholesky: the matrix at batch index \[1\] is not positive definite: pivot 1/);
  assert.throws(() => L.cholesky(L.tensor([[0, 0], [0, 1]], f64)), /pivot 0 \(0-based, of 2\) is 0/);
  assert.throws(() => L.cholesky(L.tensor([[NaN]], f64)), /pivot 0 .* is NaN/);
  assert.throws(() => L.cholesky(L.zeros([2, 3])), /cholesky: A must be square in its last two dimensions, got \[2, 3\]/);
  const ex = L.choleskyEx(L.stack([good, bad]));
  assert.deepEqual(Array.from(ex.info), [0, 2]);
});

test('triangularSolve: every (lower, transpose, unitDiagonal) variant solves op(A) X = B', () => {
  const raw = inputs([2, 4, 4], 3);
  const b = inputs([2, 4, 3], 4);
  for (const lower of [true, false]) {
    for (const transpose of [false, true]) {
      for (const unitDiagonal of [false, true]) {
        let a = lowerTri(raw);
        if (!lower) a = L.transpose(a);
        const x = L.triangularSolve(a, b, { lower, transpose, unitDiagonal });
        // The matrix the solve used: only the named triangle, diagonal ones if unit.
        let m = lower ? L.tril(a, unitDiagonal ? -1 : 0) : L.triu(a, unitDiagonal ? 1 : 0);
        if (unitDiagonal) m = L.add(m, L.eye(4, f64));
        assertClose(matmulValues(m, x, { transA: transpose }), b.data, 1e-12, 1e-12, `lower=${lower} transpose=${transpose} unit=${unitDiagonal}`);
      }
    }
  }
});

test('triangularSolve broadcasts batch dimensions; choleskySolve and choleskyInverse invert A', () => {
  const a = lowerTri(inputs([4, 4], 5));
  const b = inputs([3, 1, 4, 2], 6);
  const x = L.triangularSolve(a, b);
  assert.deepEqual(x.shape, [3, 1, 4, 2]);
  assertClose(matmulValues(a, x), b.data, 1e-12, 1e-12, 'broadcast A');
  const s = spd(inputs([2, 3, 3], 7));
  const rhs = inputs([2, 3, 2], 8);
  const sol = L.choleskySolve(L.cholesky(s), rhs);
  assertClose(matmulValues(s, sol), rhs.data, 1e-12, 1e-12, 'choleskySolve');
  const inv = L.choleskyInverse(L.cholesky(s));
  const eye2 = L.broadcastTo(L.eye(3, f64), [2, 3, 3]);
  assertClose(matmulValues(s, inv), eye2.data, 1e-12, 1e-12, 'choleskyInverse');
  assert.throws(() => L.triangularSolve(a, L.zeros([3, 2], f64)), /triangularSolve: A \[4, 4\] and B \[3, 2\] do not chain/);
});

test('logdetFromCholesky, diagonal and diagEmbed: closed forms', () => {
  const a = L.tensor([[4, 2], [2, 2]], f64);
  assertClose([L.logdetFromCholesky(L.cholesky(a)).item()], [Math.log(4)], 1e-15);
  const m = L.tensor([[[1, 2, 3], [4, 5, 6]]], f64);
  assert.deepEqual(L.diagonal(m).toArray(), [[1, 5]]);
  assert.deepEqual(L.diagEmbed(L.tensor([1, 2], f64)).toArray(), [[1, 0], [0, 2]]);
  assert.deepEqual(L.diagEmbed(L.tensor([1, 2], f64), 2, 3).toArray(), [[1, 0, 0], [0, 2, 0]]);
  assert.deepEqual(L.tril(L.ones([2, 3], f64), -1).toArray(), [[0, 0, 0], [1, 0, 0]]);
  assert.deepEqual(L.triu(L.ones([2, 3], f64), 1).toArray(), [[0, 1, 1], [0, 0, 1]]);
});

interface Case {
  name: string;
  f: (...xs: Tensor[]) => Tensor;
  shapes: number[][];
}

const cases: Case[] = [
  { name: 'diagonal', f: (x) => L.diagonal(x), shapes: [[2, 3, 4]] },
  { name: 'diagEmbed', f: (v) => L.diagEmbed(v), shapes: [[2, 3]] },
  { name: 'tril', f: (x) => L.tril(x), shapes: [[3, 3]] },
  { name: 'cholesky of X X^T + nI', f: (x) => L.cholesky(spd(x)), shapes: [[3, 3]] },
  { name: 'cholesky batched', f: (x) => L.cholesky(spd(x)), shapes: [[2, 3, 3]] },
  // Symmetrizing a free matrix: the finite difference of an upper entry moves the lower one too.
  { name: 'cholesky of sym(A) + 4I', f: (a) => L.cholesky(L.add(L.mul(L.add(a, L.transpose(a)), 0.5), L.mul(L.eye(3, f64), 4))), shapes: [[3, 3]] },
  { name: 'triangularSolve lower', f: (a, b) => L.triangularSolve(lowerTri(a), b), shapes: [[3, 3], [3, 2]] },
  { name: 'triangularSolve raw A (gradient only on the triangle)', f: (a, b) => L.triangularSolve(L.add(a, L.mul(L.eye(3, f64), 3)), b), shapes: [[3, 3], [3, 2]] },
  { name: 'triangularSolve upper transpose', f: (a, b) => L.triangularSolve(L.transpose(lowerTri(a)), b, { lower: false, transpose: true }), shapes: [[3, 3], [3, 2]] },
  { name: 'triangularSolve lower transpose unit', f: (a, b) => L.triangularSolve(a, b, { transpose: true, unitDiagonal: true }), shapes: [[3, 3], [3, 2]] },
  { name: 'triangularSolve upper', f: (a, b) => L.triangularSolve(L.transpose(lowerTri(a)), b, { lower: false }), shapes: [[3, 3], [3, 1]] },
  { name: 'triangularSolve broadcast batch', f: (a, b) => L.triangularSolve(lowerTri(a), b), shapes: [[3, 3], [2, 3, 2]] },
  { name: 'choleskySolve', f: (x, b) => L.choleskySolve(L.cholesky(spd(x)), b), shapes: [[3, 3], [3, 2]] },
  { name: 'choleskyInverse', f: (x) => L.choleskyInverse(L.cholesky(spd(x))), shapes: [[3, 3]] },
  { name: 'logdetFromCholesky', f: (x) => L.logdetFromCholesky(L.cholesky(spd(x))), shapes: [[2, 3, 3]] },
];

for (const c of cases) {
  test(`gradcheck: ${c.name}`, () => {
    const xs = c.shapes.map((s, i) => inputs(s, 41 + 7 * i + c.name.length));
    assertGradcheck(c.f, xs, undefined, c.name);
  });
}

const secondOrder: Case[] = [
  { name: 'triangularSolve lower', f: (a, b) => L.triangularSolve(lowerTri(a), b), shapes: [[3, 3], [3, 2]] },
  { name: 'triangularSolve upper transpose', f: (a, b) => L.triangularSolve(L.transpose(lowerTri(a)), b, { lower: false, transpose: true }), shapes: [[3, 3], [3, 2]] },
  { name: 'triangularSolve unit diagonal', f: (a, b) => L.triangularSolve(a, b, { unitDiagonal: true }), shapes: [[3, 3], [3, 2]] },
  { name: 'cholesky', f: (x) => L.cholesky(spd(x)), shapes: [[3, 3]] },
  { name: 'diagonal diagEmbed', f: (x) => L.diagEmbed(L.exp(L.diagonal(x))), shapes: [[3, 3]] },
];

for (const c of secondOrder) {
  test(`second-order gradcheck: ${c.name}`, () => {
    const xs = c.shapes.map((s, i) => inputs(s, 211 + 5 * i + c.name.length));
    const firstOrder = (...args: Tensor[]) => {
      const out = c.f(...args);
      const v = inputs([...out.shape], 9);
      const gs = L.grad([L.sum(L.mul(out, v))], args, { createGraph: true, allowUnused: true });
      return gs.reduce((acc: Tensor | null, g, i) => {
        const term = L.sum(L.mul(g, inputs([...g.shape], 13 + i)));
        return acc ? L.add(acc, term) : term;
      }, null)!;
    };
    assertGradcheck(firstOrder, xs, undefined, `${c.name} (second order)`);
  });
}
