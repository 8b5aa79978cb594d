"""The scikit-learn twin of bench/classical.ts: one EM iteration of
GaussianMixture (E-step + M-step + lower bound, exactly one pass of the loop
in BaseMixture.fit_predict) on the same data, from the same initial
parameters, at one thread.

    /usr/bin/python3 bench/classical_twin.py DATA.npy --k 10 [--reps 5]

DATA.npy is written by bench/classical.ts (Fashion-MNIST projected to 50
dimensions). Prints one JSON line.
"""
import argparse
import json
import os
import sys
import time

for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(var, '1')

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402


def initial_parameters(x, k):
    """Uniform weights, every (n / k)-th point as a mean, precisions I / (mean variance): as bench/classical.ts."""
    n, d = x.shape
    means = x[np.arange(k) * (n // k)]
    weights = np.full(k, 1.0 / k)
    scale = 1.0 / x.var(axis=0).mean()
    precisions = np.stack([np.eye(d) * scale for _ in range(k)])
    return weights, means, precisions


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--k', type=int, default=10)
    ap.add_argument('--reps', type=int, default=5)
    args = ap.parse_args()
    x = np.load(args.data)
    weights, means, precisions = initial_parameters(x, args.k)
    gm = GaussianMixture(n_components=args.k, covariance_type='full', max_iter=1, tol=0.0, init_params='random_from_data',
                         weights_init=weights, means_init=means, precisions_init=precisions, random_state=0)
    # One fit initializes the model; afterwards each timed pass restarts from the same parameters.
    import warnings
    warnings.simplefilter('ignore')
    gm._check_parameters(x)
    gm._initialize(x, np.zeros((x.shape[0], args.k)))
    start = (gm.weights_.copy(), gm.means_.copy(), None, gm.precisions_cholesky_.copy())
    e_times, m_times, totals, cpu = [], [], [], []
    bound = None
    for rep in range(args.reps + 1):
        gm.weights_, gm.means_, gm.covariances_, gm.precisions_cholesky_ = (a.copy() if a is not None else None for a in start)
        c0 = time.process_time()
        t0 = time.perf_counter()
        log_prob_norm, log_resp = gm._e_step(x)
        t1 = time.perf_counter()
        gm._m_step(x, log_resp)
        bound = gm._compute_lower_bound(log_resp, log_prob_norm)
        t2 = time.perf_counter()
        c2 = time.process_time()
        if rep > 0:  # the first pass warms up
            cpu.append(c2 - c0)
            e_times.append(t1 - t0)
            m_times.append(t2 - t1)
            totals.append(t2 - t0)
    print(json.dumps({
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'threads': os.environ['OPENBLAS_NUM_THREADS'],
        'n': x.shape[0],
        'd': x.shape[1],
        'k': args.k,
        'best': min(totals),
        'median': float(np.median(totals)),
        'eStep': min(e_times),
        'mStep': min(m_times),
        'cpu': min(cpu),
        'lowerBound': float(bound),
        'means': np.asarray(gm.means_).ravel()[:5].tolist(),
    }))


if __name__ == '__main__':
    sys.exit(main())
