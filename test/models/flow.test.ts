// The flow density model: log p(x) against a brute-force change of variables,
// normalization on a grid, model directories, training on two moons against
// the target's entropy, dequantization and bits/dim, density pictures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam, FlowModel, Generator, Tensor, bitsPerDim, densityPanels, dequantize, gridPoints, histogramLogDensity, loadFlowDir,
  mean, meanLogProb, neg, rand, randn, sampleToy2d, saveModelWeights, toy2dEntropy, validateFlowConfig, writeModelConfig,
  type FlowConfig, type Module,
} from '../../src/index.js';
import { bruteForceLogDet } from '../flows/checks.js';

function perturb(m: Module<any, any>, seed: number, scale: number): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const rng = new Generator(seed);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += scale * rng.normal01();
}

const realnvp: FlowConfig = { eventShape: [3], flow: 'realnvp', layers: 3, hidden: [8], activation: 'tanh' };
const glow: FlowConfig = { eventShape: [3], flow: 'glow', layers: 2, hidden: [8], activation: 'relu' };

test('log p(x) = log N(f^-1(x)) + log |det df^-1/dx| with the determinant by brute force (RealNVP, Glow, MAF, spline, logit, images)', () => {
  const cases: FlowConfig[] = [
    realnvp, glow, { ...realnvp, logitLambda: 0.01 }, { eventShape: [2, 2, 2], flow: 'glow', layers: 2, hidden: [4], activation: 'relu' },
    { eventShape: [3], flow: 'maf', layers: 2, hidden: [12], activation: 'tanh' },
    // A bound of 1.5: some of the Normal draws fall in the identity tails.
    { eventShape: [3], flow: 'spline', layers: 3, hidden: [8], activation: 'tanh', bins: 5, tailBound: 1.5 },
    // Spline steps on images, single-scale (checkerboard on one channel, channel masks on two) and multi-scale.
    { eventShape: [1, 2, 2], flow: 'spline', layers: 2, hidden: [4], activation: 'tanh', bins: 4, tailBound: 1.5 },
    { eventShape: [2, 2, 2], flow: 'spline', layers: 2, hidden: [4], activation: 'tanh', bins: 4, tailBound: 1.5 },
    { eventShape: [1, 4, 4], flow: 'spline', layers: 1, hidden: [4], activation: 'tanh', bins: 4, tailBound: 1.5, levels: 1 },
  ];
  for (const c of cases) {
    const model = new FlowModel(c, new Generator(1), { dtype: 'float64' });
    // Initializes ActNorm and moves the running averages (the logit model's data lie in (0, 1)).
    model.logProb(c.logitLambda ? rand([16, 3], new Generator(2), { dtype: 'float64' }) : randn([16, ...c.eventShape], new Generator(2), { dtype: 'float64' }));
    perturb(model, 3, 0.2);
    model.eval();
    const x = c.logitLambda ? new Tensor(Float64Array.from({ length: 12 }, (_, i) => (i + 0.5) / 12), [4, 3]) : randn([4, ...c.eventShape], new Generator(4), { dtype: 'float64' });
    const lp = model.logProb(x);
    const z = model.flow.inverse(x);
    const d = model.dim;
    const logDet = bruteForceLogDet((v) => model.flow.inverse(v), x);
    for (let i = 0; i < 4; i++) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += z.data[i * d + j] ** 2;
      const want = -0.5 * sq - (d / 2) * Math.log(2 * Math.PI) + logDet[i];
      assert.ok(Math.abs(lp.data[i] - want) < 1e-9 * Math.max(1, Math.abs(want)), `${c.flow} ${c.eventShape}: ${lp.data[i]} vs ${want}`);
    }
  }
});

