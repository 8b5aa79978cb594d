"""PyTorch twin of latent's 2-D FlowModel training step (src/models/flow/flow.ts),
for bench/flow_speed.ts, and of its rational-quadratic spline's math
(src/flows/layers/spline.ts), for test/flows/spline-torch.test.ts.

Usage:
  /usr/bin/python3 bench/flow_twin.py --flow spline --steps 200 [--warmup 20] [--threads 1] [--batch 512]
      times STEPS training steps (log p(x) of a batch, mean NLL, backward,
      Adam 2e-3 step) after WARMUP untimed ones; prints one JSON line
      {"flow", "steps", "ms_per_step", "cpu_ms_per_step", "batch", "threads", "torch", "loss", "params"}
      (wall time, and CPU time of the process, per step)
  /usr/bin/python3 bench/flow_twin.py --fixture   # writes test/fixtures/spline_torch.json

The model, written from Durkan et al. 2019 ("Neural Spline Flows", eqs. 4-6
and appendix A) and Dinh et al. 2017 ("Real NVP") following our TS layers
line by line:

- spline: LAYERS rational-quadratic spline couplings, alternating masks
  ([1, 0], then [0, 1], ...), each conditioner an MLP 2-128-128-(3K-1)
  (ReLU; one transformed coordinate of two, so 47 outputs for K = 16),
  K = 16 bins on [-5, 5], identity tails, minimum bin width/height and knot
  derivative 1e-3; the last linear layer zero and the derivatives offset by
  log(expm1(1 - 1e-3)), so each layer starts as the identity. As in
  SplineCoupling (since 58df7b4), splines only for the transformed
  coordinates, put back with index_add into mask * v.
- realnvp: LAYERS affine couplings (alternating masks, s = scale * tanh(a),
  t = b, the last layer zero) with a batch-norm flow (batch statistics,
  running averages, learned logGamma and beta) between them.

log p(x) runs the density direction (data -> base): the inverse of each
layer, from the data side. The batches are fixed (eight batches of the
rings toy drawn once with numpy, cycled): only the shapes need to match
ours. The initialization of the hidden layers is PyTorch's default (ours
draws from its own generator); the timing does not depend on it.

The fixture holds float64 random unnormalized spline parameters (numpy seed
0), inputs inside and outside the tail bound, forward and inverse cases,
torch's values and log-derivatives, and the gradient of a random weighted
sum of both with respect to the inputs and the three parameter tensors.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--flow", choices=["spline", "realnvp"], default="spline")
p.add_argument("--steps", type=int, default=200)
p.add_argument("--warmup", type=int, default=20)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--batch", type=int, default=512)
p.add_argument("--layers", type=int, default=8)
p.add_argument("--hidden", default="128,128")
p.add_argument("--bins", type=int, default=16)
p.add_argument("--tail-bound", type=float, default=5.0)
p.add_argument("--lr", type=float, default=2e-3)
p.add_argument("--fixture", action="store_true")
args = p.parse_args()

try:
    import torch
except Exception as e:  # torch missing or broken: say so (flow_speed.ts reports it) and stop
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
    sys.exit(3)

torch.set_num_threads(args.threads)
LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------- the spline

def softplus(u):
    """max(u, 0) + log1p(exp(-|u|)), as our kernel computes it (torch's F.softplus returns u itself above 20)."""
    return torch.clamp(u, min=0) + torch.log1p(torch.exp(-torch.abs(u)))


def knots(u, min_size, bound):
    """Knot positions [..., K+1] on [-B, B] (ends exact) and bin sizes [..., K] from unnormalized sizes [..., K]."""
    k = u.shape[-1]
    frac = min_size + (1 - min_size * k) * torch.softmax(u, -1)
    end = u.new_zeros(u.shape[:-1] + (1,))
    cum = torch.cat([end, torch.cumsum(frac, -1)[..., : k - 1], end + 1], -1)
    edges = (cum * 2 - 1) * bound
    return edges, edges[..., 1:] - edges[..., :-1]


def rq_spline(x, uw, uh, ud, bound=3.0, min_w=1e-3, min_h=1e-3, min_d=1e-3, inverse=False):
    """Elementwise monotone rational-quadratic spline on [-B, B], identity outside; returns (value, log |d value / d input|)."""
    xe, w = knots(uw, min_w, bound)
    ye, h = knots(uh, min_h, bound)
    one = ud.new_ones(ud.shape[:-1] + (1,))
    d = torch.cat([one, softplus(ud) + min_d, one], -1)
    inside = (x >= -bound) & (x <= bound)
    xc = torch.clamp(x, -bound, bound).unsqueeze(-1)
    # The bin: how many interior knots lie at or below the (clamped) value.
    search = ye if inverse else xe
    at = (xc >= search[..., 1:-1]).sum(-1, keepdim=True)
    xk, wk = xe.gather(-1, at), w.gather(-1, at)
    yk, hk = ye.gather(-1, at), h.gather(-1, at)
    dk, dk1 = d.gather(-1, at), d.gather(-1, at + 1)
    s = hk / wk
    curve = dk + dk1 - 2 * s
    if not inverse:
        theta = (xc - xk) / wk
        t1 = theta * (1 - theta)
        value = yk + hk * (s * theta**2 + dk * t1) / (s + curve * t1)
    else:
        # a theta^2 + b theta + c = 0; the root in [0, 1] as 2c / (-b - sqrt(b^2 - 4ac)) (no cancellation).
        dy = xc - yk
        qa = hk * (s - dk) + dy * curve
        qb = hk * dk - dy * curve
        qc = -s * dy
        disc = torch.clamp(qb**2 - 4 * qa * qc, min=0)
        theta = (2 * qc) / (-qb - torch.sqrt(disc))
        value = xk + theta * wk
    t1 = theta * (1 - theta)
    denom = s + curve * t1
    dnum = s**2 * (dk1 * theta**2 + 2 * s * t1 + dk * (1 - theta) ** 2)
    logdet = torch.log(dnum) - 2 * torch.log(denom)
    if inverse:
        logdet = -logdet
    value, logdet = value.squeeze(-1), logdet.squeeze(-1)
    return torch.where(inside, value, x), torch.where(inside, logdet, torch.zeros_like(logdet))


# ---------------------------------------------------------------- the layers

def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    with torch.no_grad():  # the zero output layer: each coupling starts as the identity
        layers[-1].weight.zero_()
        layers[-1].bias.zero_()
    return net


def alternate_mask(d, invert):
    m = torch.tensor([1.0 if i % 2 == 0 else 0.0 for i in range(d)])
    return 1 - m if invert else m


class SplineCoupling(torch.nn.Module):
    def __init__(self, d, hidden, bins, bound, invert):
        super().__init__()
        self.k, self.bound = bins, bound
        self.register_buffer("mask", alternate_mask(d, invert))
        self.register_buffer("free", torch.nonzero(self.mask == 0).reshape(-1))
        self.net = mlp([d, *hidden, len(self.free) * (3 * bins - 1)])
        self.offset = math.log(math.expm1(1 - 1e-3))  # softplus(offset) + 1e-3 = 1

    def inverse_and_log_det(self, v):
        n, k = v.shape[0], self.k
        par = self.net(v * self.mask).reshape(n, len(self.free), 3 * k - 1)
        # Splines only for the transformed coordinates; the kept ones pass through (mask * v).
        value, logdet = rq_spline(v[:, self.free], par[..., :k], par[..., k : 2 * k], par[..., 2 * k :] + self.offset, bound=self.bound, inverse=True)
        return (v * self.mask).index_add(1, self.free, value), logdet.sum(1)


class AffineCoupling(torch.nn.Module):
    def __init__(self, d, hidden, invert):
        super().__init__()
        self.d = d
        self.register_buffer("mask", alternate_mask(d, invert))
        self.scale = torch.nn.Parameter(torch.ones(d))
        self.net = mlp([d, *hidden, 2 * d])

    def inverse_and_log_det(self, y):
        h = self.net(y * self.mask)
        free = 1 - self.mask
        s = self.scale * torch.tanh(h[:, : self.d]) * free
        t = h[:, self.d :] * free
        return (y - t) * torch.exp(-s), -s.sum(1)


class BatchNormFlow(torch.nn.Module):
    def __init__(self, d, momentum=0.1, eps=1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.log_gamma = torch.nn.Parameter(torch.zeros(d))
        self.beta = torch.nn.Parameter(torch.zeros(d))
        self.register_buffer("running_mean", torch.zeros(d))
        self.register_buffer("running_var", torch.ones(d))

    def inverse_and_log_det(self, y):
        mu = y.mean(0)
        v = ((y - mu) ** 2).mean(0)  # biased, gradients through both, as ours in training mode
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mu)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * v)
        ls = self.log_gamma - 0.5 * torch.log(v + self.eps)
        return (y - mu) * torch.exp(ls) + self.beta, ls.sum().expand(y.shape[0])


