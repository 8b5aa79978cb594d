// The explorer page's view of a VAE (vae, iwae, cvae): samples, the latent
// map of the held-out images, interpolation, inpainting and the training
// curves. Everything that touches the model runs here, in the browser, on the
// library's TypeScript kernels (src/browser.ts bundled with this file): the
// server (web/server.ts) only hands out the model's files and the held-out
// images, so a click decodes without a round trip.
import * as L from '../src/browser.js';
import {
  canvas, ctx2d, drawCurves, drawImages as drawGrid, el, fetchMetrics, fetchOk, fetchWeights, publishHooks, showRunImages, showStatus, status, watchRun,
  type CurveSeries, type Info, type MetricsLine,
} from './shared.js';

interface MapState {
  /** [n, 2] coordinates. */
  points: Float64Array;
  /** The posterior means, [n, latent]. */
  means: Float64Array;
  method: 'pca' | 'identity' | 'first';
  /** PCA: the means' mean [latent] and the two axes [2, latent]; a map point (u, v) is center + u axes[0] + v axes[1]. */
  center?: Float64Array;
  axes?: Float64Array;
  /** Map coordinates to canvas pixels: x = ox + s u, y = oy - s v. */
  ox: number; oy: number; s: number;
  /** The clicked point, in map coordinates. */
  marker: [number, number] | null;
}

/** Hooks on `window.latentExplorerHooks` that let the browser tests compare the page's numbers with Node's. */
export interface ExplorerHooks {
  /** Decoder means at z (one latent vector). */
  decode(z: number[]): number[];
  /** The latent map's coordinates, [n, 2] row-major. */
  mapPoints(): number[];
}

const hooks: ExplorerHooks = {
  decode: (z) => Array.from(decode(Float64Array.from(z), 1)),
  mapPoints: () => Array.from(map?.points ?? []),
};

let info: Info & { testSet: NonNullable<Info['testSet']> };
let model: L.VaeConfig;
let vae: L.VAE;
let latent = 0;
let dataDim = 0;
let shape: [number, number, number] = [1, 28, 28];
/** Held-out images, [n, D] in [0, 1]. */
let testX: Float32Array;
let nTest = 0;
let map: MapState | null = null;
const rng = new L.Generator(2024);
let sampleZ: L.Tensor | null = null;
/** The conditioning class of a conditional model (0 for an unconditional one). */
let condition = 0;

// ---------------------------------------------------------------- decoding

/** One-hot conditions for a conditional model: `classes` per row, or the selected condition. */
function conditions(rows: number, classes?: ArrayLike<number>): L.Tensor | undefined {
  const c = vae.config.conditionDim ?? 0;
  if (!c) return undefined;
  const y = new Float32Array(rows * c);
  for (let i = 0; i < rows; i++) y[i * c + (classes ? classes[i] : condition) % c] = 1;
  return new L.Tensor(y, [rows, c]);
}

/** Decoder means at z [b, latent], as [b, D] values clamped to [0, 1] for display. */
function decode(z: Float32Array | Float64Array, rows: number): Float32Array {
  const zt = new L.Tensor(Float32Array.from(z), [rows, latent]);
  return L.noGrad(() => vae.mean(zt, conditions(rows))).data as Float32Array;
}

/** Draws `count` images of the model's shape (rows of `pixels`) as a grid of `cols` columns. */
function drawImages(c: HTMLCanvasElement, pixels: ArrayLike<number>, count: number, cols: number, tint?: (i: number, rgb: number[]) => void): void {
  drawGrid(c, pixels, count, cols, shape, tint);
}

function testImage(i: number): Float32Array {
  return testX.subarray(i * dataDim, (i + 1) * dataDim);
}

function clampIndex(input: HTMLInputElement): number {
  const v = Math.min(nTest - 1, Math.max(0, Math.floor(Number(input.value) || 0)));
  input.value = String(v);
  return v;
}

// ---------------------------------------------------------------- samples

