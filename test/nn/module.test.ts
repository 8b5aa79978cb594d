// Module: parameter discovery and naming, state dicts (round trip and errors),
// modes, gradients, and the layers built on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, zeros, ones, add, mul, sum } from '../../src/index.js';
import { Generator } from '../../src/random/index.js';
import {
  Module, Linear, Sequential, ReLU, Tanh, Sigmoid, Softplus, LeakyReLU, ELU, Identity, Flatten, Unflatten, mlp, activation,
} from '../../src/nn/index.js';

class Encoder extends Module<[Tensor], { mu: Tensor; logvar: Tensor }> {
  body: Sequential;
  mu: Linear;
  logvar: Linear;
  constructor(rng: Generator) {
    super();
    this.body = mlp([4, 8], { rng, activation: 'relu', outputActivation: 'relu' });
    this.mu = new Linear(8, 2, { rng });
    this.logvar = new Linear(8, 2, { rng });
  }
  forward(x: Tensor) {
    const h = this.body.forward(x);
    return { mu: this.mu.forward(h), logvar: this.logvar.forward(h) };
  }
}

class Vae extends Module<[Tensor], Tensor> {
  encoder: Encoder;
  decoder: Sequential;
  scale = ones([1], { requiresGrad: true });
  _cache: Tensor | null = zeros([3]); // underscore fields are not parameters
  blocks: Module[];
  constructor(rng: Generator) {
    super();
    this.encoder = new Encoder(rng);
    this.decoder = mlp([2, 8, 4], { rng, activation: 'tanh' });
    this.blocks = [new Linear(2, 2, { rng }), new Tanh()];
  }
  forward(x: Tensor) {
    return this.decoder.forward(this.encoder.forward(x).mu).mul(this.scale);
  }
}

const rng = () => new Generator(3);

test('state dict names follow PyTorch: own parameters first, then submodules, dotted, Sequential indices', () => {
  const m = new Vae(rng());
  assert.deepEqual(Object.keys(m.stateDict()), [
    'scale',
    'encoder.body.0.weight', 'encoder.body.0.bias',
    'encoder.mu.weight', 'encoder.mu.bias',
    'encoder.logvar.weight', 'encoder.logvar.bias',
    'decoder.0.weight', 'decoder.0.bias', 'decoder.2.weight', 'decoder.2.bias',
    'blocks.0.weight', 'blocks.0.bias',
  ]);
  assert.deepEqual(m.namedParameters().map(([n]) => n), Object.keys(m.stateDict()));
  assert.equal(m.numParameters(), 1 + (32 + 8) + (16 + 2) * 2 + (16 + 8) + (32 + 4) + (4 + 2));
  assert.deepEqual(m.namedModules().map(([n]) => n), [
    '', 'encoder', 'encoder.body', 'encoder.body.0', 'encoder.body.1', 'encoder.mu', 'encoder.logvar',
    'decoder', 'decoder.0', 'decoder.1', 'decoder.2', 'blocks.0', 'blocks.1',
  ]);
  assert.deepEqual(m.stateDict()['encoder.mu.weight'].shape, [2, 8]); // PyTorch layout [out, in]
});

