// `latent train vae|iwae|cvae`: a VAE-family model on images, written to a
// model directory, evaluated in nats on the held-out set.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import type { Dataset, ObjectiveSpec, VaeConfig } from '../../src/index.js';
import { UserError } from '../errors.js';
import { checkOutDir, checkTestShape, defaultRunDir, metricsUpTo } from '../outdir.js';
import { progress, say } from '../progress.js';

export interface VaeTrainOptions {
  data: string;
  labels?: string;
  testData?: string;
  binarize: 'dynamic' | 'static' | 'none';
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  latent: number;
  hidden: number[];
  activation: 'relu' | 'tanh' | 'softplus';
  arch: 'mlp' | 'conv';
  likelihood: 'bernoulli' | 'gaussian' | 'gaussian-learned';
  k: number;
  beta: number;
  warmup: number;
  freeBits: number;
  capacity?: number;
  capacitySteps: number;
  gamma: number;
  evalK: number;
  clip?: number;
  out?: string;
  resume: boolean;
  json: boolean;
  progress: boolean;
  /** Train on masked images: masks of this spec (`parseMaskSpec`), a fresh draw per batch. */
  mask?: string;
  /** With `mask`: the likelihood counts the observed pixels only (default; partially observed data) or all of them (denoising). */
  maskLoss?: L.MaskedLikelihood;
  /** The encoder also sees the mask (`VaeConfig.maskInput`, saved in config.json). */
  maskInput?: boolean;
  /** q(z | x): 'gaussian' (default) or a flow after it, 'planar' or 'iaf' (`VaeConfig.posterior`). */
  posterior?: 'gaussian' | 'planar' | 'iaf';
  /** Flow layers K of the posterior (default 4). */
  posteriorLayers?: number;
  /** MADE width of IAF posterior layers (default 4 x latent). */
  posteriorHidden?: number;
}

/** `VaeConfig.posterior` from --posterior, --posterior-layers, --posterior-hidden; undefined for the Gaussian posterior. */
function posteriorFor(o: VaeTrainOptions): L.PosteriorFlowConfig | undefined {
  const kind = o.posterior ?? 'gaussian';
  if (kind !== 'gaussian' && kind !== 'planar' && kind !== 'iaf') throw new UserError(`--posterior must be gaussian, planar or iaf, got ${JSON.stringify(kind)}`);
  if (kind === 'gaussian') {
    if (o.posteriorLayers !== undefined || o.posteriorHidden !== undefined) throw new UserError('--posterior-layers and --posterior-hidden apply to a flow posterior: add --posterior planar or --posterior iaf');
    return undefined;
  }
  if (o.posteriorHidden !== undefined && kind !== 'iaf') throw new UserError('--posterior-hidden is the IAF layers\' MADE width; it does not apply to --posterior planar');
  if (o.freeBits) throw new UserError('--free-bits needs the KL of each latent dimension, which a flow posterior does not split into; drop --free-bits or use --posterior gaussian');
  return { flow: kind, layers: o.posteriorLayers ?? 4, ...(o.posteriorHidden !== undefined ? { hidden: o.posteriorHidden } : {}) };
}

interface Masking {
  spec: L.MaskSpec | null;
  loss: L.MaskedLikelihood;
}

/** The run's masks: from the saved config when resuming (it is the run's own), else from the options. */
function maskingFor(o: VaeTrainOptions, saved: L.ModelDirConfig | null): Masking {
  const t = (saved?.training ?? {}) as { mask?: string | null; maskLoss?: L.MaskedLikelihood };
  const text = saved ? t.mask ?? null : o.mask ?? null;
  const loss = (saved ? t.maskLoss : o.maskLoss) ?? 'observed';
  if (loss !== 'observed' && loss !== 'all') throw new UserError(`--mask-loss must be observed or all, got ${JSON.stringify(loss)}`);
  if (text === null) {
    if (!saved && o.maskInput) throw new UserError('--mask-input applies to training with --mask SPEC (without masks the encoder would only ever see all ones)');
    return { spec: null, loss };
  }
  try {
    return { spec: L.parseMaskSpec(text), loss };
  } catch (e) {
    throw new UserError(`--mask: ${(e as Error).message}`);
  }
}

function objectiveFor(kind: string, o: VaeTrainOptions): ObjectiveSpec {
  if (kind === 'iwae') return { kind: 'iwae', k: o.k };
  if (o.capacity !== undefined) return { kind: 'capacity', gamma: o.gamma, maxCapacity: o.capacity, capacitySteps: o.capacitySteps };
  return { kind: 'elbo', beta: o.beta, warmupSteps: o.warmup, freeBits: o.freeBits || undefined };
}

