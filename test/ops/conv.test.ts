// conv2d, convTranspose2d and their primitives im2col/col2im: values against
// a direct nested-loop reference and against PyTorch, the adjoint identity
// between the two convolutions, first and second order gradients against
// finite differences, and bad-input errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  col2im, conv2d, convTranspose2d, grad, im2col, tensor, withGradMode, concat,
  type Conv2dOptions, type ConvTranspose2dOptions, type Tensor,
} from '../../src/index.js';
import { assertClose, assertGradcheck, fixture, inputs } from '../helpers.js';

type P2 = [number, number];

interface Geometry {
  stride: P2;
  padding: P2;
  dilation: P2;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** conv2d straight from its definition: y[n,o,oy,ox] = b[o] + sum_{c,i,j} x[n,c,oy*s-p+i*d, ox*s-p+j*d] w[o,c,i,j]. */
function naiveConv2d(x: Tensor, w: Tensor, b: Tensor | null, g: Geometry): { values: Float64Array; shape: number[] } {
  const [N, C, H, W] = x.shape;
  const [O, , KH, KW] = w.shape;
  const OH = Math.floor((H + 2 * g.padding[0] - g.dilation[0] * (KH - 1) - 1) / g.stride[0]) + 1;
  const OW = Math.floor((W + 2 * g.padding[1] - g.dilation[1] * (KW - 1) - 1) / g.stride[1]) + 1;
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b ? b.data[o] : 0;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const iy = oy * g.stride[0] - g.padding[0] + i * g.dilation[0];
                const ix = ox * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += x.data[((n * C + c) * H + iy) * W + ix] * w.data[((o * C + c) * KH + i) * KW + j];
              }
          out[((n * O + o) * OH + oy) * OW + ox] = s;
        }
  return { values: out, shape: [N, O, OH, OW] };
}

/** convTranspose2d from its definition: each input pixel scatters w[c, o] into the output window it came from. */
function naiveConvTranspose2d(x: Tensor, w: Tensor, b: Tensor | null, g: Geometry & { outputPadding: P2 }): { values: Float64Array; shape: number[] } {
  const [N, C, H, W] = x.shape;
  const [, O, KH, KW] = w.shape;
  const OH = (H - 1) * g.stride[0] - 2 * g.padding[0] + g.dilation[0] * (KH - 1) + g.outputPadding[0] + 1;
  const OW = (W - 1) * g.stride[1] - 2 * g.padding[1] + g.dilation[1] * (KW - 1) + g.outputPadding[1] + 1;
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      if (b) out.fill(b.data[o], (n * O + o) * OH * OW, (n * O + o + 1) * OH * OW);
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let x2 = 0; x2 < W; x2++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const oy = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
                const ox = x2 * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                out[((n * O + o) * OH + oy) * OW + ox] += x.data[((n * C + c) * H + y) * W + x2] * w.data[((c * O + o) * KH + i) * KW + j];
              }
    }
  return { values: out, shape: [N, O, OH, OW] };
}

// Float64 values agree with the references up to summation order: ~1e-15 relative; 1e-12 leaves margin.
const F64_TOL = 1e-12;

const convCases: { name: string; x: number[]; w: number[]; bias: boolean; g: Geometry }[] = [
  { name: 'plain 3x3', x: [2, 3, 6, 5], w: [4, 3, 3, 3], bias: true, g: { stride: [1, 1], padding: [0, 0], dilation: [1, 1] } },
  { name: 'stride 2 padding 1', x: [2, 2, 7, 8], w: [3, 2, 3, 3], bias: true, g: { stride: [2, 2], padding: [1, 1], dilation: [1, 1] } },
  { name: 'stride 2 padding 1 kernel 4 (28 -> 14)', x: [1, 1, 28, 28], w: [2, 1, 4, 4], bias: false, g: { stride: [2, 2], padding: [1, 1], dilation: [1, 1] } },
  { name: 'non-square kernel and stride', x: [1, 2, 9, 7], w: [3, 2, 2, 3], bias: false, g: { stride: [2, 1], padding: [0, 1], dilation: [1, 1] } },
  { name: 'dilation 2, asymmetric padding', x: [2, 1, 8, 9], w: [2, 1, 3, 2], bias: true, g: { stride: [1, 3], padding: [2, 1], dilation: [2, 3] } },
  { name: 'padding larger than kernel reach', x: [1, 2, 3, 4], w: [2, 2, 2, 2], bias: true, g: { stride: [3, 2], padding: [3, 2], dilation: [1, 1] } },
  { name: '1x1 (pointwise path)', x: [2, 3, 4, 5], w: [5, 3, 1, 1], bias: true, g: { stride: [1, 1], padding: [0, 0], dilation: [1, 1] } },
  { name: '1x1 strided and padded', x: [2, 3, 4, 5], w: [2, 3, 1, 1], bias: false, g: { stride: [2, 2], padding: [1, 1], dilation: [1, 1] } },
];

