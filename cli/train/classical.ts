// `latent train gmm|ppca`: shallow latent-variable models fitted in closed
// form or by EM, written to a model directory like the VAEs'.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as L from '../../src/index.js';
import type { Dataset, Tensor } from '../../src/index.js';
import { UserError } from '../errors.js';
import { say } from '../progress.js';
import { checkOutDir, checkTestShape, defaultRunDir } from '../outdir.js';

export interface ClassicalOptions {
  data: string;
  labels?: string;
  testData?: string;
  seed: number;
  out?: string;
  json: boolean;
  /** gmm */
  components: number;
  covariance: L.CovarianceType;
  maxIter: number;
  tol: number;
  regCovar: number;
  nInit: number;
  init: L.InitParams;
  bayesian: boolean;
  pca: 'auto' | number;
  /** ppca */
  latent: number;
}

function loadMatrix(o: ClassicalOptions, rng: L.Generator): { train: Dataset; test: Dataset | null; x: Tensor; xTest: Tensor | null } {
  try {
    const splits = L.loadDataset(o.data, { labels: o.labels, kind: 'any' });
    const test = o.testData ? L.loadTestDataset(o.testData, { kind: 'any' }) : splits.test;
    checkTestShape(splits.train, test, o.testData);
    const flat = (d: Dataset) => L.reshape(d.images, [d.length, -1]).cast('float64');
    if (splits.train.length === 0) throw new UserError(`${o.data}: the dataset is empty`);
    return { train: splits.train, test, x: flat(splits.train), xTest: test ? flat(test) : null };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message);
  }
}

function prepareOut(kind: string, out: string | undefined): string {
  const dir = out ?? defaultRunDir(kind);
  checkOutDir(dir);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Fraction of points whose cluster's majority label is their own label. */
export function clusterPurity(assign: Int32Array, labels: Int32Array, k: number): number {
  const counts = new Map<number, Map<number, number>>();
  assign.forEach((c, i) => {
    const m = counts.get(c) ?? new Map<number, number>();
    m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
    counts.set(c, m);
  });
  let hit = 0;
  for (const m of counts.values()) hit += Math.max(...m.values());
  return assign.length ? hit / assign.length : 0;
  void k;
}

/** Stores the model's JSON form: arrays as float64 tensors, everything else in the metadata. */
function saveJsonModel(dir: string, kind: string, json: Record<string, unknown>, shapes: Record<string, number[]>): void {
  const tensors: Record<string, Tensor> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    if (shapes[k] && Array.isArray(v)) tensors[k] = L.tensor(v as number[], { shape: shapes[k], dtype: 'float64' });
    else rest[k] = v;
  }
  L.saveSafetensors(join(dir, L.WEIGHTS_FILE), tensors, { 'latent.kind': kind, 'latent.model': JSON.stringify(rest) });
}

/** The images of a dataset's item shape, when it has one (for PNGs). */
function asImages(ds: Dataset, rows: Tensor): Tensor | null {
  if (!ds.image) return null;
  const { channels, height, width } = ds.image;
  return L.reshape(L.clamp(rows.cast('float32'), 0, 1), [rows.shape[0], channels, height, width]);
}

