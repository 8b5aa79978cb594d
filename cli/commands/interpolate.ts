import { Command, Option } from 'commander';
import * as L from '../../src/index.js';
import { UserError } from '../errors.js';
import { nonNegInt, positiveInt } from '../options.js';
import { say } from '../progress.js';
import { asImages, checkOutputPath, conditionsFor, heldOutData, openVae, writeOutput } from '../vae-dir.js';

interface InterpolateOptions { data?: string; from: number; to: number; steps: number; method: L.InterpolationMethod; out: string; scale: number }

/** `latent interpolate DIR --from I --to J`: decodings along a path between two images' posterior means. */
export function interpolateCommand(): Command {
  return new Command('interpolate')
    .description('decode a path in latent space between the posterior means of two held-out images; one row: image I, the path, image J (PNG)')
    .argument('<dir>', 'a model directory written by latent train')
    .option('--data <spec>', "images to pick from (default: the training run's held-out split)")
    .option('--from <i>', 'index of the first image', nonNegInt('--from'), 0)
    .option('--to <j>', 'index of the second image', nonNegInt('--to'), 1)
    .option('--steps <n>', 'decodings along the path, endpoints included (>= 2)', positiveInt('--steps'), 10)
    .addOption(new Option('--method <m>', 'linear, or spherical (slerp)').choices(['linear', 'spherical']).default('linear'))
    .option('--out <png>', 'output PNG', 'interpolation.png')
    .option('--scale <k>', 'pixel upscaling', positiveInt('--scale'), 2)
    .addHelpText('after', '\nExamples:\n  latent interpolate runs/vae --from 3 --to 7 --steps 10\n  latent interpolate runs/vae --from 0 --to 1 --method spherical --out slerp.png')
    .action((dir: string, o: InterpolateOptions) => {
      const m = openVae(dir);
      checkOutputPath(o.out, '--out');
      if (o.steps < 2) throw new UserError(`--steps must be at least 2 (the endpoints), got ${o.steps}`);
      const { data, spec } = heldOutData(m, o.data);
      for (const [name, i] of [['--from', o.from], ['--to', o.to]] as const) {
        if (i >= data.length) throw new UserError(`${name} ${i} is out of range: ${spec} has ${data.length} images (indices 0..${data.length - 1})`);
      }
      const pick = L.subsetDataset(data, [o.from, o.to]);
      const x = L.flattenImages(pick);
      const y = conditionsFor(m, pick, spec);
      const [x1, x2] = [L.slice(x, 0, 0, 1), L.slice(x, 0, 1, 2)];
      const path = L.interpolate(m.vae, x1, x2, o.steps, { method: o.method, y1: y && L.slice(y, 0, 0, 1), y2: y && L.slice(y, 0, 1, 2) });
      const row = L.concat([x1, L.reshape(path, [o.steps, m.vae.dataDim]), x2], 0);
      writeOutput(() => L.saveImageGrid(o.out, asImages(m, row), { cols: o.steps + 2, scale: o.scale }));
      say(false, `wrote ${o.out}: image ${o.from}, ${o.steps} decodings along the ${o.method} path, image ${o.to}`);
    });
}
