import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, loadSafetensors, saveSafetensors } from '../io/index.js';
import type { Module } from '../nn/index.js';
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
  if (typeof c !== 'object' || c === null || c.format !== 'latent-model' || typeof c.kind !== 'string' || typeof c.model !== 'object') {
    throw new Error(`${file}: expected a latent model config with "format": "latent-model", "kind" and "model"`);
  }
  if (c.version !== 1) throw new Error(`${file}: config version ${c.version} is not supported (expected 1)`);
  return c;
}

/** Writes the weights (atomically) as model.safetensors with the model kind in the metadata. */
export function saveModelWeights(dir: string, model: Module<any, any>, kind: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  saveSafetensors(join(dir, WEIGHTS_FILE), model.stateDict(), { format: 'pt', 'latent.kind': kind });
}

/** Rebuilds the VAE of a model directory and loads its weights. */
export function loadVaeDir(dir: string): { vae: VAE; config: ModelDirConfig } {
  const config = readModelConfig(dir);
  if (!['vae', 'iwae', 'cvae'].includes(config.kind)) throw new Error(`${dir}: holds a '${config.kind}' model, not a VAE`);
  const vc = validateVaeConfig(config.model as unknown as VaeConfig, `${join(dir, CONFIG_FILE)}: model`);
  const vae = new VAE(vc, new Generator(0));
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: no ${WEIGHTS_FILE} (training did not finish an epoch?)`);
  try {
    vae.loadStateDict(loadSafetensors(file).tensors);
  } catch (e) {
    throw new Error(`${file}: does not fit the model in ${CONFIG_FILE}: ${(e as Error).message}`, { cause: e });
  }
  vae.eval();
  return { vae, config };
}
