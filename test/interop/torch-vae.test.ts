// PyTorch interop of model directories, both ways.
//  - A VAE trained in PyTorch and saved as safetensors + config.json
//    (test/fixtures/interop, by scripts/interop/make_torch_vae_fixture.py) loads
//    here with loadVaeDir and gives PyTorch's outputs on the recorded inputs.
//  - A model directory written here loads in PyTorch with
//    scripts/interop/torch_load_model_dir.py and gives our outputs (runs only
//    where torch is installed; CI has numpy but not torch, so it skips there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../../src/index.js';
import { assertClose } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/interop/', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../scripts/interop/torch_load_model_dir.py', import.meta.url));

interface Outputs { mu: number[][]; logvar: number[][]; recon: number[][]; loglik: number[]; decoded?: number[][] }
interface Fixture { torch: string; inputs: number[][]; z: number[][]; models: Record<string, Outputs> }

const fixture = JSON.parse(readFileSync(join(FIXTURES, 'torch-vae-outputs.json'), 'utf8')) as Fixture;

/** Our outputs for the recorded inputs and latents (first `rows` rows of the pixel means). */
function ours(vae: L.VAE, inputs: number[][], z: number[][] | null, rows: number): Outputs {
  return L.noGrad(() => {
    const x = L.tensor(inputs);
    const q = vae.posterior(x);
    const recon = vae.mean(q.mu);
    const out: Outputs = {
      mu: q.mu.toArray() as number[][],
      logvar: q.logvar.toArray() as number[][],
      recon: (L.slice(recon, 0, 0, rows).toArray() as number[][]),
      loglik: vae.logLikelihood(x, q.mu).toArray() as number[],
    };
    if (z) out.decoded = vae.mean(L.slice(L.tensor(z), 0, 0, rows)).toArray() as number[][];
    return out;
  });
}

// Tolerances: both sides compute in float32, in different orders (PyTorch's
// GEMM and convolutions blocks its sums one way, ours another), so values
// differ by float32 rounding of sums of up to 784 terms: about 1e-6 relative
// for mu and logvar (|values| < 10); pixel means are in [0, 1] and recorded to
// 7 decimals; log p(x | z) sums 784 per-pixel terms to a few hundred nats,
// where one float32 ulp is 1.5e-5 to 3e-5. Measured on the fixture (both
// backends): mu 2e-6, logvar 8e-7, pixels 1.2e-7, log p(x | z) 3e-5.
const ATOL = { latent: 2e-5, pixel: 1e-6, loglik: 5e-4 };

for (const name of ['torch-vae-mlp', 'torch-vae-conv']) {
  test(`a VAE trained in PyTorch (${name}) loads with loadVaeDir and gives PyTorch's outputs`, () => {
    const { vae, config } = L.loadVaeDir(join(FIXTURES, name));
    assert.equal(config.kind, 'vae');
    const want = fixture.models[name];
    const got = ours(vae, fixture.inputs, fixture.z, 3);
    assertClose(got.mu.flat(), want.mu.flat(), ATOL.latent, 1e-5, `${name} mu`);
    assertClose(got.logvar.flat(), want.logvar.flat(), ATOL.latent, 1e-5, `${name} logvar`);
    assertClose(got.recon.flat(), want.recon.flat(), ATOL.pixel, 0, `${name} recon`);
    assertClose(got.decoded!.flat(), want.decoded!.flat(), ATOL.pixel, 0, `${name} decoded`);
    assertClose(got.loglik, want.loglik, ATOL.loglik, 1e-5, `${name} log p(x | z)`);
    // Trained, not random: the reconstructions are closer to the inputs than the all-0.5 image is (log 0.5 * 784 = -543).
    for (const ll of got.loglik) assert.ok(ll > -400, `log p(x | mu) ${ll}`);
  });
}

function torchPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

const PY = torchPython();
const NO_TORCH = PY ? false : 'no python3 with torch and numpy (Debian: python3-torch); the committed fixture above covers the other direction';

const OUR_MODELS: Record<string, L.VaeConfig> = {
  'mlp, softplus, learned Gaussian variance, mask input': { inputShape: [1, 28, 28], latent: 5, hidden: [48, 24], activation: 'softplus', architecture: 'mlp', likelihood: 'gaussian-learned', maskInput: true },
  'conv, elu, Bernoulli': { inputShape: [1, 28, 28], latent: 3, hidden: [4, 8], activation: 'elu', architecture: 'conv', likelihood: 'bernoulli' },
};

for (const [label, cfg] of Object.entries(OUR_MODELS)) {
  test(`a model directory written here loads in PyTorch with the example script (${label})`, { skip: NO_TORCH }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'latent-interop-'));
    const rng = new L.Generator(11);
    const vae = new L.VAE(cfg, rng);
    // Random weights would do for the layout; shift logSigma too, so that the learned variance is not all ones.
    if (vae.logSigma) vae.logSigma.data.set(L.mul(L.randn([784], rng), 0.1).data);
    vae.eval();
    L.writeModelConfig(dir, { format: 'latent-model', version: 1, kind: 'vae', model: cfg as unknown as Record<string, unknown> });
    L.saveModelWeights(dir, vae, 'vae');
    const inputs = fixture.inputs.slice(0, 5);
    const z = (L.randn([3, cfg.latent], rng).toArray() as number[][]);
    writeFileSync(join(dir, 'x.json'), JSON.stringify(inputs));
    writeFileSync(join(dir, 'z.json'), JSON.stringify(z));
    const r = spawnSync(PY!, [SCRIPT, dir, '--inputs', join(dir, 'x.json'), '--z', join(dir, 'z.json'), '--json', join(dir, 'out.json')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /parameters loaded into torch/);
    const theirs = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Outputs;
    const got = ours(vae, inputs, z, 5);
    assertClose(got.mu.flat(), theirs.mu.flat(), ATOL.latent, 1e-5, 'mu');
    assertClose(got.logvar.flat(), theirs.logvar.flat(), ATOL.latent, 1e-5, 'logvar');
    // Gaussian means are not confined to [0, 1]; scale the tolerance by 10 for them.
    assertClose(got.recon.flat(), theirs.recon.flat(), 10 * ATOL.pixel, 1e-5, 'recon');
    assertClose(got.decoded!.flat(), theirs.decoded!.flat(), 10 * ATOL.pixel, 1e-5, 'decoded');
    assertClose(got.loglik, theirs.loglik, ATOL.loglik, 1e-5, 'log p(x | z)');
  });
}

test('torch_load_model_dir.py refuses a directory that is not a latent model directory', { skip: NO_TORCH }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'latent-interop-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ format: 'something-else' }));
  const r = spawnSync(PY!, [SCRIPT, dir], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a latent model config/);
});
