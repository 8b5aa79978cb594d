import { Command } from 'commander';
import { formatBench, runBench } from '../../bench/run.js';
import { UserError } from '../errors.js';

/** `latent bench [--quick]`: the side-by-side benchmark against PyTorch. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('time GEMM, VAE training and importance-sampled evaluation here and in PyTorch (when python3-torch is installed), side by side')
    .option('--quick', 'fewer repeats and 10 evaluation images', false)
    .option('--images <n>', 'images for the k=5000 log-likelihood evaluation (default 100; 10 with --quick)')
    .option('--only <names>', 'comma-separated workloads: gemm_NN,gemm_TN,gemm_NT,gemm_TT,vae_mlp,iwae_vae_b20,iwae_vae_b100,conv_vae,is_eval')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  latent bench --quick --only gemm_NN,vae_mlp')
    .action((opts: { quick: boolean; images?: string; only?: string; json?: boolean }) => {
      const images = opts.images === undefined ? undefined : Number(opts.images);
      if (images !== undefined && (!Number.isInteger(images) || images < 1)) {
        throw new UserError(`bench: --images must be a positive integer, got ${opts.images}`);
      }
      const { rows, torchNote } = runBench({ quick: opts.quick, images, only: opts.only?.split(','), json: opts.json });
      process.stdout.write((opts.json ? JSON.stringify({ rows, torchNote }) : formatBench(rows, torchNote)) + '\n');
    });
}