function drawSamples(): void {
  if (!sampleZ) sampleZ = L.randn([64, latent], rng);
  drawImages(canvas('samples'), decode(sampleZ.data, 64), 64, 8);
}

// ---------------------------------------------------------------- latent map

function computeMap(): void {
  const labels = info.testSet.labels;
  const y = vae.config.conditionDim ? conditions(nTest, labels ?? undefined) : undefined;
  const means = L.posteriorMeans(vae, new L.Tensor(testX, [nTest, dataDim]), { y, batchSize: 250 });
  let points: Float64Array;
  let method: MapState['method'];
  let center: Float64Array | undefined, axes: Float64Array | undefined;
  let note: string;
  if (latent === 2) {
    points = means.slice();
    method = 'identity';
    note = 'the two latent dimensions; a click decodes that point, Shift-click and Alt-click pick the nearest image as the interpolation\'s start and end';
  } else if (latent === 1) {
    points = Float64Array.from({ length: 2 * nTest }, (_, i) => (i % 2 === 0 ? means[i / 2] : 0));
    method = 'first';
    note = 'the single latent dimension';
  } else {
    const p = L.principalComponents(means, nTest, latent, 2);
    points = p.projected;
    method = 'pca';
    center = p.mean;
    axes = p.components;
    let total = 0;
    for (let j = 0; j < latent; j++) {
      let s = 0, s2 = 0;
      for (let i = 0; i < nTest; i++) { s += means[i * latent + j]; s2 += means[i * latent + j] ** 2; }
      total += (s2 - (s * s) / nTest) / Math.max(1, nTest - 1);
    }
    const share = (100 * (p.explainedVariance[0] + p.explainedVariance[1])) / total;
    note = `the top two principal components of the ${latent}-D means (${share.toFixed(0)}% of their variance); a click decodes center + u·pc1 + v·pc2, Shift-click and Alt-click pick the nearest image as the interpolation's start and end`;
  }
  // One scale for both axes, so that distances on the map are distances in the latent space.
  const c = canvas('map');
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < nTest; i++) {
    x0 = Math.min(x0, points[2 * i]); x1 = Math.max(x1, points[2 * i]);
    y0 = Math.min(y0, points[2 * i + 1]); y1 = Math.max(y1, points[2 * i + 1]);
  }
  const span = Math.max(x1 - x0, y1 - y0, 1e-6) * 1.08;
  const s = (c.width - 20) / span;
  // Keep the clicked point across reloads; at first, the centre of the held-out means.
  const old = map?.marker ?? [method === 'pca' ? 0 : points.reduce((a, v, i) => (i % 2 === 0 ? a + v : a), 0) / nTest, method === 'identity' ? points.reduce((a, v, i) => (i % 2 === 1 ? a + v : a), 0) / nTest : 0] as [number, number];
  map = { points, means, method, center, axes, s, ox: c.width / 2 - s * (x0 + x1) / 2, oy: c.height / 2 + s * (y0 + y1) / 2, marker: old };
  status.mapMethod = method;
  el('map-note').textContent = `Posterior means of ${nTest} held-out images (${info.testSet.spec}) on ${note}.`;
}

function colorOf(label: number | undefined): string {
  if (label === undefined) return '#333';
  const [r, g, b] = L.LABEL_PALETTE[label % L.LABEL_PALETTE.length];
  return `rgb(${r},${g},${b})`;
}

function drawMap(): void {
  if (!map) return;
  const c = canvas('map');
  const g = ctx2d(c);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  const labels = info.testSet.labels;
  for (let i = 0; i < nTest; i++) {
    g.fillStyle = colorOf(labels?.[i]);
    g.fillRect(Math.round(map.ox + map.s * map.points[2 * i]) - 1, Math.round(map.oy - map.s * map.points[2 * i + 1]) - 1, 3, 3);
  }
  if (map.marker) {
    const [x, y] = [map.ox + map.s * map.marker[0], map.oy - map.s * map.marker[1]];
    g.strokeStyle = '#000';
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x - 9, y); g.lineTo(x + 9, y); g.moveTo(x, y - 9); g.lineTo(x, y + 9);
    g.stroke();
  }
}