test('conv2d matches a nested-loop reference (float64)', () => {
  convCases.forEach((c, k) => {
    const x = inputs(c.x, 10 + k);
    const w = inputs(c.w, 20 + k);
    const b = c.bias ? inputs([c.w[0]], 30 + k) : null;
    const y = conv2d(x, w, b, c.g);
    const ref = naiveConv2d(x, w, b, c.g);
    assert.deepEqual(y.shape, ref.shape, c.name);
    assertClose(y.data, ref.values, F64_TOL, F64_TOL, c.name);
  });
});

test('conv2d in float32 matches the float64 reference to float32 rounding', () => {
  const g: Geometry = { stride: [2, 2], padding: [1, 1], dilation: [1, 1] };
  const x = inputs([2, 3, 9, 9], 1);
  const w = inputs([4, 3, 3, 3], 2);
  const b = inputs([4], 3);
  const y = conv2d(x.cast('float32'), w.cast('float32'), b.cast('float32'), g);
  assert.equal(y.dtype, 'float32');
  // Inputs rounded to float32 (relative 6e-8 each), 27 products summed in float64, result rounded: < 1e-5 absolute for |y| < ~20.
  assertClose(y.data, naiveConv2d(x, w, b, g).values, 1e-5, 1e-6, 'float32');
});

test('conv2d accepts a number for stride/padding/dilation and defaults to 1/0/1', () => {
  const x = inputs([1, 2, 6, 6], 4);
  const w = inputs([3, 2, 3, 3], 5);
  assertClose(conv2d(x, w, null, { stride: 2, padding: 1, dilation: 1 }).data, conv2d(x, w, null, { stride: [2, 2], padding: [1, 1] }).data, 0, 0, 'number form');
  assertClose(conv2d(x, w).data, naiveConv2d(x, w, null, { stride: [1, 1], padding: [0, 0], dilation: [1, 1] }).values, F64_TOL, F64_TOL, 'defaults');
});

const transposeCases: { name: string; x: number[]; w: number[]; bias: boolean; g: Geometry & { outputPadding: P2 } }[] = [
  { name: 'stride 2 padding 1 outputPadding 1 (7 -> 14)', x: [2, 3, 7, 7], w: [3, 2, 3, 3], bias: true, g: { stride: [2, 2], padding: [1, 1], dilation: [1, 1], outputPadding: [1, 1] } },
  { name: 'stride 1', x: [1, 2, 4, 5], w: [2, 3, 3, 2], bias: false, g: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], outputPadding: [0, 0] } },
  { name: 'non-square, dilated', x: [2, 2, 3, 4], w: [2, 2, 2, 3], bias: true, g: { stride: [3, 2], padding: [1, 0], dilation: [2, 1], outputPadding: [2, 1] } },
  { name: 'kernel 4 stride 2 padding 1 (14 -> 28)', x: [1, 2, 14, 14], w: [2, 1, 4, 4], bias: true, g: { stride: [2, 2], padding: [1, 1], dilation: [1, 1], outputPadding: [0, 0] } },
];

