// `latent train m2 --labeled N`: semi-supervised M2 (Kingma et al. 2014) on
// N labeled examples (the same number per class) and the rest of the
// training set unlabeled, against the same classifier trained on the N
// labels alone; both scored by test accuracy.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import type { Dataset } from '../../src/index.js';
import { UserError, asUserError } from '../errors.js';
import { checkOutDir, checkTestShape, defaultRunDir, metricsUpTo } from '../outdir.js';
import { progress, say } from '../progress.js';
import type { VaeTrainOptions } from './vae.js';

/** The shared `latent train` options M2 reads, plus its own. */
export type M2TrainOptions = Pick<VaeTrainOptions,
  'data' | 'labels' | 'testData' | 'binarize' | 'epochs' | 'batch' | 'lr' | 'seed' | 'latent' | 'hidden' | 'activation' |
  'clip' | 'out' | 'resume' | 'json' | 'progress'> & {
  labeled?: number;
  alpha?: number;
  classifierHidden?: number[];
  labeledBatch?: number;
};

/** Which options the user gave (commander's 'cli' source), so M2's own defaults can apply to the rest. */
export type OptionGiven = (name: string) => boolean;

/** M2's defaults where the shared `train` options default to the VAE's (latent 20, hidden 400, relu). */
export const M2_DEFAULTS = { latent: 50, hidden: [256], activation: 'softplus' as const };


function loadData(o: M2TrainOptions, rng: L.Generator): { train: Dataset; test: Dataset } {
  return asUserError(() => {
    const splits = L.loadDataset(o.data, { labels: o.labels });
    const test = o.testData ? L.loadTestDataset(o.testData) : splits.test;
    checkTestShape(splits.train, test, o.testData);
    if (test) return { train: splits.train, test };
    return L.splitDataset(splits.train, 0.1, rng);
  });
}

/** The labeled examples: `labeled / K` per class, drawn with a generator fixed by --seed; the rest are the unlabeled set. */
function splitLabeled(train: Dataset, labeled: number, seed: number): { labeled: Dataset; unlabeled: Dataset; indices: Int32Array } {
  const k = train.numClasses!;
  if (labeled >= train.length) {
    throw new UserError(`--labeled ${labeled} must be smaller than the ${train.length} training examples of ${train.source} (the rest are the unlabeled set)`);
  }
  if (labeled % k !== 0) {
    throw new UserError(`--labeled ${labeled} must be a multiple of the ${k} classes: the labeled examples are drawn stratified, ${Math.floor(labeled / k) || 1} or ${Math.ceil(labeled / k)} per class would give ${k * (Math.floor(labeled / k) || 1)} or ${k * Math.ceil(labeled / k)}`);
  }
  const indices = asUserError(() => L.stratifiedIndices(train, labeled / k, new L.Generator(seed)));
  const taken = new Uint8Array(train.length);
  for (const i of indices) taken[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < train.length; i++) if (!taken[i]) rest.push(i);
  return {
    labeled: L.subsetDataset(train, indices, `${train.source} (${labeled} labeled)`),
    unlabeled: L.subsetDataset(train, rest, `${train.source} (${rest.length} unlabeled)`),
    indices,
  };
}

