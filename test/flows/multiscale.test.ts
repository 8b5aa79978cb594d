// Squeeze and the multi-scale composite (RealNVP §3.6, Glow §3): squeeze
// moves values exactly and in the documented channel order; the composite
// passes checkBijector (inverse to 1e-5, log-determinants equal to the
// brute-force Jacobian determinant) and keeps its documented layout; a
// FlowModel with `levels` matches the brute-force change of variables and
// round-trips through a model directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ActNorm, FlowModel, FlowSequence, Generator, MultiScaleFlow, Squeeze, Tensor, loadFlowDir, rand, randn, saveModelWeights,
  slice, squeeze2d, unsqueeze2d, validateFlowConfig, writeModelConfig, type FlowConfig, type Module,
} from '../../src/index.js';
import { bruteForceLogDet, checkBijector } from './checks.js';

const f64 = { dtype: 'float64' as const };
const img = (n: number, shape: number[], seed: number) => randn([n, ...shape], new Generator(seed), f64);

/** Moves every parameter away from its (often identity) initialization, so the checks see a non-trivial map. */
function perturb(m: Module<any, any>, seed: number, scale = 0.2): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const rng = new Generator(seed);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += scale * rng.normal01();
}

test('Squeeze puts pixel (2i + di, 2j + dj) of channel c in channel 4c + 2di + dj, inverts exactly, has log-det 0, and rejects odd sizes', () => {
  const [n, c, h, w] = [2, 3, 4, 6];
  const x = img(n, [c, h, w], 1);
  const sq = new Squeeze();
  const { value: y, logDet } = sq.forwardAndLogDet(x);
  assert.deepEqual(y.shape, [n, 4 * c, h / 2, w / 2]);
  assert.deepEqual(sq.forwardShape(x.shape), y.shape);
  assert.deepEqual(sq.inverseShape(y.shape), x.shape);
  assert.deepEqual([...logDet.data], [0, 0]);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h / 2; i++) for (let j = 0; j < w / 2; j++) {
    for (let di = 0; di < 2; di++) for (let dj = 0; dj < 2; dj++) {
      const want = x.data[((b * c + k) * h + 2 * i + di) * w + 2 * j + dj];
      const got = y.data[((b * 4 * c + 4 * k + 2 * di + dj) * (h / 2) + i) * (w / 2) + j];
      assert.equal(got, want);
    }
  }
  // Values are moved, not computed: the inverse is exact, not just to 1e-5.
  assert.deepEqual([...sq.inverse(y).data], [...x.data]);
  assert.deepEqual([...unsqueeze2d(squeeze2d(x)).data], [...x.data]);
  checkBijector(sq, x);
  checkBijector(sq.inv, y);
  assert.deepEqual(sq.inv.forwardShape(y.shape), x.shape);
  assert.throws(() => sq.forward(img(1, [1, 3, 4], 2)), /Squeeze.forward: height and width must be even.*H = 3, W = 4/);
  assert.throws(() => sq.forward(img(1, [1, 4, 5], 2)), /height and width must be even/);
  assert.throws(() => sq.inverse(img(1, [3, 2, 2], 2)), /multiple of 4/);
  assert.throws(() => sq.forward(randn([2, 8], new Generator(3), f64)), /expected images \[N, C, H, W\], got \[2, 8\]/);
  assert.throws(() => sq.forwardShape([1, 5, 4]), /must be even/);
});

test('a FlowSequence and its transform carry Squeeze\'s shape change: squeeze, then a layer on [4C, H/2, W/2]', () => {
  const seq = new FlowSequence([new Squeeze(), new ActNorm([4, 2, 3], f64)]);
  perturb(seq, 4);
  // Eval mode: ActNorm's data-dependent initialization would otherwise run on the first inverse.
  seq.eval();
  assert.deepEqual(seq.forwardShape([5, 1, 4, 6]), [5, 4, 2, 3]);
  assert.deepEqual(seq.inverseShape([5, 4, 2, 3]), [5, 1, 4, 6]);
  assert.deepEqual(seq.inv.forwardShape([5, 4, 2, 3]), [5, 1, 4, 6]);
  assert.deepEqual(seq.asTransform().forwardShape([5, 1, 4, 6]), [5, 4, 2, 3]);
  assert.deepEqual(seq.asTransform().inverseShape([5, 4, 2, 3]), [5, 1, 4, 6]);
  checkBijector(seq, img(2, [1, 4, 6], 5));
});