test('convTranspose2d matches a nested-loop reference (float64)', () => {
  transposeCases.forEach((c, k) => {
    const x = inputs(c.x, 40 + k);
    const w = inputs(c.w, 50 + k);
    const b = c.bias ? inputs([c.w[1]], 60 + k) : null;
    const y = convTranspose2d(x, w, b, c.g);
    const ref = naiveConvTranspose2d(x, w, b, c.g);
    assert.deepEqual(y.shape, ref.shape, c.name);
    assertClose(y.data, ref.values, F64_TOL, F64_TOL, c.name);
  });
});

test('convTranspose2d is the adjoint of conv2d: <conv2d(x, w), y> = <x, convTranspose2d(y, w)> (conv VAE sizes 28 -> 14 -> 7 and back)', () => {
  const opts = { stride: 2, padding: 1 } as const;
  const chain: [number[], number[]][] = [
    [[2, 1, 28, 28], [4, 1, 3, 3]], // 28 -> 14
    [[2, 4, 14, 14], [5, 4, 3, 3]], // 14 -> 7
  ];
  chain.forEach(([xs, ws], k) => {
    const x = inputs(xs, 70 + k);
    const w = inputs(ws, 80 + k);
    const y0 = conv2d(x, w, null, opts);
    const y = inputs([...y0.shape], 90 + k);
    const back = convTranspose2d(y, w, null, { ...opts, outputPadding: 1 });
    assert.deepEqual(back.shape, x.shape);
    const lhs = dot(y0.data, y.data);
    const rhs = dot(x.data, back.data);
    // Both sides are the same sum of products in different orders: float64 rounding, ~1e-16 per term.
    assert.ok(Math.abs(lhs - rhs) <= 1e-12 * Math.max(1, Math.abs(lhs)), `${xs}: ${lhs} vs ${rhs}`);
  });
});

test('col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
  const opts = { kernelSize: [3, 2] as P2, stride: [2, 1] as P2, padding: [1, 2] as P2, dilation: [1, 2] as P2 };
  const x = inputs([2, 3, 7, 6], 100);
  const cols = im2col(x, opts);
  const c = inputs([...cols.shape], 101);
  const back = col2im(c, { ...opts, outputSize: [7, 6] });
  assert.deepEqual(back.shape, x.shape);
  assert.ok(Math.abs(dot(cols.data, c.data) - dot(x.data, back.data)) <= 1e-12 * Math.abs(dot(cols.data, c.data)));
});

test('im2col lays out windows as rows (c, i, j) and positions as columns', () => {
  const x = tensor(Array.from({ length: 16 }, (_, i) => i), { shape: [1, 1, 4, 4] });
  const cols = im2col(x, { kernelSize: 2, stride: 2 });
  assert.deepEqual(cols.toArray(), [[[0, 2, 8, 10], [1, 3, 9, 11], [4, 6, 12, 14], [5, 7, 13, 15]]]);
  // Padding reads as zero.
  const padded = im2col(tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] }), { kernelSize: 3, padding: 1 });
  assert.deepEqual(padded.shape, [1, 9, 4]);
  assert.deepEqual(padded.toArray(), [[
    [0, 0, 0, 1], [0, 0, 1, 2], [0, 0, 2, 0],
    [0, 1, 0, 3], [1, 2, 3, 4], [2, 0, 4, 0],
    [0, 3, 0, 0], [3, 4, 0, 0], [4, 0, 0, 0],
  ]]);
  // Overlapping windows sum in col2im: each pixel gets one count per window covering it.
  const counts = col2im(tensor(new Float64Array(9 * 4).fill(1), { shape: [1, 9, 4] }), { kernelSize: 3, padding: 1, outputSize: [2, 2] });
  assert.deepEqual(counts.toArray(), [[[[4, 4], [4, 4]]]]);
});

interface FixtureTensor {
  shape: number[];
  values: number[];
}
interface FixtureCase {
  name: string;
  op: 'conv2d' | 'conv_transpose2d';
  options: { stride: P2; padding: P2; dilation: P2; output_padding?: P2 };
  x: FixtureTensor;
  weight: FixtureTensor;
  bias: FixtureTensor | null;
  y: FixtureTensor;
  r: FixtureTensor;
  grad_x: FixtureTensor;
  grad_weight: FixtureTensor;
  grad_bias: FixtureTensor | null;
}

