// What the explorer page's browser tests share: Debian's headless Chromium
// through playwright-core, skipping with a message when it is absent (an error
// with LATENT_REQUIRE_BROWSER=1, as in CI), and a digest of a canvas's pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from './fixture.js';

export const CHROMIUM = process.env.LATENT_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRE = process.env.LATENT_REQUIRE_BROWSER === '1';
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
export const HAVE_BROWSER = existsSync(CHROMIUM);
/** The `skip` option of the browser tests: false, or why they are skipped. */
export const SKIP: string | false = HAVE_BROWSER ? false : `no chromium at ${CHROMIUM} (apt-get install chromium); set LATENT_REQUIRE_BROWSER=1 to make this an error`;

/** Without chromium: a failing test under LATENT_REQUIRE_BROWSER=1, else a note that `what` is skipped. */
export function reportMissingBrowser(what: string): void {
  if (!HAVE_BROWSER && REQUIRE) {
    test('chromium is installed (LATENT_REQUIRE_BROWSER=1)', () => assert.fail(`no chromium at ${CHROMIUM}, and LATENT_REQUIRE_BROWSER=1 makes that an error`));
  } else if (!HAVE_BROWSER) {
    process.stdout.write(`# skipping ${what}: ${SKIP}\n`);
  }
}

/** Launches Chromium and opens a page whose errors (uncaught, console.error) are collected in `errors`. */
export async function openBrowser(viewport: { width: number; height: number }, errors: string[]): Promise<{ browser: Browser; page: Page }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Screenshots are artifacts of a test run, not sources.
  writeFileSync(join(ARTIFACTS, '..', '.gitignore'), '*\n');
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI and this machine run as root, where Chromium's sandbox cannot start; --disable-dev-shm-usage:
  // containers often have a small /dev/shm, which crashes Chromium's renderer.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport });
  // Playwright allows 30 s per action by default, which a loaded machine can exceed.
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return { browser, page };
}

/** A digest of a canvas's pixels (to tell whether it changed) and how many differ from black and white. */
export async function canvasPixels(page: Page, id: string): Promise<{ hash: string; inked: number }> {
  return page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261, inked = 0;
    for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619);
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30 && d[i] + d[i + 1] + d[i + 2] < 735) inked++;
    return { hash: (h >>> 0).toString(16), inked };
  }, id);
}