test('MultiScaleFlow passes checkBijector (Glow and RealNVP steps, 1 and 2 levels) on tiny float64 images', () => {
  const cases: Array<{ shape: number[]; levels: number; flow: 'glow' | 'realnvp' }> = [
    { shape: [1, 4, 4], levels: 2, flow: 'glow' },
    { shape: [2, 4, 4], levels: 1, flow: 'glow' },
    { shape: [1, 4, 4], levels: 2, flow: 'realnvp' },
    { shape: [2, 4, 4], levels: 1, flow: 'realnvp' },
  ];
  for (const { shape, levels, flow } of cases) {
    const ms = new MultiScaleFlow(shape, { levels, steps: 3, flow, hidden: [6], activation: 'tanh', rng: new Generator(6), ...f64 });
    // The first density pass initializes ActNorm; then eval mode, so batch-norm flows use running averages and rows do not interact.
    ms.inverseAndLogDet(img(16, shape, 7));
    perturb(ms, 8);
    ms.eval();
    const x = img(2, shape, 9);
    checkBijector(ms, x);
    checkBijector(ms.inv, x);
    const r = ms.inverseAndLogDet(x);
    assert.ok(r.logDet.data.every((v) => Number.isFinite(v) && v !== 0), `${flow} ${levels}: a non-trivial map (log-det ${[...r.logDet.data]})`);
  }
});

test('MultiScaleFlow keeps its documented layout: identity steps give the identity, and level 1\'s factored-out half sits in squeeze(z)[2C:]', () => {
  // RealNVP couplings start at the identity (zero last layer); without batch norm the whole composite is the identity.
  const id = new MultiScaleFlow([1, 8, 8], { levels: 3, steps: 2, flow: 'realnvp', batchNorm: false, hidden: [4], rng: new Generator(10), ...f64 });
  const x = img(2, [1, 8, 8], 11);
  assert.deepEqual([...id.inverse(x).data], [...x.data]);
  const ms = new MultiScaleFlow([1, 8, 8], { levels: 2, steps: 2, hidden: [4], rng: new Generator(12), ...f64 });
  ms.inverseAndLogDet(x);
  perturb(ms, 13);
  const z = ms.inverse(x);
  const v = ms.levels[0].inverse(squeeze2d(x));
  const factored = slice(v, 1, 2, 4);
  const placed = slice(squeeze2d(z), 1, 2, 4);
  assert.deepEqual([...placed.data], [...factored.data]);
  // ... and the continuing half goes through level 2.
  const deeper = ms.levels[1].inverse(squeeze2d(slice(v, 1, 0, 2)));
  assert.deepEqual([...slice(squeeze2d(z), 1, 0, 2).data], [...unsqueeze2d(deeper).data]);
});

test('MultiScaleFlow rejects what it cannot build', () => {
  const rng = new Generator(0);
  assert.throws(() => new MultiScaleFlow([1, 4, 4], { levels: 3, steps: 1, rng }), /divisible by 2\^3 = 8; got \[1, 4, 4\]/);
  assert.throws(() => new MultiScaleFlow([1, 6, 4], { levels: 2, steps: 1, rng }), /divisible by 2\^2 = 4/);
  assert.throws(() => new MultiScaleFlow(16, { levels: 1, steps: 1, rng }), /works on images/);
  assert.throws(() => new MultiScaleFlow([1, 4, 4], { levels: 0, steps: 1, rng }), /levels must be a positive integer/);
  assert.throws(() => new MultiScaleFlow([1, 4, 4], { levels: 1, steps: 1, flow: 'maf' as never, rng }), /flow must be glow, realnvp or spline/);
  const ms = new MultiScaleFlow([1, 4, 4], { levels: 1, steps: 1, rng });
  assert.throws(() => ms.inverse(randn([2, 1, 8, 8], rng)), /MultiScaleFlow.inverse: expected input \[N, 1, 4, 4\], got \[2, 1, 8, 8\]/);
});