test('a 2-D flow integrates to 1 on a grid, and samples come from it', () => {
  const model = new FlowModel({ eventShape: [2], flow: 'glow', layers: 3, hidden: [16], activation: 'tanh' }, new Generator(5), { dtype: 'float64' });
  model.logProb(randn([64, 2], new Generator(6), { dtype: 'float64' }));
  perturb(model, 7, 0.1);
  // 400 x 400 midpoint rule on [-12, 12]^2: the error is far below 1e-3 for a smooth density with these tails.
  const pts = gridPoints({ size: 400, range: [-12, 12] });
  const { values } = meanLogProb(model, new Tensor(Float64Array.from(pts.data), pts.shape));
  let mass = 0;
  for (const v of values) mass += Math.exp(v) * (24 / 400) ** 2;
  assert.ok(Math.abs(mass - 1) < 1e-3, `mass ${mass}`);
  // A spline flow too: its density is continuous (the splines are C1), so the same rule applies as long as
  // the perturbation leaves no spike narrower than the grid (three layers moved by 0.3 do: 0.68 at 400^2, 0.84 at 1200^2).
  const spline = new FlowModel({ eventShape: [2], flow: 'spline', layers: 3, hidden: [16], activation: 'tanh', bins: 6, tailBound: 3 }, new Generator(5), { dtype: 'float64' });
  perturb(spline, 8, 0.1);
  let splineMass = 0;
  for (const v of meanLogProb(spline, new Tensor(Float64Array.from(pts.data), pts.shape)).values) splineMass += Math.exp(v) * (24 / 400) ** 2;
  assert.ok(Math.abs(splineMass - 1) < 1e-3, `spline mass ${splineMass}`);
  const a = model.sample(5, new Generator(8));
  const b = model.sample(5, new Generator(8));
  assert.deepEqual([...a.data], [...b.data]);
  // The sample mean matches the density's mean on the grid (4,000 samples: standard error about 0.03).
  const s = model.sample(4000, new Generator(9));
  let m0 = 0;
  let g0 = 0;
  for (let i = 0; i < 4000; i++) m0 += s.data[2 * i] / 4000;
  for (let i = 0; i < values.length; i++) g0 += pts.data[2 * i] * Math.exp(values[i]) * (24 / 400) ** 2;
  assert.ok(Math.abs(m0 - g0) < 0.15, `sample mean ${m0}, density mean ${g0}`);
});

test('a model directory round-trips the config, the weights, ActNorm initialization and batch-norm running averages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latent-flow-'));
  const c: FlowConfig = { eventShape: [2], flow: 'realnvp', layers: 3, hidden: [8], activation: 'relu', batchNorm: true };
  for (const cfg of [c, { ...c, flow: 'glow' as const }, { ...c, flow: 'spline' as const, bins: 5, tailBound: 4 }]) {
    const model = new FlowModel(cfg, new Generator(10));
    model.logProb(sampleToy2d('rings', 256, new Generator(11)));
    perturb(model, 12, 0.1);
    const sub = join(dir, cfg.flow);
    mkdirSync(sub);
    writeModelConfig(sub, { format: 'latent-model', version: 1, kind: 'flow', model: model.config as unknown as Record<string, unknown> });
    saveModelWeights(sub, model, 'flow');
    const { model: back } = loadFlowDir(sub);
    model.eval();
    const x = sampleToy2d('rings', 10, new Generator(13));
    assert.deepEqual([...back.logProb(x).data], [...model.logProb(x).data]);
    // In training mode the loaded Glow's ActNorm layers do not initialize again.
    back.train();
    const before = back.stateDict();
    back.logProb(x);
    for (const [k, t] of Object.entries(back.stateDict())) if (k.endsWith('logScale') || k.endsWith('.bias')) assert.deepEqual([...t.data], [...before[k].data], k);
  }
  assert.throws(() => validateFlowConfig({ ...c, flow: 'nice' as never }), /flow must be one of realnvp, glow, maf/);
  assert.throws(() => validateFlowConfig({ ...c, flow: 'maf', eventShape: [1, 4, 4] }), /a maf flow works on vectors/);
  assert.throws(() => validateFlowConfig({ ...c, eventShape: [1] }), /at least 2 dimensions/);
  assert.throws(() => validateFlowConfig({ ...c, flow: 'spline', bins: 1 }), /bins must be an integer >= 2, got 1/);
  assert.throws(() => validateFlowConfig({ ...c, flow: 'spline', tailBound: -1 }), /tailBound must be a positive number, got -1/);
  assert.throws(() => loadFlowDir(join(dir, 'nothing')), /not a model directory/);
});

