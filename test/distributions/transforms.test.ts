// Transforms: forward/inverse round trips to 1e-10 in float64, images inside
// the codomain, and logAbsDetJacobian against a brute-force log |det| of the
// Jacobian computed by autodiff (one L.grad per output coordinate) and an LU
// factorization; bijectTo for every constraint; constraint checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Tensor, Transform } from '../../src/index.js';
import { assertClose, assertGradcheck, inputs } from '../helpers.js';

const f64 = { dtype: 'float64' as const };

/** Rows d y[out] / d u[in] of y = t(embed(u)) by reverse mode, one sweep per output coordinate. */
function jacobian(t: Transform, u0: Tensor, inIdx: number[], outIdx: number[], embed: (u: Tensor) => Tensor): number[][] {
  const u = L.tensor(u0.data.slice(), { shape: [...u0.shape], requiresGrad: true });
  const y = t.forward(embed(u));
  return outIdx.map((o) => {
    const e = L.zeros(y.shape, f64);
    e.data[o] = 1;
    const [g] = L.grad([L.sum(L.mul(y, e))], [u], { allowUnused: true });
    return inIdx.map((i) => g.data[i]);
  });
}

/** log |det M| by LU with partial pivoting. */
function logAbsDet(m: number[][]): number {
  const a = m.map((r) => [...r]);
  const n = a.length;
  let total = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
    [a[k], a[p]] = [a[p], a[k]];
    const pivot = a[k][k];
    total += Math.log(Math.abs(pivot));
    for (let i = k + 1; i < n; i++) {
      const f = a[i][k] / pivot;
      for (let j = k; j < n; j++) a[i][j] -= f * a[k][j];
    }
  }
  return total;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const lowerIdx = (n: number) => range(n * n).filter((i) => i % n <= Math.floor(i / n));

interface Case {
  name: string;
  t: Transform;
  /** One event of the domain (unconstrained where the domain is real). */
  x: Tensor;
  /** Coordinates of x and y that the bijection maps between (default: all of x, and as many of y). */
  inIdx?: number[];
  outIdx?: number[];
  /**
   * The domain point as a function of free coordinates, when the domain is
   * a manifold: a point of the K-simplex from its first K - 1 entries.
   */
  embed?: (u: Tensor) => Tensor;
  /** The free coordinates `embed` takes (default x). */
  free?: Tensor;
}

/** (u_1, ..., u_{K-1}) -> (u, 1 - sum u). */
const simplexPoint = (u: Tensor) => L.concat([u, L.sub(1, L.sum(u, -1, true))], -1);

const loc3 = L.tensor([0.5, -1, 2], f64);
const scale3 = L.tensor([2, -0.5, 1.5], f64);

const CASES: Case[] = [
  { name: 'ExpTransform', t: new L.ExpTransform(), x: inputs([4], 1, -3, 3) },
  { name: 'SoftplusTransform', t: new L.SoftplusTransform(), x: inputs([4], 2, -5, 5) },
  { name: 'SigmoidTransform', t: new L.SigmoidTransform(), x: inputs([4], 3, -6, 6) },
  { name: 'AffineTransform scalar', t: new L.AffineTransform(1.5, -2), x: inputs([4], 4) },
  { name: 'AffineTransform tensor', t: new L.AffineTransform(loc3, scale3), x: inputs([3], 5) },
  { name: 'AffineTransform eventDim 1', t: new L.AffineTransform(loc3, scale3, 1), x: inputs([3], 6) },
  { name: 'StickBreakingTransform', t: new L.StickBreakingTransform(), x: inputs([3], 7, -2, 2), outIdx: range(3) },
  { name: 'StickBreakingTransform K=2', t: new L.StickBreakingTransform(), x: inputs([1], 8), outIdx: [0] },
  { name: 'LowerCholeskyTransform', t: new L.LowerCholeskyTransform(), x: L.tril(inputs([3, 3], 9)), inIdx: lowerIdx(3), outIdx: lowerIdx(3) },
  { name: 'PositiveDefiniteTransform', t: new L.PositiveDefiniteTransform(), x: L.tril(inputs([3, 3], 10)), inIdx: lowerIdx(3), outIdx: lowerIdx(3) },
  { name: 'ComposeTransform exp then affine', t: new L.ComposeTransform([new L.ExpTransform(), new L.AffineTransform(2, 3)]), x: inputs([3], 11) },
  {
    name: 'ComposeTransform affine then stick-breaking (event dims grow)',
    t: new L.ComposeTransform([new L.AffineTransform(loc3, scale3), new L.StickBreakingTransform()]),
    x: inputs([3], 12), outIdx: range(3),
  },
  { name: 'IndependentTransform of exp', t: new L.IndependentTransform(new L.ExpTransform(), 1), x: inputs([3], 13) },
  { name: 'InverseTransform of exp (log)', t: new L.ExpTransform().inv, x: inputs([3], 14, 0.2, 3) },
  {
    name: 'InverseTransform of stick-breaking', t: new L.StickBreakingTransform().inv, x: L.tensor([0.2, 0.5, 0.3], f64),
    embed: simplexPoint, free: L.tensor([0.2, 0.5], f64),
  },
  { name: 'identity (ComposeTransform of nothing)', t: new L.ComposeTransform([]), x: inputs([3], 15) },
];

