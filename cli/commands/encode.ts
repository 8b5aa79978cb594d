import { Command } from 'commander';
import * as L from '../../src/index.js';
import { UserError } from '../errors.js';
import { positiveInt } from '../options.js';
import { say } from '../progress.js';
import { checkOutputPath, conditionsFor, firstExamples, heldOutData, openVae, writeOutput } from '../vae-dir.js';

interface EncodeOptions { data?: string; limit?: number; out: string; map: string | false; size: number; pointSize: number; json: boolean }

/** `latent encode DIR`: posterior means as CSV (index, label, mu_1..mu_L) and a 2-D latent map coloured by label. */
export function encodeCommand(): Command {
  return new Command('encode')
    .description('encode held-out images: a CSV of posterior means with labels, and a PNG map of them in 2-D (the latent itself when it is 2-D, else the top two principal components), coloured by label')
    .argument('<dir>', 'a model directory written by latent train')
    .option('--data <spec>', "images to encode (default: the training run's held-out split, binarized as in training)")
    .option('--limit <n>', 'encode only the first n images', positiveInt('--limit'))
    .option('--out <csv>', 'output CSV', 'latents.csv')
    .option('--map <png>', 'output PNG of the 2-D latent map', 'latent-map.png')
    .option('--no-map', 'write only the CSV')
    .option('--size <px>', 'side of the map in pixels', positiveInt('--size'), 480)
    .option('--point-size <px>', 'side of each point in pixels', positiveInt('--point-size'), 3)
    .option('--json', 'print one JSON object describing the outputs', false)
    .addHelpText('after', '\nExamples:\n  latent encode runs/vae --out latents.csv --map map.png\n  latent encode runs/vae --data fashion-mnist --limit 1000 --no-map')
    .action((dir: string, o: EncodeOptions) => {
      const m = openVae(dir);
      checkOutputPath(o.out, '--out');
      if (o.map !== false) checkOutputPath(o.map, '--map');
      if (o.size < 40) throw new UserError(`--size must be at least 40 pixels, got ${o.size}`);
      const { data, spec } = heldOutData(m, o.data);
      const part = firstExamples(data, o.limit ?? data.length);
      const map = L.latentMap(m.vae, L.flattenImages(part), { y: conditionsFor(m, part, spec) });
      const l = m.vae.config.latent;
      const lines = [['index', 'label', ...Array.from({ length: l }, (_, j) => `mu_${j + 1}`)].join(',')];
      for (let i = 0; i < part.length; i++) {
        const mu = Array.from(map.means.subarray(i * l, (i + 1) * l), (v) => String(Math.fround(v)));
        lines.push([String(i), part.labels ? String(part.labels[i]) : '', ...mu].join(','));
      }
      const image = o.map !== false ? L.plotLatentMap(map.points, part.labels, { size: o.size, pointSize: o.pointSize, numClasses: part.numClasses ?? undefined }) : null;
      writeOutput(() => L.writeFileAtomic(o.out, new TextEncoder().encode(lines.join('\n') + '\n'), 'CSV'));
      if (image && o.map !== false) {
        const path = o.map;
        writeOutput(() => L.savePng(path, image));
      }
      const how = map.method === 'pca'
        ? `the top two principal components of the ${l}-D means (${((100 * (map.explainedVariance![0] + map.explainedVariance![1])) / map.totalVariance!).toFixed(1)}% of their variance)`
        : map.method === 'identity' ? 'the two latent dimensions' : 'the single latent dimension (second axis 0)';
      if (o.json) {
        process.stdout.write(JSON.stringify({ dir, data: spec, n: part.length, latent: l, csv: o.out, map: o.map === false ? null : o.map, projection: map.method, explained_variance: map.explainedVariance ?? null, total_variance: map.totalVariance ?? null }) + '\n');
        return;
      }
      say(false, `wrote ${o.out}: posterior means of ${part.length} images of ${spec} (${l} dimensions${part.labels ? ', with labels' : ''})`);
      if (o.map !== false) say(false, `wrote ${o.map}: latent map on ${how}`);
    });
}