test('mlp builds Linear + activation with indices 0, 2, 4 like torch.nn.Sequential', () => {
  const net = mlp([3, 16, 16, 1], { activation: 'tanh', rng: rng() });
  assert.deepEqual(Object.keys(net.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
  assert.equal(net.length, 5);
  assert.ok(net.at(1) instanceof Tanh && net.at(3) instanceof Tanh && net.at(4) instanceof Linear);
  const withOut = mlp([3, 4], { rng: rng(), outputActivation: 'sigmoid' });
  assert.ok(withOut.at(-1) instanceof Sigmoid);
  assert.throws(() => mlp([3], { rng: rng() }), /sizes must list/);
  assert.throws(() => mlp([3, 0], { rng: rng() }), /sizes\[1\] must be a positive integer/);
  assert.throws(() => mlp([3, 4], { rng: rng(), activation: 'swish' as never }), /unknown activation "swish"/);
});

test('same seed gives the same weights; different seeds differ', () => {
  const a = mlp([5, 7, 2], { rng: new Generator(11) }).stateDict();
  const b = mlp([5, 7, 2], { rng: new Generator(11) }).stateDict();
  const c = mlp([5, 7, 2], { rng: new Generator(12) }).stateDict();
  for (const k of Object.keys(a)) assert.deepEqual(a[k].data, b[k].data);
  assert.notDeepEqual(a['0.weight'].data, c['0.weight'].data);
});

test('stateDict/loadStateDict round trip restores outputs exactly, in place', () => {
  const a = new Vae(new Generator(1));
  const b = new Vae(new Generator(2));
  const x = tensor([[0.1, -0.2, 0.3, 0.4], [1, 2, -1, 0.5]]);
  assert.notDeepEqual(a.forward(x).data, b.forward(x).data);
  const weightBefore = b.encoder.mu.weight;
  const result = b.loadStateDict(a.stateDict());
  assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(a.forward(x).data, b.forward(x).data);
  assert.equal(b.encoder.mu.weight, weightBefore, 'parameters are updated in place, not replaced');
});

test('stateDict returns copies: later changes do not alter a saved state dict', () => {
  const lin = new Linear(2, 2, { rng: rng() });
  const sd = lin.stateDict();
  const saved = sd.weight.data.slice();
  lin.weight.data[0] += 1;
  assert.deepEqual(sd.weight.data, saved);
});

test('loadStateDict converts dtype (a float64 state dict into float32 parameters)', () => {
  const lin = new Linear(2, 1, { rng: rng() });
  lin.loadStateDict({ weight: tensor([[0.5, -0.25]], { dtype: 'float64' }), bias: tensor([1.5], { dtype: 'float64' }) });
  assert.equal(lin.weight.dtype, 'float32');
  assert.deepEqual([...lin.weight.data, ...lin.bias!.data], [0.5, -0.25, 1.5]);
});

test('loadStateDict errors name missing and unexpected keys and shape mismatches, and change nothing', () => {
  const net = mlp([3, 4, 2], { rng: rng() });
  const good = net.stateDict();
  const before = net.stateDict();

  const missing = { ...good };
  delete missing['2.bias'];
  assert.throws(() => net.loadStateDict(missing), /missing key\(s\): '2\.bias'/);

  const extra = { ...good, '4.weight': zeros([1, 2]) };
  assert.throws(() => net.loadStateDict(extra), /unexpected key\(s\): '4\.weight'/);

  const wrongShape = { ...good, '0.weight': zeros([3, 4]) };
  assert.throws(() => net.loadStateDict(wrongShape), /size mismatch for '0\.weight': expected shape \[4, 3\], got \[3, 4\]/);

  // Shape errors are raised before anything is copied: the good entries were not loaded either.
  const mixed = { ...good, '0.bias': ones([4]), '2.weight': zeros([5, 5]) };
  assert.throws(() => net.loadStateDict(mixed), /size mismatch for '2\.weight'/);
  for (const [k, t] of Object.entries(net.stateDict())) assert.deepEqual(t.data, before[k].data, k);

  assert.throws(() => net.loadStateDict({ ...good, '0.bias': [1, 2, 3, 4] as unknown as Tensor }), /'0\.bias' is not a Tensor/);
});

test('loadStateDict with strict: false reports missing and unexpected keys, still rejects shape mismatches', () => {
  const net = mlp([3, 4, 2], { rng: rng() });
  const sd = net.stateDict();
  const partial = { '0.weight': sd['0.weight'], 'extra.weight': zeros([1]) };
  const r = net.loadStateDict(partial, { strict: false });
  assert.deepEqual(r.missingKeys, ['0.bias', '2.weight', '2.bias']);
  assert.deepEqual(r.unexpectedKeys, ['extra.weight']);
  assert.throws(() => net.loadStateDict({ '0.weight': zeros([1, 1]) }, { strict: false }), /size mismatch/);
});

test('zeroGrad clears gradients; train()/eval() set the flag on the whole tree', () => {
  const m = new Vae(rng());
  const x = tensor([[0.1, -0.2, 0.3, 0.4]]);
  sum(m.forward(x)).backward();
  assert.ok(m.encoder.mu.weight.grad !== null);
  assert.ok(m.scale.grad !== null);
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));

  assert.equal(m.eval(), m);
  assert.ok(m.namedModules().every(([, mod]) => !mod.training));
  m.train();
  assert.ok(m.namedModules().every(([, mod]) => mod.training));
  m.encoder.train(false);
  assert.equal(m.training, true);
  assert.equal(m.encoder.body.at(0).training, false);
});

