// A small trained VAE model directory for the explorer's tests, written once
// per test process by the real `latent train` (a few seconds: 2 epochs of a
// 784-64-3 MLP, so the latent map is a PCA projection).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'cli/main.ts');

let dir: string | null = null;

/** Trains (once) and returns a model directory. */
export function tinyModelDir(): string {
  if (dir && existsSync(join(dir, 'model.safetensors'))) return dir;
  dir = join(mkdtempSync(join(tmpdir(), 'latent-web-')), 'run');
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', 'vae', '--epochs', '2', '--hidden', '64', '--latent', '3', '--eval-k', '10', '--no-progress', '--out', dir], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`latent train failed: ${r.stderr}`);
  return dir;
}
