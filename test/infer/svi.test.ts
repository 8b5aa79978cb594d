// SVI over a model/guide pair with minibatches, the amortized case the VAE
// uses: a linear encoder on the conjugate Gaussian model z_i ~ N(0, 1),
// x_i | z_i ~ N(z_i, s^2) learns the exact posterior map
// q(z | x) = N(x / (1 + s^2), s^2 / (1 + s^2)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';
import type { Distribution, Tensor } from '../../src/index.js';

const f64 = { dtype: 'float64' as const };
const S = 0.5;

/** z [k, B] -> x's distribution, batch [k, B], event [1] (one observation per data point). */
const model: L.LatentModel = {
  prior: () => new L.Normal(L.scalar(0, 'float64'), L.scalar(1, 'float64')),
  likelihood: (z) => new L.Independent(new L.Normal(L.unsqueeze(z, -1), L.full([...z.shape, 1], S, f64), { validateArgs: false }), 1),
};

function data(n: number): Tensor {
  const rng = new L.Generator(21);
  const z = L.randn([n], rng, f64);
  return L.add(z, L.mul(L.randn([n], rng, f64), S)).reshape([n, 1]);
}

/** q(z | x) = N(w1 x + b1, exp(w2 x + b2)^2): a Linear(1, 2) encoder. */
function encoder() {
  const enc = new L.Linear(1, 2, { rng: new L.Generator(4), dtype: 'float64' });
  const guide = (x: Tensor): Distribution => {
    const h = enc.forward(x); // [B, 2]
    const B = x.shape[0];
    return new L.Normal(L.reshape(L.slice(h, 1, 0, 1), [B]), L.exp(L.reshape(L.slice(h, 1, 1, 2), [B])), { validateArgs: false });
  };
  return { enc, guide };
}

test('amortized SVI (minibatches of 50, analytic KL): a linear encoder reaches the exact posterior mean and variance map', () => {
  const X = data(200);
  const { enc, guide } = encoder();
  const lr = 0.1;
  const steps = 1000;
  const opt = new L.Adam(enc.parameters(), { lr });
  const svi = new L.SVI({ model, guide, optimizer: opt, k: 4, analyticKL: true });
  const rng = new L.Generator(7);
  const trace: number[] = [];
  for (let t = 0; t < steps; t++) {
    opt.paramGroups[0].lr = lr * 0.001 ** (t / steps); // geometric decay to lr / 1000 lets the iterates settle
    const start = (t * 50) % 200;
    trace.push(svi.step(L.slice(X, 0, start, start + 50), rng));
  }
  const [w1, w2] = enc.weight.data;
  const [b1, b2] = enc.bias!.data;
  // Exact: mean 0.8 x, log sd log sqrt(0.2) = -0.8047 for every x. The amortized optimum equals it on any
  // data set (each data point's ELBO is maximized by its exact posterior, which this encoder can express);
  // measured errors < 1e-3, allowed 0.01 (optimization noise of a seeded run).
  const tol = 0.01;
  assert.ok(Math.abs(w1 - 1 / (1 + S * S)) < tol, `mean slope ${w1}`);
  assert.ok(Math.abs(b1) < tol, `mean intercept ${b1}`);
  assert.ok(Math.abs(w2) < tol, `log-sd slope ${w2}`);
  assert.ok(Math.abs(b2 - 0.5 * Math.log((S * S) / (1 + S * S))) < tol, `log-sd intercept ${b2}`);
  // The ELBO per data point rose and ends near the exact evidence per point, mean log N(x; 0, 1 + s^2).
  const exactEvidence = Array.from(X.data).reduce((s, x) => s - 0.5 * Math.log(2 * Math.PI * 1.25) - (x * x) / 2.5, 0) / 200;
  const fullElbo = svi.evaluate(X, new L.Generator(8));
  assert.ok(Math.abs(fullElbo - exactEvidence) < 0.02, `ELBO ${fullElbo} vs log p(x) per point ${exactEvidence}`);
  assert.ok(trace[0] < fullElbo - 0.5, `the trace starts lower: ${trace[0]}`);
});

test('SVI with the IWAE objective and with a custom objective (a beta-weighted ELBO from elboTerms)', () => {
  const X = data(40);
  const { enc, guide } = encoder();
  const iw = new L.SVI({ model, guide, optimizer: new L.Adam(enc.parameters(), { lr: 0.05 }), objective: 'iwae', k: 5 });
  const v = iw.step(X, new L.Generator(1));
  assert.ok(Number.isFinite(v), `IWAE objective ${v}`);
  const beta: L.VariationalObjective = (a) => {
    const t = L.elboTerms({ ...a, analyticKL: true });
    return L.sub(t.expectedLogLikelihood, L.mul(t.kl, 2));
  };
  const custom = new L.SVI({ model, guide, optimizer: new L.Adam(enc.parameters(), { lr: 0.05 }), objective: beta });
  const before = custom.evaluate(X, new L.Generator(2));
  for (let t = 0; t < 50; t++) custom.step(X, new L.Generator(3 + t));
  assert.ok(custom.evaluate(X, new L.Generator(2)) > before, 'the objective rose');
});

test('SVI refuses bad input with errors naming the argument', () => {
  const { enc, guide } = encoder();
  const optimizer = new L.Adam(enc.parameters());
  assert.throws(() => new L.SVI({ model, guide, optimizer, k: 0 }), /SVI: k must be an integer >= 1, got 0/);
  assert.throws(() => new L.SVI({ model: {} as never, guide, optimizer }), /SVI: model must be an object with prior\(\) and likelihood\(z\)/);
  assert.throws(() => new L.SVI({ model, guide, optimizer: {} as never }), /SVI: optimizer must be an Optimizer/);
  assert.throws(() => new L.SVI({ model, guide, optimizer, objective: 'iwae', analyticKL: true }), /analyticKL applies to the 'elbo' objective/);
  assert.throws(() => new L.SVI({ model, guide, optimizer, objective: 'renyi' as never }), /objective must be 'elbo', 'iwae' or a function/);
  const svi = new L.SVI({ model, guide, optimizer });
  assert.throws(() => svi.step(L.scalar(1), new L.Generator(0)), /SVI.step: x must be a minibatch Tensor/);
  assert.throws(() => svi.step(data(4), 0 as never), /SVI.step: rng must be a Generator/);
  const bad = new L.SVI({ model, guide: () => 'q' as never, optimizer });
  assert.throws(() => bad.step(data(4), new L.Generator(0)), /guide\(x\) must return a Distribution/);
  const sums = new L.SVI({ model, guide, optimizer, objective: (a) => L.sum(L.elbo(a)) });
  assert.throws(() => sums.step(data(4), new L.Generator(0)), /the objective returned shape \[\], expected the guide's batch shape \[4\]/);
});
