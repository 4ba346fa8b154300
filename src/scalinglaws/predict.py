"""Predict a whole loss curve from its learning-rate schedule. Two laws: the LR-annealing
law of Tissue et al. (2024, "Scaling Law with Learning Rate Annealing", arXiv 2408.11029),
here, and the multi-power law of Luo et al. (2025, ``scalinglaws.multipower``); ``fit_law``
fits either by name.

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

Runs from elsewhere come as CSVs with columns ``step,lr,loss`` (``read_run``): rows at the
logged steps only; the LR between them is interpolated linearly and rises linearly from 0
before the first row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from scalinglaws import ScalingLawsError
from scalinglaws.sweep import LAW_PARAMETERS

DECAY = 0.999  # λ, the annealing momentum's decay (Tissue et al.'s default)
HUBER_DELTA = 1e-3


def areas(lr: np.ndarray, decay: float = DECAY) -> tuple[np.ndarray, np.ndarray]:
    """S1 and S2 after each step of the LR sequence ``lr`` (one value a step)."""
    lr = np.asarray(lr, float)
    if lr.ndim != 1 or len(lr) == 0 or not np.isfinite(lr).all() or (lr < 0).any():
        raise ScalingLawsError("the learning-rate sequence must be a non-empty list of finite values ≥ 0")
    drops = -np.diff(lr, prepend=lr[0])  # η_{i-1} − η_i, with η_0 = η_1
    drops[: _first_peak(lr) + 1] = 0.0  # warmup is not annealing
    m = np.empty_like(lr)
    acc = 0.0
    for i, d in enumerate(drops):  # a linear recurrence: a loop is clear and fast enough
        acc = decay * acc + d
        m[i] = acc
    return np.cumsum(lr), np.cumsum(m)


def _first_peak(lr: np.ndarray) -> int:
    """Index of the step where the initial non-decreasing stretch (the warmup) ends."""
    falls = np.nonzero(np.diff(lr) < 0)[0]
    return int(falls[0]) if len(falls) else len(lr) - 1


@dataclass(frozen=True)
class AnnealingLaw:
    L0: float
    A: float
    alpha: float
    C: float
    decay: float = DECAY

    def __str__(self) -> str:
        return (f"L(s) = {self.L0:.4g} + {self.A:.4g}·S1^-{self.alpha:.4g} − {self.C:.4g}·S2 "
                f"(λ = {self.decay})")

    def curve(self, lr: np.ndarray) -> np.ndarray:
        """Predicted loss after each step of the schedule ``lr``."""
        s1, s2 = areas(lr, self.decay)
        return self.L0 + self.A * s1 ** (-self.alpha) - self.C * s2


@dataclass(frozen=True)
class LawFit:
    law: AnnealingLaw  # or multipower.MultiPowerLaw: anything with .curve(lr)
    objective: float
    n_points: int
    success: bool


PARAMETERS = LAW_PARAMETERS  # what each law fits: it needs at least as many measured losses


def fit_law(name: str, runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], decay: float = DECAY) -> LawFit:
    """Fit the law called ``name`` ("annealing" or "multi-power") to ``runs``."""
    if name == "annealing":
        return fit(runs, decay)
    if name == "multi-power":
        from scalinglaws.multipower import fit_multi_power

        return fit_multi_power(runs)
    raise ScalingLawsError(f"unknown law {name!r}: one of {', '.join(PARAMETERS)}")


def _huber(r: np.ndarray, delta: float) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))


def fit(runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], decay: float = DECAY,
        delta: float = HUBER_DELTA) -> LawFit:
    """Fit (L0, A, α, C) to runs given as (lr per step, steps logged (1-based), losses there)."""
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
    return LawFit(AnnealingLaw(L0, A, alpha, C, decay), float(best.fun), len(loss), bool(best.success))


def logged_index(steps, n: int) -> np.ndarray:
    """0-based positions of the logged (1-based) ``steps`` in an LR sequence of length n."""
    idx = np.asarray(steps, int) - 1
    if (idx < 0).any() or (idx >= n).any():
        raise ScalingLawsError(f"logged steps must lie in 1..{n} (the LR sequence's length)")
    return idx


def losses_of(runs) -> np.ndarray:
    loss = np.concatenate([np.asarray(r[2], float) for r in runs])
    if (loss <= 0).any() or not np.isfinite(loss).all():
        raise ScalingLawsError("losses must be positive")
    return loss


@dataclass(frozen=True)
class Run:
    """One run's logged losses with its learning rate at every step up to the last logged."""

    name: str
    lr: np.ndarray  # η_1 … η_{steps[-1]}
    steps: np.ndarray  # the logged steps, 1-based, increasing
    loss: np.ndarray  # the loss at each logged step

    def as_fit_input(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.lr, self.steps, self.loss


def read_run(path, loss_column: str = "loss") -> Run:
    """A run from a CSV with columns step, lr and the loss (one row per logged step)."""
    import pandas as pd  # here: the workflow imports this package at every start

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise ScalingLawsError(f"{path}: cannot read it as CSV ({e})") from None
    missing = [c for c in ("step", "lr", loss_column) if c not in df.columns]
    if missing:
        raise ScalingLawsError(f"{path}: needs the columns step, lr and {loss_column}; missing {', '.join(missing)}")
    if df.empty:
        raise ScalingLawsError(f"{path}: has no rows")
    steps, lr, loss = (df[c].to_numpy(float) for c in ("step", "lr", loss_column))
    if not (np.isfinite(steps).all() and (steps == np.round(steps)).all() and steps[0] >= 1
            and (np.diff(steps) > 0).all()):
        raise ScalingLawsError(f"{path}: 'step' must be whole numbers ≥ 1, increasing")
    if not np.isfinite(lr).all() or (lr < 0).any():
        raise ScalingLawsError(f"{path}: 'lr' must be finite and ≥ 0")
    if not np.isfinite(loss).all() or (loss <= 0).any():
        raise ScalingLawsError(f"{path}: '{loss_column}' must be finite and positive")
    steps = steps.astype(int)
    every = np.arange(1, steps[-1] + 1)
    per_step = np.interp(every, np.concatenate([[0], steps]), np.concatenate([[0.0], lr]))
    return Run(str(path), per_step, steps, loss)


@dataclass(frozen=True)
class Prediction:
    """A run's curve predicted from its LR alone, against what it measured."""

    name: str
    final_predicted: float
    final_measured: float
    mean_error: float  # mean |predicted / measured − 1| over the logged steps
    worst_error: float

    @property
    def final_error(self) -> float:
        return self.final_predicted / self.final_measured - 1


def predict(law, run: Run) -> Prediction:
    curve = law.curve(run.lr)[run.steps - 1]
    error = np.abs(curve / run.loss - 1)
    return Prediction(run.name, float(curve[-1]), float(run.loss[-1]), float(error.mean()), float(error.max()))