/** Trains M2 and the labels-only baseline, writes the model directory, returns the summary printed with --json. */
export function trainM2Cli(o: M2TrainOptions, given: OptionGiven): Record<string, unknown> {
  if (o.labeled === undefined) throw new UserError('train m2: --labeled N is required (how many training examples keep their labels, e.g. 100)');
  const out = o.out ?? defaultRunDir('m2');
  checkOutDir(out, { resume: o.resume, resumable: true });
  const ckptFile = join(out, L.CHECKPOINT_FILE);
  const quiet = o.json;
  let saved: L.ModelDirConfig | null = null;
  if (o.resume) {
    if (!existsSync(ckptFile)) throw new UserError(`--resume: ${out} has no checkpoint (${L.CHECKPOINT_FILE}) to resume from`);
    saved = L.readModelConfig(out);
    if (saved.kind !== 'm2') throw new UserError(`--resume: ${out} holds a '${saved.kind}' model, not 'm2'`);
  }
  const [splitRng, modelRng] = new L.Generator(o.seed + 1).split(2);
  const dataRng = new L.Generator(o.seed);
  const labeledRng = new L.Generator(o.seed + 2);
  const { train, test } = loadData(o, splitRng);
  if (!train.image) throw new UserError(`${o.data}: M2 needs image data; got examples of shape [${train.itemShape.join(', ')}]`);
  if (!train.labels || !test.labels) {
    throw new UserError(`train m2: needs labels for ${train.labels ? 'the test data' : o.data} (pass --labels PATH${train.labels ? ' and a labeled --test-data' : ''})`);
  }
  const split = splitLabeled(train, o.labeled, o.seed + 3);
  const { channels, height, width } = train.image;
  const hidden = given('hidden') ? o.hidden : M2_DEFAULTS.hidden;
  const config: L.M2Config = saved ? (saved.model as unknown as L.M2Config) : {
    inputShape: [channels, height, width], numClasses: train.numClasses!,
    latent: given('latent') ? o.latent : M2_DEFAULTS.latent,
    hidden, classifierHidden: o.classifierHidden ?? hidden,
    activation: given('activation') ? o.activation : M2_DEFAULTS.activation, likelihood: 'bernoulli',
  };
  const n = train.length;
  const alpha = saved ? (saved.training as { alpha: number }).alpha : o.alpha ?? 0.1 * n;
  const labeledBatch = o.labeledBatch ?? Math.min(o.batch, split.labeled.length);
  if (labeledBatch > split.labeled.length) throw new UserError(`--labeled-batch ${labeledBatch} is more than the ${split.labeled.length} labeled examples`);
  const m2 = asUserError(() => new L.M2(config, modelRng));
  const [c, h, w] = m2.config.inputShape;
  if (c !== channels || h !== height || w !== width) throw new UserError(`${o.data}: images are ${channels}x${height}x${width} but the model in ${out} expects ${c}x${h}x${w}`);
  // Test images get one fixed binarization; training batches fresh draws (dynamic) or one fixed draw (static).
  const bin = (ds: Dataset, s: number) => (o.binarize === 'static' ? L.binarizeDataset(ds, 'static', new L.Generator(s)) : ds);
  const labeledSet = bin(split.labeled, o.seed + 8);
  const unlabeledSet = bin(split.unlabeled, o.seed + 9);
  const testSet = o.binarize === 'none' ? test : L.binarizeDataset(test, 'static', new L.Generator(o.seed + 7));
  const testX = L.flattenImages(testSet);
  const batchBinarize = o.binarize === 'dynamic' ? 'dynamic' : 'none';
  const optimizer = new L.Adam(m2.parameters(), { lr: o.lr });
  const rngs = { data: dataRng, labeled: labeledRng, model: modelRng };
  mkdirSync(join(out, 'checkpoint'), { recursive: true });
  let state: L.TrainerState | undefined;
  let metrics: string[] = [];
  if (saved) {
    state = L.loadCheckpoint(ckptFile, { model: m2, optimizer, rngs }).trainer;
    metrics = metricsUpTo(out, state.epoch);
    say(quiet, `resuming ${out} at epoch ${state.epoch} (step ${state.step})`);
  } else {
    m2.vae.initOutputBias(L.mean(L.flattenImages(train), 0));
    L.writeModelConfig(out, {
      format: 'latent-model', version: 1, kind: 'm2', model: m2.config as unknown as Record<string, unknown>,
      data: {
        spec: o.data, labels: o.labels ?? null, testData: o.testData ?? null, binarize: o.binarize, train: n, test: test.length,
        labeled: split.labeled.length, unlabeled: split.unlabeled.length, labeledIndices: Array.from(split.indices),
      },
      training: { epochs: o.epochs, batch: o.batch, labeledBatch, lr: o.lr, seed: o.seed, alpha, backend: L.getBackend() },
    });
  }
  const batchesPerEpoch = L.numBatches(unlabeledSet.length, o.batch);
  const bar = progress(o.progress && !quiet);
  say(quiet, `training m2 on ${o.data}: ${split.labeled.length} labeled + ${split.unlabeled.length} unlabeled examples, alpha ${alpha}, ${L.getBackend()} kernels, into ${out}`);
  let running = 0;
  const testAccuracy = () => L.accuracy(m2.classify(testX), testSet.labels!);
  try {
    L.trainM2(m2, optimizer, {
      labeled: labeledSet, unlabeled: unlabeledSet, epochs: o.epochs, batchSize: o.batch, labeledBatchSize: labeledBatch,
      binarize: batchBinarize, rng: dataRng, labeledRng, modelRng, alpha, clipNorm: o.clip, state,
      onStep: (r) => {
        if (r.batch === 1) bar.start(batchesPerEpoch, `epoch ${r.epoch + 1}/${o.epochs}`);
        running = running === 0 ? r.stats.U : 0.95 * running + 0.05 * r.stats.U;
        bar.update(r.batch, { 'U(x)': running.toFixed(2) });
      },
      onNonFinite: (step, q, lr) => say(quiet, `step ${step}: ${q} is not finite; skipped, learning rate lowered to ${lr}`),
      onEpoch: (r) => {
        bar.stop();
        const acc = testAccuracy();
        const line = { epoch: r.epoch, step: r.step, seconds: Number(r.seconds.toFixed(3)), loss: r.means.loss, U: r.means.U, L: r.means.L, ce: r.means.ce, labeled_accuracy: r.means.labeledAccuracy, test_accuracy: acc, lr: optimizer.lr };
        metrics.push(JSON.stringify(line));
        L.writeFileAtomic(join(out, L.METRICS_FILE), new TextEncoder().encode(metrics.join('\n') + '\n'), 'metrics');
        L.saveModelWeights(out, m2, 'm2');
        L.saveCheckpoint(ckptFile, { model: m2, optimizer, rngs }, r.state);
        say(quiet, `epoch ${r.epoch}: U(x) ${r.means.U.toFixed(2)}, L(x, y) ${r.means.L.toFixed(2)}, labeled cross-entropy ${r.means.ce.toFixed(3)}, test accuracy ${acc.toFixed(4)}, ${r.seconds.toFixed(1)} s`);
      },
    });
  } catch (e) {
    bar.stop();
    if (e instanceof L.NonFiniteError) throw new UserError(`${e.message}. The last good checkpoint is in ${ckptFile}; try a lower --lr or --clip.`);
    throw e;
  }
  const m2Accuracy = testAccuracy();
  // The labels-only baseline: M2's classifier architecture, the same labeled batches, optimizer, epochs and steps.
  say(quiet, `training the labels-only classifier (${split.labeled.length} labeled examples, ${o.epochs} epochs of ${batchesPerEpoch} steps)`);
  const baseline = L.labelClassifier(m2.config, new L.Generator(o.seed + 4));
  L.trainClassifier(baseline, new L.Adam(baseline.parameters(), { lr: o.lr }), {
    labeled: labeledSet, epochs: o.epochs, batchesPerEpoch, labeledBatchSize: labeledBatch, labeledRng: new L.Generator(o.seed + 2), binarize: batchBinarize,
  });
  L.saveSafetensors(join(out, 'baseline.safetensors'), baseline.stateDict(), { format: 'pt', 'latent.kind': 'm2-labels-only-classifier' });
  const baselineAccuracy = L.accuracy(L.classifyWith((x) => baseline.forward(x), testX), testSet.labels!);
  // Conditional samples: row y holds 8 images drawn from p(x | y, z), z ~ p(z).
  const k = m2.numClasses;
  const ys = L.oneHot(Array.from({ length: 8 * k }, (_, i) => Math.floor(i / 8)), k);
  const samples = m2.vae.sampleMeans(8 * k, new L.Generator(o.seed + 10), ys);
  L.saveImageGrid(join(out, 'samples.png'), L.reshape(samples, [8 * k, c, h, w]), { cols: 8, scale: 2 });
  const summary = {
    out, kind: 'm2', backend: L.getBackend(), data: o.data, epochs: o.epochs, labeled: split.labeled.length, unlabeled: split.unlabeled.length,
    test: testSet.length, alpha, m2_accuracy: m2Accuracy, baseline_accuracy: baselineAccuracy,
  };
  say(quiet, `test accuracy (${testSet.length} images): M2 ${(100 * m2Accuracy).toFixed(2)}%, labels-only classifier ${(100 * baselineAccuracy).toFixed(2)}%`);
  say(quiet, `wrote ${join(out, 'samples.png')} (one row per class)`);
  return summary;
}
