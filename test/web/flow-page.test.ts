// The explorer page for density models in headless Chromium: a 2-D spline
// flow (density, target and samples, resampling, the page's density against
// Node's), a flow on tiny 4x4 images (samples at a temperature), a 2-D CNF
// (sampled in the page by its ODE solver), and the server's refusal of a kind
// it cannot show. Models are trained by the real `latent train` with tiny
// settings. Skips without chromium unless LATENT_REQUIRE_BROWSER=1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startExplorer, type RunningExplorer } from '../../cli/commands/serve.js';
import type { DensityHooks, ExplorerStatus } from '../../web/app.js';
import * as L from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { ARTIFACTS, HAVE_BROWSER, SKIP, canvasPixels as pixelsOf, openBrowser, reportMissingBrowser } from './browser.js';
import { CLI, ROOT } from './fixture.js';

reportMissingBrowser('the flow and CNF explorer page tests');

const root = mkdtempSync(join(tmpdir(), 'latent-web-flow-'));

/** Trains a model into root/name with the real CLI (a few seconds each). */
function train(name: string, args: string[]): string {
  const out = join(root, name);
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', ...args, '--no-progress', '--out', out], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`latent train ${args.join(' ')} failed: ${r.stderr}`);
  return out;
}

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const running: RunningExplorer[] = [];

before(async () => {
  if (!HAVE_BROWSER) return;
  ({ browser, page } = await openBrowser({ width: 1280, height: 1200 }, pageErrors));
});

after(async () => {
  await browser?.close();
  for (const r of running) await r.close();
});

/** Serves `dir` and opens the page, waiting until it is ready. */
async function open(dir: string): Promise<RunningExplorer> {
  const ex = await startExplorer(dir, { port: 0, host: '127.0.0.1', limit: 10 });
  running.push(ex);
  await page.goto(ex.url);
  await page.waitForFunction(() => {
    const s = (window as unknown as { latentExplorer?: ExplorerStatus }).latentExplorer;
    return s?.ready === true || !!s?.error;
  }, null, { timeout: 120_000 });
  assert.equal((await status()).error, null);
  return ex;
}

