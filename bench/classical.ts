// Classical latent-variable models against scikit-learn, in the same run:
// one EM iteration (E-step + M-step + lower bound) of a full-covariance
// GaussianMixture, K = 10, on Fashion-MNIST's 60,000 training images
// projected to 50 dimensions by PCA, from the same initial parameters, one
// thread each. The twin (bench/classical_twin.py, Debian's python3-sklearn)
// reads the very same projected data from a temporary .npy file.
//
//   node --import tsx bench/classical.ts [--quick] [--json] [--reps N]
//   --quick: 10,000 points instead of 60,000
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../src/index.js';

export interface ClassicalOptions {
  quick?: boolean;
  reps?: number;
  json?: boolean;
}

export interface ClassicalRow {
  name: string;
  title: string;
  /** Seconds per EM iteration, best of `reps` (after a warm-up). */
  latent: { best: number; median: number; eStep: number; mStep: number; cpu: number; fitOneIteration: number };
  sklearn: { best: number; median: number; eStep: number; mStep: number; cpu: number; version: string } | null;
  /** sklearn seconds / latent seconds: above 1 means latent is faster. */
  speedup: number | null;
  /** |lower bound difference| after the iteration, a check that both did the same work. */
  lowerBoundDiff: number | null;
}

/** GaussianMixture with its E- and M-steps opened up for timing (protected in the library). */
class TimedGaussianMixture extends L.GaussianMixture {
  timeSteps(x: L.Tensor, reps: number): { e: number[]; m: number[]; cpu: number[]; bound: number } {
    const { data } = this.prepareFitData(x, undefined);
    const start = this.snapshot();
    const e: number[] = [];
    const m: number[] = [];
    const cpu: number[] = [];
    let bound = NaN;
    for (let r = 0; r <= reps; r++) {
      this.restore(structuredClone(start));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const { logNorm, resp } = this.eStep(data);
      let mean = 0;
      for (let i = 0; i < logNorm.length; i++) mean += logNorm[i];
      mean /= logNorm.length;
      const t1 = performance.now();
      this.mStep(data, resp);
      bound = this.computeLowerBound(data, resp, mean);
      const t2 = performance.now();
      const c = process.cpuUsage(c0);
      if (r > 0) {
        e.push((t1 - t0) / 1e3);
        m.push((t2 - t1) / 1e3);
        cpu.push((c.user + c.system) / 1e6);
      }
    }
    return { e, m, cpu, bound };
  }
}

/** Fashion-MNIST (bytes / 255 as float64) projected on the 50 leading principal axes of its first 10,000 images. */
function fashionPca50(n: number): L.Tensor {
  const { train } = L.loadFashionMnist();
  const d = 784;
  const pixels = train.images.data;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = Math.round(pixels[i] * 255) / 255;
  const fitRows = Math.min(n, 10000);
  const ppca = new L.PPCA({ nComponents: 50 }).fit(new L.Tensor(x.subarray(0, fitRows * d), [fitRows, d]));
  // Unit principal axes: the columns of W normalized (W = U (L - s2 I)^1/2).
  const w = ppca.loadings.data;
  const mu = ppca.mean.data;
  const axes = new Float64Array(d * 50);
  for (let c = 0; c < 50; c++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += w[i * 50 + c] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < d; i++) axes[i * 50 + c] = w[i * 50 + c] * inv;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] -= mu[j];
  return L.matmul(new L.Tensor(x, [n, d]), new L.Tensor(axes, [d, 50]));
}

