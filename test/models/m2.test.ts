// Semi-supervised M2 with tiny settings: the unlabeled bound is the
// q(y | x)-weighted sum of the labeled bounds plus the entropy (Kingma et al.
// 2014, Eq. 7), the batched enumeration equals a loop over labels, training
// lowers both losses, and accuracy counts what it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/index.js';

const { train } = L.loadDataset('mnist');
const config: L.M2Config = { ...L.defaultM2Config, hidden: [32], classifierHidden: [32], latent: 4 };
const x = L.flattenImages(L.binarizeDataset(L.subsetDataset(train, Array.from({ length: 16 }, (_, i) => i)), 'static', new L.Generator(5)));

function checkIdentity(sharedNoise: boolean) {
  const m2 = new L.M2(config, new L.Generator(1));
  const seed = new L.Generator(42);
  const { bound, bounds, logq, entropy } = L.noGrad(() => m2.unlabeledTerms(x, seed.clone(), sharedNoise));
  // The loop over labels. Shared noise: every label gets the one eps [16, 4] the batched pass drew first. Independent
  // noise: label k's call draws the k-th block of the same stream (16 x 4 normals per call, an even count, so the
  // Box-Muller pairs line up).
  const rng = seed.clone();
  const eps = sharedNoise ? L.randn([16, 4], rng) : undefined;
  const perLabel = L.noGrad(() => Array.from({ length: 10 }, (_, k) => m2.labeledBound(x, new Array(16).fill(k), rng, eps).data));
  const q = L.exp(logq).data;
  for (let i = 0; i < 16; i++) {
    let expected = 0;
    let h = 0;
    for (let k = 0; k < 10; k++) {
      // The same float32 rows through the same kernels in a batch of 160 or of 16: equal up to summation order
      // (|L| ~ 550 nats, float32 eps 1.2e-7, 784-term sums), so 1e-4 relative, i.e. ~0.05 nat, is generous.
      assert.ok(Math.abs(bounds.data[i * 10 + k] - perLabel[k][i]) <= 1e-4 * Math.abs(perLabel[k][i]), `L(x_${i}, ${k}): ${bounds.data[i * 10 + k]} vs ${perLabel[k][i]}`);
      expected += q[i * 10 + k] * perLabel[k][i];
      h -= q[i * 10 + k] * Math.log(q[i * 10 + k]);
    }
    expected += h;
    assert.ok(Math.abs(entropy.data[i] - h) < 1e-4, `H(q(y|x_${i}))`);
    assert.ok(Math.abs(bound.data[i] - expected) <= 1e-4 * Math.abs(expected), `U(x_${i}) = ${bound.data[i]}, sum_y q L + H = ${expected}`);
    // As a bound on log p(x) = log sum_y exp L(x, y) (with these z draws), U can only be lower (Jensen).
    const ls = Array.from({ length: 10 }, (_, k) => perLabel[k][i]);
    const m = Math.max(...ls);
    const lse = m + Math.log(ls.reduce((s, v) => s + Math.exp(v - m), 0));
    assert.ok(bound.data[i] <= lse + 1e-3, `U(x_${i}) ${bound.data[i]} <= logsumexp_y L ${lse}`);
  }
  return bounds;
}

test('U(x) = sum_y q(y|x) L(x, y) + H(q(y|x)), and the batched enumeration equals a loop over labels (shared noise)', () => {
  const bounds = checkIdentity(true);
  assert.ok(bounds.data.every(Number.isFinite));
});

test('the same identity and loop equality with independent noise per label', () => {
  const shared = checkIdentity(true);
  const independent = checkIdentity(false);
  assert.notDeepEqual(Array.from(shared.data), Array.from(independent.data));
});

test('the labeled bound includes log p(y) = -log K and matches the VAE terms', () => {
  const m2 = new L.M2(config, new L.Generator(2));
  const y = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3];
  const a = L.noGrad(() => m2.labeledBound(x, y, new L.Generator(9)));
  const yy = L.oneHot(y, 10);
  const rng = new L.Generator(9);
  const b = L.noGrad(() => {
    const q = m2.vae.posterior(x, yy);
    const z = q.dist.rsample(rng);
    const logw = L.sub(L.add(m2.vae.logLikelihood(x, z, yy), m2.vae.prior([16]).logProb(z)), q.dist.logProb(z));
    return logw;
  });
  // The closed-form KL and the one-sample log-ratio agree in expectation, not per sample; their means over 16 examples differ by
  // the sampling noise of log q - log p (a few nats); the log p(y) offset must be exactly -log 10 on top of that.
  const diff = L.mean(L.sub(a, b)).item();
  assert.ok(Math.abs(diff + Math.log(10)) < 5, `mean L - (one-sample ELBO) = ${diff}, expected about -log 10`);
  assert.throws(() => m2.labeledBound(x, [1, 2], new L.Generator(0)), /labels must be 16 class indices/);
});

