// Conv2d and ConvTranspose2d modules against torch.nn (test/fixtures/nn_conv.json,
// written by scripts/fixtures/nn_conv.py): PyTorch's state dicts load unchanged
// (same names and weight layouts), and forward and backward agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../src/index.js';
import { Generator } from '../../src/random/index.js';
import { Conv2d, ConvTranspose2d, type Module } from '../../src/nn/index.js';
import { fixture, assertClose } from '../helpers.js';

interface TensorJson { shape: number[]; data: number[] }
interface ConvCase {
  name: string;
  args: { kind: 'Conv2d' | 'ConvTranspose2d'; in: number; out: number; kernel: number | [number, number];
    stride?: number; padding?: number; dilation?: [number, number]; outputPadding?: number; bias?: boolean };
  x: TensorJson; upstream: TensorJson; out: TensorJson;
  state: Record<string, TensorJson>;
  gradX: number[];
  grads: Record<string, number[]>;
}

const fx = fixture<{ cases: ConvCase[] }>('nn_conv.json');
const fromJson = (t: TensorJson): Tensor => tensor(t.data, { shape: t.shape, dtype: 'float64' });

for (const c of fx.cases) {
  test(`${c.args.kind} matches torch.nn: ${c.name}`, () => {
    const a = c.args;
    const opts = { stride: a.stride, padding: a.padding, dilation: a.dilation, bias: a.bias, rng: new Generator(0), dtype: 'float64' as const };
    const m: Module & { weight: Tensor; bias: Tensor | null } = a.kind === 'Conv2d'
      ? new Conv2d(a.in, a.out, a.kernel, opts)
      : new ConvTranspose2d(a.in, a.out, a.kernel, { ...opts, outputPadding: a.outputPadding });
    const sd: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.state)) sd[k] = fromJson(v);
    m.loadStateDict(sd); // strict: names and shapes must be PyTorch's
    const x = fromJson(c.x).requireGrad();
    const y = m.forward(x);
    assert.deepEqual(y.shape, c.out.shape);
    // float64 sums of at most ~50 products: rounding-level agreement.
    assertClose(y.data, c.out.data, 1e-12, 1e-12, `${c.name} forward`);
    y.backward(fromJson(c.upstream));
    assertClose(x.grad!.data, c.gradX, 1e-12, 1e-12, `${c.name} grad x`);
    assertClose(m.weight.grad!.data, c.grads.weight, 1e-12, 1e-12, `${c.name} grad weight`);
    if (c.grads.bias) assertClose(m.bias!.grad!.data, c.grads.bias, 1e-12, 1e-12, `${c.name} grad bias`);
    else assert.equal(m.bias, null);
  });
}

test('Conv2d and ConvTranspose2d default init: PyTorch bounds from the fan-in of their weight layouts', () => {
  const rng = new Generator(7);
  const conv = new Conv2d(16, 32, 5, { rng });
  assert.deepEqual(conv.weight.shape, [32, 16, 5, 5]);
  const convBound = 1 / Math.sqrt(16 * 25); // fan_in = in_channels * kh * kw
  for (const t of [conv.weight, conv.bias!]) for (const v of t.data) assert.ok(Math.abs(v) <= convBound);
  // Variance of U(-b, b) is b^2/3; 12800 samples: relative standard error ~1.1%, allow 5%.
  let s2 = 0;
  for (const v of conv.weight.data) s2 += v * v;
  const ratio = s2 / conv.weight.size / (convBound * convBound / 3);
  assert.ok(Math.abs(ratio - 1) < 0.05, `Conv2d weight variance ratio ${ratio}`);

  const up = new ConvTranspose2d(32, 16, 4, { rng });
  assert.deepEqual(up.weight.shape, [32, 16, 4, 4]);
  const upBound = 1 / Math.sqrt(16 * 16); // PyTorch's fan_in for [in, out, kh, kw] is out * kh * kw
  for (const t of [up.weight, up.bias!]) for (const v of t.data) assert.ok(Math.abs(v) <= upBound);
  assert.ok(Math.max(...up.weight.data.map(Math.abs)) > 0.9 * upBound, 'ConvTranspose2d weights fill their range');
});