for (const c of CASES) {
  test(`${c.name}: forward/inverse round trip and codomain`, () => {
    const y = c.t.forward(c.x);
    assert.ok(c.t.codomain.check(y).data.every((v) => v === 1), 'forward lands in the codomain');
    assert.deepEqual(y.shape, c.t.forwardShape(c.x.shape), 'forwardShape');
    assert.deepEqual(c.t.inverseShape(y.shape), [...c.x.shape], 'inverseShape');
    assertClose(c.t.inverse(y).data, c.x.data, 1e-10, 1e-10, 'inverse(forward(x))');
    assertClose(c.t.forward(c.t.inverse(y)).data, y.data, 1e-10, 1e-10, 'forward(inverse(y))');
  });

  test(`${c.name}: logAbsDetJacobian equals a brute-force log |det J| by autodiff`, () => {
    const y = c.t.forward(c.x);
    const ldj = c.t.logAbsDetJacobian(c.x, y);
    assert.deepEqual(ldj.shape, c.x.shape.slice(0, c.x.rank - c.t.domain.eventDim), 'shape: the domain event summed');
    const u = c.free ?? c.x;
    const inIdx = c.inIdx ?? range(u.size);
    const outIdx = c.outIdx ?? range(inIdx.length);
    const brute = logAbsDet(jacobian(c.t, u, inIdx, outIdx, c.embed ?? ((v) => v)));
    // Elementwise transforms give one log-determinant per entry; the Jacobian of the whole vector is diagonal.
    assertClose([L.sum(ldj).item()], [brute], 1e-10, 1e-10, 'log |det J|');
  });
}

test('batched transforms: logAbsDetJacobian of a batch equals the per-event values', () => {
  const t = new L.StickBreakingTransform();
  const x = inputs([2, 3], 20);
  const batched = t.logAbsDetJacobian(x, t.forward(x));
  assert.deepEqual(batched.shape, [2]);
  for (let r = 0; r < 2; r++) {
    const row = L.slice(x, 0, r, r + 1).reshape([3]);
    assertClose([batched.data[r]], [t.logAbsDetJacobian(row, t.forward(row)).item()], 1e-14, 0, `row ${r}`);
  }
  const pd = new L.PositiveDefiniteTransform();
  const xs = L.tril(inputs([2, 3, 3], 21));
  assert.deepEqual(pd.logAbsDetJacobian(xs, pd.forward(xs)).shape, [2]);
});

test('transforms are differentiable: gradients of forward, inverse and logAbsDetJacobian', () => {
  for (const c of CASES) {
    const embed = c.embed ?? ((v: Tensor) => v);
    const u = c.free ?? c.x;
    assertGradcheck((v: Tensor) => c.t.forward(embed(v)), [u], undefined, `${c.name} forward`);
    // Affine maps and the identity have a constant log-determinant: nothing to differentiate.
    const probe = L.tensor(u.data.slice(), { shape: [...u.shape], requiresGrad: true });
    if (!c.t.logAbsDetJacobian(embed(probe), c.t.forward(embed(probe))).requiresGrad) continue;
    assertGradcheck((v: Tensor) => c.t.logAbsDetJacobian(embed(v), c.t.forward(embed(v))), [u], undefined, `${c.name} logAbsDetJacobian`);
  }
  const sb = new L.StickBreakingTransform();
  assertGradcheck((x: Tensor) => sb.inverse(sb.forward(x)), [inputs([2, 3], 22)], undefined, 'stick-breaking round trip');
});

test('stick-breaking maps 0 to the simplex centre and is exact in the tails', () => {
  const t = new L.StickBreakingTransform();
  assertClose(t.forward(L.zeros([3], f64)).data, [0.25, 0.25, 0.25, 0.25], 1e-15);
  const y = t.forward(L.tensor([40, -40, 0], f64));
  assert.ok(L.constraints.simplex.check(y).item() === 1);
  assert.ok(y.data.every((v) => v > 0), 'computed in log space: no entry rounds to 0');
});

