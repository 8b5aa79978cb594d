// The explorer page's view of a density model: a normalizing flow
// (`latent train flow`, FlowModel) or a continuous one (`latent train cnf`,
// CNF). Both run here in the browser on the library's TypeScript kernels,
// the CNF's ODE solves included.
//
// - 2-D points: the model's density on a grid next to a scatter of fresh
//   samples, the target density of a toy (two-moons, rings, eight-gaussians,
//   checkerboard) with the log-likelihood of fresh draws from it and the gap
//   to -H(p);
// - images (a flow on [C, H, W], or flat with config.json's data.image): a
//   grid of samples x = f(T z), z ~ N(0, I), at a temperature T;
// - both: resampling with a seed, and the training curves.
import * as L from '../src/browser.js';
import {
  canvas, ctx2d, drawCurves, drawImages, el, fetchMetrics, fetchWeights, paintScaled, publishHooks, showRunImages, showStatus, status, watchRun,
  type Info, type MetricsLine,
} from './shared.js';

/** The model kinds this view shows. */
export const DENSITY_VIEW_KINDS = ['flow', 'cnf'];

/** Hooks on `window.latentExplorerHooks` that let the browser tests compare the page's numbers with Node's. */
export interface DensityHooks {
  /** log p(x) of points [n, D] (row-major), nats. */
  logDensity(points: number[]): number[];
  /** The density grid drawn (`gridPoints({ size, range })` order), or null when the model is not 2-D. */
  densityGrid(): { size: number; range: [number, number]; values: number[] } | null;
  /** The samples drawn, [n, D] row-major. */
  samples(): number[];
}

/** What the view needs of a flow or a CNF. */
interface DensityModel {
  /** One example's shape: [D] or [C, H, W]. */
  eventShape: number[];
  /** log p(x) per row of x [n, ...eventShape], nats. */
  logProb(x: L.Tensor): Float64Array;
  /** The data-space points of base points z [n, ...eventShape]. */
  fromBase(z: L.Tensor): L.Tensor;
}

/** Points per side of the density grid: a CNF's grid costs an ODE solve per chunk, so it is coarser. */
const GRID = { flow: 128, cnf: 64 };
/** Samples in the scatter, and fresh toy draws the log-likelihood is averaged over. */
const POINTS = { flow: 2000, cnf: 1000 };
const IMAGES = 64;

let info: Info;
let kind: 'flow' | 'cnf';
let model: DensityModel;
let mode: 'points' | 'images' | 'other';
/** The picture shape of an image model. */
let shape: number[] = [];
/** A toy density's name when the run trained on one. */
let toy: string | null = null;
let range: [number, number] = [-4, 4];
let grid: Float64Array | null = null;
let samples: L.Tensor | null = null;
let baseZ: L.Tensor | null = null;
let lastTrainNll: number | null = null;

function inBatches(x: L.Tensor, size: number, f: (part: L.Tensor) => ArrayLike<number>): Float64Array {
  const n = x.shape[0];
  const per = x.size / n;
  const out = new Float64Array(n);
  for (let s = 0; s < n; s += size) {
    const e = Math.min(n, s + size);
    out.set(f(new L.Tensor(x.data.slice(s * per, e * per), [e - s, ...x.shape.slice(1)])), s);
  }
  return out;
}

/** Builds the model of config.json with the weights in `bytes`, in eval mode. */
function buildModel(bytes: Uint8Array): DensityModel {
  const tensors = L.parseSafetensors(bytes, 'model.safetensors').tensors;
  if (kind === 'flow') {
    const flow = new L.FlowModel(L.validateFlowConfig(info.config.model as unknown as L.FlowConfig, 'config.json: model'), new L.Generator(0));
    flow.loadStateDict(tensors);
    flow.eval();
    return {
      eventShape: flow.config.eventShape,
      logProb: (x) => L.meanLogProb(flow, x, { batchSize: 2048 }).values,
      fromBase: (z) => L.noGrad(() => flow.flow.forward(z)),
    };
  }
  // As `latent train cnf` reports its test log-likelihood: the exact trace, no adjoint (cnfForEvaluation).
  const c = L.validateCnfConfig({ ...(info.config.model as unknown as L.CnfConfig), trace: 'exact', adjoint: false });
  const cnf = new L.CNF(c, new L.Generator(0));
  cnf.loadStateDict(tensors);
  cnf.eval();
  return {
    eventShape: [c.dim],
    logProb: (x) => inBatches(x, 2048, (part) => L.noGrad(() => cnf.logProb(part)).data),
    fromBase: (z) => cnf.fromBase(z),
  };
}

async function loadModel(): Promise<void> {
  model = buildModel(await fetchWeights());
  status.loads++;
}