test('parameters require gradients; requiresGrad(false) freezes a subtree', () => {
  const m = new Vae(rng());
  assert.ok(m.parameters().every((p) => p.requiresGrad));
  m.encoder.requiresGrad(false);
  assert.equal(m.numParameters({ trainableOnly: true }), m.numParameters() - m.encoder.numParameters());
});

test('explicit registration, buffers, tied weights and cycles', () => {
  class Custom extends Module {
    lin: Linear;
    constructor() {
      super();
      this.lin = new Linear(2, 2, { rng: rng() });
      this.registerParameter('gain', ones([2]));
      this.registerBuffer('mask', tensor([1, 0]));
      this.registerModule('head', new Linear(2, 1, { rng: rng() }));
    }
    forward(x: Tensor) {
      return x;
    }
  }
  const c = new Custom();
  assert.deepEqual(Object.keys(c.stateDict()), ['gain', 'mask', 'lin.weight', 'lin.bias', 'head.weight', 'head.bias']);
  assert.deepEqual(c.namedParameters().map(([n]) => n), ['gain', 'lin.weight', 'lin.bias', 'head.weight', 'head.bias']);
  assert.deepEqual(c.namedBuffers().map(([n]) => n), ['mask']);
  assert.ok(c.parameters()[0].requiresGrad, 'registerParameter marks the tensor as requiring gradients');

  // Tied weights: listed once by parameters(), under both names in the state dict (as PyTorch).
  const shared = new Linear(3, 3, { rng: rng() });
  const tied = new Sequential(shared, new ReLU(), shared);
  assert.equal(tied.parameters().length, 2);
  assert.deepEqual(Object.keys(tied.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias']);

  class Loop extends Module {
    self_: Module | null = null;
    forward(x: Tensor) {
      return x;
    }
  }
  const loop = new Loop();
  const outer = new Sequential(loop);
  loop.self_ = outer;
  assert.throws(() => outer.stateDict(), /cycle/);

  assert.throws(() => c.registerParameter('a.b', ones([1])), /without '\.'/);
  assert.throws(() => c.registerParameter('derived', add(ones([1], { requiresGrad: true }), 1)), /must be a leaf tensor/);
});

test('Linear: PyTorch layout, rank checks, works on [batch..., in] inputs', () => {
  const lin = new Linear(3, 2, { rng: rng() });
  assert.deepEqual(lin.weight.shape, [2, 3]);
  assert.deepEqual(lin.bias!.shape, [2]);
  assert.deepEqual(lin.forward(zeros([5, 3])).shape, [5, 2]);
  assert.deepEqual(lin.forward(zeros([4, 5, 3])).shape, [4, 5, 2]);
  assert.deepEqual(lin.forward(zeros([3])).shape, [2]);
  assert.throws(() => lin.forward(zeros([5, 4])), /must end in inFeatures = 3/);
  assert.throws(() => new Linear(0, 2, { rng: rng() }), /inFeatures must be a positive integer, got 0/);
  assert.throws(() => new Linear(2, 2, {} as never), /rng/);
  assert.equal(lin.toString(), 'Linear(inFeatures=3, outFeatures=2, bias=true)');
});

test('activation modules compute their functions', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 2], { dtype: 'float64' });
  const cases: [Module, (v: number) => number][] = [
    [new ReLU(), (v) => Math.max(v, 0)],
    [new Tanh(), Math.tanh],
    [new Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
    [new Softplus(), (v) => Math.log1p(Math.exp(v))],
    [new Softplus({ beta: 2 }), (v) => Math.log1p(Math.exp(2 * v)) / 2],
    [new LeakyReLU(), (v) => (v > 0 ? v : 0.01 * v)],
    [new LeakyReLU({ negativeSlope: 0.2 }), (v) => (v > 0 ? v : 0.2 * v)],
    [new ELU(), (v) => (v > 0 ? v : Math.expm1(v))],
    [new Identity(), (v) => v],
    [activation('elu'), (v) => (v > 0 ? v : Math.expm1(v))],
  ];
  for (const [m, f] of cases) {
    const y = m.forward(x);
    x.data.forEach((v, i) => assert.ok(Math.abs(y.data[i] - f(v)) < 1e-14, `${m.toString()} at ${v}`));
    assert.deepEqual(m.parameters(), []);
  }
});

