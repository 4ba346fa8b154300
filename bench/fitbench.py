"""Approach 3 on 300 synthetic points with Chinchilla's full 4,500-start grid."""

from __future__ import annotations

import time

import numpy as np

from scalinglaws.laws.chinchilla import fit_parametric


def points(n_points=300, noise=0.005, seed=0):
    """Chinchilla's published law (Hoffmann et al. 2022: E 1.69, A 406.4, B 410.7, α 0.34,
    β 0.28) at random (N, D), with multiplicative noise."""
    rng = np.random.default_rng(seed)
    n = 10 ** rng.uniform(7, 10, n_points)
    d = 10 ** rng.uniform(9, 12, n_points)
    loss = (1.69 + 406.4 / n**0.34 + 410.7 / d**0.28) * np.exp(rng.normal(0, noise, n_points))
    return n, d, loss


def timed(**kw) -> dict:
    n, d, loss = points()
    t0 = time.perf_counter()
    fit = fit_parametric(n, d, loss, **kw)
    return {
        "seconds": time.perf_counter() - t0,
        "objective": fit.objective,
        "n_starts": fit.n_starts,
        "alpha": fit.alpha,
        "beta": fit.beta,
    }
