import { Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { intList, nonNegInt, oneOf, positiveInt, positiveNumber } from '../options.js';
import { trainVae, type VaeTrainOptions } from '../train/vae.js';

const MODELS = ['vae', 'iwae', 'cvae', 'm2', 'gmm', 'ppca', 'flow', 'cnf'] as const;

/** `latent train [model]`: the contract's options; each model family's runner lives in cli/train/. */
export function trainCommand(): Command {
  return new Command('train')
    .description('train a model and write a model directory (config.json, model.safetensors, checkpoint/, metrics.jsonl, PNGs)')
    .argument('[model]', `one of ${MODELS.join(', ')}`, 'vae')
    .option('--data <spec>', 'mnist (bundled), fashion-mnist, or a path to IDX(.gz), CSV or NPY', 'mnist')
    .option('--labels <path>', 'labels for an IDX/CSV/NPY dataset')
    .option('--test-data <spec>', "held-out set (default: the dataset's own test split, or 10% of a file)")
    .addOption(new Option('--binarize <mode>', 'dynamic: fresh Bernoulli pixels each batch; static: one fixed draw; none').choices(['dynamic', 'static', 'none']).default('dynamic'))
    .option('--epochs <n>', 'passes over the training data', positiveInt('--epochs'), 20)
    .option('--batch <n>', 'minibatch size', positiveInt('--batch'), 100)
    .option('--lr <lr>', 'Adam learning rate', positiveNumber('--lr'), 1e-3)
    .option('--seed <s>', 'seed of every random choice', nonNegInt('--seed'), 0)
    .option('--latent <z>', 'latent dimensions', positiveInt('--latent'), 20)
    .option('--hidden <sizes>', 'hidden layer sizes (MLP) or channels (conv), comma-separated', intList('--hidden'), [400])
    .addOption(new Option('--activation <name>', 'nonlinearity').choices(['relu', 'tanh', 'softplus']).default('relu'))
    .addOption(new Option('--arch <name>', 'encoder/decoder networks').choices(['mlp', 'conv']).default('mlp'))
    .addOption(new Option('--likelihood <name>', 'p(x | z)').choices(['bernoulli', 'gaussian', 'gaussian-learned']).default('bernoulli'))
    .option('--k <k>', 'importance samples (iwae training; the IWAE-k bound reported)', positiveInt('--k'), 5)
    .option('--beta <b>', 'weight of the KL term (beta-VAE)', positiveNumber('--beta', true), 1)
    .option('--warmup <steps>', 'KL warm-up: beta rises linearly over this many steps', nonNegInt('--warmup'), 0)
    .option('--free-bits <nats>', 'minimum KL per latent dimension (free bits)', positiveNumber('--free-bits', true), 0)
    .option('--capacity <nats>', 'controlled capacity: target KL C (rises to this over --capacity-steps)', positiveNumber('--capacity', true))
    .option('--capacity-steps <n>', 'steps over which C rises', nonNegInt('--capacity-steps'), 10000)
    .option('--gamma <g>', 'weight of |KL - C| in the capacity objective', positiveNumber('--gamma'), 100)
    .option('--eval-k <k>', 'importance samples for the final test log p(x) (5000 in the IWAE paper)', positiveInt('--eval-k'), 1000)
    .option('--clip <norm>', 'clip the gradient norm', positiveNumber('--clip'))
    .option('--out <dir>', 'model directory (default runs/<model>-<time>)')
    .option('--resume', "continue the run in --out from its checkpoint", false)
    .option('--json', 'print one JSON object on stdout at the end', false)
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', `
Examples:
  latent train                                   # VAE 784-400-20 on the bundled digits
  latent train iwae --k 5 --hidden 200,200 --latent 50 --activation tanh
  latent train vae --data fashion-mnist --arch conv --hidden 32,64 --epochs 10
  latent train cvae --out runs/cvae
  latent train vae --out runs/vae --resume --epochs 40`)
    .action((model: string, opts: VaeTrainOptions & { resume: boolean }) => {
      const kind = oneOf('model', MODELS)(model);
      if (opts.resume && !opts.out) throw new UserError('--resume needs --out DIR, the run to continue');
      if (kind === 'vae' || kind === 'iwae' || kind === 'cvae') {
        const summary = trainVae(kind, opts);
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      throw new UserError(`train ${kind}: this model family is not in the command line yet (see the issues); available: vae, iwae, cvae`);
    });
}