test('FlowModel with levels: log p(x) = log N(f^-1(x)) + log |det df^-1/dx| by brute force, and a model directory round trip', () => {
  const cases: FlowConfig[] = [
    { eventShape: [1, 4, 4], flow: 'glow', layers: 2, levels: 2, hidden: [4], activation: 'relu' },
    { eventShape: [2, 4, 4], flow: 'realnvp', layers: 3, levels: 1, hidden: [4], activation: 'tanh' },
    { eventShape: [1, 4, 4], flow: 'glow', layers: 1, levels: 1, hidden: [4], activation: 'tanh', logitLambda: 0.01 },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'latent-multiscale-'));
  cases.forEach((c, k) => {
    const model = new FlowModel(c, new Generator(20), f64);
    const data = (n: number, seed: number) => (c.logitLambda ? rand([n, ...c.eventShape], new Generator(seed), f64) : img(n, c.eventShape, seed));
    model.logProb(data(16, 21));
    perturb(model, 22);
    model.eval();
    const x = data(3, 23);
    const lp = model.logProb(x);
    const z = model.flow.inverse(x);
    assert.deepEqual(z.shape, x.shape);
    const d = model.dim;
    const logDet = bruteForceLogDet((v) => model.flow.inverse(v), x);
    for (let i = 0; i < 3; i++) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += z.data[i * d + j] ** 2;
      const want = -0.5 * sq - (d / 2) * Math.log(2 * Math.PI) + logDet[i];
      // float64 through a few conv layers: agreement to 1e-9 relative.
      assert.ok(Math.abs(lp.data[i] - want) < 1e-9 * Math.max(1, Math.abs(want)), `${c.flow} levels ${c.levels}: ${lp.data[i]} vs ${want}`);
    }
    const sub = join(dir, String(k));
    mkdirSync(sub);
    writeModelConfig(sub, { format: 'latent-model', version: 1, kind: 'flow', model: model.config as unknown as Record<string, unknown> });
    saveModelWeights(sub, model, 'flow');
    const { model: back } = loadFlowDir(sub);
    assert.equal(back.config.levels, c.levels);
    assert.ok(Object.keys(back.stateDict()).some((key) => key.includes('level0')));
    back.eval();
    // Saved weights are float32, so compare the reloaded model with the original on the same float32 input.
    const x32 = new Tensor(Float32Array.from(x.data), x.shape);
    const m32 = new FlowModel(c, new Generator(20));
    m32.loadStateDict(model.stateDict());
    m32.eval();
    const a = back.logProb(x32);
    const b = m32.logProb(x32);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(a.data[i] - b.data[i]) < 1e-4 * Math.max(1, Math.abs(b.data[i])), `round trip ${a.data[i]} vs ${b.data[i]}`);
    const s = back.sample(4, new Generator(24));
    assert.deepEqual(s.shape, [4, ...c.eventShape]);
  });
  const c = cases[0];
  assert.equal('levels' in validateFlowConfig({ ...c, levels: undefined }), false, 'no levels: the single-scale model, config unchanged');
  assert.throws(() => validateFlowConfig({ ...c, levels: 3 }), /3 level\(s\) halve the image 3 time\(s\), so its height and width must be divisible by 2\^3 = 8; got eventShape \[1,4,4\]/);
  assert.throws(() => validateFlowConfig({ ...c, levels: 0 }), /levels must be a positive integer, got 0/);
  assert.throws(() => validateFlowConfig({ ...c, eventShape: [16], levels: 1 }), /levels \(the multi-scale architecture\) applies to realnvp, glow and spline flows on images/);
  assert.throws(() => validateFlowConfig({ eventShape: [16], flow: 'maf', layers: 1, hidden: [4], activation: 'relu', levels: 1 }), /applies to realnvp, glow and spline flows on images/);
});