/** The latent vector of a map point: the point itself, or center + u axes[0] + v axes[1] for PCA. */
function latentOfMapPoint(u: number, v: number): Float64Array {
  const z = new Float64Array(latent);
  if (map!.method === 'identity') { z[0] = u; z[1] = v; } else if (map!.method === 'first') { z[0] = u; } else {
    for (let j = 0; j < latent; j++) z[j] = map!.center![j] + u * map!.axes![j] + v * map!.axes![latent + j];
  }
  return z;
}

function decodeMarker(): void {
  if (!map?.marker) return;
  const [u, v] = map.marker;
  drawImages(canvas('map-decoded'), decode(latentOfMapPoint(u, v), 1), 1, 1);
  el('map-point').textContent = `decoded at (${u.toFixed(2)}, ${v.toFixed(2)})`;
}

function onMapClick(e: MouseEvent): void {
  if (!map) return;
  const c = canvas('map');
  const r = c.getBoundingClientRect();
  const px = ((e.clientX - r.left) * c.width) / r.width, py = ((e.clientY - r.top) * c.height) / r.height;
  const [u, v] = [(px - map.ox) / map.s, (map.oy - py) / map.s];
  if (e.shiftKey || e.altKey) {
    // Shift: the nearest held-out image becomes the interpolation's start; Alt: its end.
    let best = 0, bestD = Infinity;
    for (let i = 0; i < nTest; i++) {
      const d = (map.points[2 * i] - u) ** 2 + (map.points[2 * i + 1] - v) ** 2;
      if (d < bestD) { best = i; bestD = d; }
    }
    el<HTMLInputElement>(e.shiftKey ? 'interp-a-index' : 'interp-b-index').value = String(best);
    updatePath();
    return;
  }
  map.marker = [u, v];
  drawMap();
  decodeMarker();
}

function drawLegend(): void {
  const legend = el('legend');
  legend.replaceChildren();
  const k = info.testSet.numClasses;
  if (!info.testSet.labels || !k) return;
  for (let i = 0; i < k; i++) {
    const s = document.createElement('span');
    s.textContent = String(i);
    s.style.setProperty('--swatch', colorOf(i));
    legend.append(s);
  }
}

// ---------------------------------------------------------------- interpolation

const PATH_STEPS = 101;
let path: Float64Array | null = null;

function updatePath(): void {
  const a = clampIndex(el<HTMLInputElement>('interp-a-index'));
  const b = clampIndex(el<HTMLInputElement>('interp-b-index'));
  drawImages(canvas('interp-a'), testImage(a), 1, 1);
  drawImages(canvas('interp-b'), testImage(b), 1, 1);
  const mu = map!.means;
  const method = el<HTMLSelectElement>('interp-method').value as L.InterpolationMethod;
  path = L.latentPath(mu.subarray(a * latent, (a + 1) * latent), mu.subarray(b * latent, (b + 1) * latent), PATH_STEPS, method);
  const strip = new Float64Array(10 * latent);
  for (let i = 0; i < 10; i++) {
    const row = Math.round((i * (PATH_STEPS - 1)) / 9);
    strip.set(path.subarray(row * latent, (row + 1) * latent), i * latent);
  }
  drawImages(canvas('interp-strip'), decode(strip, 10), 10, 10);
  drawInterpolation();
}

function drawInterpolation(): void {
  if (!path) return;
  const i = Number(el<HTMLInputElement>('interp-slider').value);
  el('interp-t').textContent = `t = ${(i / (PATH_STEPS - 1)).toFixed(2)}`;
  drawImages(canvas('interp-out'), decode(path.subarray(i * latent, (i + 1) * latent), 1), 1, 1);
}

// ---------------------------------------------------------------- drawing and inpainting

/** The drawing: pixel values in [0, 1] and which pixels are known (1) or erased (0). */
let drawn = new Float32Array(0);
let known = new Uint8Array(0);
let inpaintQueued = false;

