// `latent train cnf`: an FFJORD-style continuous normalizing flow on a 2-D
// toy density (fresh draws every epoch) or on points from a CSV/NPY file,
// written to a model directory with density.png (target | learned).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { UserError } from '../errors.js';
import { checkOutDir, defaultRunDir, metricsUpTo } from '../outdir.js';
import { progress, say } from '../progress.js';

/** Draws per epoch from a toy density (there is no fixed training set: every epoch sees fresh points). */
const TOY_EPOCH = 10_000;
/** Fresh test draws from a toy. */
const TOY_TEST = 5_000;
const FILE_TEST_FRACTION = 0.1;

interface CnfCliOptions {
  data: string;
  testData?: string;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  hidden: number[];
  activation: string;
  solver: string;
  rtol: number;
  atol: number;
  stepSize: number;
  trace: string;
  noise: string;
  adjoint: boolean;
  t1: number;
  clip?: number;
  out?: string;
  resume: boolean;
  json: boolean;
  progress: boolean;
}

/** The command's options with this family's defaults where the user gave none. */
function options(raw: Record<string, unknown>, fromCli: (name: string) => boolean): CnfCliOptions {
  const pick = <T>(name: string, dflt: T): T => (fromCli(name) ? (raw[name] as T) : dflt);
  const o: CnfCliOptions = {
    data: pick('data', 'two-moons'),
    testData: raw.testData as string | undefined,
    epochs: pick('epochs', 10),
    batch: pick('batch', 256),
    lr: pick('lr', 5e-3),
    seed: raw.seed as number,
    hidden: pick('hidden', [64, 64, 64]),
    activation: pick('activation', 'tanh'),
    solver: (raw.solver as string | undefined) ?? 'dopri5',
    rtol: (raw.rtol as number | undefined) ?? 1e-3,
    atol: (raw.atol as number | undefined) ?? 1e-3,
    stepSize: (raw.stepSize as number | undefined) ?? 0.05,
    trace: (raw.trace as string | undefined) ?? 'exact',
    noise: (raw.noise as string | undefined) ?? 'rademacher',
    adjoint: Boolean(raw.adjoint),
    t1: (raw.t1 as number | undefined) ?? 0.5,
    clip: raw.clip as number | undefined,
    out: raw.out as string | undefined,
    resume: Boolean(raw.resume),
    json: Boolean(raw.json),
    progress: raw.progress !== false,
  };
  if (o.activation !== 'tanh' && o.activation !== 'softplus') {
    throw new UserError(`train cnf: --activation must be tanh or softplus (the dynamics must be smooth for the divergence), got '${o.activation}'`);
  }
  const choices: [string, string, readonly string[]][] = [['--solver', o.solver, L.ODE_METHODS], ['--trace', o.trace, L.TRACE_METHODS], ['--noise', o.noise, L.HUTCHINSON_NOISES]];
  for (const [name, v, allowed] of choices) {
    if (!allowed.includes(v)) throw new UserError(`train cnf: ${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  }
  return o;
}

export interface CnfData {
  /** Training points per epoch: fresh toy draws, or the file's training rows (shuffled). */
  epochPoints(epoch: number, rng: L.Generator): Tensor;
  test: Tensor;
  dim: number;
  trainSize: number;
  toy: string | null;
}

function checkPoints(x: Tensor, what: string): Tensor {
  if (x.rank !== 2 || x.shape[0] < 2) throw new UserError(`${what}: expected a table of points [N, D] with at least 2 rows, got shape [${x.shape.join(', ')}]`);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw new UserError(`${what}: entry ${i} (row ${Math.floor(i / x.shape[1])}) is ${x.data[i]}; expected finite coordinates`);
  }
  return x;
}

/** Points [N, D] from a CSV/NPY file (a test file: the whole of it; else its training rows), as UserErrors naming it. */
export function loadPoints(spec: string, test: boolean): Tensor {
  try {
    const d = test ? L.loadTestDataset(spec, { kind: 'any' }) : L.loadDataset(spec, { kind: 'any' }).train;
    return checkPoints(L.reshape(d.images, [d.length, -1]).cast('float32'), spec);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message);
  }
}

/**
 * The training and test points of a run with these options (also what
 * `latent eval` scores by default: the same seeded toy draws or held-out rows).
 */
export function loadCnfData(o: Pick<CnfCliOptions, 'data' | 'testData' | 'seed'>): CnfData {
  if ((L.TOY2D_NAMES as readonly string[]).includes(o.data)) {
    const test = o.testData ? loadPoints(o.testData, true) : L.sampleToy2d(o.data, TOY_TEST, new L.Generator(o.seed + 1000));
    if (test.shape[1] !== 2) throw new UserError(`--test-data ${o.testData}: points have ${test.shape[1]} coordinates; ${o.data} is 2-D`);
    return { epochPoints: (_e, rng) => L.sampleToy2d(o.data, TOY_EPOCH, rng), test, dim: 2, trainSize: TOY_EPOCH, toy: o.data };
  }
  if (o.data === 'mnist' || o.data === 'fashion-mnist') {
    throw new UserError(`train cnf: --data ${o.data} is an image dataset; a CNF here takes low-dimensional points: ${L.TOY2D_NAMES.join(', ')}, or a CSV/NPY file of points`);
  }
  const all = loadPoints(o.data, false);
  let train = all;
  let test: Tensor;
  if (o.testData) {
    test = loadPoints(o.testData, true);
    if (test.shape[1] !== all.shape[1]) throw new UserError(`--test-data ${o.testData}: points have ${test.shape[1]} coordinates, the training data ${all.shape[1]}`);
  } else {
    // Hold out a random 10% (seeded) for the test log-likelihood.
    const n = all.shape[0];
    const order = L.permutation(n, new L.Generator(o.seed + 2000));
    const nTest = Math.max(1, Math.round(FILE_TEST_FRACTION * n));
    test = L.indexSelect(all, 0, Array.from(order.subarray(0, nTest)));
    train = L.indexSelect(all, 0, Array.from(order.subarray(nTest)));
  }
  return {
    epochPoints: (_e, rng) => L.indexSelect(train, 0, Array.from(L.permutation(train.shape[0], rng))),
    test, dim: all.shape[1], trainSize: train.shape[0], toy: null,
  };
}

/** Trains, checkpoints each epoch, evaluates and writes the run's files; returns the --json summary. */
export function trainCnfCli(raw: Record<string, unknown>, fromCli: (name: string) => boolean): Record<string, unknown> {
  const o = options(raw, fromCli);
  const quiet = o.json;
  const out = o.out ?? defaultRunDir('cnf');
  checkOutDir(out, { resume: o.resume, resumable: true });
  const ckptFile = join(out, L.CHECKPOINT_FILE);
  let saved: L.ModelDirConfig | null = null;
  if (o.resume) {
    if (!existsSync(ckptFile)) throw new UserError(`--resume: ${out} has no checkpoint (${L.CHECKPOINT_FILE}) to resume from`);
    try {
      saved = L.readModelConfig(out);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (saved.kind !== L.CNF_KIND) throw new UserError(`--resume: ${out} holds a '${saved.kind}' model, not 'cnf'`);
    const d = saved.data as { spec?: string } | undefined;
    if (d?.spec) o.data = d.spec;
  }
  const data = loadCnfData(o);
  let config: L.CnfConfig;
  try {
    config = saved ? L.cnfConfigOf(saved, out) : {
    dim: data.dim, hidden: o.hidden, activation: o.activation as L.CnfActivation, t1: o.t1,
    solver: o.solver as L.OdeMethod, rtol: o.rtol, atol: o.atol, stepSize: o.stepSize,
      trace: o.trace as L.TraceMethod, noise: o.noise as L.HutchinsonNoise, adjoint: o.adjoint,
    };
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (config.dim !== data.dim) throw new UserError(`${o.data}: points have ${data.dim} coordinates but the model in ${out} expects ${config.dim}`);
  let model: L.CNF;
  try {
    model = new L.CNF(config, new L.Generator(o.seed + 1));
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const dataRng = new L.Generator(o.seed);
  const noiseRng = new L.Generator(o.seed + 3);
  const optimizer = new L.Adam(model.parameters(), { lr: o.lr });
  try {
    mkdirSync(join(out, 'checkpoint'), { recursive: true });
  } catch (e) {
    throw new UserError(`--out ${out}: cannot create the model directory (${(e as Error).message})`);
  }
  let state: L.TrainerState | undefined;
  let metrics: string[] = [];
  if (saved) {
    const r = L.loadCheckpoint(ckptFile, { model, optimizer, rngs: { data: dataRng, noise: noiseRng } });
    state = r.trainer;
    metrics = metricsUpTo(out, state.epoch);
    say(quiet, `resuming ${out} at epoch ${state.epoch} (step ${state.step})`);
  } else {
    L.writeModelConfig(out, {
      format: 'latent-model', version: 1, kind: L.CNF_KIND, model: config as unknown as Record<string, unknown>,
      data: { spec: o.data, testData: o.testData ?? null, dim: data.dim, trainPerEpoch: data.trainSize, test: data.test.shape[0] },
      training: { epochs: o.epochs, batch: o.batch, lr: o.lr, seed: o.seed, clip: o.clip ?? null, backend: L.getBackend() },
    });
  }
  const batchesPerEpoch = Math.ceil(data.trainSize / o.batch);
  const bar = progress(o.progress && !quiet);
  say(quiet, `training a CNF (${config.hidden.join('-')} ${config.activation}, ${config.solver}${config.solver === 'dopri5' ? ` rtol ${config.rtol} atol ${config.atol}` : ` step ${config.stepSize}`}, ${config.trace} trace${config.adjoint ? ', adjoint' : ''}) on ${o.data} into ${out}`);
  let epochNfe = 0;
  L.fit<Tensor>({
    model, optimizer, epochs: o.epochs, batchesPerEpoch, state, clipNorm: o.clip,
    *epochBatches(epoch, start) {
      const pts = data.epochPoints(epoch, dataRng);
      bar.start(batchesPerEpoch, `epoch ${epoch + 1}/${o.epochs}`);
      epochNfe = 0;
      for (let b = start; b < batchesPerEpoch; b++) yield L.slice(pts, 0, b * o.batch, Math.min(pts.shape[0], (b + 1) * o.batch));
    },
    loss: (x) => L.cnfLoss(model, x, noiseRng),
    onStep: (r) => {
      epochNfe += r.stats.nfe;
      bar.update(r.batch, { NLL: r.loss.toFixed(3), NFE: String(r.stats.nfe) });
    },
    onNonFinite: (step, q, lr) => say(quiet, `step ${step}: ${q} is not finite; skipped, learning rate lowered to ${lr}`),
    onEpoch: (r) => {
      bar.stop();
      const line = { epoch: r.epoch, step: r.step, nll: r.means.nll, nfe: r.means.nfe, seconds: r.seconds };
      metrics.push(JSON.stringify(line));
      L.writeFileAtomic(join(out, L.METRICS_FILE), new TextEncoder().encode(metrics.join('\n') + '\n'), 'metrics');
      L.saveCheckpoint(ckptFile, { model, optimizer, rngs: { data: dataRng, noise: noiseRng } }, r.state);
      say(quiet, `epoch ${r.epoch}: train NLL ${r.means.nll.toFixed(3)} nats, ${r.means.nfe.toFixed(1)} function evaluations per step, ${r.seconds.toFixed(1)} s`);
    },
  });
  void epochNfe;
  L.saveModelWeights(out, model, L.CNF_KIND);
  // Evaluate with the exact trace (Hutchinson's estimate is unbiased only on average) and the training tolerance.
  const evalModel = L.cnfForEvaluation(model);
  const ev = L.evaluateCnf(evalModel, data.test, { batch: 1000 });
  const summary: Record<string, unknown> = {
    out, kind: 'cnf', data: o.data, epochs: o.epochs, steps: batchesPerEpoch * o.epochs,
    test_loglik: ev.logLik, test_loglik_stderr: ev.stderr, test_nll: -ev.logLik, eval_nfe: ev.nfe, test: ev.n,
  };
  let targetNote = '';
  if (data.toy && !o.testData) {
    // -H(p): the best any model can score on fresh draws (50,000-draw Monte Carlo, exact for the checkerboard).
    const h = L.toy2dEntropy(data.toy, { rng: new L.Generator(0), samples: 50_000 });
    summary.target_loglik = -h.entropy;
    summary.gap = -h.entropy - ev.logLik;
    targetNote = ` (the target's -H(p) = ${(-h.entropy).toFixed(3)}: gap ${(summary.gap as number).toFixed(3)} nats)`;
  }
  if (data.dim === 2) {
    const range = data.toy ? 4.5 : Math.max(1e-3, ...Array.from(data.test.data, Math.abs)) * 1.2;
    const size = 100;
    const target = data.toy
      ? L.densityImage(L.toy2dLogDensity(data.toy, L.densityGridPoints(range, size)), size)
      : L.histogramImage(data.test, range, size);
    const learned = L.densityImage(L.cnfLogDensityGrid(evalModel, range, size), size);
    L.saveDensityPanels(join(out, 'density.png'), [target, learned]);
    summary.density_png = join(out, 'density.png');
  }
  say(quiet, `test log-likelihood ${ev.logLik.toFixed(3)} ± ${ev.stderr.toFixed(3)} nats per point on ${ev.n} points${targetNote}; ${ev.nfe.toFixed(0)} function evaluations per solve`);
  if (summary.density_png) say(quiet, `wrote ${summary.density_png} (${data.toy ? 'target density' : 'held-out histogram'} left, learned density right)`);
  return summary;
}
