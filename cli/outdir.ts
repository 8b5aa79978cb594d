// Checks shared by every `latent train` model: where the model directory
// goes, and that held-out data fits the training data, before any file is
// written, so that a refused run leaves nothing behind.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { METRICS_FILE, type Dataset } from '../src/index.js';
import { UserError } from './errors.js';

/** The default model directory of a run: runs/<kind>-<UTC time>. */
export function defaultRunDir(kind: string): string {
  return join('runs', `${kind}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
}

/**
 * Refuses an --out that cannot become a fresh model directory: a path that
 * is (or runs through) a file, or a non-empty folder unless the run is
 * resumed (`resumable` adds the --resume hint to the message).
 */
export function checkOutDir(out: string, options: { resume?: boolean; resumable?: boolean } = {}): void {
  // The nearest existing ancestor must be a folder: mkdir -p would fail with ENOTDIR.
  let p = resolve(out);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  if (existsSync(p) && !statSync(p).isDirectory()) {
    throw new UserError(p === resolve(out)
      ? `--out ${out} is a file, not a directory; name a folder for the model directory`
      : `--out ${out}: ${p} is a file, not a directory`);
  }
  if (!options.resume && existsSync(out) && readdirSync(out).length > 0) {
    throw new UserError(`${out} already exists and is not empty; choose another --out${options.resumable ? ', or pass --resume to continue it' : ''}`);
  }
}

/** Refuses held-out data whose examples differ in shape from the training data's (found otherwise only after training). */
export function checkTestShape(train: Dataset, test: Dataset | null | undefined, testSpec: string | undefined): void {
  if (!test) return;
  const a = train.itemShape.join('x');
  const b = test.itemShape.join('x');
  if (a !== b) {
    throw new UserError(`${testSpec ?? test.source}: held-out examples are ${b} but the training data ${train.source} has ${a}; pass --test-data with examples of the same shape`);
  }
}

/**
 * The lines of DIR/metrics.jsonl up to and including `epoch`: what a resumed
 * run keeps, so that epochs trained after the last checkpoint (and then
 * lost) are not reported twice. A line that does not parse (a write cut
 * short) is dropped with them.
 */
export function metricsUpTo(out: string, epoch: number): string[] {
  const file = join(out, METRICS_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((line) => {
    if (!line) return false;
    try {
      return (JSON.parse(line) as { epoch: number }).epoch <= epoch;
    } catch {
      return false;
    }
  });
}
