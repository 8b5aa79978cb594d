// The KL registry: every registered pair against torch's kl_divergence
// (fixture, float64, 1e-10) and against a Monte Carlo estimate with a fixed
// seed; most-specific dispatch, ambiguity and the missing-pair error; the
// VAE's closed form; gradients of the closed forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Distribution, Tensor } from '../../src/index.js';
import { assertClose, assertGradcheck, inputs } from '../helpers.js';
import { FIXTURE, build, decode, leaves } from './spec.js';

const f64 = { dtype: 'float64' as const };

for (const c of FIXTURE.kl) {
  test(`KL ${c.name}: matches torch's kl_divergence to 1e-10`, () => {
    const kl = L.klDivergence(build(c.p), build(c.q));
    const expected = decode(c.kl);
    assert.deepEqual(kl.shape, expected.shape);
    assertClose(kl.data, expected.data, 1e-10, 1e-10, c.name);
  });
}

/** Samples per Monte Carlo estimate. */
const N = 40000;
/**
 * Allowed deviation in standard errors of the Monte Carlo mean of
 * log p(x) - log q(x), x ~ p: with a fixed seed the check is deterministic,
 * and a correct closed form lands within 5 SE except with probability ~6e-7
 * per entry, while a wrong term (a missing 1/2, a swapped argument) is off
 * by far more at this sample size. An infinite KL must be estimated as
 * infinite (some draw of p has q-density 0).
 */
const K_SE = 5;

function monteCarloKL(p: Distribution, q: Distribution, seed: number): { mean: Float64Array; se: Float64Array } {
  const x = p.sample(new L.Generator(seed), [N]);
  const diff = L.sub(p.logProb(x), q.logProb(x));
  const m = diff.size / N;
  const mean = new Float64Array(m);
  const se = new Float64Array(m);
  for (let s = 0; s < N; s++) for (let j = 0; j < m; j++) mean[j] += diff.data[s * m + j] / N;
  for (let s = 0; s < N; s++) for (let j = 0; j < m; j++) se[j] += (diff.data[s * m + j] - mean[j]) ** 2 / (N - 1);
  for (let j = 0; j < m; j++) se[j] = Math.sqrt(se[j] / N);
  return { mean, se };
}

const libraryClasses = new Set(Object.values(L).filter((v) => typeof v === 'function'));

test('every registered KL pair agrees with a Monte Carlo estimate (fixed seed)', () => {
  const pairs = L.registeredKLPairs().filter(([P, Q]) => libraryClasses.has(P) && libraryClasses.has(Q));
  assert.ok(pairs.length >= 14, `expected the library's closed forms, got ${pairs.length}`);
  for (const [P, Q] of pairs) {
    const cases = FIXTURE.kl.filter((c) => build(c.p).constructor === P && build(c.q).constructor === Q);
    assert.ok(cases.length > 0, `no Monte Carlo case for the registered pair (${P.name}, ${Q.name})`);
    cases.forEach((c, i) => {
      const p = build(c.p);
      // Without validation q's logProb is -Infinity (not an error) at p's draws outside q's support.
      const q = build(c.q, undefined, { validateArgs: false });
      const kl = L.klDivergence(p, q);
      const { mean, se } = monteCarloKL(p, q, 100 + i);
      const exact = L.broadcastTo(kl, [...kl.shape]).data;
      for (let j = 0; j < mean.length; j++) {
        if (exact[j] === Infinity) {
          assert.equal(mean[j], Infinity, `${c.name}: entry ${j}: closed form is infinite, estimate ${mean[j]}`);
          continue;
        }
        // se is 0 where log p - log q is constant on p's support (Uniform inside Uniform): then the estimate is exact.
        const tol = K_SE * se[j] + 1e-12;
        assert.ok(Math.abs(mean[j] - exact[j]) <= tol, `${c.name}: entry ${j}: closed form ${exact[j]}, Monte Carlo ${mean[j]} +- ${se[j]}`);
      }
    });
  }
});

test('KL closed forms are differentiable: gradients by finite differences', () => {
  for (const c of FIXTURE.kl) {
    const np = leaves(c.p).length;
    const xs = [...leaves(c.p), ...leaves(c.q)];
    const f = (...ts: Tensor[]) => L.klDivergence(build(c.p, ts.slice(0, np), { validateArgs: false }), build(c.q, ts.slice(np), { validateArgs: false }));
    const finite = L.klDivergence(build(c.p), build(c.q)).data.every((v) => Number.isFinite(v));
    if (finite) assertGradcheck(f, xs, undefined, `KL ${c.name}`);
  }
});

