import { Command, Option } from 'commander';
import * as L from '../../src/index.js';
import { UserError } from '../errors.js';
import { nonNegInt, positiveInt } from '../options.js';
import { say } from '../progress.js';
import { asImages, checkOutputPath, conditionsFor, firstExamples, heldOutData, openVae, writeOutput } from '../vae-dir.js';

interface InpaintCliOptions {
  data?: string; mask: string; n: number; method: L.InpaintMethod; iterations: number; proposal?: 'completed' | 'observed'; isProposal: 'mixture' | 'observed'; k: number; seed: number;
  out: string; cols: number; scale: number; json: boolean;
}

/** `latent inpaint DIR --mask top`: hide pixels of held-out images, fill them in, score the fill in nats. */
export function inpaintCommand(): Command {
  return new Command('inpaint')
    .description('hide pixels of held-out images and fill them in from the rest; writes originals / masked inputs (missing in red) / completions as PNG rows and reports -log p(x_miss | x_obs) in nats')
    .argument('<dir>', 'a model directory written by latent train')
    .option('--data <spec>', "images to inpaint (default: the training run's held-out split, binarized as in training)")
    .option('--mask <spec>', `missing pixels: ${L.MASK_SPEC_SYNTAX}`, 'top')
    .option('--n <n>', 'number of images (the first n)', positiveInt('--n'), 16)
    .addOption(new Option('--method <m>', 'mean: decode the posterior mean once; pseudo-gibbs (Rezende et al. 2014); metropolis-gibbs (Mattei & Frellsen 2018, exact)').choices([...L.INPAINT_METHODS]).default('metropolis-gibbs'))
    .option('--iterations <n>', 'steps of the iterative methods', positiveInt('--iterations'), 100)
    .addOption(new Option('--proposal <q>', "what the chain's encoder sees: completed image or observed pixels (default: observed for a model trained with --mask, else completed)").choices(['completed', 'observed']))
    .option('--k <k>', 'importance samples for the conditional log-likelihood', positiveInt('--k'), 1000)
    .addOption(new Option('--is-proposal <q>', 'importance distribution of the scores: mixture = (q(z | x_obs) + q(z | x)) / 2, which uses the hidden pixels (evaluation only), or observed = q(z | x_obs) alone').choices(['mixture', 'observed']).default('mixture'))
    .option('--seed <s>', 'seed of random masks, the chain and the importance samples', nonNegInt('--seed'), 0)
    .option('--out <png>', 'output PNG', 'inpainting.png')
    .option('--cols <n>', 'images per row', positiveInt('--cols'), 8)
    .option('--scale <k>', 'pixel upscaling', positiveInt('--scale'), 2)
    .option('--json', 'print one JSON object with the scores', false)
    .addHelpText('after', '\nExamples:\n  latent inpaint runs/vae --mask top --n 16 --iterations 200\n  latent inpaint runs/vae --mask random:0.5 --method mean --json\n  latent inpaint runs/vae --mask block:14 --out blocks.png')
    .action((dir: string, o: InpaintCliOptions) => {
      if (o.isProposal === 'mixture' && o.k % 2 !== 0) throw new UserError(`--k must be even with --is-proposal mixture (half the draws from each component), got ${o.k}`);
      let spec: L.MaskSpec;
      try {
        spec = L.parseMaskSpec(o.mask);
      } catch (e) {
        throw new UserError(`--mask: ${(e as Error).message}`);
      }
      const m = openVae(dir);
      checkOutputPath(o.out, '--out');
      const { data, spec: dataSpec } = heldOutData(m, o.data);
      const part = firstExamples(data, o.n);
      const x = L.flattenImages(part);
      const y = conditionsFor(m, part, dataSpec);
      const rng = new L.Generator(o.seed);
      let mask: L.Tensor;
      try {
        mask = L.makeMask(spec, part.length, m.vae.config.inputShape, rng);
      } catch (e) {
        throw new UserError(`--mask ${o.mask}: ${(e as Error).message}`);
      }
      // An encoder trained only on masked images has never seen a complete one: propose from q(z | x_obs).
      const proposal = o.proposal ?? ((m.config.training ?? {}).mask ? 'observed' : 'completed');
      const filled = L.inpaint(m.vae, x, mask, { rng, method: o.method, iterations: o.iterations, proposal, y });
      const ll = L.conditionalLogLikelihood(m.vae, x, mask, { rng, k: o.k, y, proposal: o.isProposal });
      const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
      let missing = 0;
      for (const v of mask.data) if (v === 0) missing++;
      // The masked input shows missing pixels as NaN, which the image grid draws in red.
      const shown = L.tensor(Float32Array.from(x.data, (v, i) => (mask.data[i] === 0 ? NaN : v)), { shape: x.shape });
      const cols = Math.min(o.cols, part.length);
      const rows: L.Tensor[] = [];
      for (let s = 0; s < part.length; s += cols) {
        const e = Math.min(part.length, s + cols);
        rows.push(L.slice(x, 0, s, e), L.slice(shown, 0, s, e), L.slice(filled.completed, 0, s, e));
      }
      writeOutput(() => L.saveImageGrid(o.out, asImages(m, L.concat(rows, 0)), { cols, scale: o.scale }));
      const iterative = o.method !== 'mean';
      const summary = {
        dir, data: dataSpec, n: part.length, mask: L.formatMaskSpec(spec), method: o.method, iterations: iterative ? o.iterations : 0, proposal: iterative ? proposal : null, k: o.k, is_proposal: o.isProposal,
        missing_pixels: missing / part.length,
        conditional_nll: -mean(ll.logConditional), observed_nll: -mean(ll.logObserved), joint_nll: -mean(ll.logJoint),
        mse_missing: L.missingPixelMse(x, filled.completed, mask),
        acceptance: filled.acceptance ? mean(filled.acceptance) : null,
        conditional_nll_per_image: Array.from(ll.logConditional, (v) => -v),
        out: o.out,
      };
      if (o.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      say(false, `${part.length} images of ${dataSpec}, mask ${summary.mask} (${summary.missing_pixels.toFixed(1)} missing pixels each):`);
      say(false, `  -log p(x_miss | x_obs) ${summary.conditional_nll.toFixed(2)} nats, -log p(x_obs) ${summary.observed_nll.toFixed(2)} nats (importance sampling, k=${o.k}, ${o.isProposal === 'mixture' ? 'proposal (q(z | x_obs) + q(z | x)) / 2' : 'proposal q(z | x_obs)'})`);
      say(false, `  ${o.method}${iterative ? ` (${o.iterations} iterations${summary.acceptance !== null ? `, acceptance ${summary.acceptance.toFixed(2)}` : ''})` : ''}: MSE on missing pixels ${summary.mse_missing.toFixed(4)}`);
      say(false, `wrote ${o.out} (rows: originals, masked inputs with missing pixels in red, completions)`);
    });
}
