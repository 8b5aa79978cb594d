import { Command } from 'commander';
import * as L from '../../src/index.js';
import { densityKind } from '../density-dir.js';
import { UserError } from '../errors.js';
import { nonNegInt, positiveInt, positiveNumber } from '../options.js';
import { say } from '../progress.js';
import { asImages, checkOutputPath, openVae, writeOutput } from '../vae-dir.js';
import { sampleDensity } from './sample-flow.js';

interface SampleOptions { n: number; seed: number; out: string; label?: number; cols: number; scale: number; grid?: number; radius: number }

/** `latent sample DIR`: decoder means of z ~ p(z), or of a regular grid over a 2-D latent space, as a PNG grid (a flow or CNF: its draws, sample-flow.ts). */
export function sampleCommand(): Command {
  return new Command('sample')
    .description('draw z from the prior and write the decoder means as a PNG grid (or, with --grid, decode a regular grid over a 2-D latent space); for a flow or CNF: an image grid of its draws, or for 2-D points their histogram next to the model density (--out FILE.csv: the draws as rows)')
    .argument('<dir>', 'a model directory written by latent train')
    .option('--n <n>', 'number of samples (2-D flows and CNFs: 2000 unless given)', positiveInt('--n'), 64)
    .option('--seed <s>', 'seed of the draws', nonNegInt('--seed'), 0)
    .option('--out <png>', 'output PNG', 'samples.png')
    .option('--label <y>', 'class to generate (conditional models; default: classes in turn)', nonNegInt('--label'))
    .option('--cols <n>', 'images per row of the grid', positiveInt('--cols'), 8)
    .option('--scale <k>', 'pixel upscaling', positiveInt('--scale'), 2)
    .option('--grid <n>', 'instead of samples: decode an n x n grid over [-radius, radius]^2 (latent = 2 only)', positiveInt('--grid'))
    .option('--radius <r>', 'half-width of the --grid', positiveNumber('--radius'), 2)
    .addHelpText('after', '\nExamples:\n  latent sample runs/vae --n 64 --seed 1 --out samples.png\n  latent sample runs/cvae --label 3 --out threes.png\n  latent sample runs/vae2d --grid 15 --out manifold.png\n  latent sample runs/flow-moons --out moons.png')
    .action((dir: string, o: SampleOptions, cmd: Command) => {
      const kind = densityKind(dir);
      if (kind) return sampleDensity(dir, kind, o, cmd);
      const m = openVae(dir);
      checkOutputPath(o.out, '--out');
      if (o.label !== undefined && !m.cond) throw new UserError(`--label applies to a conditional model (latent train cvae); ${dir} holds an unconditional '${m.config.kind}' model`);
      if (o.label !== undefined && o.label >= m.cond) throw new UserError(`--label ${o.label} is out of range: the model in ${dir} has classes 0..${m.cond - 1}`);
      if (o.grid !== undefined) {
        if (m.vae.config.latent !== 2) throw new UserError(`--grid needs a model with a 2-D latent space; ${dir} has latent = ${m.vae.config.latent} (use latent encode for a map)`);
        if (o.grid < 2) throw new UserError(`--grid must be at least 2, got ${o.grid}`);
        const y = m.cond ? L.oneHot([o.label ?? 0], m.cond) : undefined;
        const cells = L.latentGrid(m.vae, { n: o.grid, radius: o.radius, y });
        writeOutput(() => L.saveImageGrid(o.out, asImages(m, cells), { cols: o.grid, scale: o.scale }));
        say(false, `wrote ${o.out}: a ${o.grid} x ${o.grid} grid over [-${o.radius}, ${o.radius}]^2 of the latent space`);
        return;
      }
      const y = m.cond ? L.oneHot(Array.from({ length: o.n }, (_, i) => o.label ?? i % m.cond), m.cond) : undefined;
      const means = m.vae.sampleMeans(o.n, new L.Generator(o.seed), y);
      writeOutput(() => L.saveImageGrid(o.out, asImages(m, means), { cols: Math.min(o.cols, o.n), scale: o.scale }));
      say(false, `wrote ${o.out}: ${o.n} samples (decoder means of z ~ N(0, I), seed ${o.seed})`);
    });
}
