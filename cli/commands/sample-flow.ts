// `latent sample DIR` for density models (`latent train flow` and `latent
// train cnf`): draws written as a picture (an image grid for image flows;
// for 2-D points a histogram of the draws next to the model's density, the
// pictures of the training commands) or, with --out FILE.csv, as rows.
import type { Command } from 'commander';
import * as L from '../../src/index.js';
import { UserError } from '../errors.js';
import { modelDim, openDensityModel, type OpenedDensity } from '../density-dir.js';
import { say } from '../progress.js';
import { checkOutputPath, writeOutput } from '../vae-dir.js';

export interface DensitySampleOptions { n: number; seed: number; out: string; cols: number; scale: number }

/** Options of `latent sample` that only a VAE has. */
const VAE_ONLY = ['label', 'grid', 'radius'];
/** Draws for a picture of 2-D points when --n is not given. */
const POINTS_N = 2000;

/** Draws from DIR's flow or CNF and writes them to --out. */
export function sampleDensity(dir: string, kind: 'flow' | 'cnf', o: DensitySampleOptions, cmd: Command): void {
  for (const name of VAE_ONLY) {
    if (cmd.getOptionValueSource(name) === 'cli') throw new UserError(`--${name} applies to VAEs; ${dir} holds a '${kind}' model`);
  }
  const m = openDensityModel(dir, kind);
  checkOutputPath(o.out, '--out');
  const images = m.kind === 'flow' && m.images;
  const asCsv = o.out.toLowerCase().endsWith('.csv');
  const dim = modelDim(m);
  if (!images && !asCsv && dim !== 2) {
    throw new UserError(`--out ${o.out}: a picture needs 2-D points, but the model in ${dir} draws ${dim}-D points; name a .csv file to write them as rows`);
  }
  const n = cmd.getOptionValueSource('n') === 'cli' || images ? o.n : POINTS_N;
  const rng = new L.Generator(o.seed);
  const x = m.kind === 'flow' ? m.flow.sample(n, rng) : m.cnf.sample(n, rng);
  const what = `${n} samples (seed ${o.seed})`;
  if (asCsv) {
    const rows = L.reshape(x, [n, dim]).data;
    const lines = [Array.from({ length: dim }, (_, j) => `x_${j + 1}`).join(',')];
    for (let i = 0; i < n; i++) lines.push(Array.from(rows.subarray(i * dim, (i + 1) * dim), (v) => String(v)).join(','));
    writeOutput(() => L.writeFileAtomic(o.out, new TextEncoder().encode(lines.join('\n') + '\n'), 'CSV'));
    say(false, `wrote ${o.out}: ${what}, one per row`);
  } else if (m.kind === 'flow' && m.images) {
    const [c, h, w] = imageShape(m);
    // Samples on the [0, 1) pixel scale; values outside (the flow's tails) are clamped by the PNG writer, as in training's samples.png.
    writeOutput(() => L.saveImageGrid(o.out, L.reshape(x, [n, c, h, w]), { cols: Math.min(o.cols, n), scale: o.scale }));
    say(false, `wrote ${o.out}: ${what}`);
  } else {
    writePointsPicture(m, x, o.out);
    say(false, `wrote ${o.out}: a histogram of ${what} (left) next to the model's density (right)`);
  }
}

/** [C, H, W] of an image flow: its event shape, the image size training recorded, or for flat vectors a square gray or RGB image. */
function imageShape(m: OpenedDensity & { kind: 'flow' }): [number, number, number] {
  const es = m.flow.config.eventShape;
  if (es.length === 3) return [es[0], es[1], es[2]];
  const rec = m.config.data?.image;
  if (Array.isArray(rec) && rec.length === 3 && rec.every((v) => Number.isInteger(v) && v > 0) && rec[0] * rec[1] * rec[2] === es[0]) return [rec[0], rec[1], rec[2]];
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(es[0] / c));
    if (c * side * side === es[0]) return [c, side, side];
  }
  throw new UserError(`${m.dir}: the flow's images are vectors of ${es[0]} values, not a square gray or RGB image; name a .csv --out to write them as rows`);
}

/** [low, high] covering the draws (both axes; the 0.5% outermost on either side left out), padded by 10%. */
function windowOf(x: L.Tensor): [number, number] {
  const v = Float64Array.from(x.data).sort();
  const lo = v[Math.floor(0.005 * (v.length - 1))];
  const hi = v[Math.ceil(0.995 * (v.length - 1))];
  const pad = 0.1 * (hi - lo || 1);
  return [lo - pad, hi + pad];
}

/** The training commands' density pictures, with a histogram of the draws in place of the target. */
function writePointsPicture(m: OpenedDensity, x: L.Tensor, out: string): void {
  if (m.kind === 'flow') {
    // cli/train/flow.ts: a 128-pixel window, [-4, 4] for the toys.
    const range: [number, number] = m.toy ? [-4, 4] : windowOf(x);
    const grid = L.gridPoints({ size: 128, range });
    const learned = L.meanLogProb(m.flow, grid).values;
    const image = L.densityPanels([L.histogramLogDensity(x, { size: 128, range }), learned], 128);
    writeOutput(() => L.savePng(out, image));
    return;
  }
  // cli/train/cnf.ts: a 100-pixel window, [-4.5, 4.5] for the toys.
  const [lo, hi] = windowOf(x);
  const range = m.toy ? 4.5 : Math.max(Math.abs(lo), Math.abs(hi));
  const size = 100;
  const learned = L.densityImage(L.cnfLogDensityGrid(m.cnf, range, size), size);
  writeOutput(() => L.saveDensityPanels(out, [L.histogramImage(x, range, size), learned]));
}
