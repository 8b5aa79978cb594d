// `latent train flow`: a discrete normalizing flow (RealNVP-, Glow-, MAF- or spline-style)
// fitted by maximum likelihood to 2-D points (the toy densities or a file)
// or to dequantized images, written to a model directory; the test
// log-likelihood in nats (and bits/dim for images) at the end.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import { UserError, asUserError } from '../errors.js';
import { checkOutDir, defaultRunDir, metricsUpTo } from '../outdir.js';
import { progress, say } from '../progress.js';

export interface FlowTrainOptions {
  data: string;
  testData?: string;
  flow: string;
  layers: number;
  hidden: number[];
  activation: string;
  arch: 'mlp' | 'conv';
  levels?: number;
  bins?: number;
  tailBound?: number;
  epochs: number;
  batch: number;
  lr: number;
  /** 'constant' (default) or 'cosine': decay to lr / 100 over the run's steps. */
  lrSchedule?: string;
  seed: number;
  clip?: number;
  out?: string;
  resume: boolean;
  json: boolean;
  progress: boolean;
}

/** Points drawn from a toy density for training and for testing, per run. */
const TOY_TRAIN = 20_000;
const TOY_TEST = 20_000;
/** MAF's logit preprocessing constant for MNIST (Papamakarios et al. 2017). */
const LOGIT_LAMBDA = 1e-6;

export interface FlowData {
  kind: 'points' | 'images';
  train: L.Dataset;
  test: L.Dataset;
  /** The toy density's name when the data is a toy. */
  toy: string | null;
}


function pointsDataset(x: L.Tensor, source: string): L.Dataset {
  return L.createDataset(x, { source });
}

/** The dataset --data names: a toy density, a named image set, or a file of 2-D points or images. */
export function loadFlowData(o: Pick<FlowTrainOptions, 'data' | 'testData'>, splitRng: L.Generator): FlowData {
  const spec = o.data.trim();
  if ((L.TOY2D_NAMES as readonly string[]).includes(spec)) {
    if (o.testData) throw new UserError(`--test-data does not apply to the toy density ${spec}: fresh test points are drawn`);
    const [trainRng, testRng] = splitRng.split(2);
    return {
      kind: 'points', toy: spec,
      train: pointsDataset(L.sampleToy2d(spec, TOY_TRAIN, trainRng), `${spec} (${TOY_TRAIN} draws)`),
      test: pointsDataset(L.sampleToy2d(spec, TOY_TEST, testRng), `${spec} (${TOY_TEST} test draws)`),
    };
  }
  if ((L.NAMED_DATASETS as readonly string[]).includes(spec.toLowerCase())) {
    const { train, test } = asUserError(() => L.loadDataset(spec));
    return { kind: 'images', toy: null, train, test: o.testData ? asUserError(() => L.loadTestDataset(o.testData!)) : test! };
  }
  // A file: 2-D points ([N, 2], any finite values) or images (bytes or values in [0, 1]).
  const asValues = asUserError(() => L.loadDataset(spec, { kind: 'any' }).train);
  let kind: 'points' | 'images';
  let train: L.Dataset;
  if (asValues.itemShape.length === 1 && asValues.itemShape[0] === 2) {
    kind = 'points';
    train = asValues;
  } else {
    try {
      train = L.loadDataset(spec).train;
      kind = 'images';
    } catch (e) {
      throw new UserError(`${spec}: expected 2-D points (N rows of 2 values) or images, got examples of shape [${asValues.itemShape.join(', ')}] (${(e as Error).message})`);
    }
  }
  let test: L.Dataset;
  if (o.testData) {
    test = asUserError(() => L.loadTestDataset(o.testData!, kind === 'points' ? { kind: 'any' } : {}));
    const want = train.itemShape.join(',');
    if (test.itemShape.join(',') !== want) throw new UserError(`--test-data ${o.testData}: examples of shape [${test.itemShape.join(', ')}], but the training data's are [${want}]`);
  } else {
    if (train.length < 10) throw new UserError(`${spec}: ${train.length} examples are too few to hold out a test set; pass --test-data`);
    ({ train, test } = L.splitDataset(train, 0.1, splitRng));
  }
  return { kind, toy: null, train, test };
}

