"""Predict a whole loss curve from its learning-rate schedule: the LR-annealing law of
Tissue et al. (2024, "Scaling Law with Learning Rate Annealing", arXiv 2408.11029).

    L(s) = L0 + A · S1(s)^(−α) − C · S2(s)

S1(s) = Σ_{i≤s} η_i is the "forward area" (how far the weights have travelled), and
S2(s) = Σ_{i≤s} m_i with m_i = λ·m_{i−1} + (η_{i−1} − η_i) the "annealing area": the LR
drops so far, each remembered with decay λ (≈ 0.999), so a cooldown lowers the loss with a
lag. Fitted to a trunk and one cooldown, the law predicts other cooldowns (fork points,
shapes, lengths) and cosine runs from their LR sequence alone.

Conventions here: η is the LR multiplier times the peak LR, step by step from the first
step; before the first step the LR is taken equal to the first (m_1 = 0), so a warmup's
rising LR enters S2 negatively, as the formula says. Fitting minimises the Huber loss
(δ = 1e-3) of log residuals with L-BFGS-B from a grid of starts, as in the paper.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from scalinglaws import ScalingLawsError

DECAY = 0.999  # λ, the annealing momentum's decay (Tissue et al.'s default)
HUBER_DELTA = 1e-3


def areas(lr: np.ndarray, decay: float = DECAY) -> tuple[np.ndarray, np.ndarray]:
    """S1 and S2 after each step of the LR sequence ``lr`` (one value a step)."""
    lr = np.asarray(lr, float)
    if lr.ndim != 1 or len(lr) == 0 or not np.isfinite(lr).all() or (lr < 0).any():
        raise ScalingLawsError("the learning-rate sequence must be a non-empty list of finite values ≥ 0")
    drops = -np.diff(lr, prepend=lr[0])  # η_{i-1} − η_i, with η_0 = η_1
    m = np.empty_like(lr)
    acc = 0.0
    for i, d in enumerate(drops):  # a linear recurrence: a loop is clear and fast enough
        acc = decay * acc + d
        m[i] = acc
    return np.cumsum(lr), np.cumsum(m)


@dataclass(frozen=True)
class AnnealingLaw:
    L0: float
    A: float
    alpha: float
    C: float
    decay: float = DECAY

    def curve(self, lr: np.ndarray) -> np.ndarray:
        """Predicted loss after each step of the schedule ``lr``."""
        s1, s2 = areas(lr, self.decay)
        return self.L0 + self.A * s1 ** (-self.alpha) - self.C * s2


@dataclass(frozen=True)
class AnnealingFit:
    law: AnnealingLaw
    objective: float
    n_points: int
    success: bool


def _huber(r: np.ndarray, delta: float) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))


def fit(runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], decay: float = DECAY,
        delta: float = HUBER_DELTA) -> AnnealingFit:
    """Fit (L0, A, α, C) to runs given as (lr per step, steps logged (1-based), losses there)."""
    s1, s2, loss = [], [], []
    for lr, steps, losses in runs:
        a1, a2 = areas(lr, decay)
        idx = np.asarray(steps, int) - 1
        if (idx < 0).any() or (idx >= len(a1)).any():
            raise ScalingLawsError(f"logged steps must lie in 1..{len(a1)} (the LR sequence's length)")
        s1.append(a1[idx])
        s2.append(a2[idx])
        loss.append(np.asarray(losses, float))
    s1, s2, loss = (np.concatenate(v) for v in (s1, s2, loss))
    if (loss <= 0).any():
        raise ScalingLawsError("losses must be positive")
    log_loss = np.log(loss)

    def objective(p):
        L0, A, alpha, C = p
        pred = L0 + A * s1 ** (-alpha) - C * s2
        if (pred <= 0).any():
            return 1e6
        return _huber(np.log(pred) - log_loss, delta).sum()

    bounds = [(1e-6, None), (1e-8, None), (1e-4, 3.0), (0.0, None)]
    lo = float(loss.min())
    best = None
    # Starts: the irreducible part below the lowest loss, a few exponents and scales.
    for f0, alpha, c in itertools.product((0.5, 0.8, 0.95), (0.2, 0.5, 1.0), (0.0, 0.1, 1.0)):
        L0 = f0 * lo
        A = max(float((loss - L0).max()), 1e-3) * float(s1.min()) ** alpha
        r = minimize(objective, [L0, A, alpha, c], method="L-BFGS-B", bounds=bounds)
        if best is None or r.fun < best.fun:
            best = r
    L0, A, alpha, C = best.x
    return AnnealingFit(AnnealingLaw(L0, A, alpha, C, decay), float(best.fun), len(loss), bool(best.success))
