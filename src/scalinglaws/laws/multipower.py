"""The multi-power law of Luo et al. (2025, "A Multi-Power Law for Loss Curve Prediction
Across Learning Rate Schedules", arXiv 2503.12811):

    L(t) = L0 + A · (S_W + S1(t))^(−α) − LD(t)
    LD(t) = B · Σ_{k≤t} (η_{k−1} − η_k) · G(η_k^(−γ) · S_k(t)),   S_k(t) = Σ_{k≤τ≤t} η_τ
    G(x) = 1 − (C·x + 1)^(−β)

S_W + S1(t) is the LR summed over every step so far (warmup included). Each LR drop
η_{k−1} − η_k lowers the loss by up to B times the drop, and the saving builds up as a power
law in the LR area trained since the drop (scaled by the new LR). Unlike the annealing law's
single momentum term, a drop's effect here depends on how much training follows it: this is
what lets the law predict short and long cooldowns alike.

Conventions as in ``scalinglaws.laws.curves``: η_1 … η_T per step, L(t) after t updates, and
only drops after the warmup's peak count. The fit minimises the Huber loss (δ = 1e-3) of log
residuals with L-BFGS-B from a small grid of starts; A, B and C are fitted as logarithms,
because their scales depend on the LR's units.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from scalinglaws.laws.curves import LawFit, checked_lr, drops_after_warmup, logged_index, losses_of
from scalinglaws.laws.huber import HUBER_DELTA, huber

_BLOCK = 2048  # rows of the (steps × drops) matrix built at a time: memory stays bounded


@dataclass(frozen=True)
class _Design:
    """What a curve needs from an LR sequence at the steps of interest, computed once."""

    area: np.ndarray  # S_W + S1(t) at each step t of interest
    drop: np.ndarray  # η_{k−1} − η_k at each drop step k
    lr_after: np.ndarray  # η_k at each drop step
    since: np.ndarray  # S_k(t), (steps × drops), 0 where k > t


def _design(lr, idx: np.ndarray) -> _Design:
    lr = checked_lr(lr)
    total = np.cumsum(lr)
    drops = drops_after_warmup(lr)
    k = np.nonzero(drops)[0]
    since = total[idx][:, None] - (total[k] - lr[k])[None, :]
    since = np.where(k[None, :] <= idx[:, None], since, 0.0)
    return _Design(total[idx], drops[k], np.maximum(lr[k], 1e-12), since)


def _curve(p: np.ndarray, d: _Design) -> np.ndarray:
    """The law at parameters p = (L0, log A, α, log B, log C, β, γ)."""
    L0, log_a, alpha, log_b, log_c, beta, gamma = p
    x = np.exp(log_c) * d.lr_after[None, :] ** (-gamma) * d.since
    saved = (d.drop[None, :] * (1 - (x + 1) ** (-beta))).sum(1)
    return L0 + np.exp(log_a) * d.area ** (-alpha) - np.exp(log_b) * saved


@dataclass(frozen=True)
class MultiPowerLaw:
    L0: float
    A: float
    alpha: float
    B: float
    C: float
    beta: float
    gamma: float
    FITTED: ClassVar[tuple[str, ...]] = ("L0", "A", "alpha", "B", "C", "beta", "gamma")

    def _params(self) -> np.ndarray:
        return np.array([self.L0, np.log(self.A), self.alpha, np.log(self.B), np.log(self.C), self.beta, self.gamma])

    def __str__(self) -> str:
        return (
            f"L(t) = {self.L0:.4g} + {self.A:.4g}·S^-{self.alpha:.4g} − {self.B:.4g}·Σ drop·"
            f"(1 − ({self.C:.4g}·η^-{self.gamma:.3g}·S_k + 1)^-{self.beta:.3g})  (multi-power)"
        )

    def curve(self, lr, steps=None) -> np.ndarray:
        """Predicted loss after each step of ``lr`` (or only at the 1-based ``steps``)."""
        lr = np.asarray(lr, float)
        idx = np.arange(len(lr)) if steps is None else logged_index(steps, len(lr))
        p = self._params()
        return np.concatenate([_curve(p, _design(lr, idx[i : i + _BLOCK])) for i in range(0, len(idx), _BLOCK)])


def fit_multi_power(runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], delta: float = HUBER_DELTA) -> LawFit:
    """Fit the seven parameters to runs given as (lr per step, logged steps (1-based), losses)."""
    from scipy.optimize import minimize  # here: the workflow imports the law at every start

    designs = [_design(lr, logged_index(steps, len(lr))) for lr, steps, _ in runs]
    loss = losses_of(runs)
    log_loss = np.log(loss)

    def objective(p):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            pred = np.concatenate([_curve(p, d) for d in designs])
        if not np.isfinite(pred).all() or (pred <= 0).any():
            return 1e6
        return huber(np.log(pred) - log_loss, delta)[0].sum()

    bounds = [(0.0, None), (None, None), (1e-3, 3.0), (None, None), (-10.0, 10.0), (1e-3, 5.0), (0.0, 2.0)]
    area = min(float(d.area.min()) for d in designs)
    peak_drop = max((float(d.drop.sum()) for d in designs), default=0.0) or 1.0
    best = None
    # Starts: the irreducible loss well below the lowest loss, two exponents, and a decay
    # saving B·Σdrop of 10% or 40% of the lowest loss, reached fast or slowly.
    for f0, alpha, saving, gamma in itertools.product((0.3, 0.8), (0.3, 0.6), (0.1, 0.4), (0.3, 0.6)):
        L0 = f0 * loss.min()
        log_a = np.log(max(float((loss - L0).max()), 1e-3) * area**alpha)
        log_b = np.log(saving * loss.min() / peak_drop)
        r = minimize(
            objective,
            [L0, log_a, alpha, log_b, 0.0, 0.5, gamma],
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
        )  # exact curves fit to ~0
        if best is None or r.fun < best.fun:
            best = r
    L0, log_a, alpha, log_b, log_c, beta, gamma = best.x
    law = MultiPowerLaw(L0, float(np.exp(log_a)), alpha, float(np.exp(log_b)), float(np.exp(log_c)), beta, gamma)
    return LawFit(law, float(best.fun), len(loss), bool(best.success))