test('conv2d and convTranspose2d values and gradients match PyTorch (fixture from scripts/fixtures/conv_fixture.py)', () => {
  const data = fixture<{ cases: FixtureCase[] }>('conv.json');
  assert.ok(data.cases.length >= 4);
  const t = (f: FixtureTensor, requiresGrad = false) => tensor(new Float64Array(f.values), { shape: f.shape, requiresGrad });
  for (const c of data.cases) {
    const x = t(c.x, true);
    const w = t(c.weight, true);
    const b = c.bias ? t(c.bias, true) : null;
    const o = c.options;
    const y = c.op === 'conv2d'
      ? conv2d(x, w, b, { stride: o.stride, padding: o.padding, dilation: o.dilation })
      : convTranspose2d(x, w, b, { stride: o.stride, padding: o.padding, dilation: o.dilation, outputPadding: o.output_padding });
    assert.deepEqual(y.shape, c.y.shape, c.name);
    // Same float64 arithmetic as PyTorch up to summation order: 1e-9 absolute is loose for values of size ~10.
    assertClose(y.data, c.y.values, 1e-9, 0, `${c.name} y`);
    const params = b ? [x, w, b] : [x, w];
    const grads = grad([y.mul(t(c.r)).sum()], params);
    assertClose(grads[0].data, c.grad_x.values, 1e-9, 0, `${c.name} grad x`);
    assertClose(grads[1].data, c.grad_weight.values, 1e-9, 0, `${c.name} grad weight`);
    if (b) assertClose(grads[2].data, c.grad_bias!.values, 1e-9, 0, `${c.name} grad bias`);
  }
});

// Gradient checks: see test/ops/gradcheck.test.ts for the tolerance reasoning
// (default atol 1e-5, rtol 1e-4, step 1e-6, float64). All these maps are
// linear or bilinear, so the central difference is exact up to rounding.

test('gradcheck: im2col and col2im', () => {
  const opts = { kernelSize: [2, 3] as P2, stride: [2, 1] as P2, padding: [1, 1] as P2, dilation: [1, 2] as P2 };
  const x = inputs([2, 2, 5, 6], 200);
  const cols = im2col(x, opts);
  assertGradcheck((t) => im2col(t, opts), [x], undefined, 'im2col');
  assertGradcheck((t) => col2im(t, { ...opts, outputSize: [5, 6] }), [inputs([...cols.shape], 201)], undefined, 'col2im');
});

test('gradcheck: conv2d with and without bias, stride 2, padding 1', () => {
  const opts: Conv2dOptions = { stride: 2, padding: 1 };
  const x = inputs([2, 3, 6, 5], 210);
  const w = inputs([4, 3, 3, 3], 211);
  const b = inputs([4], 212);
  assertGradcheck((a, k, c) => conv2d(a, k, c, opts), [x, w, b], undefined, 'conv2d with bias');
  assertGradcheck((a, k) => conv2d(a, k, null, opts), [x, w], undefined, 'conv2d without bias');
  assertGradcheck((a, k) => conv2d(a, k, null, { stride: [1, 2], padding: [2, 0], dilation: [2, 1] }), [inputs([1, 2, 7, 6], 213), inputs([2, 2, 2, 3], 214)], undefined, 'conv2d dilated');
  assertGradcheck((a, k, c) => conv2d(a, k, c), [inputs([2, 3, 2, 3], 215), inputs([2, 3, 1, 1], 216), inputs([2], 217)], undefined, 'conv2d 1x1');
});

test('gradcheck: convTranspose2d with and without bias', () => {
  const opts: ConvTranspose2dOptions = { stride: 2, padding: 1, outputPadding: 1 };
  const x = inputs([2, 3, 3, 4], 220);
  const w = inputs([3, 2, 3, 3], 221);
  const b = inputs([2], 222);
  assertGradcheck((a, k, c) => convTranspose2d(a, k, c, opts), [x, w, b], undefined, 'convTranspose2d with bias');
  assertGradcheck((a, k) => convTranspose2d(a, k, null, { stride: [3, 1], dilation: [1, 2], outputPadding: [2, 0] }), [x, inputs([3, 2, 2, 2], 223)], undefined, 'convTranspose2d dilated');
});

