// Optimizers, clipping and schedules: checkpoint resume, validation,
// parameter groups, and closed forms. (Trajectories against PyTorch are in
// pytorch.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, zeros, ones, sub, mean, square, sum, mul, add } from '../../src/index.js';
import { Generator, randn } from '../../src/random/index.js';
import { mlp } from '../../src/nn/index.js';
import {
  Adam, AdamW, SGD, clipGradNorm, clipGradValue, StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR,
  SequentialLR, linearWarmup, type Optimizer, type OptimizerStateDict,
} from '../../src/optim/index.js';

function problem() {
  const rng = new Generator(5);
  const x = randn([16, 3], rng);
  const y = randn([16, 1], rng);
  return { x, y };
}

function trainSteps(net: ReturnType<typeof mlp>, opt: Optimizer<{ lr: number }>, n: number, sched?: { step(): void }) {
  const { x, y } = problem();
  for (let i = 0; i < n; i++) {
    opt.zeroGrad();
    mean(square(sub(net.forward(x), y))).backward();
    opt.step();
    sched?.step();
  }
}

const makers: [string, (p: Tensor[]) => Optimizer<{ lr: number }>][] = [
  ['Adam amsgrad + L2', (p) => new Adam(p, { lr: 1e-2, amsgrad: true, weightDecay: 1e-3 }) as unknown as Optimizer<{ lr: number }>],
  ['AdamW', (p) => new AdamW(p, { lr: 1e-2 }) as unknown as Optimizer<{ lr: number }>],
  ['SGD nesterov', (p) => new SGD(p, { lr: 1e-2, momentum: 0.9, nesterov: true }) as unknown as Optimizer<{ lr: number }>],
];

for (const [name, make] of makers) {
  test(`${name}: 5 steps, save, restore into fresh objects, 5 more == 10 uninterrupted (bit for bit)`, () => {
    const ref = mlp([3, 8, 1], { activation: 'tanh', rng: new Generator(1) });
    const refOpt = make(ref.parameters());
    const refSched = new CosineAnnealingLR(refOpt, { tMax: 10, etaMin: 1e-4 });
    trainSteps(ref, refOpt, 10, refSched);

    const a = mlp([3, 8, 1], { activation: 'tanh', rng: new Generator(1) });
    const aOpt = make(a.parameters());
    const aSched = new CosineAnnealingLR(aOpt, { tMax: 10, etaMin: 1e-4 });
    trainSteps(a, aOpt, 5, aSched);
    const saved = { model: a.stateDict(), opt: aOpt.stateDict(), sched: aSched.stateDict() };
    trainSteps(a, aOpt, 3, aSched); // progress after saving must not leak into the saved copies

    const b = mlp([3, 8, 1], { activation: 'tanh', rng: new Generator(99) });
    b.loadStateDict(saved.model);
    const bOpt = make(b.parameters());
    const bSched = new CosineAnnealingLR(bOpt, { tMax: 10, etaMin: 1e-4 });
    bOpt.loadStateDict(saved.opt);
    bSched.loadStateDict(saved.sched);
    trainSteps(b, bOpt, 5, bSched);

    const r = ref.stateDict();
    for (const [k, t] of Object.entries(b.stateDict())) assert.deepEqual(t.data, r[k].data, k);
    assert.equal(bOpt.lr, refOpt.lr);
  });
}

test('stateDict layout: step counts and buffers by parameter index, group hyperparameters', () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3], { requiresGrad: true });
  const opt = new Adam([{ params: [w] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
  sum(mul(w, w)).backward(); // b gets no gradient: no state for it
  opt.step();
  const sd: OptimizerStateDict = opt.stateDict();
  assert.deepEqual(Object.keys(sd.state), ['0']);
  assert.equal(sd.state['0'].step, 1);
  assert.deepEqual(Object.keys(sd.state['0']).sort(), ['expAvg', 'expAvgSq', 'step']);
  assert.deepEqual(sd.paramGroups.map((g) => [g.lr, g.params]), [[0.1, [0]], [0.5, [1]]]);
  assert.deepEqual(sd.paramGroups[0].betas, [0.9, 0.999]);
  assert.deepEqual([...b.data], [3], 'a parameter without gradient is not changed');
});

test('loadStateDict checks groups and buffer shapes before changing anything', () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const opt = new Adam([w], { lr: 0.1 });
  sum(mul(w, w)).backward();
  opt.step();
  const sd = opt.stateDict();
  const other = new Adam([{ params: [zeros([2], { requiresGrad: true })] }, { params: [zeros([1], { requiresGrad: true })] }]);
  assert.throws(() => other.loadStateDict(sd), /the state has 1 parameter group\(s\), this optimizer 2/);
  const wrongShape = new Adam([zeros([3], { requiresGrad: true })]);
  assert.throws(() => wrongShape.loadStateDict(sd), /'expAvg' has shape \[2\], expected \[3\]/);
  const bad = { ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: -1 }] };
  assert.throws(() => new Adam([zeros([2], { requiresGrad: true })]).loadStateDict(bad), /lr must be a finite non-negative number, got -1/);
});

