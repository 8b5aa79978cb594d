// Preloaded into a `latent train` child by memory.test.ts (node --expose-gc
// --import tsx --import this file): each time the CLI reports a finished
// epoch on stderr, collect garbage and append the process's memory to the
// file named by LATENT_MEMORY_LOG, one JSON object per line. Hooking the
// CLI's own output measures the real command (checkpoints, metrics, weights
// written each epoch), not a copy of its loop.
import { appendFileSync } from 'node:fs';

const log = process.env.LATENT_MEMORY_LOG;
const gc = (globalThis as { gc?: () => void }).gc;
if (!log || !gc) throw new Error('memory-probe: needs LATENT_MEMORY_LOG and node --expose-gc');

const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean;
process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
  const m = /^epoch (\d+):/m.exec(String(chunk));
  if (m) {
    gc();
    const u = process.memoryUsage();
    appendFileSync(log, JSON.stringify({ epoch: Number(m[1]), rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers }) + '\n');
  }
  return write(chunk, ...rest);
}) as typeof process.stderr.write;
