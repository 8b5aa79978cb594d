// What the explorer's views share (web/vae-view.ts for VAEs, web/flow-view.ts
// for flows and CNFs): the page's status object, element lookup, fetching,
// drawing image grids and heat maps on canvases, the training curves, and
// polling the server for new weights and metrics while training runs.
import { getBackend } from '../src/browser.js';

/** What the page reports on `window.latentExplorer` (for the browser tests and the console). */
export interface ExplorerStatus {
  /** True once the model and its first pictures are drawn. */
  ready: boolean;
  /** The model kind the server reported (config.json's kind). */
  kind: string | null;
  /** The model.safetensors version (mtime-size) currently loaded. */
  weightsVersion: string | null;
  /** Times the weights were (re)loaded. */
  loads: number;
  /** VAE: how the latent map is projected: 'pca', 'identity' or 'first'. */
  mapMethod: string | null;
  /** Epochs in the training curves. */
  epochs: number;
  /** VAE: completed inpaintings. */
  inpaints: number;
  /** Flow and CNF: times the samples were drawn. */
  draws: number;
  /** The last error shown, if any. */
  error: string | null;
}

/** What `/api/info` answers (web/server.ts). */
export interface Info {
  name: string;
  config: { kind: string; model: Record<string, unknown>; data?: Record<string, unknown>; training?: Record<string, unknown> };
  testSet: { spec: string; n: number; shape: [number, number, number]; labels: number[] | null; numClasses: number | null } | null;
  versions: { weights: string | null; metrics: string | null };
  files: string[];
}

export const status: ExplorerStatus = { ready: false, kind: null, weightsVersion: null, loads: 0, mapMethod: null, epochs: 0, inpaints: 0, draws: 0, error: null };
(window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer = status;

/** Publishes a view's test hooks on `window.latentExplorerHooks`. */
export function publishHooks(hooks: object): void {
  (window as unknown as { latentExplorerHooks: object }).latentExplorerHooks = hooks;
}

export const el = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
};
export const canvas = (id: string) => el<HTMLCanvasElement>(id);
export const ctx2d = (c: HTMLCanvasElement) => c.getContext('2d')!;

