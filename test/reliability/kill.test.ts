// Issue 9: a training process killed with SIGKILL at random moments always
// leaves a loadable checkpoint, and --resume continues to exactly the weights
// of an uninterrupted run (same backend, same thread count: bit for bit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../../src/index.js';
import { lcg } from '../helpers.js';

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const args = (out: string) => ['--import', 'tsx', main, 'train', '--epochs', '30', '--hidden', '16', '--latent', '2', '--batch', '400',
  '--eval-k', '5', '--no-progress', '--out', out];

/**
 * Starts a run and kills it with SIGKILL: `afterEpoch` = true kills `ms`
 * after the run reports its first finished epoch (so each attempt makes
 * progress, and the kill lands mid-epoch or mid-checkpoint), otherwise `ms`
 * after launch (possibly during start-up). Resolves with the signal or exit code.
 */
function runAndKill(argv: string[], ms: number, afterEpoch: boolean): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let timer: NodeJS.Timeout | null = afterEpoch ? null : setTimeout(() => child.kill('SIGKILL'), ms);
    child.stderr.on('data', (chunk: Buffer) => {
      if (afterEpoch && !timer && /epoch \d+:/.test(chunk.toString())) timer = setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve(signal ?? `exit ${code}`);
    });
  });
}

const KILLS = 20;

test(`training survives ${KILLS} SIGKILLs and resumes to the uninterrupted run's exact weights`, { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'latent-kill-'));
  const reference = join(root, 'reference');
  const r = spawnSync(process.execPath, args(reference), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);

  const out = join(root, 'killed');
  const rand = lcg(2026);
  const stepsSeen = new Set<number>();
  let kills = 0;
  let attempts = 0;
  while (kills < KILLS && attempts < 4 * KILLS) {
    attempts++;
    // Every fourth kill at a random time from launch; the others at a random moment after an epoch.
    const fromLaunch = attempts % 4 === 0;
    const delay = Math.floor(rand() * (fromLaunch ? 1500 : 150));
    // --resume once a run has started (a killed start-up may leave nothing at all).
    const resume = existsSync(join(out, 'config.json')) ? ['--resume'] : [];
    const outcome = await runAndKill([...args(out), ...resume], delay, !fromLaunch);
    assert.ok(outcome === 'SIGKILL' || outcome === 'exit 0', `attempt ${attempts} ended with ${outcome}`);
    if (outcome !== 'SIGKILL') break; // the run got to the end before the kill
    kills++;
    const ckpt = join(out, 'checkpoint', 'checkpoint.safetensors');
    if (existsSync(ckpt)) {
      // Whatever moment the kill hit, the checkpoint on disk is complete and loadable.
      const { metadata } = loadSafetensors(ckpt);
      stepsSeen.add(JSON.parse(metadata['latent.checkpoint']).trainer.step);
    }
  }
  assert.ok(kills >= KILLS, `only ${kills} kills landed before the run finished`);
  assert.ok(stepsSeen.size >= 3, `kills should land at different steps; checkpoints seen at ${[...stepsSeen]}`);
  const fin = spawnSync(process.execPath, [...args(out), '--resume'], { encoding: 'utf8' });
  assert.equal(fin.status, 0, fin.stderr);
  assert.ok(readFileSync(join(out, 'model.safetensors')).equals(readFileSync(join(reference, 'model.safetensors'))), 'weights identical to the uninterrupted run');
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 30);
});
