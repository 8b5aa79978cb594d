// latent's rational-quadratic spline against a PyTorch twin
// (bench/flow_twin.py --fixture: the same formulas written in torch, float64,
// gradients by torch.autograd.grad): values, log-derivatives, and the
// gradient of a weighted sum of both with respect to the inputs and the
// unnormalized widths, heights and derivatives, forward and inverse, with
// inputs inside and outside the tail bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, grad, mul, rationalQuadraticSpline, sum, tensor, type Tensor } from '../../src/index.js';
import { fixture } from '../helpers.js';

interface Case {
  inverse: boolean;
  shape: number[];
  bins: number;
  tail_bound: number;
  min_bin_width: number;
  min_bin_height: number;
  min_derivative: number;
  x: number[];
  widths: number[];
  heights: number[];
  derivatives: number[];
  value: number[];
  logdet: number[];
  weights_value: number[];
  weights_logdet: number[];
  grad_x: number[];
  grad_widths: number[];
  grad_heights: number[];
  grad_derivatives: number[];
}
const { cases } = fixture<{ cases: Case[] }>('spline_torch.json');

// Both sides evaluate the same float64 formulas (softmax, cumsum, the
// rational-quadratic and its quadratic-root inverse) on O(1) quantities; they
// differ only in the order of rounding (e.g. softmax as exp(u - logsumexp) here
// and torch's fused kernel there): measured at most 6e-14 on values and
// log-derivatives and 9e-14 relative on gradients (which reach ~130 at steep
// knots, hence the tolerance is relative above magnitude 1). 1e-10 leaves three
// orders of magnitude for rounding, and still catches any formula that differs
// (a wrong bin, a missing minimum size or an off-by-one knot moves values by >= 1e-4).
const TOL = 1e-10;

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    // Absolute for O(1) entries, relative for the few large gradients of steep knots.
    assert.ok(Math.abs(a - e) <= TOL * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e} (torch)`);
  }
}

cases.forEach((c, ci) => {
  const dir = c.inverse ? 'inverse' : 'forward';
  const outside = c.x.filter((v) => Math.abs(v) > c.tail_bound).length;
  test(`rationalQuadraticSpline matches PyTorch: case ${ci}, ${dir}, x [${c.shape.join(', ')}], K = ${c.bins}, B = ${c.tail_bound} (${outside} of ${c.x.length} inputs in the tails)`, () => {
    const f64 = (data: number[], shape: number[]): Tensor => tensor(data, { shape, dtype: 'float64', requiresGrad: true });
    const x = f64(c.x, c.shape);
    const w = f64(c.widths, [...c.shape, c.bins]);
    const h = f64(c.heights, [...c.shape, c.bins]);
    const d = f64(c.derivatives, [...c.shape, c.bins - 1]);
    const { value, logDet } = rationalQuadraticSpline(x, w, h, d, {
      tailBound: c.tail_bound, minBinWidth: c.min_bin_width, minBinHeight: c.min_bin_height, minDerivative: c.min_derivative, inverse: c.inverse,
    });
    close(value.data, c.value, `${dir} value`);
    close(logDet.data, c.logdet, `${dir} logDet`);
    const loss = sum(add(mul(value, tensor(c.weights_value, { shape: c.shape, dtype: 'float64' })), mul(logDet, tensor(c.weights_logdet, { shape: c.shape, dtype: 'float64' }))));
    const [gx, gw, gh, gd] = grad([loss], [x, w, h, d]);
    close(gx.data, c.grad_x, `${dir} d loss / d x`);
    close(gw.data, c.grad_widths, `${dir} d loss / d widths`);
    close(gh.data, c.grad_heights, `${dir} d loss / d heights`);
    close(gd.data, c.grad_derivatives, `${dir} d loss / d derivatives`);
  });
});

test('the fixture covers both directions and both tails', () => {
  assert.ok(cases.some((c) => c.inverse) && cases.some((c) => !c.inverse));
  for (const c of cases) {
    assert.ok(c.x.some((v) => v < -c.tail_bound) && c.x.some((v) => v > c.tail_bound) && c.x.some((v) => Math.abs(v) < c.tail_bound));
  }
});