export function showStatus(text: string, isError = false): void {
  const s = el('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
  if (isError) status.error = text;
}

export async function fetchOk(path: string): Promise<Response> {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.text()).trim()}`);
  return r;
}

export async function fetchInfo(): Promise<Info> {
  return (await (await fetchOk('/api/info')).json()) as Info;
}

/** model.safetensors as bytes. */
export async function fetchWeights(): Promise<Uint8Array> {
  return new Uint8Array(await (await fetchOk('/api/weights')).arrayBuffer());
}

/** Stretches an image over the whole canvas (without smoothing unless `smooth`). */
export function paintScaled(c: HTMLCanvasElement, img: ImageData, smooth = false): void {
  const scratch = document.createElement('canvas');
  scratch.width = img.width;
  scratch.height = img.height;
  ctx2d(scratch).putImageData(img, 0, 0);
  const g = ctx2d(c);
  g.imageSmoothingEnabled = smooth;
  g.clearRect(0, 0, c.width, c.height);
  g.drawImage(scratch, 0, 0, c.width, c.height);
}

/**
 * Draws `count` images (rows of `pixels`, [count, C*H*W], values in [0, 1])
 * of `shape` [C, H, W] as a grid of `cols` columns stretched over the canvas;
 * `tint` may change a pixel's colour.
 */
export function drawImages(c: HTMLCanvasElement, pixels: ArrayLike<number>, count: number, cols: number, shape: readonly number[], tint?: (i: number, rgb: number[]) => void): void {
  const [ch, h, w] = shape;
  const dim = ch * h * w;
  const rows = Math.ceil(count / cols);
  const img = new ImageData(cols * w, rows * h);
  for (let k = 0; k < count; k++) {
    const bx = (k % cols) * w, by = Math.floor(k / cols) * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const rgb = [0, 1, 2].map((j) => pixels[k * dim + (ch === 3 ? j : 0) * h * w + y * w + x]);
        tint?.(y * w + x, rgb);
        const o = ((by + y) * cols * w + bx + x) * 4;
        for (let j = 0; j < 3; j++) img.data[o + j] = Math.round(255 * Math.min(1, Math.max(0, rgb[j])));
        img.data[o + 3] = 255;
      }
    }
  }
  paintScaled(c, img);
}

// ---------------------------------------------------------------- training curves

/** One line of metrics.jsonl (VAEs write elbo and bound; flows and CNFs write nll). */
export interface MetricsLine { epoch: number; elbo?: number; bound?: number; loss?: number; rec?: number; kl?: number; nll?: number; nfe?: number }

export interface CurveSeries { name: string; color: string; values: number[] }

/** Plots series over the epochs of `lines` on the #curves canvas, and sets status.epochs. */
export function drawCurves(lines: MetricsLine[], series: CurveSeries[]): void {
  const c = canvas('curves');
  const g = ctx2d(c);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  status.epochs = lines.length;
  if (lines.length === 0) return;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let [lo, hi] = [Math.min(...all), Math.max(...all)];
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = { l: 56, r: 12, t: 12, b: 28 };
  const W = c.width - pad.l - pad.r, H = c.height - pad.t - pad.b;
  const xOf = (i: number) => pad.l + (lines.length === 1 ? W / 2 : (i * W) / (lines.length - 1));
  const yOf = (v: number) => pad.t + ((hi - v) * H) / (hi - lo);
  g.strokeStyle = '#ccd';
  g.fillStyle = '#556';
  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  const digits = hi - lo < 0.5 ? 3 : hi - lo < 5 ? 2 : 1;
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    g.beginPath(); g.moveTo(pad.l, yOf(v)); g.lineTo(pad.l + W, yOf(v)); g.stroke();
    g.fillText(v.toFixed(digits), 4, yOf(v) + 4);
  }
  g.fillText(`epoch ${lines[0].epoch}`, pad.l, c.height - 8);
  const last = `epoch ${lines[lines.length - 1].epoch}`;
  g.fillText(last, pad.l + W - g.measureText(last).width, c.height - 8);
  series.forEach((s, si) => {
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = 2;
    g.beginPath();
    s.values.forEach((v, i) => (i === 0 ? g.moveTo(xOf(i), yOf(v)) : g.lineTo(xOf(i), yOf(v))));
    g.stroke();
    s.values.forEach((v, i) => g.fillRect(xOf(i) - 2, yOf(v) - 2, 4, 4));
    g.fillText(s.name, pad.l + 8 + si * 110, pad.t + 12);
  });
}

/** metrics.jsonl's epochs (a line being written while read is left for the next poll). */
export async function fetchMetrics(): Promise<MetricsLine[]> {
  const text = await (await fetchOk('/api/metrics')).text();
  const lines: MetricsLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      lines.push(JSON.parse(line) as MetricsLine);
    } catch {
      // A line being written while we read: the next poll gets it whole.
    }
  }
  return lines;
}

/** Appends the PNGs training wrote (samples.png, density.png, ...) under the curves. */
export function showRunImages(files: readonly string[]): void {
  for (const f of files) {
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.src = `/files/${encodeURIComponent(f)}`;
    img.alt = `${f} written by latent train`;
    const caption = document.createElement('figcaption');
    caption.textContent = `${f} (written by latent train)`;
    fig.append(img, caption);
    el('run-images').append(fig);
  }
}

/**
 * Polls /api/info every 2 s while the page is open: new metrics redraw the
 * curves (`refreshCurves`), new weights are loaded and drawn (`reload`).
 */
export function watchRun(first: Info, refreshCurves: () => Promise<void>, reload: (fresh: Info) => Promise<void>): void {
  let info = first;
  status.weightsVersion = first.versions.weights;
  const poll = async () => {
    try {
      const fresh = await fetchInfo();
      if (fresh.versions.metrics !== info.versions.metrics) await refreshCurves();
      if (fresh.versions.weights && fresh.versions.weights !== status.weightsVersion) {
        await reload(fresh);
        status.weightsVersion = fresh.versions.weights;
        showStatus(`weights reloaded (training wrote a new model.safetensors); computing on the ${getBackend()} kernels in this page`);
      }
      info = fresh;
    } catch (e) {
      showStatus(`lost contact with the server: ${(e as Error).message}`, true);
    }
  };
  setInterval(() => void poll(), 2000);
}
