// A small trained VAE model directory for the explorer's tests, written once
// per test process by the real `latent train` (a few seconds: 2 epochs of a
// 784-64-3 MLP, so the latent map is a PCA projection; or 1 epoch of a
// conditional 784-64-2 one).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'cli/main.ts');

const dirs = new Map<string, string>();

/** Trains (once per process and kind) and returns a model directory: `vae` (latent 3, so the map is a PCA) or `cvae` (latent 2). */
export function tinyModelDir(kind: 'vae' | 'cvae' = 'vae'): string {
  const known = dirs.get(kind);
  if (known && existsSync(join(known, 'model.safetensors'))) return known;
  const dir = join(mkdtempSync(join(tmpdir(), 'latent-web-')), kind);
  const epochs = kind === 'vae' ? '2' : '1';
  const latent = kind === 'vae' ? '3' : '2';
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', kind, '--epochs', epochs, '--hidden', '64', '--latent', latent, '--eval-k', '10', '--no-progress', '--out', dir], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`latent train ${kind} failed: ${r.stderr}`);
  dirs.set(kind, dir);
  return dir;
}
