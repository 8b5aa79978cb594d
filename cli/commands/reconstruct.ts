import { Command } from 'commander';
import * as L from '../../src/index.js';
import { positiveInt } from '../options.js';
import { say } from '../progress.js';
import { asImages, checkOutputPath, conditionsFor, firstExamples, heldOutData, openVae, writeOutput } from '../vae-dir.js';

interface ReconstructOptions { data?: string; n: number; out: string; cols: number; scale: number }

/** `latent reconstruct DIR`: held-out images and their reconstructions (decoder mean at the posterior mean), row by row. */
export function reconstructCommand(): Command {
  return new Command('reconstruct')
    .description('encode held-out images and decode their posterior means: rows of originals, each followed by its reconstructions (PNG)')
    .argument('<dir>', 'a model directory written by latent train')
    .option('--data <spec>', "images to reconstruct (default: the training run's held-out split, binarized as in training)")
    .option('--n <n>', 'number of images (the first n)', positiveInt('--n'), 32)
    .option('--out <png>', 'output PNG', 'reconstructions.png')
    .option('--cols <n>', 'images per row', positiveInt('--cols'), 8)
    .option('--scale <k>', 'pixel upscaling', positiveInt('--scale'), 2)
    .addHelpText('after', '\nExamples:\n  latent reconstruct runs/vae --n 32 --out reconstructions.png\n  latent reconstruct runs/vae --data fashion-mnist --n 16')
    .action((dir: string, o: ReconstructOptions) => {
      const m = openVae(dir);
      checkOutputPath(o.out, '--out');
      const { data, spec } = heldOutData(m, o.data);
      const part = firstExamples(data, o.n);
      const x = L.flattenImages(part);
      const recon = m.vae.reconstruct(x, conditionsFor(m, part, spec));
      const cols = Math.min(o.cols, part.length);
      // Rows alternate: `cols` originals, then their reconstructions.
      const rows: L.Tensor[] = [];
      for (let s = 0; s < part.length; s += cols) {
        const e = Math.min(part.length, s + cols);
        rows.push(L.slice(x, 0, s, e), L.slice(recon, 0, s, e));
      }
      writeOutput(() => L.saveImageGrid(o.out, asImages(m, L.concat(rows, 0)), { cols, scale: o.scale }));
      say(false, `wrote ${o.out}: ${part.length} images of ${spec} (rows: originals, then reconstructions)`);
    });
}
