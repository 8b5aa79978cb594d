import { Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { intList, nonNegInt, oneOf, positiveInt, positiveNumber } from '../options.js';
import { trainVae, type VaeTrainOptions } from '../train/vae.js';
import { trainGmm, trainPpca, type ClassicalOptions } from '../train/classical.js';
import { trainFlowCli } from '../train/flow.js';
import { trainCnfCli } from '../train/cnf.js';
import { trainM2Cli, type M2TrainOptions } from '../train/m2.js';

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
    .option('--mask <spec>', 'train on masked images, masks drawn per batch: top, bottom, left, right, random:P, block:S, rect:A-B, quadrants:0,1, random-half')
    .addOption(new Option('--mask-loss <which>', 'with --mask: observed = likelihood on observed pixels only (partially observed data); all = every pixel (denoising)').choices(['observed', 'all']).default('observed'))
    .option('--mask-input', 'the encoder also sees the mask as extra input channels (saved as maskInput in config.json)', false)
    .addOption(new Option('--posterior <q>', 'vae/iwae/cvae: q(z | x) is a diagonal Gaussian, or one followed by a planar (Rezende & Mohamed 2015) or IAF (Kingma et al. 2016) flow').choices(['gaussian', 'planar', 'iaf']).default('gaussian'))
    .option('--posterior-layers <k>', 'flow layers of a planar or IAF posterior (default 4)', positiveInt('--posterior-layers'))
    .option('--posterior-hidden <n>', 'MADE width of an IAF posterior (default 4 x latent)', positiveInt('--posterior-hidden'))
    .option('--labeled <n>', 'm2: training examples that keep their labels, the same number per class (e.g. 100)', positiveInt('--labeled'))
    .option('--alpha <a>', 'm2: weight of the labeled cross-entropy (default 0.1 N, Kingma et al. 2014; 5 N does better in short runs, see BENCHMARKS.md)', positiveNumber('--alpha', true))
    .option('--classifier-hidden <sizes>', "m2: hidden sizes of q(y | x) (default: --hidden)", intList('--classifier-hidden'))
    .option('--labeled-batch <n>', 'm2: labeled examples per step (default: min(--batch, --labeled))', positiveInt('--labeled-batch'))
    .addOption(new Option('--covariance <type>', 'gmm: covariance of each component').choices(['full', 'tied', 'diag', 'spherical']).default('full'))
    .option('--max-iter <n>', 'gmm: EM iterations at most', positiveInt('--max-iter'), 100)
    .option('--tol <t>', 'gmm: stop when the lower bound gains less than this per point', positiveNumber('--tol'), 1e-3)
    .option('--reg-covar <r>', 'gmm: added to covariance diagonals', positiveNumber('--reg-covar', true), 1e-6)
    .option('--n-init <n>', 'gmm: initializations, the best kept', positiveInt('--n-init'), 1)
    .addOption(new Option('--init <method>', 'gmm: initialization').choices(['kmeans', 'k-means++', 'random', 'random_from_data']).default('kmeans'))
    .option('--bayesian', 'gmm: variational Bayes with a Dirichlet-process prior (unused components fade)', false)
    .option('--pca <dims>', "gmm: project on this many principal axes first ('auto': 50 for full covariances of > 100 features, 0: off)", 'auto')
    .option('--flow <kind>', 'flow: realnvp (affine couplings, batch norm between), glow (ActNorm, LU 1x1 mixing, coupling), maf (MADE layers, batch norm between) or spline (rational-quadratic spline couplings); --data also takes the toy densities two-moons, rings, eight-gaussians, checkerboard', 'realnvp')
    .option('--layers <n>', 'flow: coupling layers (realnvp, spline) or steps (glow)', positiveInt('--layers'), 8)
    .option('--levels <l>', 'flow realnvp|glow|spline on images with --arch conv: the multi-scale architecture with l levels (squeeze, --layers steps, factor out half the channels); H and W divisible by 2^l', positiveInt('--levels'))
    .option('--lr-schedule <s>', "flow: the learning rate, constant or cosine (decays to lr/100 over the run's steps)", oneOf('--lr-schedule', ['constant', 'cosine']))
    .option('--bins <k>', 'flow spline: bins of each spline (default 8)', positiveInt('--bins'))
    .option('--tail-bound <b>', 'flow spline: the splines cover [-b, b], the identity outside (default 5; 15 for flat logit pixels)', positiveNumber('--tail-bound'))
    .option('--solver <name>', 'cnf: ODE solver, dopri5 (adaptive), rk4 or euler (fixed steps of --step-size)', oneOf('--solver', ['dopri5', 'rk4', 'euler']))
    .option('--rtol <r>', 'cnf: dopri5 relative tolerance (default 1e-3)', positiveNumber('--rtol'))
    .option('--atol <a>', 'cnf: dopri5 absolute tolerance (default 1e-3)', positiveNumber('--atol'))
    .option('--step-size <h>', 'cnf: step of rk4/euler (default 0.05)', positiveNumber('--step-size'))
    .option('--trace <how>', "cnf: divergence, exact (D Jacobian-vector products; default) or hutchinson (one, noise fixed per solve)", oneOf('--trace', ['exact', 'hutchinson']))
    .option('--noise <kind>', "cnf: Hutchinson's noise, rademacher (default) or gaussian", oneOf('--noise', ['rademacher', 'gaussian']))
    .option('--adjoint', 'cnf: gradients by the adjoint method (memory independent of the solver steps)', false)
    .option('--t1 <T>', 'cnf: integration time (default 0.5)', positiveNumber('--t1'))
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
  latent train gmm --k 10                        # Gaussian mixture on the digits: cluster purity, means.png
  latent train ppca --latent 20                  # probabilistic PCA: test log-likelihood, components.png
  latent train m2 --labeled 100 --data fashion-mnist   # semi-supervised, against a labels-only classifier
  latent train vae --mask top --mask-input       # MNIST with the top half missing
  latent train vae --posterior iaf --posterior-layers 4   # an IAF flow after the Gaussian q(z | x)
  latent train vae --out runs/vae --resume --epochs 40
  latent train flow --data two-moons --epochs 20    # RealNVP on a toy density: test log-likelihood vs -H(p), density.png
  latent train flow --data mnist --layers 6 --hidden 256,256   # dequantized digits: bits/dim, samples.png
  latent train flow --data points.csv --flow glow   # any 2-D points (CSV/NPY): data histogram | learned density
  latent train flow --data rings --flow spline --bins 16 --lr-schedule cosine   # rational-quadratic spline couplings
  latent train cnf --data two-moons --epochs 10  # FFJORD-style CNF: test log-likelihood vs -H(p), density.png
  latent train cnf --data points.csv --trace hutchinson --adjoint --solver dopri5 --rtol 1e-5 --atol 1e-5`)
    .action((model: string, opts: VaeTrainOptions & { resume: boolean }, cmd: Command) => {
      const kind = oneOf('model', MODELS)(model);
      if (opts.resume && !opts.out) throw new UserError('--resume needs --out DIR, the run to continue');
      const flowOnly = ['lrSchedule', 'bins', 'tailBound', 'levels'].find((n) => cmd.getOptionValueSource(n) === 'cli');
      if (flowOnly && kind !== 'flow') throw new UserError(`--${flowOnly.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} applies to latent train flow, not ${kind}`);
      if (kind === 'm2') {
        const summary = trainM2Cli(opts as unknown as M2TrainOptions, (name) => cmd.getOptionValueSource(name) === 'cli');
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      if (kind === 'vae' || kind === 'iwae' || kind === 'cvae') {
        const summary = trainVae(kind, opts);
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      if (kind === 'gmm' || kind === 'ppca') {
        const pca = String((opts as unknown as { pca: string }).pca);
        if (pca !== 'auto' && !/^\d+$/.test(pca)) throw new UserError(`--pca must be 'auto' or a non-negative integer, got '${pca}'`);
        const o = {
          ...(opts as unknown as ClassicalOptions), pca: pca === 'auto' ? 'auto' : Number(pca),
          // --k is the number of components for a mixture; its default there is 10.
          components: cmd.getOptionValueSource('k') === 'cli' ? opts.k : 10,
        } as ClassicalOptions;
        const summary = kind === 'gmm' ? trainGmm(o) : trainPpca(o);
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      if (kind === 'flow' || kind === 'cnf') {
        const fromCli = (name: string) => cmd.getOptionValueSource(name) === 'cli';
        const summary = kind === 'flow' ? trainFlowCli(opts as unknown as Record<string, unknown>, fromCli) : trainCnfCli(opts as unknown as Record<string, unknown>, fromCli);
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      throw new UserError(`train ${kind}: this model family is not in the command line yet (see the issues); available: vae, iwae, cvae, m2`);
    });
}