test('gradcheck, second order: the gradient of a conv2d loss is itself differentiable', () => {
  const opts: Conv2dOptions = { stride: 2, padding: 1 };
  // f returns d/d(x, w, b) of sum(tanh(conv2d(x, w, b))), built with createGraph; gradcheck then
  // differentiates it once more (through col2im's rule, im2col, matmul and tanh). gradcheck runs
  // its finite differences under noGrad, so f turns recording back on for its inner grad().
  const f = (x: Tensor, w: Tensor, b: Tensor) =>
    withGradMode(true, () => {
      const loss = conv2d(x, w, b, opts).tanh().sum();
      const [gx, gw, gb] = grad([loss], [x, w, b], { createGraph: true });
      return concat([gx.reshape([-1]), gw.reshape([-1]), gb.reshape([-1])]);
    });
  assertGradcheck(f, [inputs([2, 2, 5, 4], 230, -0.8, 0.8), inputs([3, 2, 3, 3], 231, -0.6, 0.6), inputs([3], 232)], undefined, 'conv2d second order');
  // And for convTranspose2d, whose first gradient runs through im2col.
  const g = (x: Tensor, w: Tensor) =>
    withGradMode(true, () => {
      const loss = convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }).tanh().sum();
      const [gx, gw] = grad([loss], [x, w], { createGraph: true });
      return concat([gx.reshape([-1]), gw.reshape([-1])]);
    });
  assertGradcheck(g, [inputs([1, 2, 3, 3], 233, -0.8, 0.8), inputs([2, 2, 3, 3], 234, -0.6, 0.6)], undefined, 'convTranspose2d second order');
});

test('conv2d and convTranspose2d work on the batch in chunks: the same values as one image at a time, gradients too', () => {
  // 32 channels, 4x4 kernels, 7x7 outputs: about 100 KB of columns per float32 image, so 25 images
  // are three chunks of at most 10. Each output is one FMA chain per element in any chunking: the
  // same bits image by image; the weight gradient sums the chunks in another order (float32 rounding).
  const opts: Conv2dOptions = { stride: 2, padding: 1 };
  const x = inputs([25, 32, 14, 14], 240).cast('float32');
  const w = inputs([16, 32, 4, 4], 241, -0.2, 0.2).cast('float32').requireGrad();
  const xs = x.requireGrad();
  const y = conv2d(xs, w, null, opts);
  const v = inputs([...y.shape], 242).cast('float32');
  const [gx, gw] = grad([y.mul(v).sum()], [xs, w]);
  const plane = 32 * 14 * 14, outPlane = 16 * 7 * 7;
  const gwSum = new Float64Array(gw.size);
  for (let n = 0; n < 25; n++) {
    const xn = tensor(x.data.slice(n * plane, (n + 1) * plane), { shape: [1, 32, 14, 14] }).requireGrad();
    const yn = conv2d(xn, w, null, opts);
    assert.deepEqual(Array.from(yn.data), Array.from(y.data.subarray(n * outPlane, (n + 1) * outPlane)), `conv2d image ${n}`);
    const vn = tensor(v.data.slice(n * outPlane, (n + 1) * outPlane), { shape: [1, 16, 7, 7] });
    const [gxn, gwn] = grad([yn.mul(vn).sum()], [xn, w]);
    assert.deepEqual(Array.from(gxn.data), Array.from(gx.data.subarray(n * plane, (n + 1) * plane)), `input gradient image ${n}`);
    gwn.data.forEach((g, i) => (gwSum[i] += g));
  }
  assertClose(gw.data, gwSum, 1e-3, 1e-4, 'weight gradient over chunks');
  // convTranspose2d, the adjoint: 7x7 -> 14x14 with 32 output channels, 25 images.
  const z = inputs([25, 16, 7, 7], 243).cast('float32');
  const t = convTranspose2d(z, w, null, opts);
  for (const n of [0, 11, 24]) {
    const tn = convTranspose2d(tensor(z.data.slice(n * outPlane, (n + 1) * outPlane), { shape: [1, 16, 7, 7] }), w, null, opts);
    assert.deepEqual(Array.from(tn.data), Array.from(t.data.subarray(n * plane, (n + 1) * plane)), `convTranspose2d image ${n}`);
  }
});

