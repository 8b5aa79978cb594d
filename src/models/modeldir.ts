import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, loadSafetensors, saveSafetensors } from '../io/index.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Generator } from '../random/index.js';
import { VAE, validateVaeConfig, type VaeConfig, type ObjectiveSpec } from './vae/index.js';

/**
 * `config.json` of a model directory: what kind of model, everything needed
 * to rebuild it, and how it was trained. Next to it: `model.safetensors`
 * (weights, PyTorch names and layout), `checkpoint/checkpoint.safetensors`
 * (optimizer, RNG and position, written atomically) and `metrics.jsonl`.
 */
export interface ModelDirConfig {
  format: 'latent-model';
  version: 1;
  kind: string;
  model: Record<string, unknown>;
  objective?: ObjectiveSpec;
  data?: Record<string, unknown>;
  training?: Record<string, unknown>;
}

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const CHECKPOINT_FILE = join('checkpoint', 'checkpoint.safetensors');
export const METRICS_FILE = 'metrics.jsonl';

/** Writes config.json atomically. */
export function writeModelConfig(dir: string, config: ModelDirConfig): void {
  writeFileAtomic(join(dir, CONFIG_FILE), new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'), 'model config');
}

/** Reads and checks config.json, with errors naming the file. */
export function readModelConfig(dir: string): ModelDirConfig {
  const file = join(dir, CONFIG_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: not a model directory (no ${CONFIG_FILE})`);
  let c: ModelDirConfig;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c) || c.format !== 'latent-model' || typeof c.kind !== 'string' || typeof c.model !== 'object' || c.model === null || Array.isArray(c.model)) {
    throw new Error(`${file}: expected a latent model config with "format": "latent-model", "kind" and "model"`);
  }
  if (c.version !== 1) throw new Error(`${file}: config version ${c.version} is not supported (expected 1)`);
  return c;
}

/**
 * Refuses weights holding NaN or infinity: a model would load and then
 * print NaN scores or blank images, far from the cause.
 */
export function checkFinite(tensors: Record<string, Tensor>, file: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw new Error(`${file}: tensor ${name} holds a non-finite value (${d[i]} at index ${i}); expected finite weights`);
    }
  }
}

/** Writes the weights (atomically) as model.safetensors with the model kind in the metadata. */
export function saveModelWeights(dir: string, model: Module<any, any>, kind: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  saveSafetensors(join(dir, WEIGHTS_FILE), model.stateDict(), { format: 'pt', 'latent.kind': kind });
}

/**
 * A lower bound on a VAE's number of weights from its config alone, without
 * building it: the weight matrices between consecutive layers (a conv
 * kernel holds at least C_in x C_out values), the encoder's first layer
 * (an MLP's takes every pixel), and for a conv net the dense layer from the
 * last feature map (channels x H/2^L x W/2^L) to the latent mean.
 */
function minimumVaeWeights(c: VaeConfig): number {
  const [ch, h, w] = c.inputShape;
  const hid = c.hidden;
  let n = hid[hid.length - 1] * c.latent;
  for (let i = 1; i < hid.length; i++) n += hid[i - 1] * hid[i];
  if (c.architecture === 'conv') {
    const f = 2 ** hid.length;
    n += ch * hid[0] + hid[hid.length - 1] * (h / f) * (w / f) * c.latent;
  } else {
    n += (ch * h * w + (c.conditionDim ?? 0)) * hid[0];
  }
  return n;
}

/** Rebuilds the VAE of a model directory and loads its weights. */
export function loadVaeDir(dir: string): { vae: VAE; config: ModelDirConfig } {
  const config = readModelConfig(dir);
  if (!['vae', 'iwae', 'cvae'].includes(config.kind)) throw new Error(`${dir}: holds a '${config.kind}' model, not a VAE`);
  const vc = validateVaeConfig(config.model as unknown as VaeConfig, `${join(dir, CONFIG_FILE)}: model`);
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: no ${WEIGHTS_FILE} (training did not finish an epoch?)`);
  // A corrupt file reports itself (its errors name it); only a well-formed one can fail to fit.
  const { tensors } = loadSafetensors(file);
  checkFinite(tensors, file);
  // Sizes in a damaged or edited config.json could ask for gigabytes of weights before loadStateDict saw the mismatch.
  let held = 0;
  for (const t of Object.values(tensors)) held += t.data.length;
  const needed = minimumVaeWeights(vc);
  if (needed > held) {
    throw new Error(`${join(dir, CONFIG_FILE)}: the model it describes needs at least ${needed} weights, but ${file} holds ${held}; expected the config.json written with these weights`);
  }
  const vae = new VAE(vc, new Generator(0));
  try {
    vae.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${file}: does not fit the model in ${CONFIG_FILE}: ${(e as Error).message}`, { cause: e });
  }
  vae.eval();
  return { vae, config };
}