function loadDrawing(i: number): void {
  drawn = Float32Array.from(testImage(i));
  known = new Uint8Array(dataDim).fill(1);
}

function drawDrawing(): void {
  drawImages(canvas('draw'), drawn, 1, 1, (p, rgb) => {
    if (known[p]) return;
    // Erased: a red wash, so unknown differs from black.
    rgb[0] = 0.55; rgb[1] = 0.1; rgb[2] = 0.12;
  });
}

function scheduleInpaint(): void {
  if (inpaintQueued) return;
  inpaintQueued = true;
  requestAnimationFrame(() => {
    inpaintQueued = false;
    runInpaint();
  });
}

function runInpaint(): void {
  // The model's mask has one entry per value: a pixel is known or erased in all its channels.
  const hw = shape[1] * shape[2];
  const mask = new Float32Array(dataDim);
  for (let j = 0; j < dataDim; j++) mask[j] = known[j % hw];
  const method = el<HTMLSelectElement>('inpaint-method').value as L.InpaintMethod;
  const r = L.inpaint(vae, new L.Tensor(drawn, [1, dataDim]), new L.Tensor(mask, [1, dataDim]), {
    rng, method, iterations: 60, y: conditions(1),
  });
  drawImages(canvas('inpainted'), r.completed.data, 1, 1);
  status.inpaints++;
}

function paintAt(e: PointerEvent): void {
  const c = canvas('draw');
  const r = c.getBoundingClientRect();
  const [, h, w] = shape;
  const x = Math.floor(((e.clientX - r.left) / r.width) * w), y = Math.floor(((e.clientY - r.top) / r.height) * h);
  const size = Number(el<HTMLSelectElement>('brush').value);
  const erase = (document.querySelector('input[name=tool]:checked') as HTMLInputElement).value === 'erase';
  const lo = -Math.floor((size - 1) / 2);
  for (let dy = lo; dy < lo + size; dy++) {
    for (let dx = lo; dx < lo + size; dx++) {
      const [xx, yy] = [x + dx, y + dy];
      if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
      const p = yy * w + xx;
      if (erase) {
        known[p] = 0;
      } else {
        known[p] = 1;
        for (let ch = 0; ch < shape[0]; ch++) drawn[ch * h * w + p] = 1;
      }
    }
  }
  drawDrawing();
  scheduleInpaint();
}

function setupDrawing(): void {
  const c = canvas('draw');
  let down = false;
  c.addEventListener('pointerdown', (e) => { down = true; c.setPointerCapture(e.pointerId); paintAt(e); });
  c.addEventListener('pointermove', (e) => { if (down) paintAt(e); });
  const up = () => { down = false; };
  c.addEventListener('pointerup', up);
  c.addEventListener('pointercancel', up);
  el('inpaint-load').addEventListener('click', () => { loadDrawing(clampIndex(el<HTMLInputElement>('inpaint-index'))); drawDrawing(); runInpaint(); });
  el('erase-top').addEventListener('click', () => {
    const [, h, w] = shape;
    for (let p = 0; p < (h / 2) * w; p++) known[p] = 0;
    drawDrawing();
    runInpaint();
  });
  el('erase-all').addEventListener('click', () => { known.fill(0); drawn.fill(0); drawDrawing(); runInpaint(); });
  el('inpaint-method').addEventListener('change', runInpaint);
}

// ---------------------------------------------------------------- training curves

function drawVaeCurves(lines: MetricsLine[]): void {
  const note = el('curves-note');
  const series: CurveSeries[] = [{ name: 'train ELBO', color: '#1f77b4', values: lines.map((l) => l.elbo ?? NaN) }];
  // IWAE's bound differs from the ELBO of its samples; for the ELBO objectives the two are the same number.
  if (lines.some((l) => l.bound !== undefined && l.elbo !== undefined && Math.abs(l.bound - l.elbo) > 1e-6 * Math.abs(l.elbo))) series.push({ name: 'train bound', color: '#ff7f0e', values: lines.map((l) => l.bound ?? NaN) });
  drawCurves(lines, series);
  if (lines.length === 0) {
    note.textContent = 'No epochs in metrics.jsonl yet; the curves appear as training writes them.';
    return;
  }
  const l = lines[lines.length - 1];
  note.textContent = `From metrics.jsonl, refreshed while training runs: ${lines.length} epoch${lines.length === 1 ? '' : 's'}, last ELBO ${l.elbo?.toFixed(2) ?? '?'} nats per image (train, mean over the epoch).`;
}

