"""latent's model directories in PyTorch: the VAE of a `config.json` as a
torch.nn.Module with the same parameter names and layouts, and safetensors
read and written with numpy and struct only (the `safetensors` package is not
needed; format: https://github.com/huggingface/safetensors, README "Format").

A model directory (what `latent train vae|iwae|cvae` writes) holds
  config.json        {"format": "latent-model", "version": 1, "kind": "vae",
                      "model": {"inputShape": [C, H, W], "latent": L,
                                "hidden": [...], "activation": "relu",
                                "architecture": "mlp" | "conv",
                                "likelihood": "bernoulli" | "gaussian" | "gaussian-learned",
                                "sigma"?, "conditionDim"?, "maskInput"?}, ...}
  model.safetensors  the state dict, PyTorch names: encoder.0.weight [out, in], ...

The networks mirror src/models/vae/vae.ts:
  mlp:  encoder = Linear(D [+D mask] + cond, h1), act, ..., Linear(.., hk), act
        muHead, logvarHead = Linear(hk, L)
        decoder = Linear(L + cond, hk), act, ..., Linear(h1, D)
  conv: encoder = [Conv2d(c, h, 4, stride 2, padding 1), act] per hidden size, Flatten
        muHead, logvarHead = Linear(features + cond, L)
        decoder = Linear(L + cond, features), act, Unflatten, then
                  [ConvTranspose2d(h_i, h_{i-1} or C, 4, stride 2, padding 1), act
                  except after the last], Flatten
Used by torch_load_model_dir.py and make_torch_vae_fixture.py; torch 1.13+.
"""
import json
import os
import struct

import numpy as np
import torch
from torch import nn

NUMPY_DTYPE = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def read_safetensors(path):
    """Returns ({name: numpy array}, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in NUMPY_DTYPE:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, which this reader does not handle")
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[base + begin:base + end], dtype=NUMPY_DTYPE[info["dtype"]])
        tensors[name] = arr.reshape(info["shape"]).copy()
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: array} as float32 safetensors, names sorted, header padded to 8 bytes."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(np.asarray(tensors[name], dtype="<f4"))
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def activation(name):
    """latent's activation names as torch modules (same defaults: LeakyReLU 0.01, ELU 1, Softplus beta 1)."""
    table = {"relu": nn.ReLU, "tanh": nn.Tanh, "softplus": nn.Softplus, "sigmoid": nn.Sigmoid,
             "leakyRelu": lambda: nn.LeakyReLU(0.01), "elu": lambda: nn.ELU(1.0)}
    if name not in table:
        raise ValueError(f"activation must be one of {', '.join(table)}, got {name!r}")
    return table[name]()