test('validation errors name the optimizer and the option', () => {
  const p = () => [zeros([2], { requiresGrad: true })];
  assert.throws(() => new Adam(p(), { lr: NaN }), /^Error: Adam: lr must be a finite non-negative number, got NaN$/);
  assert.throws(() => new Adam(p(), { lr: -1e-3 }), /Adam: lr must be a finite non-negative number, got -0\.001/);
  assert.throws(() => new Adam(p(), { lr: Infinity }), /Adam: lr must be a finite non-negative number, got Infinity/);
  assert.throws(() => new AdamW(p(), { lr: NaN }), /AdamW: lr must be/);
  assert.throws(() => new Adam(p(), { betas: [1, 0.999] }), /Adam: betas\[0\] must be in \[0, 1\), got 1/);
  assert.throws(() => new Adam(p(), { betas: [0.9, -0.1] }), /Adam: betas\[1\] must be in \[0, 1\), got -0\.1/);
  assert.throws(() => new Adam(p(), { eps: 0 }), /Adam: eps must be a finite positive number, got 0/);
  assert.throws(() => new Adam(p(), { weightDecay: -1 }), /Adam: weightDecay must be a finite non-negative number/);
  assert.throws(() => new SGD(p(), { lr: 0.1, momentum: -0.5 }), /SGD: momentum must be a finite non-negative number/);
  assert.throws(() => new SGD(p(), { lr: 0.1, nesterov: true }), /SGD: nesterov needs momentum > 0 and dampening 0/);
  assert.throws(() => new SGD(p(), {} as never), /SGD: lr is required/);
  assert.throws(() => new Adam([]), /Adam: got an empty parameter list/);
  const shared = zeros([2], { requiresGrad: true });
  assert.throws(() => new Adam([{ params: [shared] }, { params: [shared] }]), /appears more than once/);
  assert.throws(() => new Adam([add(shared, 1)]), /not a leaf tensor/);
  assert.throws(() => new Adam([{ params: p(), lr: -2 }]), /Adam: parameter group 0: lr must be a finite non-negative number, got -2/);
  const opt = new Adam(p());
  assert.throws(() => (opt.lr = NaN), /Adam: lr must be a finite non-negative number, got NaN/);
  assert.throws(() => clipGradNorm(p(), NaN), /clipGradNorm: maxNorm must be a finite non-negative number, got NaN/);
  assert.throws(() => clipGradNorm(p(), Infinity), /maxNorm must be a finite/);
  assert.throws(() => clipGradNorm(p(), 1, 0), /normType must be a positive number or Infinity/);
  assert.throws(() => clipGradValue(p(), -1), /clipValue must be a finite non-negative number/);
});

test('lr is settable for every group; a parameter group keeps its own lr otherwise', () => {
  const a = zeros([1], { requiresGrad: true });
  const b = zeros([1], { requiresGrad: true });
  const opt = new SGD([{ params: [a], lr: 1 }, { params: [b] }], { lr: 0.1 });
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [1, 0.1]);
  a.grad = ones([1]);
  b.grad = ones([1]);
  opt.step();
  assert.deepEqual([a.data[0], b.data[0]], [-1, -0.1].map(Math.fround));
  opt.lr = 0.5;
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.5, 0.5]);
});

test('Adam: first step moves every coordinate by lr (bias correction), maximize flips the direction', () => {
  // With m1 = (1-b1) g and v1 = (1-b2) g^2, the corrected step is lr * g / (|g| + eps') = lr * sign(g).
  const p = tensor([1, -2, 3], { dtype: 'float64', requiresGrad: true });
  const opt = new Adam([p], { lr: 0.1 });
  p.grad = tensor([0.5, -4, 1e-3], { dtype: 'float64' });
  opt.step();
  const moved = [1 - 0.1, -2 + 0.1, 3 - 0.1];
  p.data.forEach((v, i) => assert.ok(Math.abs(v - moved[i]) < 1e-6, `${v} vs ${moved[i]}`));

  const q = tensor([0], { dtype: 'float64', requiresGrad: true });
  const up = new Adam([q], { lr: 0.1, maximize: true });
  q.grad = tensor([2], { dtype: 'float64' });
  up.step();
  assert.ok(q.data[0] > 0.0999);
});

test('AdamW decays weights by lr * weightDecay independently of the gradient (default 1e-2)', () => {
  const p = tensor([2], { dtype: 'float64', requiresGrad: true });
  const opt = new AdamW([p], { lr: 0.1 });
  assert.equal(opt.paramGroups[0].weightDecay, 1e-2);
  p.grad = tensor([0], { dtype: 'float64' });
  opt.step(); // zero gradient: only the decay acts
  assert.equal(p.data[0], 2 * (1 - 0.1 * 1e-2));
});

