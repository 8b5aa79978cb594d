// The explorer page end to end in headless Chromium (Debian's `chromium`,
// driven by playwright-core): load the page for a freshly trained model,
// click the latent map, move the interpolation slider, draw on the canvas,
// and check that the images change. Screenshots go to test-artifacts/web/.
// Skips with a message when chromium is absent, unless LATENT_REQUIRE_BROWSER=1 (CI).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startExplorer, type RunningExplorer } from '../../cli/commands/serve.js';
import type { ExplorerHooks, ExplorerStatus } from '../../web/app.js';
import * as L from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { ARTIFACTS, HAVE_BROWSER, SKIP, canvasPixels as pixelsOf, openBrowser, reportMissingBrowser } from './browser.js';
import { tinyModelDir } from './fixture.js';

reportMissingBrowser('the explorer page tests');

// Time limits on waiting for the page are generous failure bounds, not timing assertions: `npm test` runs every
// suite at once on a small machine.
let explorer: RunningExplorer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (!HAVE_BROWSER) return;
  explorer = await startExplorer(tinyModelDir(), { port: 0, host: '127.0.0.1', limit: 300 });
  ({ browser, page } = await openBrowser({ width: 1280, height: 1500 }, pageErrors));
});

after(async () => {
  await browser?.close();
  await explorer?.close();
});

function canvasPixels(id: string): Promise<{ hash: string; inked: number }> {
  return pixelsOf(page, id);
}

