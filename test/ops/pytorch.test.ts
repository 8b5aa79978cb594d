// Composite expressions against PyTorch (fixture from scripts/fixtures/engine_expr.py),
// micrograd-style: the same expression in both, values and gradients compared.
// Tolerance 1e-12 relative in float64: both compute the same formulas; only
// summation order and libm rounding differ (a few ulps per op).
import { test } from 'node:test';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixture } from '../helpers.js';

interface Case {
  name: string;
  inputs: { shape: number[]; data: number[] }[];
  weights: number[];
  output: { shape: number[]; data: number[] };
  grads: number[][];
}

const exprs: Record<string, (...xs: Tensor[]) => Tensor> = {
  mlp_logsumexp: (x, w, b) => L.logsumexp(L.tanh(L.add(L.matmul(x, w, { transB: true }), b)), 1),
  softplus_sigmoid: (x) => L.sub(L.mul(L.softplus(x), L.sigmoid(L.mul(x, 2))), L.log1p(L.mul(x, x))),
  bernoulli_logits_nll: (logits, x) => L.sum(L.sub(L.softplus(logits), L.mul(L.sigmoid(x), logits)), 1),
  gaussian_kl: (mu, logvar) => L.mul(L.sum(L.sub(L.sub(L.add(logvar, 1), L.pow(mu, 2)), L.exp(logvar)), -1), -0.5),
  softmax_max_mean: (x) => L.add(L.mul(L.softmax(x, 0), L.max(x, 1, true)), L.mean(x, 0)),
  batched_matmul_permute: (a, b) => L.div(L.sqrt(L.pow(L.matmul(L.permute(a, [0, 2, 1]), b), 2)), L.add(L.sum(L.abs(b)), 1)),
  elu_leaky_clamp: (x) => L.add(L.elu(x, 1), L.mul(L.leakyRelu(x, 0.1), L.clamp(x, -0.5, 0.8))),
};

const { cases } = fixture<{ cases: Case[] }>('engine_expr.json');

for (const c of cases) {
  test(`matches PyTorch: ${c.name}`, () => {
    const xs = c.inputs.map((i) => L.tensor(i.data, { shape: i.shape, dtype: 'float64', requiresGrad: true }));
    const out = exprs[c.name](...xs);
    assertClose(out.data, c.output.data, 1e-12, 1e-12, `${c.name} value`);
    const w = L.tensor(c.weights, { shape: c.output.shape, dtype: 'float64' });
    L.sum(L.mul(out, w)).backward();
    xs.forEach((x, i) => assertClose(x.grad!.data, c.grads[i], 1e-12, 1e-12, `${c.name} grad ${i}`));
  });
}