async function status(): Promise<ExplorerStatus> {
  return page.evaluate(() => (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer);
}

function canvasPixels(id: string): Promise<{ hash: string; inked: number }> {
  return pixelsOf(page, id);
}

function hooks<T>(f: (h: DensityHooks) => T): Promise<T> {
  return page.evaluate(`(${f.toString()})(window.latentExplorerHooks)`) as Promise<T>;
}

test('a 2-D spline flow on two moons: target, density and samples drawn; resample changes the samples; the density is Node\'s', { skip: SKIP }, async () => {
  const dir = train('moons', ['flow', '--data', 'two-moons', '--flow', 'spline', '--layers', '2', '--hidden', '16', '--epochs', '2', '--batch', '1000']);
  const ex = await open(dir);
  const s = await status();
  assert.equal(s.kind, 'flow');
  assert.equal(s.epochs, 2);
  for (const id of ['target', 'density', 'flow-samples']) assert.ok((await canvasPixels(id)).inked > 2000, `#${id} is drawn`);
  assert.match(await page.locator('#flow-scores').textContent() ?? '', /log-likelihood of 2000 fresh draws from two-moons: -?\d+\.\d+ ± \d+\.\d+ nats per point; the target's -H\(p\) = .* a gap of \d+\.\d+/);
  assert.ok(await page.locator('#flow-grid').isHidden(), 'no image grid for 2-D points');
  assert.ok(await page.locator('#samples-card').isHidden(), "the VAE's cards are hidden");

  const before = await canvasPixels('flow-samples');
  const draws = s.draws;
  await page.locator('#flow-resample').click();
  assert.equal(await page.locator('#flow-seed').inputValue(), '1');
  assert.equal((await status()).draws, draws + 1);
  assert.notEqual((await canvasPixels('flow-samples')).hash, before.hash, 'new samples');
  // The same seed draws the same samples; these are the library's samples in Node (the page runs the TypeScript
  // kernels; Node may run the native ones, hence the tolerance).
  const { model } = L.loadFlowDir(dir);
  const want = model.sample(2000, new L.Generator(1)).data;
  assertClose(await hooks((h) => h.samples()), want, 1e-3, 1e-3, 'samples at seed 1');

  // The drawn density grid against the library's log p in Node, at a few grid points.
  const g = (await hooks((h) => h.densityGrid()))!;
  assert.deepEqual(g.range, [-4, 4]);
  const pts = L.gridPoints({ size: g.size, range: g.range });
  const picks = [0, 1234, Math.floor(g.size * g.size / 2) + g.size / 2, g.size * g.size - 1];
  const x = L.tensor(picks.map((i) => [pts.data[2 * i], pts.data[2 * i + 1]]));
  const node = L.meanLogProb(model, x).values;
  assertClose(picks.map((i) => g.values[i]), node, 1e-3, 1e-4, 'log p on the grid');
  // Arbitrary points through the hook, too.
  assertClose(await page.evaluate((p) => (window as unknown as { latentExplorerHooks: DensityHooks }).latentExplorerHooks.logDensity(p), [0.5, 0.25, -1, 0.3]), L.meanLogProb(model, L.tensor([[0.5, 0.25], [-1, 0.3]])).values, 1e-3, 1e-4, 'log p at points');

  // The server: no held-out images for a density model.
  const info = await (await fetch(`${ex.url}api/info`)).json() as { testSet: unknown; files: string[] };
  assert.equal(info.testSet, null);
  assert.ok(info.files.includes('density.png'));
  assert.equal((await fetch(`${ex.url}api/testset`)).status, 404);
  await page.screenshot({ path: join(ARTIFACTS, 'flow-2d.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('a flow on 4x4 images: a grid of samples; the temperature slider and resample change it', { skip: SKIP }, async () => {
  const rng = new L.Generator(4);
  const rows: string[] = [];
  for (let i = 0; i < 60; i++) rows.push(Array.from({ length: 16 }, (_, j) => (j % 5 === 0 ? 200 : 20) + Math.floor(40 * rng.uniform01())).join(','));
  const csv = join(root, 'tiny.csv');
  writeFileSync(csv, rows.join('\n') + '\n');
  const dir = train('tiny', ['flow', '--data', csv, '--flow', 'glow', '--layers', '2', '--hidden', '16', '--epochs', '1', '--batch', '20']);
  await open(dir);
  assert.ok(await page.locator('#density').isHidden(), 'no density for images');
  const at1 = await canvasPixels('flow-grid');
  assert.ok(at1.inked > 1000, 'the grid has grey levels');
  await page.locator('#flow-temperature').fill('0.5');
  assert.equal(await page.locator('#flow-t').textContent(), 'T = 0.50');
  const at05 = await canvasPixels('flow-grid');
  assert.notEqual(at05.hash, at1.hash, 'another temperature, other images');
  // The page's samples are f(0.5 z) with z from the seed, as in Node.
  const { model } = L.loadFlowDir(dir);
  const z = L.randn([64, 16], new L.Generator(0));
  const want = L.noGrad(() => model.flow.forward(L.mul(z, 0.5))).data;
  assertClose(await hooks((h) => h.samples()), want, 1e-4, 1e-4, 'samples at T = 0.5');
  await page.locator('#flow-resample').click();
  assert.notEqual((await canvasPixels('flow-grid')).hash, at05.hash, 'resampled');
  await page.locator('#flow-card').screenshot({ path: join(ARTIFACTS, 'flow-images.png') });
  assert.deepEqual(pageErrors, []);
});

test('a 2-D CNF: density and samples computed in the page by its ODE solver', { skip: SKIP }, async () => {
  const dir = train('cnf', ['cnf', '--data', 'two-moons', '--hidden', '8', '--solver', 'rk4', '--step-size', '0.25', '--epochs', '1', '--batch', '5000']);
  await open(dir);
  assert.equal((await status()).kind, 'cnf');
  for (const id of ['target', 'density', 'flow-samples']) assert.ok((await canvasPixels(id)).inked > 2000, `#${id} is drawn`);
  const { model } = L.loadCnfDir(dir, { evaluation: true });
  const pts = [0.5, 0.25, -1, 0.3, 1.5, -0.5];
  const got = await page.evaluate((p) => (window as unknown as { latentExplorerHooks: DensityHooks }).latentExplorerHooks.logDensity(p), pts);
  assertClose(got, L.noGrad(() => model.logProb(L.tensor([[0.5, 0.25], [-1, 0.3], [1.5, -0.5]]))).data, 1e-3, 1e-4, 'CNF log p');
  const before = await canvasPixels('flow-samples');
  await page.locator('#flow-resample').click();
  assert.notEqual((await canvasPixels('flow-samples')).hash, before.hash);
  assert.deepEqual(pageErrors, []);
});

test('latent serve refuses a model kind the page cannot show, naming it and the kinds it can', async () => {
  const dir = join(root, 'mystery');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ format: 'latent-model', version: 1, kind: 'gmm', model: {} }));
  await assert.rejects(startExplorer(dir, { port: 0, host: '127.0.0.1', limit: 10 }),
    /holds a 'gmm' model; latent serve shows VAEs \(vae, iwae, cvae\), normalizing flows \(flow\) and continuous normalizing flows \(cnf\)/);
});
