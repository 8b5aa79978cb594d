import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Bijector, FlowSequence, Independent, Normal, Tensor, TransformedDistribution, add, exp, mul, neg, sub, sum, tensor, zeros, ones,
  type FlowResult,
} from '../../src/index.js';
import { checkBijector } from './checks.js';

// y = x * e^s + t elementwise over [N, D]: log |det| = sum(s).
class ElementwiseAffine extends Bijector {
  s: Tensor;
  t: Tensor;
  constructor(s: number[], t: number[]) {
    super();
    this.s = tensor(s, { dtype: 'float64', requiresGrad: true });
    this.t = tensor(t, { dtype: 'float64', requiresGrad: true });
  }
  forwardAndLogDet(x: Tensor): FlowResult {
    const logDet = add(zeros([x.shape[0]], { dtype: 'float64' }), sum(this.s));
    return { value: add(mul(x, exp(this.s)), this.t), logDet };
  }
  inverseAndLogDet(y: Tensor): FlowResult {
    const logDet = sub(zeros([y.shape[0]], { dtype: 'float64' }), sum(this.s));
    return { value: mul(sub(y, this.t), exp(neg(this.s))), logDet };
  }
}

const x = tensor([[0.3, -1.2, 2], [1.5, 0.1, -0.7]], { dtype: 'float64' });

test('a composition inverts and adds log-determinants (checked against brute-force Jacobians)', () => {
  const flow = new FlowSequence([new ElementwiseAffine([0.2, -0.5, 1], [1, 2, 3]), new ElementwiseAffine([-0.1, 0.3, 0.4], [0, -1, 0.5])]);
  checkBijector(flow, x);
  assert.deepEqual(Object.keys(flow.stateDict()), ['0.s', '0.t', '1.s', '1.t']);
  checkBijector(flow.inv, x);
  const empty = new FlowSequence([]);
  assert.deepEqual([...empty.forwardAndLogDet(x).logDet.data], [0, 0]);
  assert.throws(() => new FlowSequence([{} as Bijector]), /layers\[0\] must be a Bijector/);
});

test('a flow as a TransformedDistribution: log p(x) = log N(f^-1(x)) + log |det df^-1/dx|', () => {
  const f = new ElementwiseAffine([0.2, -0.5, 1], [1, 2, 3]);
  const base = new Independent(new Normal(zeros([3], { dtype: 'float64' }), ones([3], { dtype: 'float64' })), 1);
  const q = new TransformedDistribution(base, f.asTransform());
  const lp = q.logProb(x);
  const z = f.inverse(x);
  const manual = sub(base.logProb(z), sum(f.s));
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(lp.data[i] - manual.data[i]) < 1e-12);
  // The parameters get gradients through logProb.
  sum(lp).backward();
  assert.ok(f.s.grad && f.t.grad);
});