test('klStandardNormal is KL(N(mu, exp(logvar)) || N(0, I)) summed over the last axis', () => {
  const mu = inputs([4, 3], 1);
  const logvar = inputs([4, 3], 2);
  const kl = L.klStandardNormal(mu, logvar);
  assert.deepEqual(kl.shape, [4]);
  const q = new L.Independent(new L.Normal(mu, L.exp(L.mul(logvar, 0.5))), 1);
  const prior = new L.Independent(new L.Normal(L.zeros([4, 3], f64), L.ones([4, 3], f64)), 1);
  assertClose(kl.data, L.klDivergence(q, prior).data, 1e-13, 1e-13, 'klStandardNormal');
  assertClose(L.klStandardNormal(L.zeros([2, 5], f64), L.zeros([2, 5], f64)).data, [0, 0], 0);
  assertGradcheck((m, lv) => L.klStandardNormal(m, lv), [mu, logvar], undefined, 'klStandardNormal');
  assert.throws(() => L.klStandardNormal(L.zeros([2, 3]), L.zeros([2, 4])), /klStandardNormal: mu \[2, 3\] and logvar \[2, 4\] must have the same last/);
});

test('KL of a distribution with itself is 0', () => {
  for (const c of FIXTURE.kl) {
    const p = build(c.p);
    const kl = L.klDivergence(p, build(c.p));
    assertClose(kl.data, new Float64Array(kl.size), 1e-12, 0, c.name);
  }
});

test('no registered pair: the error names both classes and suggests Monte Carlo', () => {
  assert.throws(
    () => L.klDivergence(new L.Gamma(2, 1), new L.Normal(0, 1)),
    /^Error: klDivergence: no closed form registered for KL\(Gamma \|\| Normal\); use a Monte Carlo estimate$/,
  );
  assert.throws(() => L.klDivergence(new L.Normal(0, 1), {} as Distribution), /klDivergence: q must be a Distribution/);
});

test('pairs with different event shapes, categories or reinterpreted dimensions are refused', () => {
  const a = new L.MultivariateNormal(L.zeros([2]), { covarianceMatrix: L.eye(2) });
  const b = new L.MultivariateNormal(L.zeros([3]), { covarianceMatrix: L.eye(3) });
  assert.throws(() => L.klDivergence(a, b), /klDivergence: KL\(MultivariateNormal \|\| MultivariateNormal\) needs equal event shapes, got \[2\] and \[3\]/);
  assert.throws(
    () => L.klDivergence(new L.Categorical({ probs: L.ones([3]) }), new L.Categorical({ probs: L.ones([4]) })),
    /needs the same number of categories, got 3 and 4/,
  );
  const n = new L.Normal(L.zeros([2, 3]), 1);
  assert.throws(() => L.klDivergence(new L.Independent(n, 1), new L.Independent(n, 2)), /needs equal event shapes/);
});

test('dispatch picks the most specific registered pair, follows subclasses, and refuses ambiguity', () => {
  class MyNormal extends L.Normal {}
  class OtherNormal extends L.Normal {}
  const p = new MyNormal(0, 1);
  const q = new OtherNormal(1, 1);
  // Subclasses use the (Normal, Normal) closed form.
  assertClose([L.klDivergence(p, q).item()], [0.5], 1e-7);
  // A more specific pair wins over (Normal, Normal).
  L.registerKL(MyNormal, L.Normal, () => L.scalar(-1));
  assert.equal(L.klDivergence(p, q).item(), -1);
  assert.equal(L.klDivergence(q, p).item() > 0, true, '(OtherNormal, MyNormal) still uses (Normal, Normal)');
  // (MyNormal, Normal) and (Normal, OtherNormal) both match KL(MyNormal || OtherNormal) and neither is more specific.
  L.registerKL(L.Normal, OtherNormal, () => L.scalar(-2));
  assert.throws(
    () => L.klDivergence(p, q),
    /klDivergence: ambiguous KL\(MyNormal \|\| OtherNormal\): the registered pairs .*\(MyNormal, Normal\).*\(Normal, OtherNormal\).* register \(MyNormal, OtherNormal\) to resolve/,
  );
  L.registerKL(MyNormal, OtherNormal, () => L.scalar(-3));
  assert.equal(L.klDivergence(p, q).item(), -3);
  // Registering again replaces the function.
  L.registerKL(MyNormal, OtherNormal, () => L.scalar(-4));
  assert.equal(L.klDivergence(p, q).item(), -4);
  assert.throws(() => L.registerKL(Object as never, L.Normal, () => L.scalar(0)), /registerKL: P must be a Distribution class/);
});

test('Bernoulli and Categorical KL: infinite where q excludes an outcome p allows, 0 log 0 = 0', () => {
  const kl = L.klDivergence(new L.Bernoulli({ probs: L.tensor([0.5, 0, 1], f64) }), new L.Bernoulli({ probs: L.tensor([0, 0.5, 0.5], f64) }));
  assertClose(kl.data, [Infinity, Math.log(2), Math.log(2)], 1e-15);
  const kc = L.klDivergence(new L.Categorical({ probs: L.tensor([0.5, 0.5, 0], f64) }), new L.Categorical({ probs: L.tensor([[0.5, 0, 0.5], [0.25, 0.25, 0.5]], f64) }));
  assertClose(kc.data, [Infinity, Math.log(2)], 1e-15);
});