test('conv2d and convTranspose2d with an activation give the bits of the activation applied after, gradients too', () => {
  const opts: Conv2dOptions = { stride: 2, padding: 1 };
  for (const dtype of ['float32', 'float64'] as const) {
    const x = inputs([3, 2, 6, 5], 250).cast(dtype).requireGrad();
    const w = inputs([4, 2, 3, 3], 251).cast(dtype).requireGrad();
    const b = inputs([4], 252).cast(dtype).requireGrad();
    for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
      const act = { relu: (t: Tensor) => t.relu(), tanh: (t: Tensor) => t.tanh(), sigmoid: (t: Tensor) => t.sigmoid() }[activation];
      const fused = conv2d(x, w, b, { ...opts, activation });
      const unfused = act(conv2d(x, w, b, opts));
      assert.deepEqual(Array.from(fused.data), Array.from(unfused.data), `conv2d ${activation} ${dtype}`);
      const v = inputs([...fused.shape], 253).cast(dtype);
      const gf = grad([fused.mul(v).sum()], [x, w, b]);
      const gu = grad([unfused.mul(v).sum()], [x, w, b]);
      gf.forEach((g, i) => assertClose(g.data, gu[i].data, dtype === 'float64' ? 1e-12 : 1e-5, 1e-5, `conv2d ${activation} ${dtype} gradient ${i}`));
      const wt = inputs([4, 3, 3, 3], 254).cast(dtype).requireGrad();
      const bt = inputs([3], 255).cast(dtype).requireGrad();
      const tOpts: ConvTranspose2dOptions = { stride: 2, padding: 1, outputPadding: 1 };
      const tf = convTranspose2d(fused, wt, bt, { ...tOpts, activation });
      const tu = act(convTranspose2d(fused, wt, bt, tOpts));
      assert.deepEqual(Array.from(tf.data), Array.from(tu.data), `convTranspose2d ${activation} ${dtype}`);
    }
  }
  assert.throws(() => conv2d(inputs([1, 1, 4, 4], 1), inputs([1, 1, 2, 2], 2), null, { activation: 'gelu' as 'relu' }), /conv2d: activation must be one of/);
});

test('gradcheck, first and second order: conv2d and convTranspose2d with bias and activation', () => {
  const x = inputs([2, 2, 5, 4], 260, -0.8, 0.8);
  const w = inputs([3, 2, 3, 3], 261, -0.6, 0.6);
  const b = inputs([3], 262);
  assertGradcheck((a, k, c) => conv2d(a, k, c, { stride: 2, padding: 1, activation: 'tanh' }), [x, w, b], undefined, 'conv2d tanh');
  assertGradcheck((a, k, c) => convTranspose2d(a, k, c, { stride: 2, padding: 1, activation: 'sigmoid' }), [inputs([1, 3, 3, 2], 263), inputs([3, 2, 3, 3], 264), inputs([2], 265)], undefined, 'convTranspose2d sigmoid');
  const f = (a: Tensor, k: Tensor, c: Tensor) =>
    withGradMode(true, () => {
      const loss = convTranspose2d(conv2d(a, k, c, { stride: 2, padding: 1, activation: 'tanh' }), k, null, { stride: 2, padding: 1, activation: 'sigmoid' }).sum();
      const [ga, gk, gc] = grad([loss], [a, k, c], { createGraph: true });
      return concat([ga.reshape([-1]), gk.reshape([-1]), gc.reshape([-1])]);
    });
  assertGradcheck(f, [inputs([1, 3, 5, 4], 266, -0.8, 0.8), inputs([3, 3, 3, 3], 267, -0.6, 0.6), inputs([3], 268)], undefined, 'conv2d/convTranspose2d with activations, second order');
});