async function status(): Promise<ExplorerStatus> {
  return page.evaluate(() => (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer);
}

test('the page loads, decodes samples and draws the latent map and curves in the browser', { skip: SKIP }, async () => {
  await page.goto(explorer.url);
  await page.waitForFunction(() => (window as unknown as { latentExplorer?: ExplorerStatus }).latentExplorer?.ready === true, null, { timeout: 120_000 });
  const s = await status();
  assert.equal(s.error, null);
  assert.equal(s.mapMethod, 'pca', 'a 3-D latent is shown on its principal components');
  assert.equal(s.epochs, 2);
  assert.ok((await canvasPixels('samples')).inked > 1000, 'the samples grid has grey levels (decoder means)');
  assert.ok((await canvasPixels('map')).inked > 300, 'the map has coloured points');
  await page.screenshot({ path: join(ARTIFACTS, 'page.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('the page computes what the library computes in Node: the latent map and a decoding', { skip: SKIP }, async () => {
  const { vae } = L.loadVaeDir(tinyModelDir());
  const bytes = new Uint8Array(await (await fetch(`${explorer.url}api/testset`)).arrayBuffer());
  const x = new L.Tensor(Float32Array.from(bytes, (b) => b / 255), [bytes.length / 784, 784]);
  const want = L.latentMap(vae, x);
  const got = await page.evaluate(() => (window as unknown as { latentExplorerHooks: ExplorerHooks }).latentExplorerHooks.mapPoints());
  // The page runs the TypeScript kernels; so does Node with LATENT_BACKEND=js, and then the numbers are identical
  // (measured). With the native kernels in Node, float32 sums run in another order: measured 1.5e-6 on the map
  // (coordinates of size ~1) and 6e-8 on the pixels.
  assertClose(got, want.points, 2e-5, 0, 'map points');
  const z = [0.5, -1, 0.25];
  const decoded = await page.evaluate((zz) => (window as unknown as { latentExplorerHooks: ExplorerHooks }).latentExplorerHooks.decode(zz), z);
  assertClose(decoded, L.noGrad(() => vae.mean(L.tensor([z]))).data, 1e-6, 0, 'decoded pixel means');
});

test('a click on the latent map decodes that point', { skip: SKIP }, async () => {
  const before = await canvasPixels('map-decoded');
  const box = (await page.locator('#map').boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.4);
  const first = await canvasPixels('map-decoded');
  assert.notEqual(first.hash, before.hash, 'the decoded image appeared');
  await page.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.6);
  const second = await canvasPixels('map-decoded');
  assert.notEqual(second.hash, first.hash, 'another point decodes to another image');
  assert.match(await page.locator('#map-point').textContent() ?? '', /decoded at/);
  await page.locator('#map-card').screenshot({ path: join(ARTIFACTS, 'map.png') });
});

test('moving the interpolation slider changes the decoded image', { skip: SKIP }, async () => {
  const at0 = await canvasPixels('interp-out');
  await page.locator('#interp-slider').fill('50');
  const at50 = await canvasPixels('interp-out');
  await page.locator('#interp-slider').fill('100');
  const at100 = await canvasPixels('interp-out');
  assert.notEqual(at50.hash, at0.hash);
  assert.notEqual(at100.hash, at50.hash);
  assert.equal(await page.locator('#interp-t').textContent(), 't = 1.00');
  // Shift-click on the map: the nearest held-out image becomes the start, and the strip changes.
  const strip = await canvasPixels('interp-strip');
  const a = await page.locator('#interp-a-index').inputValue();
  const box = (await page.locator('#map').boundingBox())!;
  await page.keyboard.down('Shift');
  await page.mouse.click(box.x + box.width * 0.15, box.y + box.height * 0.5);
  await page.keyboard.up('Shift');
  assert.notEqual(await page.locator('#interp-a-index').inputValue(), a);
  assert.notEqual((await canvasPixels('interp-strip')).hash, strip.hash);
  await page.locator('#interp-card').screenshot({ path: join(ARTIFACTS, 'interpolation.png') });
});

test('drawing and erasing on the canvas changes the inpainting', { skip: SKIP }, async () => {
  const s0 = await status();
  const before = await canvasPixels('inpainted');
  const box = (await page.locator('#draw').boundingBox())!;
  // Erase a band in the lower half (those pixels become unknown), then draw a stroke in the (erased) top half.
  await page.locator('input[name=tool][value=erase]').check();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.7);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.75, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction((n) => (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer.inpaints > n, s0.inpaints);
  const erased = await canvasPixels('inpainted');
  assert.notEqual(erased.hash, before.hash, 'erasing changed the inpainting');
  const s1 = await status();
  await page.locator('input[name=tool][value=draw]').check();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.15);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.3, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction((n) => (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer.inpaints > n, s1.inpaints);
  const drawn = await canvasPixels('inpainted');
  assert.notEqual(drawn.hash, erased.hash, 'drawing changed the inpainting');
  // Metropolis-within-Gibbs instead of the posterior mean: another fill of the same unknown pixels.
  const s2 = await status();
  await page.selectOption('#inpaint-method', 'metropolis-gibbs');
  await page.waitForFunction((n) => (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer.inpaints > n, s2.inpaints);
  assert.notEqual((await canvasPixels('inpainted')).hash, drawn.hash, 'the sampler gave another fill');
  await page.locator('#inpaint-card').screenshot({ path: join(ARTIFACTS, 'inpainting.png') });
  assert.deepEqual(pageErrors, []);
});

test('new weights and metrics written by training are picked up while the page is open', { skip: SKIP }, async () => {
  const s0 = await status();
  const samples = await canvasPixels('samples');
  const dir = tinyModelDir();
  // What an epoch of training does to the directory: new weights (here the same tensors scaled) and one more metrics line.
  const L = await import('../../src/index.js');
  const { tensors } = L.loadSafetensors(join(dir, 'model.safetensors'));
  for (const t of Object.values(tensors)) for (let i = 0; i < t.data.length; i++) t.data[i] *= 1.5;
  L.saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  const last = JSON.parse(metrics.trim().split('\n').pop()!);
  writeFileSync(join(dir, 'metrics.jsonl'), metrics + JSON.stringify({ ...last, epoch: last.epoch + 1, elbo: last.elbo + 5 }) + '\n');
  await page.waitForFunction((n) => {
    const st = (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer;
    return st.loads > n && st.epochs === 3;
  }, s0.loads, { timeout: 60_000 });
  assert.notEqual((await canvasPixels('samples')).hash, samples.hash, 'the samples were redrawn with the new weights');
  await page.screenshot({ path: join(ARTIFACTS, 'page-after-reload.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('a conditional model: choosing another condition redraws the samples', { skip: SKIP }, async () => {
  const cvae = await startExplorer(tinyModelDir('cvae'), { port: 0, host: '127.0.0.1', limit: 200 });
  try {
    await page.goto(cvae.url);
    await page.waitForFunction(() => (window as unknown as { latentExplorer?: ExplorerStatus }).latentExplorer?.ready === true, null, { timeout: 120_000 });
    assert.equal((await status()).mapMethod, 'identity', 'a 2-D latent is its own map');
    const before = await canvasPixels('samples');
    await page.selectOption('#samples-card select.condition', '7');
    assert.notEqual((await canvasPixels('samples')).hash, before.hash);
    assert.deepEqual(pageErrors, []);
  } finally {
    await cvae.close();
  }
});
