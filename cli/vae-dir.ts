// What the picture-making commands (sample, reconstruct, interpolate,
// inpaint, encode) share: opening a VAE model directory, its held-out data,
// and checking an output path before any work is done.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as L from '../src/index.js';
import { UserError } from './errors.js';

export interface OpenedVae {
  dir: string;
  vae: L.VAE;
  config: L.ModelDirConfig;
  /** Size of the condition of a conditional model (0 for an unconditional one). */
  cond: number;
}

/** Loads DIR's VAE, turning every problem into a UserError naming DIR. */
export function openVae(dir: string): OpenedVae {
  if (!existsSync(dir)) throw new UserError(`${dir} does not exist; pass a model directory written by latent train`);
  try {
    const { vae, config } = L.loadVaeDir(dir);
    return { dir, vae, config, cond: vae.config.conditionDim ?? 0 };
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/**
 * The images to work on: `spec` (a named dataset's test split or a whole
 * file), or by default the held-out split the model was scored on during
 * training, binarized the same way (a static draw with the run's seed).
 */
export function heldOutData(m: OpenedVae, spec?: string): { data: L.Dataset; spec: string } {
  const saved = m.config.data ?? {};
  const seed = Number((m.config.training ?? {}).seed ?? 0);
  const name = spec ?? (saved.testData as string | null) ?? (saved.spec as string | undefined) ?? 'mnist';
  let data: L.Dataset;
  try {
    if (spec || saved.testData) {
      data = L.loadTestDataset(name);
    } else {
      const labels = (saved.labels as string | null) ?? undefined;
      const splits = L.loadDataset(name, { labels });
      // A file without its own test split: the same 10% that training held out (cli/train/vae.ts).
      data = splits.test ?? L.splitDataset(splits.train, 0.1, new L.Generator(seed + 1).split(2)[0]).test;
    }
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const [c, h, w] = m.vae.config.inputShape;
  if (!data.image || data.image.channels !== c || data.image.height !== h || data.image.width !== w) {
    const got = data.image ? `${data.image.channels}x${data.image.height}x${data.image.width} images` : `examples of shape [${data.itemShape.join(', ')}]`;
    throw new UserError(`${name}: has ${got} but the model in ${m.dir} expects ${c}x${h}x${w} images`);
  }
  if (saved.binarize !== 'none') data = L.binarizeDataset(data, 'static', new L.Generator(seed + 7));
  return { data, spec: name };
}

/** One-hot conditions for the examples of a conditional model (undefined for an unconditional one). */
export function conditionsFor(m: OpenedVae, data: L.Dataset, spec: string): L.Tensor | undefined {
  if (!m.cond) return undefined;
  if (!data.labels) throw new UserError(`${spec} has no labels, which the conditional model in ${m.dir} needs`);
  return L.oneHot(data.labels, m.cond);
}

/** The first n examples (all when n is larger). */
export function firstExamples(data: L.Dataset, n: number): L.Dataset {
  return n >= data.length ? data : L.subsetDataset(data, Array.from({ length: n }, (_, i) => i));
}

/** Refuses an output path whose folder is missing or that names a folder, before any work is done. */
export function checkOutputPath(path: string, option: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${option} ${path}: the folder ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${option} ${path}: is a folder; name a file`);
}

/** Writes with an atomic writer, reporting a failure as the user's (a path that cannot be written). */
export function writeOutput(write: () => void): void {
  try {
    write();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** Images [N, C, H, W] from rows [N, D]. */
export function asImages(m: OpenedVae, rows: L.Tensor): L.Tensor {
  const [c, h, w] = m.vae.config.inputShape;
  return L.reshape(rows, [rows.shape[0], c, h, w]);
}