/** A minimal .npy (version 1.0, little-endian float64, C order) of a 2-D tensor. */
function npyBytes(t: L.Tensor): Uint8Array {
  const header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${t.shape[0]}, ${t.shape[1]}), }`;
  const total = 10 + header.length + 1;
  const pad = (64 - (total % 64)) % 64;
  const h = header + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + h.length + t.size * 8);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8], 0);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  const data = Float64Array.from(t.data);
  out.set(new Uint8Array(data.buffer), 10 + h.length);
  return out;
}

/** Uniform weights, every (n / k)-th point as a mean, precisions I / (mean variance): as the twin. */
function initialParameters(z: L.Tensor, k: number): { weights: number[]; means: L.Tensor; precisions: L.Tensor } {
  const [n, d] = z.shape;
  const x = z.data;
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] = x[c * Math.floor(n / k) * d + j];
  let varSum = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * d + j];
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + j] - m) ** 2;
    varSum += v / n;
  }
  const scale = 1 / (varSum / d);
  const prec = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) prec[c * d * d + j * d + j] = scale;
  return { weights: new Array<number>(k).fill(1 / k), means: new L.Tensor(means, [k, d]), precisions: new L.Tensor(prec, [k, d, d]) };
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

export function runClassicalBench(opts: ClassicalOptions = {}): { rows: ClassicalRow[]; note: string } {
  const n = opts.quick ? 10000 : 60000;
  const reps = opts.reps ?? (opts.quick ? 3 : 5);
  const k = 10;
  if (!L.hasFashionMnist()) {
    return { rows: [], note: 'Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): classical benchmark skipped' };
  }
  const z = fashionPca50(n);
  const init = initialParameters(z, k);
  const options = { nComponents: k, covarianceType: 'full' as const, tol: 0, weightsInit: init.weights, meansInit: init.means, precisionsInit: init.precisions };
  // Ours: the E- and M-steps timed alone (as the twin times scikit-learn's), and the public fit of one iteration (with its input checks).
  const gm = new TimedGaussianMixture({ ...options, maxIter: 0 }).fit(z);
  const steps = gm.timeSteps(z, reps);
  const totals = steps.e.map((e, i) => e + steps.m[i]);
  let fitBest = Infinity;
  for (let r = 0; r < Math.max(2, Math.ceil(reps / 2)); r++) {
    const t0 = performance.now();
    new L.GaussianMixture({ ...options, maxIter: 1 }).fit(z);
    fitBest = Math.min(fitBest, (performance.now() - t0) / 1e3);
  }
  const latent = { best: Math.min(...totals), median: median(totals), eStep: Math.min(...steps.e), mStep: Math.min(...steps.m), cpu: Math.min(...steps.cpu), fitOneIteration: fitBest };
  // The twin, on the same numbers.
  const dir = mkdtempSync(join(tmpdir(), 'latent-classical-'));
  let sklearn: ClassicalRow['sklearn'] = null;
  let lowerBoundDiff: number | null = null;
  let note = '';
  try {
    const file = join(dir, 'fashion_pca50.npy');
    writeFileSync(file, npyBytes(z));
    const script = [new URL('./classical_twin.py', import.meta.url), new URL('../../bench/classical_twin.py', import.meta.url)]
      .map((u) => fileURLToPath(u)).find((f) => existsSync(f))!;
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const py = spawnSync('/usr/bin/python3', [script, file, '--k', String(k), '--reps', String(reps)], { encoding: 'utf8', env });
    if (py.status === 0) {
      const r = JSON.parse(py.stdout.trim().split('\n').pop()!);
      sklearn = { best: r.best, median: r.median, eStep: r.eStep, mStep: r.mStep, cpu: r.cpu, version: r.sklearn };
      lowerBoundDiff = Math.abs(r.lowerBound - steps.bound);
    } else {
      note = `scikit-learn twin not run (${(py.stderr || String(py.error)).trim().split('\n').pop()}): apt-get install python3-sklearn for the side-by-side ratio`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    rows: [{
      name: 'gmm-em-iteration',
      title: `GaussianMixture, one EM iteration, full covariances, K = ${k}, Fashion-MNIST PCA-50 (${n.toLocaleString('en-US')} x 50)`,
      latent,
      sklearn,
      speedup: sklearn ? sklearn.best / latent.best : null,
      lowerBoundDiff,
    }],
    note,
  };
}

export function formatClassical(rows: ClassicalRow[], note: string): string {
  const ms = (s: number) => `${(s * 1e3).toFixed(0)} ms`;
  const lines = [
    `latent bench (classical): ${L.getBackend()} kernels vs scikit-learn, 1 thread, ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| workload | latent | scikit-learn | speedup (sklearn time / latent time) |',
    '|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.title} | ${ms(r.latent.best)} (E ${ms(r.latent.eStep)}, M ${ms(r.latent.mStep)}) | ${r.sklearn ? `${ms(r.sklearn.best)} (E ${ms(r.sklearn.eStep)}, M ${ms(r.sklearn.mStep)})` : '-'} | ${r.speedup ? r.speedup.toFixed(2) : '-'} |`);
  }
  for (const r of rows) {
    lines.push('', `${r.name}: best of the timed passes; medians latent ${ms(r.latent.median)}${r.sklearn ? `, scikit-learn ${ms(r.sklearn.median)} (${r.sklearn.version})` : ''}; ` +
      `process CPU time per iteration (best): latent ${ms(r.latent.cpu)}${r.sklearn ? `, scikit-learn ${ms(r.sklearn.cpu)}` : ''}; ` +
      `the public fit() of one iteration, input checks included: ${ms(r.latent.fitOneIteration)}` +
      (r.lowerBoundDiff !== null ? `; |lower bound difference| ${r.lowerBoundDiff.toExponential(1)}` : ''));
  }
  if (note) lines.push('', note);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const value = (f: string) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1] : undefined; };
  const opts: ClassicalOptions = { quick: argv.includes('--quick'), json: argv.includes('--json'), reps: value('--reps') ? Number(value('--reps')) : undefined };
  const { rows, note } = runClassicalBench(opts);
  if (opts.json) process.stdout.write(JSON.stringify({ backend: L.getBackend(), rows, note }) + '\n');
  else process.stdout.write(formatClassical(rows, note) + '\n');
}
