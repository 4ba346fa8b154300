"""The LR-annealing law of Tissue et al. (2024, "Scaling Law with Learning Rate Annealing",
arXiv 2408.11029): a whole loss curve from its learning-rate schedule.

    L(s) = L0 + A · S1(s)^(−α) − C · S2(s)

S1(s) = Σ_{i≤s} η_i is the "forward area" (how far the weights have travelled), and
S2(s) = Σ_{i≤s} m_i with m_i = λ·m_{i−1} + (η_{i−1} − η_i) the "annealing area": the LR
drops so far, each remembered with decay λ (≈ 0.999), so a cooldown lowers the loss with a
lag. Fitted to a trunk and one cooldown, the law predicts other cooldowns (fork points,
shapes, lengths) and cosine runs from their LR sequence alone.

Conventions here: η is the LR multiplier times the peak LR, step by step from the first
step, and L(s) is the loss of the weights after s updates. The warmup's rise (every step up
to the LR's first maximum) is left out of S2: counted, it is a negative annealing area that
lingers for ~1/(1−λ) steps and outweighs a short cooldown's whole drop (on the demo's runs
the fit then set C = 0). Fitting minimises the Huber loss (δ = 1e-3) of log residuals with
L-BFGS-B from a grid of starts, as in the paper.

"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from scalinglaws.laws.curves import LawFit, checked_lr, drops_after_warmup, logged_index, losses_of
from scalinglaws.laws.huber import HUBER_DELTA, huber

DECAY = 0.999  # λ, the annealing momentum's decay (Tissue et al.'s default)


def areas(lr: np.ndarray, decay: float = DECAY) -> tuple[np.ndarray, np.ndarray]:
    """S1 and S2 after each step of the LR sequence ``lr`` (one value a step)."""
    lr = checked_lr(lr)
    m = np.empty_like(lr)
    acc = 0.0
    for i, d in enumerate(drops_after_warmup(lr)):  # a linear recurrence: a loop is clear and fast enough
        acc = decay * acc + d
        m[i] = acc
    return np.cumsum(lr), np.cumsum(m)


@dataclass(frozen=True)
class AnnealingLaw:
    L0: float
    A: float
    alpha: float
    C: float
    decay: float = DECAY  # chosen, not fitted
    FITTED: ClassVar[tuple[str, ...]] = ("L0", "A", "alpha", "C")

    def __str__(self) -> str:
        return f"L(s) = {self.L0:.4g} + {self.A:.4g}·S1^-{self.alpha:.4g} − {self.C:.4g}·S2 (λ = {self.decay})"

    def curve(self, lr: np.ndarray) -> np.ndarray:
        """Predicted loss after each step of the schedule ``lr``."""
        s1, s2 = areas(lr, self.decay)
        return self.L0 + self.A * s1 ** (-self.alpha) - self.C * s2


def fit_annealing(
    runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], decay: float = DECAY, delta: float = HUBER_DELTA
) -> LawFit:
    """Fit (L0, A, α, C) to runs given as (lr per step, steps logged (1-based), losses there)."""
    from scipy.optimize import minimize  # here: the workflow imports the law at every start

    s1, s2 = [], []
    for lr, steps, _ in runs:
        a1, a2 = areas(lr, decay)
        idx = logged_index(steps, len(a1))
        s1.append(a1[idx])
        s2.append(a2[idx])
    s1, s2 = np.concatenate(s1), np.concatenate(s2)
    loss = losses_of(runs)
    log_loss = np.log(loss)

    def objective(p):
        L0, A, alpha, C = p
        pred = L0 + A * s1 ** (-alpha) - C * s2
        if (pred <= 0).any():
            return 1e6
        return huber(np.log(pred) - log_loss, delta)[0].sum()

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
    return LawFit(AnnealingLaw(L0, A, alpha, C, decay), float(best.fun), len(loss), bool(best.success))
