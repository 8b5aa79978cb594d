// Every op with a gradient rule, checked against central finite differences
// in float64. Tolerances: gradcheck's default atol 1e-5 + rtol 1e-4 against a
// step of 1e-6, whose truncation error is O(eps^2 f''') ~ 1e-12 and whose
// rounding error is O(1e-16 / eps) ~ 1e-10: the bound leaves room for
// functions with large third derivatives (exp, pow) without hiding a wrong rule,
// which would be off by O(1).
import { test } from 'node:test';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertGradcheck, inputs } from '../helpers.js';

interface Case {
  name: string;
  f: (...xs: Tensor[]) => Tensor;
  shapes: number[][];
  /** Input range and minimum distance from 0 (to stay off kinks). */
  lo?: number;
  hi?: number;
  gap?: number;
  eps?: number;
  atol?: number;
}

const cases: Case[] = [
  // Binary elementwise, same shape and broadcasting.
  { name: 'add', f: L.add, shapes: [[2, 3], [2, 3]] },
  { name: 'add broadcast row', f: L.add, shapes: [[2, 3], [3]] },
  { name: 'add broadcast both', f: L.add, shapes: [[2, 1, 3], [4, 1]] },
  { name: 'add scalar tensor', f: L.add, shapes: [[2, 3], []] },
  { name: 'sub', f: L.sub, shapes: [[2, 3], [2, 1]] },
  { name: 'mul', f: L.mul, shapes: [[3, 4], [3, 4]] },
  { name: 'mul broadcast', f: L.mul, shapes: [[2, 1, 3], [1, 4, 3]] },
  { name: 'div', f: L.div, shapes: [[2, 3], [2, 3]], gap: 0.3 },
  { name: 'div broadcast', f: L.div, shapes: [[2, 3], [3]], gap: 0.3 },
  { name: 'pow', f: L.pow, shapes: [[2, 3], [2, 3]], lo: 0.2, hi: 2 },
  { name: 'pow broadcast exponent', f: L.pow, shapes: [[2, 3], [1]], lo: 0.2, hi: 2 },
  { name: 'pow number exponent', f: (x) => L.pow(x, 3), shapes: [[5]] },
  { name: 'maximum', f: L.maximum, shapes: [[2, 3], [3]] },
  { name: 'minimum', f: L.minimum, shapes: [[2, 3], [2, 3]] },
  { name: 'where', f: (a, b) => L.where(L.gt(a, 0), a, b), shapes: [[2, 3], [3]], gap: 0.1 },
  // Unary.
  { name: 'neg', f: L.neg, shapes: [[4]] },
  { name: 'exp', f: L.exp, shapes: [[2, 3]] },
  { name: 'log', f: L.log, shapes: [[2, 3]], lo: 0.1, hi: 3 },
  { name: 'log1p', f: L.log1p, shapes: [[2, 3]], lo: -0.8, hi: 3 },
  { name: 'expm1', f: L.expm1, shapes: [[2, 3]] },
  { name: 'sqrt', f: L.sqrt, shapes: [[2, 3]], lo: 0.1, hi: 3 },
  { name: 'abs', f: L.abs, shapes: [[2, 3]], gap: 0.1 },
  { name: 'square', f: L.square, shapes: [[2, 3]] },
  { name: 'reciprocal', f: L.reciprocal, shapes: [[2, 3]], gap: 0.3 },
  { name: 'tanh', f: L.tanh, shapes: [[2, 3]], lo: -3, hi: 3 },
  { name: 'sigmoid', f: L.sigmoid, shapes: [[2, 3]], lo: -5, hi: 5 },
  { name: 'softplus', f: L.softplus, shapes: [[2, 3]], lo: -5, hi: 5 },
  { name: 'softplus at 0', f: L.softplus, shapes: [[1]], lo: 0, hi: 0 },
  { name: 'logSigmoid', f: L.logSigmoid, shapes: [[2, 3]], lo: -5, hi: 5 },
  { name: 'relu', f: L.relu, shapes: [[2, 3]], gap: 0.1 },
  { name: 'leakyRelu', f: (x) => L.leakyRelu(x, 0.2), shapes: [[2, 3]], gap: 0.1 },
  { name: 'elu', f: (x) => L.elu(x, 1.3), shapes: [[2, 3]], gap: 0.1 },
  { name: 'clamp', f: (x) => L.clamp(x, -0.5, 0.7), shapes: [[3, 4]], lo: -1.5, hi: 1.5 },
  // cast to float32 and back: the step must exceed float32 rounding (2^-24 relative), hence eps 1e-2 on an affine function.
  { name: 'cast', f: (x) => L.cast(L.mul(L.cast(x, 'float32'), 3), 'float64'), shapes: [[3]], eps: 1e-2, atol: 1e-5 },
  // Matrix products: every transpose variant, batched, broadcast batches, vectors.
  { name: 'matmul', f: (a, b) => L.matmul(a, b), shapes: [[3, 4], [4, 2]] },
  { name: 'matmul transA', f: (a, b) => L.matmul(a, b, { transA: true }), shapes: [[4, 3], [4, 2]] },
  { name: 'matmul transB', f: (a, b) => L.matmul(a, b, { transB: true }), shapes: [[3, 4], [2, 4]] },
  { name: 'matmul transA transB', f: (a, b) => L.matmul(a, b, { transA: true, transB: true }), shapes: [[4, 3], [2, 4]] },
  { name: 'matmul batched', f: (a, b) => L.matmul(a, b), shapes: [[2, 3, 4], [2, 4, 2]] },
  { name: 'matmul broadcast batch', f: (a, b) => L.matmul(a, b, { transB: true }), shapes: [[2, 1, 3, 4], [3, 2, 4]] },
  { name: 'matmul shared weight (Linear on 3-D input)', f: (x, w) => L.matmul(x, w, { transB: true }), shapes: [[2, 3, 4], [5, 4]] },
  { name: 'matmul shared left (conv weight)', f: (w, x) => L.matmul(w, x), shapes: [[5, 4], [2, 4, 3]] },
  { name: 'matmul shared transA', f: (w, x) => L.matmul(w, x, { transA: true }), shapes: [[4, 5], [2, 1, 4, 3]] },
  { name: 'matmulBatchSum', f: (a, b) => L.matmulBatchSum(a, b, { transB: true }), shapes: [[3, 2, 4], [3, 5, 4]] },
  { name: 'matmulBatchSum broadcast transA', f: (a, b) => L.matmulBatchSum(a, b, { transA: true }), shapes: [[2, 4, 2], [1, 4, 3]] },
  { name: 'matmulBatchSum 2-D operand', f: (a, b) => L.matmulBatchSum(a, b), shapes: [[2, 3, 4], [4, 2]] },
  { name: 'matmul vector-matrix', f: (a, b) => L.matmul(a, b), shapes: [[4], [4, 2]] },
  { name: 'matmul matrix-vector', f: (a, b) => L.matmul(a, b), shapes: [[3, 4], [4]] },
  // Shape ops.
  { name: 'reshape', f: (x) => L.reshape(x, [3, -1]).mul(L.arange(0, 4, 1, { dtype: 'float64' })), shapes: [[2, 6]] },
  { name: 'permute', f: (x) => L.permute(x, [2, 0, 1]), shapes: [[2, 3, 4]] },
  { name: 'transpose', f: (x) => L.transpose(x), shapes: [[2, 3, 4]] },
  { name: 'broadcastTo', f: (x) => L.broadcastTo(x, [2, 3, 4]), shapes: [[3, 1]] },
  { name: 'slice', f: (x) => L.slice(x, 1, 1, 4), shapes: [[2, 5]] },
  { name: 'slice step negative start', f: (x) => L.slice(x, 0, -5, undefined, 2), shapes: [[6, 2]] },
  { name: 'concat', f: (a, b) => L.concat([a, b, a], 1), shapes: [[2, 3], [2, 1]] },
  { name: 'stack', f: (a, b) => L.stack([a, b], 1), shapes: [[2, 3], [2, 3]] },
  { name: 'split', f: (x) => L.mul(L.split(x, [1, 3], 1)[1], 2), shapes: [[2, 4]] },
  { name: 'squeeze unsqueeze', f: (x) => L.unsqueeze(L.squeeze(x), 0), shapes: [[2, 1, 3]] },
  // Reductions along axes, with and without keepDims.
  { name: 'sum all', f: (x) => L.sum(x), shapes: [[2, 3]] },
  { name: 'sum axis', f: (x) => L.sum(x, 1), shapes: [[2, 3, 4]] },
  { name: 'sum axes keepDims', f: (x) => L.sum(x, [0, 2], true), shapes: [[2, 3, 4]] },
  { name: 'mean', f: (x) => L.mean(x, -1), shapes: [[2, 3, 4]] },
  { name: 'variance', f: (x) => L.variance(x, 0), shapes: [[5, 2]] },
  { name: 'max axis', f: (x) => L.max(x, 1), shapes: [[3, 4]] },
  { name: 'max all keepDims', f: (x) => L.max(x, undefined, true), shapes: [[3, 4]] },
  { name: 'min axes', f: (x) => L.min(x, [0, 2]), shapes: [[2, 3, 2]] },
  { name: 'logsumexp', f: (x) => L.logsumexp(x, 1), shapes: [[3, 4]] },
  { name: 'logsumexp axes keepDims', f: (x) => L.logsumexp(x, [0, 2], true), shapes: [[2, 3, 2]] },
  { name: 'cumsum', f: (x) => L.cumsum(x, 1), shapes: [[2, 4, 3]] },
  { name: 'cumsum reverse', f: (x) => L.cumsum(x, -1, true), shapes: [[3, 4]] },
  { name: 'constant function', f: (x) => L.add(L.mul(x, 0).detach(), 1), shapes: [[2]] },
  { name: 'softmax', f: (x) => L.softmax(x, -1), shapes: [[3, 4]] },
  { name: 'softmax axis 0', f: (x) => L.softmax(x, 0), shapes: [[3, 4]] },
  { name: 'logSoftmax', f: (x) => L.logSoftmax(x), shapes: [[3, 4]] },
  // Fused ops (ops/fused.ts): every activation, with and without bias, 3-D input.
  { name: 'linear', f: (x, w, b) => L.linear(x, w, b), shapes: [[3, 4], [5, 4], [5]] },
  { name: 'linear no bias', f: (x, w) => L.linear(x, w, null), shapes: [[3, 4], [5, 4]] },
  { name: 'linear relu', f: (x, w, b) => L.linear(x, w, b, 'relu'), shapes: [[3, 4], [5, 4], [5]], gap: 0.05 },
  { name: 'linear tanh 3-D input', f: (x, w, b) => L.linear(x, w, b, 'tanh'), shapes: [[2, 3, 4], [5, 4], [5]] },
  { name: 'linear sigmoid vector input', f: (x, w, b) => L.linear(x, w, b, 'sigmoid'), shapes: [[4], [5, 4], [5]] },
  { name: 'activationGrad tanh', f: (g, y) => L.activationGrad('tanh', g, y), shapes: [[2, 3], [2, 3]], lo: -0.9, hi: 0.9 },
  { name: 'activationGrad sigmoid', f: (g, y) => L.activationGrad('sigmoid', g, y), shapes: [[2, 3], [2, 3]], lo: 0.05, hi: 0.95 },
  { name: 'activationGrad relu', f: (g, y) => L.activationGrad('relu', g, y), shapes: [[2, 3], [2, 3]], gap: 0.1 },
  { name: 'bernoulliLogProbFromLogits', f: (x, l) => L.bernoulliLogProbFromLogits(x, l), shapes: [[3, 5], [3, 5]], lo: -4, hi: 4 },
  { name: 'bernoulliLogProbFromLogits repeated x', f: (x, l) => L.bernoulliLogProbFromLogits(x, l), shapes: [[1, 5], [3, 5]], lo: -4, hi: 4 },
  { name: 'bernoulliLogProbFromLogits broadcast logits', f: (x, l) => L.bernoulliLogProbFromLogits(x, l), shapes: [[2, 3, 4], [3, 1]] },
  { name: 'gaussianKLStandard', f: (m, v) => L.gaussianKLStandard(m, v), shapes: [[3, 4], [3, 4]] },
  { name: 'gaussianKLStandard broadcast', f: (m, v) => L.gaussianKLStandard(m, v), shapes: [[2, 3, 4], [4]] },
];

