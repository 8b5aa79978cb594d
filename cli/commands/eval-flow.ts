// `latent eval DIR` for density models (`latent train flow` and `latent
// train cnf`): the exact mean test log-likelihood in nats per example with
// its standard error, bits/dim for dequantized images, and for a toy
// density its known -H(p) and the gap to it.
import type { Command } from 'commander';
import * as L from '../../src/index.js';
import { UserError } from '../errors.js';
import { heldOutData, modelDim, openDensityModel } from '../density-dir.js';
import { say } from '../progress.js';

export interface DensityEvalOptions { data?: string; limit?: number; seed: number; json: boolean }

/** Options of `latent eval` that only a VAE has (importance sampling): refused for a density model, whose likelihood is exact. */
const VAE_ONLY = ['iw', 'k'];

/** Scores DIR's flow or CNF and prints the result (one JSON object with --json). */
export function evalDensity(dir: string, kind: 'flow' | 'cnf', o: DensityEvalOptions, cmd: Command): void {
  for (const name of VAE_ONLY) {
    if (cmd.getOptionValueSource(name) === 'cli') {
      throw new UserError(`--${name} applies to VAEs (importance-sampled bounds); ${dir} holds a '${kind}' model, whose log-likelihood is computed exactly`);
    }
  }
  const m = openDensityModel(dir, kind);
  const seed = cmd.getOptionValueSource('seed') === 'cli' ? o.seed : undefined;
  const test = heldOutData(m, { spec: o.data, seed, limit: o.limit });
  const summary: Record<string, unknown> = { dir, kind, data: test.spec, n: test.x.shape[0] };
  let nfe: number | undefined;
  try {
    if (m.kind === 'flow') {
      // The batch sizes of the training run's final evaluation (cli/train/flow.ts).
      const ev = L.meanLogProb(m.flow, test.x, { batchSize: m.images ? 500 : 5000 });
      Object.assign(summary, { logpx: ev.mean, stderr: ev.stderr });
    } else {
      const ev = L.evaluateCnf(m.cnf, test.x, { batch: 1000 });
      nfe = ev.nfe;
      Object.assign(summary, { logpx: ev.logLik, stderr: ev.stderr });
    }
  } catch (e) {
    throw new UserError(`${test.spec}: ${(e as Error).message}`);
  }
  const logpx = summary.logpx as number;
  summary.nll = -logpx;
  let line = `${summary.n} ${m.kind === 'flow' && m.images ? 'images (dequantized)' : 'points'} of ${test.spec}: log-likelihood ${logpx.toFixed(4)} ± ${(summary.stderr as number).toFixed(4)} nats per example`;
  if (m.kind === 'flow' && m.images) {
    summary.bits_per_dim = L.bitsPerDim(logpx, modelDim(m));
    line += `, ${(summary.bits_per_dim as number).toFixed(4)} bits/dim`;
  }
  if (test.toy) {
    // -H(p) as each training command estimates it (exact for the checkerboard).
    const h = L.toy2dEntropy(test.toy, { samples: m.kind === 'flow' ? 20_000 : 50_000, rng: new L.Generator(0) });
    Object.assign(summary, { target_loglik: -h.entropy, target_loglik_se: h.stderr, gap: -h.entropy - logpx });
    line += ` (the target's -H(p) = ${(-h.entropy).toFixed(4)}: gap ${(-h.entropy - logpx).toFixed(4)} nats)`;
  }
  if (nfe !== undefined) {
    summary.nfe = nfe;
    line += `; ${nfe.toFixed(0)} function evaluations per solve`;
  }
  summary.backend = L.getBackend();
  if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else say(false, line);
}