test('Flatten and Unflatten', () => {
  const x = zeros([2, 3, 4, 5]);
  assert.deepEqual(new Flatten().forward(x).shape, [2, 60]);
  assert.deepEqual(new Flatten({ startDim: 0 }).forward(x).shape, [120]);
  assert.deepEqual(new Flatten({ startDim: 1, endDim: 2 }).forward(x).shape, [2, 12, 5]);
  assert.deepEqual(new Unflatten(1, [3, 20]).forward(zeros([2, 60])).shape, [2, 3, 20]);
  assert.deepEqual(new Unflatten(-1, [-1, 4]).forward(zeros([2, 12])).shape, [2, 3, 4]);
  assert.throws(() => new Unflatten(1, [7, 9]).forward(zeros([2, 60])), /cannot split dimension 1 of size 60/);
  const round = new Sequential(new Flatten(), new Unflatten(1, [3, 4, 5]));
  assert.deepEqual(round.forward(x).shape, [2, 3, 4, 5]);
});

test('gradients flow through a Sequential to every parameter', () => {
  const net = mlp([3, 5, 2], { activation: 'softplus', rng: rng(), dtype: 'float64' });
  const y = sum(mul(net.forward(tensor([[1, 2, 3]], { dtype: 'float64' })), 2));
  y.backward();
  for (const [name, p] of net.namedParameters()) assert.ok(p.grad && p.grad.data.some((v) => v !== 0), name);
});

test('Sequential runs Linear + ReLU/Tanh/Sigmoid fused, with the same bits as layer by layer, and leaves subclasses alone', () => {
  const g = new Generator(11);
  for (const dtype of ['float32', 'float64'] as const) {
    for (const act of [new ReLU(), new Tanh(), new Sigmoid()]) {
      const lin = new Linear(6, 5, { rng: g, dtype });
      const net = new Sequential(lin, act, new Linear(5, 3, { rng: g, dtype }));
      const data = Array.from({ length: 4 * 6 }, () => g.normal01());
      const x1 = tensor(data, { dtype }).reshape([4, 6]).requireGrad();
      const x2 = tensor(data, { dtype }).reshape([4, 6]).requireGrad();
      const fused = net.forward(x1);
      // Layer by layer, each module's own forward.
      const byLayer = net.at(2).forward(act.forward(lin.forward(x2)));
      assert.deepEqual([...fused.data], [...byLayer.data], `${dtype} ${act.constructor.name} forward`);
      const w = tensor(Array.from({ length: 12 }, (_, i) => 0.3 + i / 7), { dtype }).reshape([4, 3]);
      sum(mul(fused, w)).backward();
      const gFused = [x1.grad!, ...net.parameters().map((p) => p.grad!)].map((t) => [...t.data]);
      net.zeroGrad();
      sum(mul(byLayer, w)).backward();
      const gLayer = [x2.grad!, ...net.parameters().map((p) => p.grad!)].map((t) => [...t.data]);
      assert.deepEqual(gFused, gLayer, `${dtype} ${act.constructor.name} gradients`);
    }
  }
  // A subclass of Linear may change forward (MADE's masked layer does): it is not fused.
  class Doubled extends Linear {
    override forward(x: Tensor): Tensor {
      return mul(super.forward(x), 2);
    }
  }
  const d = new Doubled(2, 2, { rng: g });
  const out = new Sequential(d, new ReLU()).forward(tensor([[1, -1]]));
  assert.deepEqual([...out.data], [...d.forward(tensor([[1, -1]])).data].map((v) => Math.max(v, 0)));
});