test('bijectTo: the transform for each constraint maps the reals onto it', () => {
  const C = L.constraints;
  const cases: [L.Constraint, Tensor, string][] = [
    [C.real, inputs([3], 30), 'ComposeTransform'],
    [C.positive, inputs([3], 31), 'ExpTransform'],
    [C.greaterThan(2), inputs([3], 32), 'ComposeTransform'],
    [C.lessThan(1), inputs([3], 33), 'ComposeTransform'],
    [C.interval(-1, 3), inputs([3], 34), 'ComposeTransform'],
    [C.unitInterval, inputs([3], 35), 'SigmoidTransform'],
    [C.simplex, inputs([3], 36), 'StickBreakingTransform'],
    [C.lowerCholesky, inputs([3, 3], 37), 'LowerCholeskyTransform'],
    [C.positiveDefinite, inputs([3, 3], 38), 'PositiveDefiniteTransform'],
    [C.realVector, inputs([3], 39), 'IndependentTransform'],
    [C.independent(C.positive, 1), inputs([2, 3], 40), 'IndependentTransform'],
  ];
  for (const [c, x, cls] of cases) {
    const t = L.bijectTo(c);
    assert.equal(t.constructor.name, cls, `bijectTo(${c.description})`);
    const y = t.forward(x);
    assert.ok(c.check(y).data.every((v) => v === 1), `bijectTo(${c.description}) lands in the constraint`);
    // Round trip where the domain map is injective (LowerCholesky and PD drop the upper triangle).
    const xin = x.rank === 2 ? L.tril(x) : x;
    assertClose(t.inverse(t.forward(xin)).data, xin.data, 1e-10, 1e-10, `bijectTo(${c.description}) round trip`);
  }
  assert.throws(() => L.bijectTo(C.boolean), /bijectTo: no bijection from unconstrained space onto 0 or 1 \(a discrete set has none\)/);
  assert.throws(() => L.bijectTo(C.integerInterval(0, 3)), /bijectTo: no bijection .* integer in \[0, 3\]/);
});

test('constraints: check gives 1 where an event satisfies the set, and descriptions read as "must be ..."', () => {
  const C = L.constraints;
  const t = (v: number[] | number[][]) => L.tensor(v, f64);
  assert.deepEqual(C.real.check(t([0, Infinity, NaN])).toArray(), [1, 1, 0]);
  assert.deepEqual(C.positive.check(t([1, 0, -1])).toArray(), [1, 0, 0]);
  assert.deepEqual(C.nonnegative.check(t([1, 0, -1])).toArray(), [1, 1, 0]);
  assert.deepEqual(C.unitInterval.check(t([0, 1, 1.5, -0.1])).toArray(), [1, 1, 0, 0]);
  assert.deepEqual(C.interval(L.tensor([0, 1]), L.tensor([1, 2])).check(t([0.5, 0.5])).toArray(), [1, 0]);
  assert.deepEqual(C.greaterThan(2).check(t([2, 3])).toArray(), [0, 1]);
  assert.deepEqual(C.integerInterval(0, 2).check(t([0, 2, 3, 0.5])).toArray(), [1, 1, 0, 0]);
  assert.deepEqual(C.boolean.check(t([0, 1, 0.5])).toArray(), [1, 1, 0]);
  assert.deepEqual(C.simplex.check(t([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])).toArray(), [1, 0, 0]);
  assert.deepEqual(C.oneHot.check(t([[0, 1], [1, 1], [0, 0]])).toArray(), [1, 0, 0]);
  assert.deepEqual(C.lowerCholesky.check(t([[1, 0], [2, 3]])).item(), 1);
  assert.deepEqual(C.lowerCholesky.check(t([[1, 1], [2, 3]])).item(), 0);
  assert.deepEqual(C.lowerCholesky.check(t([[1, 0], [2, -3]])).item(), 0);
  assert.deepEqual(C.positiveDefinite.check(L.stack([t([[2, 1], [1, 2]]), t([[1, 2], [2, 1]]), t([[2, 1], [0, 2]])])).toArray(), [1, 0, 0]);
  assert.deepEqual(C.independent(C.positive, 1).check(t([[1, 2], [1, -2]])).toArray(), [1, 0]);
  assert.equal(C.positive.description, 'positive');
  assert.equal(C.interval(0, 2).description, 'in [0, 2]');
  assert.equal(C.positive.firstViolation(t([1, 2, -1])), 'got -1 at index 2');
  assert.equal(C.positive.firstViolation(t(-1 as never)), 'got -1');
  assert.equal(C.positive.firstViolation(t([1, 2])), null);
  assert.match(C.simplex.firstViolation(t([[0.2, 0.8], [0.5, 0.6]]))!, /got \[0.5, 0.6\] \(sum 1.1\) at batch index 1/);
});