test('clipGradNorm returns the total norm and scales to maxNorm / (norm + 1e-6)', () => {
  const a = zeros([2], { dtype: 'float64', requiresGrad: true });
  const b = zeros([1], { dtype: 'float64', requiresGrad: true });
  const c = zeros([1], { dtype: 'float64', requiresGrad: true }); // no gradient: skipped
  a.grad = tensor([3, 0], { dtype: 'float64' });
  b.grad = tensor([4], { dtype: 'float64' });
  assert.equal(clipGradNorm([a, b, c], 1), 5);
  const coef = 1 / (5 + 1e-6);
  assert.deepEqual([...a.grad.data, ...b.grad.data], [3 * coef, 0, 4 * coef]);
  assert.equal(c.grad, null);
  // Below the limit: unchanged up to the 1e-6 (coefficient clamped at 1).
  a.grad = tensor([0.3, 0.4], { dtype: 'float64' });
  assert.equal(clipGradNorm([a], 1), 0.5);
  assert.deepEqual([...a.grad.data], [0.3, 0.4]);
  // Infinity norm and p = 1.
  a.grad = tensor([-7, 2], { dtype: 'float64' });
  assert.equal(clipGradNorm([a], 100, Infinity), 7);
  assert.ok(Math.abs(clipGradNorm([a], 100, 1) - 9) < 1e-12);
  assert.equal(clipGradNorm([c], 1), 0, 'no gradients at all: norm 0');
});

test('clipping never scales a gradient twice when gradients share storage', () => {
  // The tape can hand the same gradient tensor to two leaves (d(a + b)/da and /db).
  const a = zeros([2], { dtype: 'float64', requiresGrad: true });
  const b = zeros([2], { dtype: 'float64', requiresGrad: true });
  sum(mul(add(a, b), tensor([3, 4], { dtype: 'float64' }))).backward();
  const norm = clipGradNorm([a, b], 1);
  assert.ok(Math.abs(norm - Math.sqrt(50)) < 1e-12);
  const coef = 1 / (Math.sqrt(50) + 1e-6);
  for (const p of [a, b]) p.grad!.data.forEach((v, i) => assert.ok(Math.abs(v - [3, 4][i] * coef) < 1e-15));
  clipGradValue([a, b], 0.5);
  assert.ok([...a.grad!.data, ...b.grad!.data].every((v) => v <= 0.5));
});

test('clipGradValue clamps entries', () => {
  const a = zeros([3], { requiresGrad: true });
  a.grad = tensor([-3, 0.2, 5]);
  clipGradValue(a, 1);
  assert.deepEqual([...a.grad.data], [-1, Math.fround(0.2), 1]);
});

test('schedules follow PyTorch\'s closed forms', () => {
  const opt = () => new SGD([zeros([1], { requiresGrad: true })], { lr: 0.1 });
  const lrs = (s: { getLr(): number[]; step(): void }, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(s.getLr()[0]);
      s.step();
    }
    return out;
  };
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-15, `${i}: ${v} vs ${b[i]}`));
  close(lrs(new StepLR(opt(), { stepSize: 2, gamma: 0.5 }), 5), [0.1, 0.1, 0.05, 0.05, 0.025]);
  close(lrs(new ExponentialLR(opt(), { gamma: 0.9 }), 3), [0.1, 0.09, 0.081]);
  close(lrs(new CosineAnnealingLR(opt(), { tMax: 4, etaMin: 0.02 }), 5),
    [0, 1, 2, 3, 4].map((t) => 0.02 + (0.08 * (1 + Math.cos((Math.PI * t) / 4))) / 2));
  close(lrs(new LinearLR(opt(), { startFactor: 0.25, totalIters: 3 }), 5), [0.025, 0.05, 0.075, 0.1, 0.1]);
  close(lrs(new LambdaLR(opt(), (t) => 1 / (t + 1)), 3), [0.1, 0.05, 0.1 / 3]);
  const o = opt();
  close(lrs(linearWarmup(o, { steps: 2, startFactor: 0.5, after: new ExponentialLR(o, { gamma: 0.5 }) }), 5), [0.05, 0.075, 0.1, 0.05, 0.025]);
  const o2 = opt();
  const seq = new SequentialLR(o2, [new LinearLR(o2, { startFactor: 0.5, totalIters: 2 }), new StepLR(o2, { stepSize: 1, gamma: 0.1 })], [3]);
  assert.equal(o2.lr, 0.05, 'the optimizer holds the schedule\'s lr at construction');
  close(lrs(seq, 5), [0.05, 0.075, 0.1, 0.1, 0.01]);
  assert.throws(() => new StepLR(opt(), { stepSize: 0 }), /stepSize must be a positive integer, got 0/);
  assert.throws(() => new SequentialLR(o2, [seq], [1]), /expected 0 milestone/);
});