test('conv ops reject bad input with messages naming the op and the shapes', () => {
  const x = inputs([1, 3, 8, 8], 300);
  const w = inputs([4, 3, 3, 3], 301);
  assert.throws(() => conv2d(inputs([3, 8, 8], 302), w), /conv2d: input must have rank 4 \(\[N, C, H, W\]\), got shape \[3, 8, 8\]/);
  assert.throws(() => conv2d(x, inputs([4, 3, 3], 303)), /conv2d: weight must have rank 4 \(\[O, C, kh, kw\]\), got shape \[4, 3, 3\]/);
  assert.throws(() => conv2d(x, inputs([4, 2, 3, 3], 304)), /conv2d: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 2, 3, 3\] expects 2/);
  assert.throws(() => conv2d(x, w, inputs([3], 305)), /conv2d: bias must have shape \[4\].*got \[3\]/);
  assert.throws(() => conv2d(x, w, null, { stride: 0 }), /conv2d: stride must be a positive integer or a pair of them, got 0/);
  assert.throws(() => conv2d(x, w, null, { stride: [1, -2] }), /conv2d: stride must be a positive integer.*got \[1, -2\]/);
  assert.throws(() => conv2d(x, w, null, { stride: 1.5 }), /conv2d: stride must be a positive integer/);
  assert.throws(() => conv2d(x, w, null, { padding: -1 }), /conv2d: padding must be a non-negative integer/);
  assert.throws(() => conv2d(x, w, null, { dilation: 0 }), /conv2d: dilation must be a positive integer/);
  assert.throws(() => conv2d(x, inputs([4, 3, 9, 3], 306)), /conv2d: output size would be \[0, 6\] for input \[1, 3, 8, 8\] with kernel \[9, 3\]/);
  assert.throws(() => conv2d(x, w, null, { dilation: 4 }), /conv2d: output size would be \[0, 0\]/);

  const z = inputs([1, 4, 7, 7], 307);
  const wt = inputs([4, 3, 3, 3], 308);
  assert.throws(() => convTranspose2d(z, inputs([3, 4, 3, 3], 309)), /convTranspose2d: input \[1, 4, 7, 7\] has 4 channels but weight \[3, 4, 3, 3\] expects 3/);
  assert.throws(() => convTranspose2d(z, wt, null, { stride: 2, outputPadding: 2 }), /convTranspose2d: outputPadding \[2, 2\] must be less than stride \[2, 2\]/);
  assert.throws(() => convTranspose2d(z, wt, null, { outputPadding: 1 }), /convTranspose2d: outputPadding \[1, 1\] must be less than stride \[1, 1\]/);
  assert.throws(() => convTranspose2d(z, wt, inputs([4], 310)), /convTranspose2d: bias must have shape \[3\]/);
  assert.throws(() => convTranspose2d(inputs([1, 4, 1, 1], 311), wt, null, { padding: 2 }), /convTranspose2d: output size would be \[-1, -1\]/);
  assert.throws(() => convTranspose2d(inputs([4, 7, 7], 312), wt), /convTranspose2d: input must have rank 4/);

  assert.throws(() => im2col(inputs([2, 8, 8], 313), { kernelSize: 3 }), /im2col: x must have rank 4/);
  assert.throws(() => im2col(x, { kernelSize: 0 }), /im2col: kernelSize must be a positive integer/);
  assert.throws(() => col2im(inputs([1, 10, 4], 314), { kernelSize: 3, outputSize: [4, 4] }), /col2im: cols \[1, 10, 4\] has 10 rows, not a multiple of kh\*kw = 9/);
  assert.throws(() => col2im(inputs([1, 9, 5], 315), { kernelSize: 3, outputSize: [4, 4] }), /col2im: cols \[1, 9, 5\] has 5 window positions, but a \[4, 4\] image .* has 2 x 2 = 4/);
});