async function refreshCurves(): Promise<void> {
  drawVaeCurves(await fetchMetrics());
}

// ---------------------------------------------------------------- loading and polling

async function loadWeights(): Promise<void> {
  const bytes = await fetchWeights();
  const next = new L.VAE(model, new L.Generator(0));
  next.loadStateDict(L.parseSafetensors(bytes, 'model.safetensors').tensors);
  next.eval();
  vae = next;
  status.loads++;
}

function redrawModel(): void {
  drawSamples();
  computeMap();
  drawMap();
  decodeMarker();
  updatePath();
  runInpaint();
}

/** Starts the VAE view for the model the server reported. */
export async function startVaeView(first: Info): Promise<void> {
  if (!first.testSet) throw new Error('the server sent no held-out images for this VAE');
  info = first as typeof info;
  publishHooks(hooks);
  document.body.classList.add('view-vae');
  const m = L.validateVaeConfig(info.config.model as unknown as L.VaeConfig, 'config.json: model');
  model = m;
  latent = m.latent;
  shape = m.inputShape;
  dataDim = shape[0] * shape[1] * shape[2];
  el('model-name').textContent = info.name;
  el('model-summary').textContent = `${info.config.kind.toUpperCase()}: ${m.architecture} ${m.hidden.join('-')}, latent ${latent}, ${m.likelihood} decoder, ${shape.join('x')} images; ` +
    `held-out images from ${info.testSet.spec}. Decoding runs in this page on the library's TypeScript kernels.`;
  const bytes = new Uint8Array(await (await fetchOk('/api/testset')).arrayBuffer());
  nTest = info.testSet.n;
  testX = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) testX[i] = bytes[i] / 255;
  const cond = m.conditionDim ?? 0;
  if (cond) {
    document.body.classList.add('conditional');
    for (const sel of document.querySelectorAll<HTMLSelectElement>('select.condition')) {
      for (let k = 0; k < cond; k++) sel.append(new Option(String(k), String(k)));
      sel.addEventListener('change', () => { condition = Number(sel.value); redrawModel(); });
    }
  }
  // Default interpolation pair: the first image and the first with another label.
  const labels = info.testSet.labels;
  const other = labels ? Math.max(1, labels.findIndex((l) => l !== labels[0])) : 1;
  el<HTMLInputElement>('interp-b-index').value = String(Math.min(nTest - 1, other));
  loadDrawing(Math.min(nTest - 1, 2));
  for (let p = 0; p < (shape[1] / 2) * shape[2]; p++) known[p] = 0;

  await loadWeights();
  drawLegend();
  redrawModel();
  drawDrawing();
  await refreshCurves();
  showRunImages(info.files);

  el('resample').addEventListener('click', () => { sampleZ = L.randn([64, latent], rng); drawSamples(); });
  canvas('map').addEventListener('click', onMapClick);
  el('interp-slider').addEventListener('input', drawInterpolation);
  for (const id of ['interp-a-index', 'interp-b-index', 'interp-method']) el(id).addEventListener('change', updatePath);
  el('interp-random').addEventListener('click', () => {
    el<HTMLInputElement>('interp-a-index').value = String(rng.uniformInt(nTest));
    el<HTMLInputElement>('interp-b-index').value = String(rng.uniformInt(nTest));
    updatePath();
  });
  setupDrawing();
  status.ready = true;
  showStatus(`ready; decoding on the ${L.getBackend()} kernels in this page`);
  watchRun(info, refreshCurves, async () => {
    await loadWeights();
    redrawModel();
  });
}
