#!/usr/bin/env python3
"""Load a latent model directory in PyTorch and run it.

  python3 scripts/interop/torch_load_model_dir.py runs/vae-<time>
  python3 scripts/interop/torch_load_model_dir.py DIR --inputs x.json --json out.json

Reads DIR/config.json and DIR/model.safetensors (with numpy; the
`safetensors` package is not needed) into an equivalent torch.nn VAE
(latent_torch.LatentVAE: the same parameter names and layouts), then encodes
a batch of images and decodes it:

  --inputs FILE  a JSON array of images, each a flat list of C*H*W values in
                 [0, 1] (default: 8 random binary images, torch seed 0)
  --z FILE       a JSON array of latent vectors to decode as well
  --json OUT     write {"mu", "logvar", "recon", "loglik", "decoded"} (lists)
                 for comparison with latent (test/interop/torch-load.test.ts)

Prints the model, the posterior means of the inputs and log p(x | z = mu).
Needs torch (Debian: python3-torch) and numpy.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latent_torch import load_model_dir  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="a model directory written by latent train vae|iwae|cvae")
    ap.add_argument("--inputs", help="JSON array of flat images in [0, 1]")
    ap.add_argument("--z", help="JSON array of latent vectors to decode")
    ap.add_argument("--json", help="write the outputs here as JSON")
    a = ap.parse_args()
    try:
        model, config = load_model_dir(a.dir)
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        sys.exit(f"torch_load_model_dir: {e}")
    if model.cfg.get("conditionDim"):
        sys.exit("torch_load_model_dir: conditional models need labels; this example runs unconditional ones")
    if a.inputs:
        with open(a.inputs) as f:
            x = torch.tensor(json.load(f), dtype=torch.float32)
    else:
        torch.manual_seed(0)
        x = torch.bernoulli(torch.full((8, model.data_dim), 0.2))
    if x.ndim != 2 or x.shape[1] != model.data_dim:
        sys.exit(f"torch_load_model_dir: --inputs must hold images of {model.data_dim} values, got shape {list(x.shape)}")
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        recon = model.mean(mu)
        loglik = model.log_likelihood(x, mu)
        out = {"mu": mu.tolist(), "logvar": logvar.tolist(), "recon": recon.tolist(), "loglik": loglik.tolist()}
        if a.z:
            with open(a.z) as f:
                z = torch.tensor(json.load(f), dtype=torch.float32)
            out["decoded"] = model.mean(z).tolist()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{a.dir}: {config['kind']} {model.cfg['architecture']} {model.cfg['hidden']} latent {model.cfg['latent']}, "
          f"{model.cfg['likelihood']} decoder, {n_params} parameters loaded into torch {torch.__version__}")
    for i in range(min(4, x.shape[0])):
        print(f"  image {i}: mu = {[round(v, 3) for v in mu[i].tolist()[:6]]}{' ...' if mu.shape[1] > 6 else ''}, "
              f"log p(x | z = mu) = {loglik[i].item():.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