export function trainGmm(o: ClassicalOptions): Record<string, unknown> {
  const rng = new L.Generator(o.seed);
  const { train, test, x, xTest } = loadMatrix(o, rng);
  const d = x.shape[1];
  if (o.components > x.shape[0]) throw new UserError(`--k ${o.components} is larger than the number of training points (${x.shape[0]})`);
  // Full covariances in hundreds of dimensions are slow and ill-determined: project onto principal axes first.
  const pcaDims = o.pca === 'auto' ? (d > 100 && o.covariance === 'full' ? 50 : 0) : o.pca;
  if (pcaDims > d) throw new UserError(`--pca ${pcaDims} is larger than the number of features (${d})`);
  let project = (m: Tensor) => m;
  let unproject = (m: Tensor) => m;
  if (pcaDims > 0) {
    let pca: L.PPCA;
    try {
      pca = new L.PPCA({ nComponents: pcaDims, method: 'closed-form', seed: o.seed }).fit(x);
    } catch (e) {
      throw new UserError(`${o.data}: the --pca ${pcaDims} projection failed (${(e as Error).message}); try a smaller --pca, or --pca 0`);
    }
    // Orthonormal principal axes U: the columns of W = U (L - s^2 I)^(1/2) normalized.
    const w = pca.loadings;
    const norms = L.sqrt(L.sum(L.square(w), 0, true));
    const u = L.div(w, norms);
    const mean = pca.mean;
    project = (m) => L.matmul(L.sub(m, mean), u);
    unproject = (z) => L.add(L.matmul(z, u, { transB: true }), mean);
  }
  const dir = prepareOut('gmm', o.out);
  const opts = { nComponents: o.components, covarianceType: o.covariance, maxIter: o.maxIter, tol: o.tol, regCovar: o.regCovar, nInit: o.nInit, initParams: o.init, seed: o.seed };
  const model = o.bayesian ? new L.BayesianGaussianMixture(opts) : new L.GaussianMixture(opts);
  const xp = project(x);
  say(o.json, `fitting a ${o.bayesian ? 'Bayesian ' : ''}Gaussian mixture (K = ${o.components}, ${o.covariance} covariances) to ${x.shape[0]} x ${d}${pcaDims ? ` projected on ${pcaDims} principal axes` : ''}`);
  try {
    model.fit(xp, { rng, onIteration: (it) => { if (!o.json && it.iteration % 10 === 0) say(false, `  iteration ${it.iteration}: lower bound ${it.lowerBound.toFixed(4)}`); } });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const assign = model.predict(xp);
  const summary: Record<string, unknown> = {
    out: dir, kind: 'gmm', components: o.components, covariance: o.covariance, pca: pcaDims, train: x.shape[0],
    converged: model.converged, iterations: model.nIter, train_loglik: model.score(xp),
  };
  if (model instanceof L.GaussianMixture) summary.bic = model.bic(xp);
  if (xTest) summary.test_loglik = model.score(project(xTest));
  if (train.labels) summary.purity = clusterPurity(assign, train.labels, o.components);
  if (test?.labels && xTest) summary.test_purity = clusterPurity(model.predict(project(xTest)), test.labels, o.components);
  L.writeModelConfig(dir, { format: 'latent-model', version: 1, kind: 'gmm', model: { ...opts, bayesian: o.bayesian, pca: pcaDims, features: d }, data: { spec: o.data, labels: o.labels ?? null } });
  const json = model.toJSON() as unknown as Record<string, unknown>;
  const k = o.components;
  const dd = xp.shape[1];
  saveJsonModel(dir, 'gmm', json, { center: [dd], weights: [k], means: [k, dd] });
  const rows = Array.from(assign, (c, i) => `${i},${c}${train.labels ? `,${train.labels[i]}` : ''}`);
  L.writeFileAtomic(join(dir, 'assignments.csv'), new TextEncoder().encode(`index,cluster${train.labels ? ',label' : ''}\n${rows.join('\n')}\n`), 'assignments');
  const imgs = asImages(train, unproject(model.means));
  if (imgs) L.saveImageGrid(join(dir, 'means.png'), imgs, { cols: Math.min(k, 10), scale: 2 });
  say(o.json, `converged: ${model.converged} after ${model.nIter} iterations; log-likelihood per point: train ${(summary.train_loglik as number).toFixed(3)}${xTest ? `, test ${(summary.test_loglik as number).toFixed(3)}` : ''}${summary.purity !== undefined ? `; cluster purity ${(100 * (summary.purity as number)).toFixed(1)}% (train)${summary.test_purity !== undefined ? `, ${(100 * (summary.test_purity as number)).toFixed(1)}% (test)` : ''}` : ''}`);
  say(o.json, `wrote ${dir}/assignments.csv${imgs ? ` and ${dir}/means.png` : ''}`);
  return summary;
}

export function trainPpca(o: ClassicalOptions): Record<string, unknown> {
  const rng = new L.Generator(o.seed);
  const { train, x, xTest } = loadMatrix(o, rng);
  const d = x.shape[1];
  if (o.latent >= d) throw new UserError(`--latent ${o.latent} must be smaller than the number of features (${d})`);
  const dir = prepareOut('ppca', o.out);
  say(o.json, `fitting probabilistic PCA (q = ${o.latent}) to ${x.shape[0]} x ${d}`);
  let model: L.PPCA;
  try {
    model = new L.PPCA({ nComponents: o.latent, seed: o.seed }).fit(x);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const summary: Record<string, unknown> = { out: dir, kind: 'ppca', latent: o.latent, train: x.shape[0], noise_variance: model.noiseVariance, train_loglik: model.score(x) };
  if (xTest) summary.test_loglik = model.score(xTest);
  L.writeModelConfig(dir, { format: 'latent-model', version: 1, kind: 'ppca', model: { nComponents: o.latent, features: d }, data: { spec: o.data } });
  saveJsonModel(dir, 'ppca', model.toJSON() as unknown as Record<string, unknown>, { mean: [d], loadings: [d, o.latent] });
  const comps = asImages(train, L.add(L.mul(L.transpose(model.loadings), 0.5 / Math.max(1e-12, L.max(L.abs(model.loadings)).item())), 0.5));
  if (comps) {
    L.saveImageGrid(join(dir, 'components.png'), comps, { cols: Math.min(o.latent, 10), scale: 2 });
    L.saveImageGrid(join(dir, 'samples.png'), asImages(train, model.sample(64, new L.Generator(o.seed + 1)))!, { cols: 8, scale: 2 });
    const orig = L.slice(xTest ?? x, 0, 0, 16);
    L.saveImageGrid(join(dir, 'reconstructions.png'), asImages(train, L.concat([orig, model.inverseTransform(model.transform(orig))]))!, { cols: 16, scale: 2 });
  }
  say(o.json, `log-likelihood per point: train ${(summary.train_loglik as number).toFixed(2)}${xTest ? `, test ${(summary.test_loglik as number).toFixed(2)}` : ''} nats; noise variance ${model.noiseVariance.toExponential(3)}`);
  return summary;
}