class FlowModel(torch.nn.Module):
    """Layers listed from the data side, as dataToBaseLayers builds them; log p(x) runs their inverses in this order."""

    def __init__(self, flow, d, layers, hidden, bins, bound):
        super().__init__()
        mods = []
        for i in range(layers):
            flip = i % 2 == 1
            if flow == "spline":
                mods.append(SplineCoupling(d, hidden, bins, bound, flip))
            else:
                mods.append(AffineCoupling(d, hidden, flip))
                if i + 1 < layers:
                    mods.append(BatchNormFlow(d))
        self.layers = torch.nn.ModuleList(mods)
        self.d = d

    def log_prob(self, x):
        total = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer.inverse_and_log_det(x)
            total = total + ld
        return -0.5 * (x * x).sum(1) - self.d / 2 * LOG_2PI + total


def sample_rings(n, rng):
    r = np.array([0.75, 1.5, 2.25, 3.0])[rng.integers(0, 4, n)]
    a = 2 * math.pi * rng.random(n)
    return np.stack([r * np.cos(a), r * np.sin(a)], 1) + 0.1 * rng.normal(size=(n, 2))


def bench():
    torch.manual_seed(0)
    hidden = [int(h) for h in args.hidden.split(",")]
    model = FlowModel(args.flow, 2, args.layers, hidden, args.bins, args.tail_bound)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(0)
    batches = [torch.tensor(sample_rings(args.batch, rng), dtype=torch.float32) for _ in range(8)]

    def step(i):
        loss = -model.log_prob(batches[i % len(batches)]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(args.warmup):
        step(i)
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(args.steps):
        loss = step(i)
    ms = (time.perf_counter() - t0) * 1e3 / args.steps
    cpu_ms = (time.process_time() - c0) * 1e3 / args.steps  # CPU time of the whole process (all threads)
    if not math.isfinite(loss.item()):
        raise SystemExit(f"{args.flow}: the loss is not finite ({loss.item()})")
    print(json.dumps({"flow": args.flow, "steps": args.steps, "ms_per_step": ms, "cpu_ms_per_step": cpu_ms, "batch": args.batch, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "loss": loss.item(), "params": sum(q.numel() for q in model.parameters())}))


# ---------------------------------------------------------------- the fixture

def fixture_case(rng, inverse, shape, k, bound, consts, offset, scale=1.0):
    """One spline evaluation: parameters [*shape, K] etc. N(0, scale^2), inputs covering the bins and both tails."""
    n = int(np.prod(shape))
    uw = scale * rng.normal(size=(*shape, k))
    uh = scale * rng.normal(size=(*shape, k))
    ud = scale * rng.normal(size=(*shape, k - 1)) + offset
    # Two thirds inside (-B, B), the rest in the tails, none on the bound itself.
    inside = rng.uniform(-0.98 * bound, 0.98 * bound, size=n)
    tails = np.sign(rng.uniform(-1, 1, size=n)) * rng.uniform(1.02 * bound, 2 * bound, size=n)
    x = np.where(rng.random(n) < 2 / 3, inside, tails).reshape(shape)
    wv = rng.normal(size=shape)
    wl = rng.normal(size=shape)
    t = {name: torch.tensor(a, requires_grad=True) for name, a in [("x", x), ("widths", uw), ("heights", uh), ("derivatives", ud)]}
    value, logdet = rq_spline(t["x"], t["widths"], t["heights"], t["derivatives"], bound=bound,
                              min_w=consts[0], min_h=consts[1], min_d=consts[2], inverse=inverse)
    loss = (torch.tensor(wv) * value + torch.tensor(wl) * logdet).sum()
    grads = torch.autograd.grad(loss, [t["x"], t["widths"], t["heights"], t["derivatives"]])
    flat = lambda a: np.asarray(a, dtype=np.float64).reshape(-1).tolist()  # noqa: E731
    return {
        "inverse": inverse, "shape": list(shape), "bins": k, "tail_bound": bound,
        "min_bin_width": consts[0], "min_bin_height": consts[1], "min_derivative": consts[2],
        "x": flat(x), "widths": flat(uw), "heights": flat(uh), "derivatives": flat(ud),
        "value": flat(value.detach()), "logdet": flat(logdet.detach()),
        "weights_value": flat(wv), "weights_logdet": flat(wl),
        "grad_x": flat(grads[0]), "grad_widths": flat(grads[1]), "grad_heights": flat(grads[2]), "grad_derivatives": flat(grads[3]),
    }


def write_fixture():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    flow_offset = math.log(math.expm1(1 - 1e-3))  # SplineCoupling's derivative offset
    cases = []
    for inverse in (False, True):
        # The defaults (K = 5, B = 3), [N, D] inputs as in the couplings.
        cases.append(fixture_case(rng, inverse, (40, 2), 5, 3.0, (1e-3, 1e-3, 1e-3), 0.0))
        # The benchmark's flow (K = 16, B = 5, the derivative offset), [N] inputs.
        cases.append(fixture_case(rng, inverse, (60,), 16, 5.0, (1e-3, 1e-3, 1e-3), flow_offset))
        # Larger minimum sizes, wider parameters (narrow and wide bins, steep knots).
        cases.append(fixture_case(rng, inverse, (10, 3), 8, 2.0, (1e-2, 2e-2, 5e-2), 0.0, scale=2.5))
    out = {"generator": "bench/flow_twin.py --fixture", "torch": torch.__version__, "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "spline_torch.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"wrote test/fixtures/spline_torch.json ({len(cases)} cases)")


if __name__ == "__main__":
    if args.fixture:
        write_fixture()
    else:
        bench()
