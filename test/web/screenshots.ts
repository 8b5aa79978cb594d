// Screenshots of the explorer page for the README (docs/screenshots/):
//   node --import tsx test/web/screenshots.ts runs/<run> [OUT_DIR]
// Serves the model directory, opens the page in Debian's headless Chromium,
// clicks the map, moves the slider, draws a stroke, and saves the whole page
// and three cards (for a flow or CNF: the page, as explorer-flow.png). Not a test (no assertions); test/web/page.test.ts is.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startExplorer } from '../../cli/commands/serve.js';
import type { ExplorerStatus } from '../../web/app.js';

const [dir, out = 'docs/screenshots'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node --import tsx test/web/screenshots.ts MODEL_DIR [OUT_DIR]\n');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const explorer = await startExplorer(dir, { port: 0, host: '127.0.0.1', limit: 1000 });
const browser = await chromium.launch({ executablePath: process.env.LATENT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 }, deviceScaleFactor: 1 });
  await page.goto(explorer.url);
  await page.waitForFunction(() => (window as unknown as { latentExplorer?: ExplorerStatus }).latentExplorer?.ready === true, null, { timeout: 120_000 });
  const kind = await page.evaluate(() => (window as unknown as { latentExplorer: ExplorerStatus }).latentExplorer.kind);
  if (kind === 'flow' || kind === 'cnf') {
    // A flow's or CNF's page: the whole of it (shorter than the VAE's), nothing to click.
    await page.setViewportSize({ width: 1200, height: 600 });
    await page.screenshot({ path: join(out, 'explorer-flow.png'), fullPage: true });
    process.stdout.write(`wrote ${out}/explorer-flow.png\n`);
  } else {
    await vaePage(page);
  }
} finally {
  await browser.close();
  await explorer.close();
}

/** The VAE page: a click on the map, the slider moved, a stroke drawn; the page and three cards. */
async function vaePage(page: Page): Promise<void> {
  const map = (await page.locator('#map').boundingBox())!;
  await page.mouse.click(map.x + map.width * 0.62, map.y + map.height * 0.35);
  await page.locator('#interp-slider').fill('45');
  const draw = (await page.locator('#draw').boundingBox())!;
  await page.locator('input[name=tool][value=draw]').check();
  await page.mouse.move(draw.x + draw.width * 0.35, draw.y + draw.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(draw.x + draw.width * 0.6, draw.y + draw.height * 0.3, { steps: 10 });
  await page.mouse.up();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, 'explorer.png'), fullPage: true });
  for (const card of ['map', 'interp', 'inpaint']) {
    await page.locator(`#${card}-card`).screenshot({ path: join(out, `explorer-${card}.png`) });
  }
  process.stdout.write(`wrote ${out}/explorer.png and the map, interpolation and inpainting cards\n`);
}
