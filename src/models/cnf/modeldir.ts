// CNF models in a model directory: config.json (kind 'cnf', the CnfConfig as
// `model`) and model.safetensors, as `latent train cnf` writes them (like the
// flows' ../flow/modeldir.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors } from '../../io/index.js';
import { Generator } from '../../random/index.js';
import { CONFIG_FILE, WEIGHTS_FILE, checkFinite, readModelConfig, type ModelDirConfig } from '../modeldir.js';
import { CNF, validateCnfConfig, type CnfConfig } from './cnf.js';

/** The `kind` of CNF model directories. */
export const CNF_KIND = 'cnf';

/**
 * The CnfConfig of a model directory's config.json, checked, with errors
 * naming the file (a copy: the caller may change it).
 */
export function cnfConfigOf(config: ModelDirConfig, dir: string): CnfConfig {
  const where = `${join(dir, CONFIG_FILE)}: model`;
  const m = config.model as unknown as CnfConfig;
  try {
    return { ...validateCnfConfig({ ...m, hidden: Array.isArray(m.hidden) ? [...m.hidden] : m.hidden }) };
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
}

/** Weights of the dynamics network of a CNF config: per layer a weight [out, in], a bias and a time weight [out]. */
function cnfWeightCount(c: CnfConfig): number {
  const sizes = [c.dim, ...c.hidden, c.dim];
  let n = 0;
  for (let i = 0; i + 1 < sizes.length; i++) n += sizes[i] * sizes[i + 1] + 2 * sizes[i + 1];
  return n;
}

/**
 * The same CNF (shared weights) with the exact trace and without the
 * adjoint: the model to report log-likelihoods with, since Hutchinson's
 * estimate is unbiased only on average.
 *
 * @example
 * evaluateCnf(cnfForEvaluation(cnf), xTest).logLik;
 */
export function cnfForEvaluation(model: CNF): CNF {
  if (model.config.trace === 'exact' && !model.config.adjoint) return model;
  const ev = new CNF({ ...model.config, trace: 'exact', adjoint: false }, new Generator(0), { dtype: model.dynamics.layers[0].weight.dtype });
  ev.loadStateDict(model.stateDict());
  return ev;
}

/**
 * Rebuilds the CNF of a model directory from its config.json and loads its
 * weights, refusing a file whose tensors do not fit or hold NaN/infinity.
 * Errors name the files. With `evaluation: true`, the model uses the exact
 * trace and no adjoint (`cnfForEvaluation`), as `latent train cnf` reports its
 * test log-likelihood; the solver and tolerances are those of config.json.
 *
 * @example
 * const { model } = loadCnfDir('runs/cnf-moons', { evaluation: true });
 * evaluateCnf(model, sampleToy2d('two-moons', 5000, new Generator(1))).logLik;
 */
export function loadCnfDir(dir: string, options: { evaluation?: boolean } = {}): { model: CNF; config: ModelDirConfig } {
  const config = readModelConfig(dir);
  if (config.kind !== CNF_KIND) throw new Error(`${dir}: holds a '${config.kind}' model, not a CNF`);
  const cc = cnfConfigOf(config, dir);
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: no ${WEIGHTS_FILE} (training did not finish?)`);
  const { tensors } = loadSafetensors(file);
  checkFinite(tensors, file);
  // Sizes in an edited config.json could ask for gigabytes before loadStateDict saw the mismatch.
  let held = 0;
  for (const t of Object.values(tensors)) held += t.data.length;
  const needed = cnfWeightCount(cc);
  if (needed !== held) {
    throw new Error(`${file}: does not fit the model in ${CONFIG_FILE}: it holds ${held} weights, the CNF described there has ${needed}`);
  }
  const model = new CNF(options.evaluation ? { ...cc, trace: 'exact', adjoint: false } : cc, new Generator(0));
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${file}: does not fit the model in ${CONFIG_FILE}: ${(e as Error).message}`, { cause: e });
  }
  model.eval();
  return { model, config };
}