function loadData(o: VaeTrainOptions, kind: string, rng: L.Generator): { train: Dataset; test: Dataset } {
  let splits;
  try {
    splits = L.loadDataset(o.data, { labels: o.labels });
    const test = o.testData ? L.loadTestDataset(o.testData) : splits.test;
    checkTestShape(splits.train, test, o.testData);
    let train = splits.train;
    let held = test;
    if (!held) ({ train, test: held } = L.splitDataset(train, 0.1, rng));
    if (kind === 'cvae' && (!train.labels || !held.labels)) {
      throw new UserError(`train cvae: needs labels for ${train.labels ? 'the test data' : o.data} (pass --labels PATH)`);
    }
    return { train, test: held };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message);
  }
}

/** Trains, checkpoints each epoch, evaluates and writes the run's files. Returns the summary printed with --json. */
export function trainVae(kind: 'vae' | 'iwae' | 'cvae', o: VaeTrainOptions): Record<string, unknown> {
  const out = o.out ?? defaultRunDir(kind);
  const ckptFile = join(out, L.CHECKPOINT_FILE);
  const quiet = o.json;
  // A path through a file, or a non-empty folder without --resume, is refused before anything is read or written.
  checkOutDir(out, { resume: o.resume, resumable: true });
  const outExisted = existsSync(out);
  // A bad --mask or --posterior fails before anything is read or written.
  if (!o.resume) maskingFor(o, null);
  const posterior = o.resume ? undefined : posteriorFor(o);
  let saved: L.ModelDirConfig | null = null;
  const resumable = o.resume && existsSync(ckptFile);
  if (o.resume && !resumable && !existsSync(join(out, L.CONFIG_FILE))) {
    throw new UserError(`--resume: ${out} has no checkpoint (${L.CHECKPOINT_FILE}) to resume from`);
  }
  if (resumable) {
    try {
      saved = L.readModelConfig(out);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (saved.kind !== kind) throw new UserError(`--resume: ${out} holds a '${saved.kind}' model, not '${kind}'`);
  } else if (o.resume) {
    // Stopped before its first checkpoint: nothing was trained yet, so start over in place.
    say(quiet, `${out} has no checkpoint yet; starting from the beginning`);
  }
  // One generator for data order and binarization, one for the model's noise, both checkpointed.
  const dataRng = new L.Generator(o.seed);
  const [splitRng, modelRng] = new L.Generator(o.seed + 1).split(2);
  const { train, test } = loadData(o, kind, splitRng);
  if (!train.image) throw new UserError(`${o.data}: a VAE needs image data; got examples of shape [${train.itemShape.join(', ')}]`);
  const { channels, height, width } = train.image;
  const numClasses = train.numClasses ?? 10;
  const config: VaeConfig = saved ? (saved.model as unknown as VaeConfig) : {
    inputShape: [channels, height, width], latent: o.latent, hidden: o.hidden, activation: o.activation,
    architecture: o.arch, likelihood: o.likelihood, ...(kind === 'cvae' ? { conditionDim: numClasses } : {}),
    ...(o.maskInput ? { maskInput: true } : {}), ...(posterior ? { posterior } : {}),
  };
  const masking = maskingFor(o, saved);
  const runMask = masking.spec ? L.formatMaskSpec(masking.spec) : null;
  if (saved && o.mask !== undefined && o.mask.trim().toLowerCase() !== runMask) {
    say(quiet, `--mask ${o.mask} ignored: ${out} continues ${runMask ? `with mask ${runMask}` : 'without masks'}, as it was started`);
  }
  const spec = saved?.objective ?? objectiveFor(kind, o);
  let vae: L.VAE;
  let objective: L.Objective;
  try {
    vae = new L.VAE(config, modelRng);
    objective = L.makeObjective(spec);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const [c, h, w] = vae.config.inputShape;
  if (c !== channels || h !== height || w !== width) {
    throw new UserError(`${o.data}: images are ${channels}x${height}x${width} but the model in ${out} expects ${c}x${h}x${w}`);
  }
  if (masking.spec) {
    // Checks the mask fits these images (block:40 does not fit 28x28) before the run directory is made; draws nothing.
    try {
      L.makeMask(masking.spec, 0, [c, h, w], new L.Generator(0));
    } catch (e) {
      throw new UserError(`--mask ${L.formatMaskSpec(masking.spec)}: ${(e as Error).message}`);
    }
  }
  const binarizeTrain = o.binarize;
  const testSet = o.binarize === 'none' ? test : L.binarizeDataset(test, 'static', new L.Generator(o.seed + 7));
  const trainSet = o.binarize === 'static' ? L.binarizeDataset(train, 'static', new L.Generator(o.seed + 8)) : train;
  const optimizer = new L.Adam(vae.parameters(), { lr: o.lr });
  mkdirSync(join(out, 'checkpoint'), { recursive: true });
  let state: L.TrainerState | undefined;
  let metrics: string[] = [];
  if (saved) {
    let r;
    try {
      r = L.loadCheckpoint(ckptFile, { model: vae, optimizer, rngs: { data: dataRng, model: modelRng } });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    state = r.trainer;
    metrics = metricsUpTo(out, state.epoch);
    say(quiet, `resuming ${out} at epoch ${state.epoch} (step ${state.step})`);
  } else {
    const trainX = L.flattenImages(trainSet);
    // On partially observed data only the observed pixels are known: their mean under one draw of masks, from its own seed.
    vae.initOutputBias(masking.spec && masking.loss === 'observed'
      ? L.observedMeanImage(trainX, L.makeMask(masking.spec, trainSet.length, [c, h, w], new L.Generator(o.seed + 12)))
      : L.mean(trainX, 0));
    L.writeModelConfig(out, {
      format: 'latent-model', version: 1, kind, model: vae.config as unknown as Record<string, unknown>, objective: spec,
      data: { spec: o.data, labels: o.labels ?? null, testData: o.testData ?? null, binarize: o.binarize, train: train.length, test: test.length },
      training: {
        epochs: o.epochs, batch: o.batch, lr: o.lr, seed: o.seed, evalK: o.evalK, backend: L.getBackend(),
        ...(masking.spec ? { mask: L.formatMaskSpec(masking.spec), maskLoss: masking.loss } : {}),
      },
    });
  }
  const batchesPerEpoch = Math.ceil(trainSet.length / o.batch);
  const bar = progress(o.progress && !quiet);
  const maskNote = masking.spec ? `, mask ${L.formatMaskSpec(masking.spec)} (likelihood on ${masking.loss === 'observed' ? 'observed pixels' : 'all pixels'}${vae.config.maskInput ? ', mask shown to the encoder' : ''})` : '';
  const pf = vae.config.posterior;
  const flowNote = pf ? `, ${pf.flow === 'iaf' ? 'IAF' : 'planar'} flow posterior with ${pf.layers} layer${pf.layers === 1 ? '' : 's'}` : '';
  say(quiet, `training ${kind} on ${o.data} (${train.length} examples, ${L.getBackend()} kernels${maskNote}${flowNote}) into ${out}`);
  const condition = (y: Int32Array | null) => (kind === 'cvae' ? L.oneHot(y!, numClasses) : undefined);
  let running = 0;
  let checkpointed = saved !== null;
  try {
    L.fit({
      model: vae, optimizer, epochs: o.epochs, batchesPerEpoch, state, clipNorm: o.clip,
      epochBatches: (epoch, start) => {
        bar.start(batchesPerEpoch, `epoch ${epoch + 1}/${o.epochs}`);
        return L.minibatches(trainSet, { batchSize: o.batch, shuffle: true, rng: dataRng, binarize: binarizeTrain === 'dynamic' ? 'dynamic' : 'none', startBatch: start });
      },
      loss: (b, step) => {
        // A fresh mask per batch from the data generator's own stream: minibatches() only splits children off it, so the
        // batches are those of an unmasked run, and the checkpoint saves its state, so --resume draws the same masks.
        const batch = masking.spec
          ? L.maskedBatch(b.x, L.makeMask(masking.spec, b.x.shape[0], [c, h, w], dataRng), masking.loss, condition(b.y))
          : { x: b.x, y: condition(b.y) };
        return objective.evaluate(vae, batch, modelRng, step);
      },
      onStep: (r) => {
        running = running === 0 ? r.stats.bound : 0.95 * running + 0.05 * r.stats.bound;
        bar.update(r.batch, { [spec.kind === 'iwae' ? `IWAE-${spec.k}` : 'ELBO']: running.toFixed(2) });
      },
      onNonFinite: (step, q, lr) => say(quiet, `step ${step}: ${q} is not finite; skipped, learning rate lowered to ${lr}`),
      onEpoch: (r) => {
        bar.stop();
        const line = { epoch: r.epoch, step: r.step, seconds: Number(r.seconds.toFixed(3)), loss: r.means.loss, elbo: r.means.elbo, rec: r.means.rec, kl: r.means.kl, bound: r.means.bound, lr: optimizer.lr };
        metrics.push(JSON.stringify(line));
        L.writeFileAtomic(join(out, L.METRICS_FILE), new TextEncoder().encode(metrics.join('\n') + '\n'), 'metrics');
        L.saveModelWeights(out, vae, kind);
        L.saveCheckpoint(ckptFile, { model: vae, optimizer, rngs: { data: dataRng, model: modelRng } }, r.state);
        checkpointed = true;
        // IWAE reports its bound and the ELBO of its samples; the ELBO objectives also split rec and KL.
        const terms = r.means.rec === undefined ? '' : ` (rec ${r.means.rec.toFixed(2)}, KL ${r.means.kl.toFixed(2)})`;
        const bound = spec.kind === 'iwae' ? `IWAE-${spec.k} ${r.means.bound.toFixed(2)}, ` : '';
        say(quiet, `epoch ${r.epoch}: ${bound}ELBO ${r.means.elbo.toFixed(2)}${terms}, ${r.seconds.toFixed(1)} s`);
      },
    });
  } catch (e) {
    bar.stop();
    if (e instanceof L.NonFiniteError) {
      if (checkpointed) throw new UserError(`${e.message}. The last good checkpoint is in ${ckptFile}; try a lower --lr or --clip.`);
      // Stopped before its first checkpoint: nothing worth keeping, so the run leaves no partial model directory.
      if (!outExisted) rmSync(out, { recursive: true, force: true });
      else for (const f of [L.CONFIG_FILE, 'checkpoint', L.METRICS_FILE]) rmSync(join(out, f), { recursive: true, force: true });
      throw new UserError(`${e.message}, before the first epoch ended, so nothing was saved; try a lower --lr or --clip.`);
    }
    throw e;
  }
  const evalRng = new L.Generator(o.seed + 9);
  const testX = L.flattenImages(testSet);
  const testY = kind === 'cvae' ? L.oneHot(testSet.labels!, numClasses) : undefined;
  bar.start(testSet.length, `evaluating (k=${o.evalK})`);
  // With masks, the test images are masked too, by fixed masks from their own seed: with --mask-loss observed the
  // score is log p(x_obs), the observed pixels only; with 'all' it is log p(x) of the complete images, the encoder
  // seeing the masked ones, as in training.
  const testMask = masking.spec ? L.makeMask(masking.spec, testSet.length, [c, h, w], new L.Generator(o.seed + 11)) : undefined;
  const scoredMask = masking.loss === 'observed' ? testMask : undefined;
  const ev = L.evaluateVae(vae, { x: testX, y: testY, mask: scoredMask, inputMask: testMask }, { rng: evalRng, k: Math.min(o.k, o.evalK), kEval: o.evalK, onProgress: (d) => bar.update(d) });
  bar.stop();
  const imgs = (t: L.Tensor) => L.reshape(t, [t.shape[0], c, h, w]);
  const sampleY = kind === 'cvae' ? L.oneHot(Array.from({ length: 64 }, (_, i) => i % numClasses), numClasses) : undefined;
  L.saveImageGrid(join(out, 'samples.png'), imgs(vae.sampleMeans(64, new L.Generator(o.seed + 10), sampleY)), { cols: 8, scale: 2 });
  const originals = L.slice(testX, 0, 0, 32);
  const recon = vae.reconstruct(originals, testY && L.slice(testY, 0, 0, 32));
  // Rows alternate: 8 originals, then their 8 reconstructions.
  const pairs: L.Tensor[] = [];
  for (let r = 0; r < 4; r++) pairs.push(L.slice(originals, 0, 8 * r, 8 * r + 8), L.slice(recon, 0, 8 * r, 8 * r + 8));
  L.saveImageGrid(join(out, 'reconstructions.png'), imgs(L.concat(pairs, 0)), { cols: 8, scale: 2 });
  const summary = {
    out, kind, backend: L.getBackend(), epochs: o.epochs, train: train.length, test: ev.n,
    test_elbo: ev.elbo, [`test_iwae_${ev.k}`]: ev.iwae, test_logpx: ev.logpx, test_nll: -ev.logpx, k_eval: ev.kEval,
    kl: ev.kl, active_units: ev.activeUnits, ...(pf ? { posterior: pf } : {}),
    ...(masking.spec ? { mask: L.formatMaskSpec(masking.spec), mask_loss: masking.loss, mask_input: vae.config.maskInput === true } : {}),
  };
  const scored = !masking.spec ? '' : scoredMask
    ? `; observed pixels only, mask ${L.formatMaskSpec(masking.spec)}`
    : `; all pixels, the encoder seeing mask ${L.formatMaskSpec(masking.spec)}`;
  say(quiet, `test (${ev.n} images): ELBO ${ev.elbo.toFixed(2)}, IWAE-${ev.k} ${ev.iwae.toFixed(2)}, NLL ${(-ev.logpx).toFixed(2)} nats (log p(x) by importance sampling, k=${ev.kEval}${scored}); ${ev.activeUnits} active units`);
  say(quiet, `wrote ${join(out, 'samples.png')} and ${join(out, 'reconstructions.png')}`);
  return summary;
}
