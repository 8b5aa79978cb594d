// latent's CNF log-density and its gradients against a PyTorch twin
// (bench/cnf_twin.py --fixture: the same dynamics, exact trace by
// torch.autograd.grad, RK4 with 1,000 steps, backpropagation through them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CNF, defaultCnfConfig, Generator, tensor, grad, mean, type CnfActivation, type Tensor } from '../../src/index.js';
import { fixture } from '../helpers.js';

interface Case {
  activation: CnfActivation;
  hidden: number[];
  t1: number;
  state: Record<string, { shape: number[]; data: number[] }>;
  x: number[][];
  logp: number[];
  grad_mean_logp: Record<string, number[]>;
}
const { cases } = fixture<{ cases: Case[] }>('cnf_torch.json');

function model(c: Case, adjoint: boolean): CNF {
  const cnf = new CNF({ ...defaultCnfConfig, hidden: c.hidden, activation: c.activation, t1: c.t1, rtol: 1e-10, atol: 1e-10, adjoint }, new Generator(0), { dtype: 'float64' });
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.state)) sd[k] = tensor(v.data, { shape: v.shape, dtype: 'float64' });
  cnf.loadStateDict(sd);
  return cnf;
}

for (const c of cases) {
  test(`log p(x) and its gradient match PyTorch (${c.activation}, hidden ${c.hidden.join('-')}, T = ${c.t1}), direct and adjoint`, () => {
    for (const adjoint of [false, true]) {
      const cnf = model(c, adjoint);
      const lp = cnf.logProb(tensor(c.x, { dtype: 'float64' }));
      // dopri5 at 1e-10 here, RK4 at h = 5e-4 there: they agree to ~1e-10 (measured 4e-11 to 7e-11); 1e-8 leaves room for rounding order.
      lp.data.forEach((v, i) => assert.ok(Math.abs(v - c.logp[i]) < 1e-8, `${adjoint ? 'adjoint' : 'direct'}: log p[${i}] ${v} vs ${c.logp[i]}`));
      const names = cnf.namedParameters().map(([n]) => n);
      const gs = grad([mean(lp)], cnf.parameters());
      gs.forEach((g, i) => {
        const ref = c.grad_mean_logp[names[i]];
        g.data.forEach((v, q) => assert.ok(Math.abs(v - ref[q]) < 1e-8, `${adjoint ? 'adjoint' : 'direct'}: d mean log p / d ${names[i]}[${q}]: ${v} vs ${ref[q]}`));
      });
    }
  });
}