function flowConfig(o: FlowTrainOptions, data: FlowData, fromCli: (name: string) => boolean): L.FlowConfig {
  if (!(L.FLOW_KINDS as readonly string[]).includes(o.flow)) {
    throw new UserError(`--flow must be one of ${L.FLOW_KINDS.join(', ')}, got '${o.flow}'`);
  }
  if (o.activation !== 'relu' && o.activation !== 'tanh') throw new UserError(`--activation: flows take relu or tanh, got '${o.activation}'`);
  if (o.flow === 'maf' && data.kind === 'images' && o.arch === 'conv') throw new UserError('--flow maf works on flat vectors; drop --arch conv (or use --flow realnvp|glow|spline with it)');
  if (o.flow !== 'spline' && (o.bins !== undefined || o.tailBound !== undefined)) throw new UserError(`--bins and --tail-bound apply to --flow spline, not ${o.flow}`);
  if (o.bins !== undefined && o.bins < 2) throw new UserError(`--bins must be at least 2, got ${o.bins}`);
  const img = data.train.image;
  if (o.levels !== undefined) {
    if (data.kind !== 'images' || o.arch !== 'conv' || o.flow === 'maf') {
      throw new UserError(`--levels (the multi-scale architecture) expects image data with --arch conv and --flow realnvp, glow or spline; got ${data.kind === 'images' ? 'images' : '2-D points'}, --arch ${o.arch}, --flow ${o.flow}`);
    }
    const k = 2 ** o.levels;
    if (img!.height % k !== 0 || img!.width % k !== 0) {
      throw new UserError(`--levels ${o.levels}: each level halves the image, so its height and width must be divisible by 2^${o.levels} = ${k}; the images are ${img!.height}x${img!.width}`);
    }
  }
  const eventShape = data.kind === 'points' ? [2] : o.arch === 'conv' ? [img!.channels, img!.height, img!.width] : [img!.channels * img!.height * img!.width];
  const hidden = fromCli('hidden') ? o.hidden : data.kind === 'points' ? [64, 64] : o.arch === 'conv' ? [32, 32] : [256, 256];
  return {
    eventShape, flow: o.flow as L.FlowKind, layers: o.layers, hidden, activation: o.activation, ...(o.levels !== undefined ? { levels: o.levels } : {}),
    ...(data.kind === 'images' ? { logitLambda: LOGIT_LAMBDA } : {}),
    // logit(1e-6) is about -13.8: flat logit pixels need a wider interval than the toys (within about [-4, 4]);
    // conv spline flows start each step with an ActNorm, which brings the values to about unit scale.
    ...(o.flow === 'spline' ? { bins: o.bins ?? 8, tailBound: o.tailBound ?? (data.kind === 'images' && o.arch !== 'conv' ? 15 : 5) } : {}),
  };
}

/** Data batches as the model sees them: points as they are; images dequantized ((k + u) / 256), shaped to the event. */
export function prepare(x: L.Tensor, data: FlowData, eventShape: number[], rng: L.Generator): L.Tensor {
  if (data.kind === 'points') return x;
  return L.reshape(L.dequantize(x, rng), [x.shape[0], ...eventShape]);
}

function checkFinite(ds: L.Dataset): void {
  const d = ds.images.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new UserError(`${ds.source}: value ${i} is ${d[i]}; a density model needs finite numbers`);
  }
}

