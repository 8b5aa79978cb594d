import { Command } from 'commander';
import * as L from '../../src/index.js';
import { densityKind } from '../density-dir.js';
import { UserError } from '../errors.js';
import { evalDensity } from './eval-flow.js';
import { positiveInt, nonNegInt } from '../options.js';
import { progress, say } from '../progress.js';

/** `latent eval <DIR> [--data SPEC] [--iw K] [--json]`: ELBO, IWAE-K bound, log p(x) estimate, in nats (a flow or CNF: its exact log-likelihood, eval-flow.ts). */
export function evalCommand(): Command {
  return new Command('eval')
    .description('score a trained model on held-out data, in nats per example: for a VAE the ELBO, IWAE-k bound and importance-sampled log p(x); for a flow or CNF the test log-likelihood (and bits/dim for images)')
    .argument('<dir>', 'a model directory written by latent train')
    .option('--data <spec>', "data to score (default: the training run's test data, binarized or dequantized as in training)")
    .option('--iw <k>', 'importance samples for the log p(x) estimate (5000 in the IWAE paper)', positiveInt('--iw'), 5000)
    .option('--k <k>', 'samples of the reported IWAE-k bound', positiveInt('--k'), 5)
    .option('--limit <n>', 'score only the first n examples', positiveInt('--limit'))
    .option('--seed <s>', 'seed of the importance samples (and of a static binarization); flows and CNFs: of toy test draws and dequantization (default: the run\'s)', nonNegInt('--seed'), 0)
    .option('--json', 'print one JSON object', false)
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nExamples:\n  latent eval runs/vae --iw 5000 --json\n  latent eval runs/flow-moons --json')
    .action((dir: string, o: { data?: string; iw: number; k: number; limit?: number; seed: number; json: boolean; progress: boolean }, cmd: Command) => {
      const kind = densityKind(dir);
      if (kind) return evalDensity(dir, kind, o, cmd);
      let vae: L.VAE;
      let config: L.ModelDirConfig;
      try {
        ({ vae, config } = L.loadVaeDir(dir));
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const data = config.data ?? {};
      const spec = o.data ?? (data.testData as string | null) ?? (data.spec as string);
      let test: L.Dataset;
      try {
        test = o.data || data.testData ? L.loadTestDataset(spec) : L.loadDataset(spec).test ?? L.loadTestDataset(spec);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const [c, h, w] = vae.config.inputShape;
      if (!test.image || test.image.channels !== c || test.image.height !== h || test.image.width !== w) {
        const got = test.image ? `${test.image.channels}x${test.image.height}x${test.image.width} images` : `examples of shape [${test.itemShape.join(', ')}]`;
        throw new UserError(`${spec}: has ${got} but the model in ${dir} expects ${c}x${h}x${w} images`);
      }
      if (data.binarize !== 'none') test = L.binarizeDataset(test, 'static', new L.Generator(o.seed + 7));
      if (o.limit && o.limit < test.length) test = L.subsetDataset(test, Array.from({ length: o.limit }, (_, i) => i));
      const cond = vae.config.conditionDim ?? 0;
      if (cond && !test.labels) throw new UserError(`eval: ${spec} has no labels, which the conditional model in ${dir} needs`);
      const bar = progress(o.progress && !o.json);
      bar.start(test.length, `scoring (k=${o.iw})`);
      let ev: L.VaeEvaluation;
      try {
        ev = L.evaluateVae(vae, { x: L.flattenImages(test), y: cond ? L.oneHot(test.labels!, cond) : undefined }, {
          rng: new L.Generator(o.seed + 9), k: Math.min(o.k, o.iw), kEval: o.iw, onProgress: (d) => bar.update(d),
        });
      } catch (e) {
        bar.stop();
        throw new UserError((e as Error).message);
      }
      bar.stop();
      const summary = { dir, data: spec, n: ev.n, elbo: ev.elbo, [`iwae_${ev.k}`]: ev.iwae, logpx: ev.logpx, nll: -ev.logpx, k_eval: ev.kEval, kl: ev.kl, active_units: ev.activeUnits, kl_per_dim: ev.klPerDim, backend: L.getBackend() };
      if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else say(false, `${ev.n} examples: ELBO ${ev.elbo.toFixed(2)}, IWAE-${ev.k} ${ev.iwae.toFixed(2)}, log p(x) ${ev.logpx.toFixed(2)} (NLL ${(-ev.logpx).toFixed(2)} nats, k=${ev.kEval}); KL ${ev.kl.toFixed(2)}, ${ev.activeUnits} active units`);
    });
}
