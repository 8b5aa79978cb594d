// Flow models in a model directory: config.json (kind 'flow', the FlowConfig
// as `model`) and model.safetensors, like the VAE's (../modeldir.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors } from '../../io/index.js';
import { Generator } from '../../random/index.js';
import { CONFIG_FILE, WEIGHTS_FILE, readModelConfig, type ModelDirConfig } from '../modeldir.js';
import { FlowModel, validateFlowConfig, type FlowConfig } from './flow.js';

/** The `kind` of flow model directories. */
export const FLOW_KIND = 'flow';

/**
 * Rebuilds the flow of a model directory from its config.json and loads its
 * weights (including ActNorm's `initialized` flags and batch-norm running
 * averages), in eval mode. Errors name the files.
 *
 * @example
 * const { model } = loadFlowDir('runs/flow-moons');
 * model.sample(1000, new Generator(0));
 */
export function loadFlowDir(dir: string): { model: FlowModel; config: ModelDirConfig } {
  const config = readModelConfig(dir);
  if (config.kind !== FLOW_KIND) throw new Error(`${dir}: holds a '${config.kind}' model, not a flow`);
  const fc = validateFlowConfig(config.model as unknown as FlowConfig, `${join(dir, CONFIG_FILE)}: model`);
  const model = new FlowModel(fc, new Generator(0));
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: no ${WEIGHTS_FILE} (training did not finish an epoch?)`);
  try {
    model.loadStateDict(loadSafetensors(file).tensors);
  } catch (e) {
    throw new Error(`${file}: does not fit the model in ${CONFIG_FILE}: ${(e as Error).message}`, { cause: e });
  }
  model.eval();
  return { model, config };
}