/** The picture shape of an image model: its [C, H, W] event shape, or the [C, H, W] config.json's data.image records for a flat one. */
function imageShape(): number[] | null {
  const es = model.eventShape;
  if (es.length === 3) return es;
  const img = info.config.data?.image;
  if (Array.isArray(img) && img.length === 3 && img[0] * img[1] * img[2] === es[0]) return img as number[];
  return null;
}

// ---------------------------------------------------------------- 2-D points

/** A square window around the model's samples (for data from a file; toys use [-4, 4] as training's density.png). */
function windowOf(points: L.Tensor): [number, number] {
  const n = points.shape[0];
  const qs = [0, 1].map((j) => {
    const v = Float64Array.from({ length: n }, (_, i) => points.data[2 * i + j]).sort();
    return [v[Math.floor(0.005 * n)], v[Math.ceil(0.995 * n) - 1]];
  });
  const lo = Math.min(qs[0][0], qs[1][0]), hi = Math.max(qs[0][1], qs[1][1]);
  const pad = 0.15 * (hi - lo || 1);
  return [lo - pad, hi + pad];
}

function paintDensity(id: string, logDensity: Float64Array, size: number): void {
  const p = L.densityPanels([logDensity], size, { pad: 0 });
  paintScaled(canvas(id), new ImageData(new Uint8ClampedArray(p.rgba), p.width, p.height), true);
}

function computeDensity(): void {
  const size = GRID[kind];
  grid = model.logProb(L.gridPoints({ size, range }));
  paintDensity('density', grid, size);
}

function drawScatter(): void {
  const c = canvas('flow-samples');
  const g = ctx2d(c);
  g.fillStyle = 'rgb(0,0,4)';
  g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = 'rgba(252,253,191,0.55)';
  const [lo, hi] = range;
  const s = c.width / (hi - lo);
  const d = samples!.data;
  for (let i = 0; i < samples!.shape[0]; i++) g.fillRect((d[2 * i] - lo) * s - 1, (hi - d[2 * i + 1]) * s - 1, 2, 2);
}

function fmt(v: number, se?: number): string {
  return se === undefined ? v.toFixed(3) : `${v.toFixed(3)} ± ${se.toFixed(3)}`;
}

/** The target's entropy, estimated once (as `latent train flow` does: 20,000 draws, seed 0; exact for the checkerboard). */
let entropy: { entropy: number; stderr: number } | null = null;

function showScores(): void {
  const parts: string[] = [];
  if (lastTrainNll !== null) parts.push(`last epoch's train NLL ${fmt(lastTrainNll)} nats per point`);
  if (toy) {
    const n = POINTS[kind];
    const lp = model.logProb(L.sampleToy2d(toy, n, new L.Generator(9001)));
    let m = 0;
    for (const v of lp) m += v / n;
    let v2 = 0;
    for (const v of lp) v2 += (v - m) ** 2;
    const se = Math.sqrt(v2 / (n - 1) / n);
    entropy ??= L.toy2dEntropy(toy, { samples: 20_000, rng: new L.Generator(0) });
    const best = -entropy.entropy;
    parts.unshift(`log-likelihood of ${n} fresh draws from ${toy}: ${fmt(m, se)} nats per point; the target's -H(p) = ${fmt(best, entropy.stderr)}, a gap of ${fmt(best - m)} nats (the KL divergence from the target, up to Monte Carlo error)`);
  }
  el('flow-scores').textContent = parts.length ? `${parts.join('; ')}. Computed in this page.` : '';
}

// ---------------------------------------------------------------- samples

function drawSamples(seed: number): void {
  if (mode === 'points') {
    samples = model.fromBase(L.randn([POINTS[kind], 2], new L.Generator(seed)));
    drawScatter();
  } else if (mode === 'images') {
    baseZ = L.randn([IMAGES, ...model.eventShape], new L.Generator(seed));
    drawImagesAtTemperature();
  }
  status.draws++;
}

function temperature(): number {
  return Number(el<HTMLInputElement>('flow-temperature').value);
}

function drawImagesAtTemperature(): void {
  const t = temperature();
  el('flow-t').textContent = `T = ${t.toFixed(2)}`;
  samples = model.fromBase(L.mul(baseZ!, t));
  drawImages(canvas('flow-grid'), samples.data, IMAGES, 8, shape);
}

function seedInput(): HTMLInputElement {
  return el<HTMLInputElement>('flow-seed');
}

function currentSeed(): number {
  const v = Math.max(0, Math.floor(Number(seedInput().value) || 0));
  seedInput().value = String(v);
  return v;
}

// ---------------------------------------------------------------- curves

