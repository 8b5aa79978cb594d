// What `latent eval` and `latent sample` share for density models (model
// directories of `latent train flow` and `latent train cnf`): telling them
// from VAE directories, opening them, and rebuilding the held-out data a
// run was scored on.
import { join } from 'node:path';
import * as L from '../src/index.js';
import { UserError, asUserError } from './errors.js';
import { loadCnfData, loadPoints } from './train/cnf.js';
import { loadFlowData, prepare, type FlowData } from './train/flow.js';

export type OpenedDensity = { dir: string; config: L.ModelDirConfig; toy: string | null } & (
  | { kind: 'flow'; flow: L.FlowModel; images: boolean }
  | { kind: 'cnf'; cnf: L.CNF }
);

/** 'flow' or 'cnf' when DIR's config.json says so; null otherwise (a VAE, another model, or no readable config: the VAE path reports those). */
export function densityKind(dir: string): 'flow' | 'cnf' | null {
  try {
    const kind = L.readModelConfig(dir).kind;
    return kind === L.FLOW_KIND ? 'flow' : kind === L.CNF_KIND ? 'cnf' : null;
  } catch {
    return null;
  }
}

const isToy = (spec: string) => (L.TOY2D_NAMES as readonly string[]).includes(spec);
const isNamed = (spec: string) => (L.NAMED_DATASETS as readonly string[]).includes(spec.trim().toLowerCase());


/** Loads DIR's flow or CNF (a CNF with the exact trace, as training reports it), every problem a UserError naming the files. */
export function openDensityModel(dir: string, kind: 'flow' | 'cnf'): OpenedDensity {
  return asUserError((): OpenedDensity => {
    if (kind === 'flow') {
      const { model, config } = L.loadFlowDir(dir);
      const images = config.data?.kind === 'images' || (model.config.logitLambda !== undefined && model.config.logitLambda !== null);
      return { dir, config, kind, flow: model, images, toy: images ? null : toyOf(config) };
    }
    const { model, config } = L.loadCnfDir(dir, { evaluation: true });
    return { dir, config, kind, cnf: model, toy: toyOf(config) };
  });
}

function toyOf(config: L.ModelDirConfig): string | null {
  const spec = config.data?.spec;
  return typeof spec === 'string' && isToy(spec) && !config.data?.testData ? spec : null;
}

/** Dimensions of one example. */
export function modelDim(m: OpenedDensity): number {
  return m.kind === 'flow' ? m.flow.dim : m.cnf.config.dim;
}

export interface HeldOut {
  /** The examples as the model takes them (images dequantized and shaped to the event). */
  x: L.Tensor;
  /** What was scored, for messages and --json. */
  spec: string;
  /** The toy density the points were drawn from (its -H(p) is known), or null. */
  toy: string | null;
}

function checkFinite(x: L.Tensor, spec: string): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new UserError(`${spec}: value ${i} is ${d[i]}; a density model needs finite numbers`);
  }
}

function firstRows(x: L.Tensor, n: number | undefined): L.Tensor {
  return n !== undefined && n < x.shape[0] ? L.slice(x, 0, 0, n) : x;
}

/**
 * The data to score: by default the test data of the training run, rebuilt
 * as `latent train flow|cnf` built it (the same seeded toy draws, held-out
 * rows or test split, and dequantization noise), with the run's seed unless
 * `seed` is given; `spec` instead names a toy density (fresh draws with the
 * seed, as a run with that seed would draw them), a named dataset (its test
 * split) or a whole file. `limit`: the first rows only.
 */
export function heldOutData(m: OpenedDensity, options: { spec?: string; seed?: number; limit?: number } = {}): HeldOut {
  const saved = m.config.data ?? {};
  const seed = options.seed ?? Number((m.config.training ?? {}).seed ?? 0);
  const spec = options.spec ?? (saved.spec as string | undefined);
  if (typeof spec !== 'string' || !spec) throw new UserError(`${join(m.dir, L.CONFIG_FILE)}: records no training data ("data": {"spec": ...}); pass --data`);
  const dim = modelDim(m);
  const testData = options.spec === undefined ? ((saved.testData as string | null | undefined) ?? undefined) : undefined;
  const label = testData ?? spec;
  if (m.kind === 'cnf') {
    if (isNamed(spec)) throw new UserError(`${spec} is an image dataset; the CNF in ${m.dir} models ${dim}-D points`);
    let x: L.Tensor;
    let toy: string | null = null;
    if (options.spec === undefined || isToy(spec)) {
      const data = asUserError(() => loadCnfData({ data: spec, testData, seed }));
      x = data.test;
      toy = testData ? null : data.toy;
    } else {
      x = asUserError(() => loadPoints(spec, true));
    }
    if (x.shape[1] !== dim) throw new UserError(`${label}: points have ${x.shape[1]} coordinates but the model in ${m.dir} expects ${dim}`);
    return { x: firstRows(x, options.limit), spec: label, toy };
  }
  // Flows: the run's own loader for its data and toys and named sets; a file given with --data is scored whole.
  let data: FlowData;
  if (options.spec === undefined || isToy(spec) || isNamed(spec)) {
    if (isToy(spec) && m.images) throw new UserError(`${spec} is a 2-D toy density; the flow in ${m.dir} models images of ${dim} pixels`);
    data = asUserError(() => loadFlowData({ data: spec, testData }, new L.Generator(seed + 1).split(2)[0]));
  } else {
    const any = asUserError(() => L.loadTestDataset(spec, { kind: 'any' }));
    const test = m.images ? asUserError(() => L.loadTestDataset(spec)) : any;
    data = { kind: m.images ? 'images' : 'points', toy: null, train: test, test };
  }
  const test = data.test;
  const shape = test.itemShape;
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== dim || (data.kind === 'images') !== m.images) {
    const want = m.images ? `images of ${dim} pixels` : `points of ${dim} coordinates`;
    throw new UserError(`${label}: has ${data.kind === 'images' ? 'images' : 'examples'} of shape [${shape.join(', ')}] but the model in ${m.dir} expects ${want}`);
  }
  checkFinite(test.images, label);
  const x = firstRows(test.images, options.limit);
  // The test images are dequantized once with the run's seed + 9, as training scored them (cli/train/flow.ts).
  return { x: asUserError(() => prepare(x, data, m.flow.config.eventShape, new L.Generator(seed + 9))), spec: label, toy: data.toy };
}