/** Trains, checkpoints each epoch, evaluates and writes the run's files. Returns the summary printed with --json. */
export function trainFlowCli(opts: Record<string, unknown>, fromCli: (name: string) => boolean): Record<string, unknown> {
  const o = opts as unknown as FlowTrainOptions;
  if (!(L.FLOW_KINDS as readonly string[]).includes(o.flow)) throw new UserError(`--flow must be one of ${L.FLOW_KINDS.join(', ')}, got '${o.flow}'`);
  const out = o.out ?? defaultRunDir('flow');
  checkOutDir(out, { resume: o.resume, resumable: true });
  const ckptFile = join(out, L.CHECKPOINT_FILE);
  const quiet = o.json;
  let saved: L.ModelDirConfig | null = null;
  const resumable = o.resume && existsSync(ckptFile);
  if (o.resume && !resumable && !existsSync(join(out, L.CONFIG_FILE))) {
    throw new UserError(`--resume: ${out} has no checkpoint (${L.CHECKPOINT_FILE}) to resume from`);
  }
  if (resumable) {
    saved = asUserError(() => L.readModelConfig(out));
    if (saved.kind !== L.FLOW_KIND) throw new UserError(`--resume: ${out} holds a '${saved.kind}' model, not 'flow'`);
  } else if (o.resume) {
    say(quiet, `${out} has no checkpoint yet; starting from the beginning`);
  }
  // One generator for data order and dequantization noise, one for the split and the toy draws; the first is checkpointed.
  const dataRng = new L.Generator(o.seed);
  const [splitRng, modelRng] = new L.Generator(o.seed + 1).split(2);
  const data = loadFlowData(o, splitRng);
  checkFinite(data.train);
  checkFinite(data.test);
  const config = saved ? asUserError(() => L.validateFlowConfig(saved!.model as unknown as L.FlowConfig, `${join(out, L.CONFIG_FILE)}: model`)) : flowConfig(o, data, fromCli);
  const model = asUserError(() => new L.FlowModel(config, modelRng));
  const dims = model.dim;
  const itemSize = data.train.itemShape.reduce((a, b) => a * b, 1);
  if (itemSize !== dims) throw new UserError(`${o.data}: examples of shape [${data.train.itemShape.join(', ')}], but the model in ${out} expects ${dims} values`);
  if (data.train.length < 2) throw new UserError(`${o.data}: needs at least 2 training examples`);
  const batch = Math.min(o.batch, data.train.length);
  const schedule = saved ? String(saved.training?.lrSchedule ?? 'constant') : (o.lrSchedule ?? 'constant');
  if (schedule !== 'constant' && schedule !== 'cosine') throw new UserError(`--lr-schedule must be constant or cosine, got '${schedule}'`);
  if (saved && fromCli('lrSchedule') && o.lrSchedule !== schedule) throw new UserError(`--resume: ${out} was trained with --lr-schedule ${schedule}; resume it with the same schedule`);
  const optimizer = new L.Adam(model.parameters(), { lr: o.lr });
  mkdirSync(join(out, 'checkpoint'), { recursive: true });
  let state: L.TrainerState | undefined;
  let metrics: string[] = [];
  if (saved) {
    const r = L.loadCheckpoint(ckptFile, { model, optimizer, rngs: { data: dataRng } });
    state = r.trainer;
    metrics = metricsUpTo(out, state.epoch);
    say(quiet, `resuming ${out} at epoch ${state.epoch} (step ${state.step})`);
  } else {
    L.writeModelConfig(out, {
      format: 'latent-model', version: 1, kind: L.FLOW_KIND, model: config as unknown as Record<string, unknown>,
      data: { spec: o.data, testData: o.testData ?? null, kind: data.kind, train: data.train.length, test: data.test.length, ...(data.kind === 'images' ? { dequantization: 'uniform', logitLambda: LOGIT_LAMBDA, image: [data.train.image!.channels, data.train.image!.height, data.train.image!.width] } : {}) },
      training: { epochs: o.epochs, batch, lr: o.lr, lrSchedule: schedule, seed: o.seed, backend: L.getBackend() },
    });
  }
  const batchesPerEpoch = L.numBatches(data.train.length, batch, true);
  // A cosine schedule is a function of the step (and of the halvings forced by non-finite steps), so a resumed run continues it.
  const cosine = schedule === 'cosine';
  const baseLr = saved ? Number(saved.training?.lr ?? o.lr) : o.lr;
  let halvings = state?.lrHalvings ?? 0;
  const totalSteps = Math.max(o.epochs * batchesPerEpoch, 1);
  // Cosine annealing to lr / 100 over the run's steps (held there if a run goes past them).
  const lrAt = (step: number) => L.cosineAnnealing(Math.min(step, totalSteps), totalSteps, baseLr, baseLr / 100) * 0.5 ** halvings;
  if (cosine) optimizer.lr = lrAt(state?.step ?? 0);
  const bar = progress(o.progress && !quiet);
  say(quiet, `training a ${config.flow} flow (${config.levels !== undefined ? `${config.levels} levels of ` : ''}${config.layers} layers, hidden ${config.hidden.join(',')}, ${model.numParameters()} parameters) on ${o.data} (${data.train.length} ${data.kind}, ${L.getBackend()} kernels) into ${out}`);
  let running = 0;
  try {
    L.fit({
      model, optimizer, epochs: o.epochs, batchesPerEpoch, state, clipNorm: o.clip,
      epochBatches: (epoch, start) => {
        bar.start(batchesPerEpoch, `epoch ${epoch + 1}/${o.epochs}`);
        return L.minibatches(data.train, { batchSize: batch, shuffle: true, rng: dataRng, dropLast: true, startBatch: start });
      },
      loss: (b) => {
        const nll = L.neg(L.mean(model.logProb(prepare(b.x, data, config.eventShape, dataRng))));
        return { loss: nll, stats: {} };
      },
      onStep: (r) => {
        if (cosine) optimizer.lr = lrAt(r.step);
        running = running === 0 ? r.loss : 0.95 * running + 0.05 * r.loss;
        bar.update(r.batch, { NLL: running.toFixed(3) });
      },
      onNonFinite: (step, q, lr) => {
        halvings++;
        say(quiet, `step ${step}: ${q} is not finite; skipped, learning rate lowered to ${lr}`);
      },
      onEpoch: (r) => {
        bar.stop();
        metrics.push(JSON.stringify({ epoch: r.epoch, step: r.step, seconds: Number(r.seconds.toFixed(3)), nll: r.means.loss, lr: optimizer.lr }));
        L.writeFileAtomic(join(out, L.METRICS_FILE), new TextEncoder().encode(metrics.join('\n') + '\n'), 'metrics');
        L.saveModelWeights(out, model, L.FLOW_KIND);
        L.saveCheckpoint(ckptFile, { model, optimizer, rngs: { data: dataRng } }, r.state);
        say(quiet, `epoch ${r.epoch}: train NLL ${r.means.loss.toFixed(4)} nats, ${r.seconds.toFixed(1)} s`);
      },
    });
  } catch (e) {
    bar.stop();
    if (e instanceof L.NonFiniteError) throw new UserError(`${e.message}. The last good checkpoint is in ${ckptFile}; try a lower --lr or --clip.`);
    throw e;
  }
  // The test images are dequantized once, with their own seed, so every evaluation of a run sees the same x.
  const testX = prepare(data.test.images, data, config.eventShape, new L.Generator(o.seed + 9));
  const ev = L.meanLogProb(model, testX, { batchSize: data.kind === 'points' ? 5000 : 500 });
  const summary: Record<string, unknown> = {
    out, kind: L.FLOW_KIND, flow: config.flow, backend: L.getBackend(), epochs: o.epochs, train: data.train.length, test: data.test.length,
    parameters: model.numParameters(), test_loglik: ev.mean, test_loglik_se: ev.stderr, test_nll: -ev.mean,
  };
  if (data.kind === 'points') {
    const pts = data.train.images;
    let range: [number, number] = [-4, 4];
    if (!data.toy) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of pts.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const padBy = 0.1 * (hi - lo || 1);
      range = [lo - padBy, hi + padBy];
    }
    const grid = L.gridPoints({ size: 128, range });
    const reference = data.toy ? L.toy2dLogDensity(data.toy, grid) : L.histogramLogDensity(pts, { size: 128, range });
    const learned = L.meanLogProb(model, grid).values;
    L.savePng(join(out, 'density.png'), L.densityPanels([reference, learned], 128));
    let line = `test (${data.test.length} points): log-likelihood ${ev.mean.toFixed(4)} ± ${ev.stderr.toFixed(4)} nats per point`;
    if (data.toy) {
      // 20,000 draws (standard error ~0.005 nats) keep this to a second or two; bench/flow_toys.ts uses 200,000.
      const h = L.toy2dEntropy(data.toy, { samples: 20_000, rng: new L.Generator(0) });
      summary.entropy = h.entropy;
      summary.entropy_se = h.stderr;
      summary.kl_gap = -h.entropy - ev.mean;
      line += ` (the target's -H(p) = ${(-h.entropy).toFixed(4)} ± ${h.stderr.toFixed(4)}: gap ${(-h.entropy - ev.mean).toFixed(4)})`;
    }
    say(quiet, line);
    say(quiet, `wrote ${join(out, 'density.png')} (${data.toy ? 'target' : 'data histogram'} | learned density, window [${range.map((v) => v.toFixed(2)).join(', ')}]^2)`);
  } else {
    const bpd = L.bitsPerDim(ev.mean, dims);
    summary.bits_per_dim = bpd;
    const { channels, height, width } = data.train.image!;
    // Samples back on the [0, 1] pixel scale; values outside come from the flow's tails and are clamped by the PNG writer.
    const samples = L.reshape(model.sample(64, new L.Generator(o.seed + 10)), [64, channels, height, width]);
    L.saveImageGrid(join(out, 'samples.png'), samples, { cols: 8, scale: 2 });
    say(quiet, `test (${data.test.length} images, dequantized): log-likelihood ${ev.mean.toFixed(2)} nats per image on [0, 1)^${dims}, ${bpd.toFixed(4)} bits/dim`);
    say(quiet, `wrote ${join(out, 'samples.png')}`);
  }
  return summary;
}