class LatentVAE(nn.Module):
    """The VAE of a latent config.json ("model" part) in torch, parameter names matching model.safetensors."""

    def __init__(self, cfg):
        super().__init__()
        for key in cfg:
            if key not in ("inputShape", "latent", "hidden", "activation", "architecture", "likelihood", "sigma", "conditionDim", "maskInput"):
                raise ValueError(f"config.json model: field {key!r} is not handled by this script (a posterior flow?)")
        self.cfg = cfg
        c, h, w = cfg["inputShape"]
        self.data_dim = c * h * w
        latent, hidden, act = cfg["latent"], list(cfg["hidden"]), cfg["activation"]
        cond = cfg.get("conditionDim") or 0
        copies = 2 if cfg.get("maskInput") else 1
        if cfg["architecture"] == "mlp":
            sizes = [copies * self.data_dim + cond] + hidden
            enc = []
            for a, b in zip(sizes[:-1], sizes[1:]):
                enc += [nn.Linear(a, b), activation(act)]
            self.encoder = nn.Sequential(*enc)
            self.muHead = nn.Linear(hidden[-1], latent)
            self.logvarHead = nn.Linear(hidden[-1], latent)
            sizes = [latent + cond] + hidden[::-1] + [self.data_dim]
            dec = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                dec.append(nn.Linear(a, b))
                if i < len(sizes) - 2:
                    dec.append(activation(act))
            self.decoder = nn.Sequential(*dec)
        elif cfg["architecture"] == "conv":
            f = 2 ** len(hidden)
            fh, fw = h // f, w // f
            feat = hidden[-1] * fh * fw
            enc, ch = [], copies * c
            for out in hidden:
                enc += [nn.Conv2d(ch, out, 4, stride=2, padding=1), activation(act)]
                ch = out
            enc.append(nn.Flatten())
            self.encoder = nn.Sequential(*enc)
            self.muHead = nn.Linear(feat + cond, latent)
            self.logvarHead = nn.Linear(feat + cond, latent)
            dec = [nn.Linear(latent + cond, feat), activation(act), nn.Unflatten(1, (hidden[-1], fh, fw))]
            for i in range(len(hidden) - 1, -1, -1):
                out = hidden[i - 1] if i > 0 else c
                dec.append(nn.ConvTranspose2d(hidden[i], out, 4, stride=2, padding=1))
                if i > 0:
                    dec.append(activation(act))
            dec.append(nn.Flatten())
            self.decoder = nn.Sequential(*dec)
        else:
            raise ValueError(f"architecture must be 'mlp' or 'conv', got {cfg['architecture']!r}")
        if cfg["likelihood"] == "gaussian-learned":
            self.logSigma = nn.Parameter(torch.zeros(self.data_dim))

    def posterior(self, x, y=None):
        """mu, logvar of q(z | x[, y]); x is [B, D] or [B, C, H, W]."""
        x = x.reshape(x.shape[0], self.data_dim)
        if self.cfg.get("maskInput"):
            x = torch.cat([x, torch.ones_like(x)], 1)
        if self.cfg["architecture"] == "mlp":
            h = self.encoder(torch.cat([x, y], 1) if y is not None else x)
        else:
            c, hh, ww = self.cfg["inputShape"]
            h = self.encoder(x.reshape(x.shape[0], -1, hh, ww))
            if y is not None:
                h = torch.cat([h, y], 1)
        return self.muHead(h), self.logvarHead(h)

    def decode(self, z, y=None):
        """The decoder's raw output [B, D]: Bernoulli logits or Gaussian means."""
        return self.decoder(torch.cat([z, y], 1) if y is not None else z)

    def mean(self, z, y=None):
        """The mean of p(x | z): sigmoid(logits) or the Gaussian mean."""
        out = self.decode(z, y)
        return torch.sigmoid(out) if self.cfg["likelihood"] == "bernoulli" else out

    def log_likelihood(self, x, z, y=None):
        """log p(x | z) summed over pixels, [B]."""
        x = x.reshape(x.shape[0], self.data_dim)
        out = self.decode(z, y)
        if self.cfg["likelihood"] == "bernoulli":
            return -nn.functional.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1)
        sigma = torch.exp(self.logSigma) if self.cfg["likelihood"] == "gaussian-learned" else torch.tensor(self.cfg.get("sigma", 0.1))
        return torch.distributions.Normal(out, sigma).log_prob(x).sum(1)


def load_model_dir(path):
    """(LatentVAE with the directory's weights, in eval mode; the whole config.json)."""
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    if config.get("format") != "latent-model" or config.get("version") != 1:
        raise ValueError(f"{path}/config.json: not a latent model config (format 'latent-model', version 1)")
    if config["kind"] not in ("vae", "iwae", "cvae"):
        raise ValueError(f"{path}: holds a {config['kind']!r} model, not a VAE")
    model = LatentVAE(config["model"])
    tensors, _ = read_safetensors(os.path.join(path, "model.safetensors"))
    state = {k: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, config


def save_model_dir(path, model, kind="vae", objective=None, data=None, training=None):
    """Writes config.json and model.safetensors so that `latent` loads the model (loadVaeDir)."""
    os.makedirs(path, exist_ok=True)
    config = {"format": "latent-model", "version": 1, "kind": kind, "model": model.cfg,
              "objective": objective or {"kind": "elbo", "beta": 1, "warmupSteps": 0}}
    if data is not None:
        config["data"] = data
    if training is not None:
        config["training"] = training
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(path, "model.safetensors"), state, {"format": "pt", "latent.kind": kind})
