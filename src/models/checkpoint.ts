import { Tensor } from '../tensor/tensor.js';
import { loadSafetensors, saveSafetensors, type StateDict } from '../io/index.js';
import type { Module } from '../nn/index.js';
import type { Optimizer, OptimizerStateDict } from '../optim/index.js';
import { Generator, type GeneratorState } from '../random/index.js';
import type { TrainerState } from './train.js';
import { checkFinite } from './modeldir.js';

const META_KEY = 'latent.checkpoint';
const VERSION = 1;

export interface CheckpointParts {
  model: Module<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  optimizer?: Optimizer<{ lr: number }>;
  /** Named generators whose states resume the run's randomness exactly. */
  rngs?: Record<string, Generator>;
}

/**
 * Writes everything needed to resume a run into one safetensors file,
 * atomically (temporary file, fsync, rename): the model's weights as
 * `model.<name>`, the optimizer's buffers as `optim.<param>.<buffer>`, and in
 * the metadata the optimizer's scalars and groups, the generators' states,
 * the trainer's position and any `extra` JSON. Refuses non-finite weights,
 * so a checkpoint is always one a run can continue from.
 */
export function saveCheckpoint(path: string, parts: CheckpointParts, trainer: TrainerState, extra: Record<string, unknown> = {}): void {
  const tensors: StateDict = {};
  for (const [name, t] of Object.entries(parts.model.stateDict() as Record<string, Tensor>)) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new Error(`${path}: refusing to checkpoint non-finite weights (${name}[${i}] = ${t.data[i]})`);
    }
    tensors[`model.${name}`] = t;
  }
  let optimizer: { paramGroups: OptimizerStateDict['paramGroups']; scalars: Record<string, Record<string, number>> } | null = null;
  if (parts.optimizer) {
    const sd = parts.optimizer.stateDict();
    const scalars: Record<string, Record<string, number>> = {};
    for (const [idx, entry] of Object.entries(sd.state)) {
      for (const [key, v] of Object.entries(entry)) {
        if (v instanceof Tensor) tensors[`optim.${idx}.${key}`] = v;
        else (scalars[idx] ??= {})[key] = v;
      }
    }
    optimizer = { paramGroups: sd.paramGroups, scalars };
  }
  const rngs: Record<string, GeneratorState> = {};
  for (const [name, g] of Object.entries(parts.rngs ?? {})) rngs[name] = g.getState();
  const meta = { version: VERSION, trainer, optimizer, rngs, extra };
  saveSafetensors(path, tensors, { [META_KEY]: JSON.stringify(meta) });
}

/**
 * Restores a checkpoint written by `saveCheckpoint` into the given model,
 * optimizer and generators (in place) and returns the trainer's position
 * and the extra JSON. Errors name the file.
 */
export function loadCheckpoint(path: string, parts: CheckpointParts): { trainer: TrainerState; extra: Record<string, unknown> } {
  const { tensors, metadata } = loadSafetensors(path);
  // saveCheckpoint never writes NaN weights; a file that holds some was damaged or forged, and training on would only stop later.
  checkFinite(tensors, path);
  const raw = metadata[META_KEY];
  if (!raw) throw new Error(`${path}: not a latent checkpoint (no '${META_KEY}' metadata)`);
  let meta: { version: number; trainer: TrainerState; optimizer: { paramGroups: OptimizerStateDict['paramGroups']; scalars: Record<string, Record<string, number>> } | null; rngs: Record<string, GeneratorState>; extra: Record<string, unknown> };
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${path}: checkpoint metadata is not valid JSON: ${(e as Error).message}`);
  }
  if (meta.version !== VERSION) throw new Error(`${path}: checkpoint version ${meta.version} is not supported (expected ${VERSION})`);
  const model: StateDict = {};
  const optim: Record<string, Record<string, number | Tensor>> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) model[name.slice(6)] = t;
    else if (name.startsWith('optim.')) {
      const [, idx, key] = name.split('.');
      (optim[idx] ??= {})[key] = t;
    }
  }
  try {
    parts.model.loadStateDict(model);
    if (parts.optimizer) {
      if (!meta.optimizer) throw new Error('it holds no optimizer state');
      for (const [idx, sc] of Object.entries(meta.optimizer.scalars)) Object.assign((optim[idx] ??= {}), sc);
      parts.optimizer.loadStateDict({ state: optim, paramGroups: meta.optimizer.paramGroups });
    }
    for (const [name, g] of Object.entries(parts.rngs ?? {})) {
      const s = meta.rngs[name];
      if (!s) throw new Error(`it holds no state for the generator '${name}'`);
      g.setState(s);
    }
  } catch (e) {
    throw new Error(`${path}: cannot restore checkpoint: ${(e as Error).message}`, { cause: e });
  }
  return { trainer: meta.trainer, extra: meta.extra };
}