for (const c of cases) {
  test(`gradcheck: ${c.name}`, () => {
    const xs = c.shapes.map((s, i) => inputs(s, 17 + 31 * i + c.name.length, c.lo, c.hi, c.gap));
    assertGradcheck(c.f, xs, { eps: c.eps, atol: c.atol }, c.name);
  });
}

// Second order: the ops a continuous normalizing flow differentiates twice
// (the trace estimator takes a vector-Jacobian product and trains through it).
// Each case checks the gradient of x -> grad(f(x)) . v, with createGraph.
const secondOrder: Case[] = [
  { name: 'matmul', f: (x, w) => L.matmul(x, w), shapes: [[2, 3], [3, 3]] },
  { name: 'matmul transB', f: (x, w) => L.matmul(x, w, { transB: true }), shapes: [[2, 3], [4, 3]] },
  { name: 'matmul shared weight', f: (x, w) => L.tanh(L.matmul(x, w, { transB: true })), shapes: [[2, 2, 3], [3, 3]] },
  { name: 'tanh', f: (x) => L.tanh(x), shapes: [[2, 3]] },
  { name: 'softplus', f: (x) => L.softplus(x), shapes: [[2, 3]] },
  { name: 'sigmoid', f: (x) => L.sigmoid(x), shapes: [[2, 3]] },
  { name: 'add', f: (x, y) => L.add(L.mul(x, x), y), shapes: [[2, 3], [3]] },
  { name: 'mul', f: (x, y) => L.mul(L.mul(x, y), x), shapes: [[2, 3], [2, 3]] },
  { name: 'sum', f: (x) => L.sum(L.mul(x, x), 1), shapes: [[2, 3]] },
  { name: 'exp log', f: (x) => L.log(L.add(L.exp(x), 1)), shapes: [[4]] },
  { name: 'logsumexp', f: (x) => L.logsumexp(x, 1), shapes: [[2, 3]] },
  { name: 'pow', f: (x) => L.pow(x, 3), shapes: [[4]] },
  { name: 'div', f: (x, y) => L.div(x, y), shapes: [[3], [3]], gap: 0.4 },
  { name: 'mlp layer', f: (x, w) => L.tanh(L.matmul(L.softplus(L.matmul(x, w)), w, { transB: true })), shapes: [[2, 3], [3, 3]] },
  { name: 'linear tanh', f: (x, w, b) => L.linear(x, w, b, 'tanh'), shapes: [[2, 3], [4, 3], [4]] },
  { name: 'linear sigmoid 3-D input', f: (x, w, b) => L.linear(x, w, b, 'sigmoid'), shapes: [[2, 2, 3], [4, 3], [4]] },
  { name: 'linear relu', f: (x, w, b) => L.mul(L.linear(x, w, b, 'relu'), L.linear(x, w, null)), shapes: [[2, 3], [4, 3], [4]], gap: 0.05 },
  { name: 'bernoulliLogProbFromLogits', f: (x, l) => L.bernoulliLogProbFromLogits(x, l), shapes: [[2, 3], [2, 3]] },
  { name: 'bernoulliLogProbFromLogits repeated x', f: (x, l) => L.bernoulliLogProbFromLogits(x, l), shapes: [[3], [2, 3]] },
  { name: 'gaussianKLStandard', f: (m, v) => L.gaussianKLStandard(m, v), shapes: [[2, 3], [2, 3]] },
];

for (const c of secondOrder) {
  test(`second-order gradcheck: ${c.name}`, () => {
    const xs = c.shapes.map((s, i) => inputs(s, 101 + 13 * i + c.name.length, c.lo, c.hi, c.gap));
    // Gradient of (first-order gradient . fixed weights) with respect to every input.
    const firstOrder = (...args: Tensor[]) => {
      const out = c.f(...args);
      const v = inputs([...out.shape], 7);
      const gs = L.grad([L.sum(L.mul(out, v))], args, { createGraph: true, allowUnused: true });
      return gs.reduce((acc: Tensor | null, g, i) => {
        const term = L.sum(L.mul(g, inputs([...g.shape], 11 + i)));
        return acc ? L.add(acc, term) : term;
      }, null)!;
    };
    assertGradcheck(firstOrder, xs, undefined, `${c.name} (second order)`);
  });
}