test('maximum likelihood on two moons lowers the test NLL toward the entropy and never below it (beyond noise)', () => {
  const model = new FlowModel({ eventShape: [2], flow: 'realnvp', layers: 4, hidden: [32, 32], activation: 'relu' }, new Generator(14));
  const opt = new Adam(model.parameters(), { lr: 3e-3 });
  const rng = new Generator(15);
  const testX = sampleToy2d('two-moons', 5000, new Generator(16));
  const start = meanLogProb(model, testX).mean;
  for (let s = 0; s < 250; s++) {
    opt.zeroGrad();
    neg(mean(model.logProb(sampleToy2d('two-moons', 256, rng)))).backward();
    opt.step();
  }
  const end = meanLogProb(model, testX);
  const h = toy2dEntropy('two-moons', { samples: 20000, rng: new Generator(0) });
  assert.ok(end.mean > start + 0.3, `test log-likelihood ${start} -> ${end.mean}`);
  // E_p[log q] <= -H(p): allow 4 combined standard errors of the two Monte Carlo estimates.
  const se = Math.hypot(end.stderr, h.stderr);
  assert.ok(end.mean <= -h.entropy + 4 * se, `test log-likelihood ${end.mean} above -H(p) = ${-h.entropy} by more than 4 standard errors (${se})`);
  assert.ok(end.mean > -h.entropy - 0.6, `after 250 steps the gap is ${-h.entropy - end.mean} nats`);
});

test('dequantization puts pixel k in [k/256, (k+1)/256), and bits/dim follows Dinh et al. (2017) §4.1', () => {
  const px = new Tensor(Float32Array.from([0, 1, 128 / 255, 37 / 255]), [1, 4]);
  const x = dequantize(px, new Generator(17));
  [0, 255, 128, 37].forEach((k, i) => assert.ok(x.data[i] >= k / 256 && x.data[i] < (k + 1) / 256, `pixel ${k}: ${x.data[i]}`));
  assert.throws(() => dequantize(new Tensor(Float32Array.from([1.5]), [1, 1]), new Generator(0)), /must lie in \[0, 1\]/);
  // The uniform density on [0, 1)^D is 256^-D per unit cube of pixel values: 8 bits per dimension.
  assert.equal(bitsPerDim(0, 784), 8);
  // Doubling the density everywhere saves exactly one bit over all D dimensions.
  assert.ok(Math.abs(bitsPerDim(784 * Math.LN2, 784) - 7) < 1e-12);
});

test('density pictures: grid order, a normalized histogram, side-by-side panels', () => {
  const pts = gridPoints({ size: 4, range: [0, 4] });
  assert.deepEqual([...pts.data.slice(0, 4)], [0.5, 3.5, 1.5, 3.5]);   // top-left first, x increasing along a row
  const data = sampleToy2d('eight-gaussians', 2000, new Generator(18));
  const h = histogramLogDensity(data, { size: 50, range: [-5, 5] });
  let mass = 0;
  for (const v of h) mass += Math.exp(v) * (10 / 50) ** 2;
  assert.ok(Math.abs(mass - 1) < 1e-9, `histogram mass ${mass}`);
  const img = densityPanels([h, h], 50, { pad: 2 });
  assert.equal(img.width, 2 * 50 + 3 * 2);
  assert.equal(img.height, 50 + 4);
});