test('training a few steps lowers the unlabeled and labeled losses and fits the labels', () => {
  const small = L.subsetDataset(train, Array.from({ length: 400 }, (_, i) => i));
  const labeled = L.subsetDataset(small, L.stratifiedIndices(small, 2, new L.Generator(1)));
  const unlabeled = L.subsetDataset(small, Array.from({ length: 380 }, (_, i) => i + 20));
  const modelRng = new L.Generator(3);
  const m2 = new L.M2(config, modelRng);
  m2.vae.initOutputBias(L.mean(L.flattenImages(small), 0));
  const optimizer = new L.Adam(m2.parameters(), { lr: 3e-3 });
  const epochs: Record<string, number>[] = [];
  L.trainM2(m2, optimizer, {
    labeled, unlabeled, epochs: 8, batchSize: 20, labeledBatchSize: 10, binarize: 'dynamic',
    rng: new L.Generator(4), labeledRng: new L.Generator(5), modelRng, onEpoch: (r) => epochs.push(r.means),
  });
  const [first, last] = [epochs[0], epochs[7]];
  assert.ok(-last.U < -first.U - 5, `-U per epoch: ${epochs.map((e) => -e.U)}`);
  assert.ok(-last.L < -first.L - 5, `-L per epoch: ${epochs.map((e) => -e.L)}`);
  assert.ok(last.ce < first.ce, `labeled cross-entropy per epoch: ${epochs.map((e) => e.ce)}`);
  assert.ok(last.loss < first.loss);
});

test('semiSupervisedBatches cycles the labeled set, one labeled batch per unlabeled batch', () => {
  const small = L.subsetDataset(train, Array.from({ length: 50 }, (_, i) => i));
  const labeled = L.subsetDataset(small, [0, 1, 2, 3, 4, 5, 6]);
  const batches = [...L.semiSupervisedBatches(small, labeled, { batchSize: 10, labeledBatchSize: 3, rng: new L.Generator(0), labeledRng: new L.Generator(1), binarize: 'none' })];
  assert.equal(batches.length, 5);
  const seen = batches.map((b) => Array.from(b.labeled.indices));
  assert.ok(seen.every((s) => s.length === 3 && s.every((i) => i >= 0 && i < 7)));
  // Passes of 2 batches (7 // 3, dropLast): batches 0-1, 2-3 cover 6 distinct examples each.
  assert.equal(new Set([...seen[0], ...seen[1]]).size, 6);
  assert.equal(new Set([...seen[2], ...seen[3]]).size, 6);
  assert.deepEqual(batches.map((b) => b.unlabeled.x.shape), [[10, 784], [10, 784], [10, 784], [10, 784], [10, 784]]);
  // Resuming mid-epoch gives the remaining batches of the same epoch.
  const resumed = [...L.semiSupervisedBatches(small, labeled, { batchSize: 10, labeledBatchSize: 3, rng: new L.Generator(0), labeledRng: new L.Generator(1), binarize: 'none', startBatch: 3 })];
  assert.deepEqual(resumed.map((b) => Array.from(b.labeled.indices)), seen.slice(3));
  assert.deepEqual(resumed.map((b) => Array.from(b.unlabeled.indices)), batches.slice(3).map((b) => Array.from(b.unlabeled.indices)));
});

test('accuracy and classify on hand-made cases', () => {
  assert.equal(L.accuracy([0, 1, 2, 2], [0, 1, 1, 2]), 0.75);
  assert.equal(L.accuracy(Int32Array.from([3, 3]), [3, 3]), 1);
  assert.throws(() => L.accuracy([1], [1, 2]), /1 predictions for 2 labels/);
  assert.throws(() => L.accuracy([], []), /no examples/);
  // classifyWith takes the argmax of each row, across batch boundaries.
  const logits = L.tensor([[0, 5, 1], [9, -1, 0], [0, 0, 0.5], [2, 3, 1], [-1, -2, -0.5]]);
  const pred = L.classifyWith((xb) => xb, logits, 2);
  assert.deepEqual(Array.from(pred), [1, 0, 2, 1, 2]);
  assert.equal(L.accuracy(pred, [1, 0, 2, 0, 2]), 0.8);
  // M2.classify agrees with the argmax of its classifier's logits.
  const m2 = new L.M2(config, new L.Generator(7));
  const direct = L.noGrad(() => m2.logits(x)).data;
  const c = m2.classify(x, 5);
  for (let i = 0; i < 16; i++) {
    const row = Array.from(direct.subarray(i * 10, i * 10 + 10));
    assert.equal(c[i], row.indexOf(Math.max(...row)));
  }
});

test('the labels-only baseline trains the same architecture by cross-entropy', () => {
  const small = L.subsetDataset(train, Array.from({ length: 200 }, (_, i) => i));
  const labeled = L.subsetDataset(small, L.stratifiedIndices(small, 3, new L.Generator(1)));
  const net = L.labelClassifier(config, new L.Generator(1));
  const m2 = new L.M2(config, new L.Generator(1));
  assert.deepEqual(Object.entries(net.stateDict()).map(([n, t]) => [n, t.shape]), Object.entries(m2.classifier.stateDict()).map(([n, t]) => [n, t.shape]));
  const losses: number[] = [];
  L.trainClassifier(net, new L.Adam(net.parameters(), { lr: 3e-3 }), {
    labeled, epochs: 3, batchesPerEpoch: 10, labeledBatchSize: 10, labeledRng: new L.Generator(2), binarize: 'none', onEpoch: (r) => losses.push(r.means.ce),
  });
  assert.ok(losses[2] < losses[0] / 2, `cross-entropy per epoch ${losses}`);
  const acc = L.accuracy(L.classifyWith((xb) => net.forward(xb), L.flattenImages(labeled)), labeled.labels!);
  assert.ok(acc > 0.9, `training accuracy ${acc}`);
});

test('M2 config errors name the field', () => {
  assert.throws(() => new L.M2({ ...config, numClasses: 1 }, new L.Generator(0)), /numClasses must be an integer >= 2/);
  assert.throws(() => new L.M2({ ...config, classifierHidden: [] }, new L.Generator(0)), /classifierHidden must list/);
  assert.throws(() => new L.M2({ ...config, latent: 0 }, new L.Generator(0)), /latent must be a positive integer/);
});