function drawDensityCurves(lines: MetricsLine[]): void {
  drawCurves(lines, [{ name: 'train NLL', color: '#1f77b4', values: lines.map((l) => l.nll ?? l.loss ?? NaN) }]);
  const note = el('curves-note');
  if (lines.length === 0) {
    note.textContent = 'No epochs in metrics.jsonl yet; the curves appear as training writes them.';
    return;
  }
  lastTrainNll = lines[lines.length - 1].nll ?? null;
  const unit = mode === 'images' ? 'image' : 'point';
  note.textContent = `From metrics.jsonl, refreshed while training runs: ${lines.length} epoch${lines.length === 1 ? '' : 's'}, last train NLL ${lastTrainNll?.toFixed(3) ?? '?'} nats per ${unit} (mean over the epoch).`;
}

async function refreshCurves(): Promise<void> {
  drawDensityCurves(await fetchMetrics());
}

// ---------------------------------------------------------------- start

function describe(): string {
  const m = info.config.model;
  const spec = String(info.config.data?.spec ?? 'its data');
  if (kind === 'cnf') {
    return `CNF (FFJORD): dynamics ${(m.hidden as number[]).join('-')} ${m.activation}, ${m.solver} solver, T = ${m.t1}, trained on ${spec}; densities with the exact trace.`;
  }
  const es = model.eventShape;
  const extra = [m.levels !== undefined ? `${m.levels} levels` : '', m.bins !== undefined ? `${m.bins} bins` : ''].filter(Boolean).join(', ');
  return `Flow: ${m.flow}, ${m.layers} layers, hidden ${(m.hidden as number[]).join('-')}${extra ? `, ${extra}` : ''}, on ${es.length === 3 ? es.join('x') + ' images' : `${es[0]}-D ${mode === 'images' ? `vectors (${shape.join('x')} images)` : 'points'}`} from ${spec}.`;
}

function redrawModel(): void {
  if (mode === 'points') {
    computeDensity();
    drawSamples(currentSeed());
    showScores();
  } else if (mode === 'images') {
    drawSamples(currentSeed());
  }
}

/** Starts the view for the flow or CNF the server reported. */
export async function startDensityView(first: Info): Promise<void> {
  info = first;
  kind = info.config.kind as 'flow' | 'cnf';
  const hooks: DensityHooks = {
    logDensity: (pts) => Array.from(model.logProb(new L.Tensor(Float32Array.from(pts), [pts.length / model.eventShape[0], ...model.eventShape]))),
    densityGrid: () => (grid ? { size: GRID[kind], range, values: Array.from(grid) } : null),
    samples: () => Array.from(samples?.data ?? []),
  };
  publishHooks(hooks);
  await loadModel();
  const img = imageShape();
  mode = model.eventShape.length === 1 && model.eventShape[0] === 2 ? 'points' : img ? 'images' : 'other';
  shape = img ?? [];
  document.body.classList.add('view-flow', `flow-${mode}`);
  const spec = String(info.config.data?.spec ?? '');
  toy = (L.TOY2D_NAMES as readonly string[]).includes(spec) ? spec : null;
  el('model-name').textContent = info.name;
  el('model-summary').textContent = `${describe()} Sampling and densities run in this page on the library's TypeScript kernels.`;
  const note = el('flow-note');
  if (mode === 'points') {
    if (!toy) range = windowOf(model.fromBase(L.randn([POINTS[kind], 2], new L.Generator(1))));
    if (toy) {
      paintDensity('target', L.toy2dLogDensity(toy, L.gridPoints({ size: GRID[kind], range })), GRID[kind]);
    } else {
      el('target-figure').hidden = true;
    }
    note.textContent = `On [${range[0].toFixed(2)}, ${range[1].toFixed(2)}]²: ${toy ? `the target density (${toy}), ` : ''}the model's density p(x) (each panel scaled to its own maximum), and ${POINTS[kind]} samples x = f(z), z ~ N(0, I).`;
  } else if (mode === 'images') {
    el('flow-title').textContent = 'Samples';
    note.textContent = `${IMAGES} samples x = f(T z), z ~ N(0, I): a temperature below 1 trades variety for cleaner images (Kingma & Dhariwal 2018). The slider keeps the same z.`;
  } else {
    note.textContent = `A ${model.eventShape.join('x')}-dimensional model that is neither 2-D nor images: this page draws 2-D densities and image samples only.`;
  }
  await refreshCurves();
  redrawModel();
  showRunImages(info.files);

  el('flow-resample').addEventListener('click', () => {
    seedInput().value = String(currentSeed() + 1);
    drawSamples(currentSeed());
  });
  seedInput().addEventListener('change', () => drawSamples(currentSeed()));
  el('flow-temperature').addEventListener('input', () => { if (baseZ) drawImagesAtTemperature(); });
  status.ready = true;
  showStatus(`ready; computing on the ${L.getBackend()} kernels in this page`);
  watchRun(info, refreshCurves, async () => {
    await loadModel();
    redrawModel();
  });
}
