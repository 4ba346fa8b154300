"""What the loss-curve laws share: a run's LR per step and its logged losses, the end of
warmup, the fit's result, and a prediction checked against what a run measured.

Conventions of both laws (``annealing``, ``multipower``): η_1 … η_T is the learning rate
(multiplier × peak) step by step from the first step, L(t) the loss of the weights after t
updates, and only LR drops after the warmup's peak count as annealing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalinglaws import ScalingLawsError


def checked_lr(lr) -> np.ndarray:
    """The LR sequence as floats; an error unless it is a non-empty list of finite values ≥ 0."""
    lr = np.asarray(lr, float)
    if lr.ndim != 1 or len(lr) == 0 or not np.isfinite(lr).all() or (lr < 0).any():
        raise ScalingLawsError("the learning-rate sequence must be a non-empty list of finite values ≥ 0")
    return lr


def warmup_end(lr: np.ndarray) -> int:
    """Index of the step where the initial non-decreasing stretch (the warmup) ends."""
    falls = np.nonzero(np.diff(lr) < 0)[0]
    return int(falls[0]) if len(falls) else len(lr) - 1


def drops_after_warmup(lr: np.ndarray) -> np.ndarray:
    """η_{i−1} − η_i at every step (η_0 = η_1), zero up to the end of warmup: warmup is not
    annealing."""
    drops = -np.diff(lr, prepend=lr[0])
    drops[: warmup_end(lr) + 1] = 0.0
    return drops


def logged_index(steps, n: int) -> np.ndarray:
    """0-based positions of the logged (1-based) ``steps`` in an LR sequence of length n."""
    idx = np.asarray(steps, int) - 1
    if (idx < 0).any() or (idx >= n).any():
        raise ScalingLawsError(f"logged steps must lie in 1..{n} (the LR sequence's length)")
    return idx


def losses_of(runs) -> np.ndarray:
    """The measured losses of (lr, steps, losses) runs, concatenated; they must be positive."""
    loss = np.concatenate([np.asarray(r[2], float) for r in runs])
    if (loss <= 0).any() or not np.isfinite(loss).all():
        raise ScalingLawsError("losses must be positive")
    return loss


@dataclass(frozen=True)
class LawFit:
    law: object  # annealing.AnnealingLaw or multipower.MultiPowerLaw: anything with .curve(lr)
    objective: float
    n_points: int
    success: bool


@dataclass(frozen=True)
class Run:
    """One run's logged losses with its learning rate at every step up to the last logged."""

    name: str
    lr: np.ndarray  # η_1 … η_{steps[-1]}
    steps: np.ndarray  # the logged steps, 1-based, increasing
    loss: np.ndarray  # the loss at each logged step

    def as_fit_input(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.lr, self.steps, self.loss


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
