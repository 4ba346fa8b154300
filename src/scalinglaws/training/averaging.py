"""Weight averaging of a training run: fixed-window uniform averages (SWA) and an EMA.

The trainer samples the weights every ``every_steps`` steps into a running sum that is
reset at each window start, as in the code of Hägele et al. (2024); when a window of
``window_steps`` steps completes, its mean is handed out to be saved (weights only).
Only the running sum of the open window is kept — never a checkpoint per sample — and it
travels in the training checkpoint, so a run resumed mid-window gives the same averages.
The SWA model at a step is then the mean of the last few saved windows (``merge``).
"""

from __future__ import annotations

import torch

from scalinglaws import ScalingLawsError


def _float_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v for k, v in model.state_dict().items() if v.is_floating_point()}


def _copy(weights: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor] | None:
    # Accumulators are updated in place: never share them with the state they came from.
    return None if weights is None else {k: v.clone() for k, v in weights.items()}


class WindowAverager:
    """Uniform means over windows (k·W, (k+1)·W] of steps, sampled every ``every_steps``."""

    def __init__(self, window_steps: int, every_steps: int = 1, dtype: torch.dtype = torch.float64):
        if window_steps < 1 or every_steps < 1 or window_steps % every_steps:
            raise ScalingLawsError(
                f"swa: the window ({window_steps} steps) must be a positive multiple of the "
                f"sampling interval ({every_steps} steps)"
            )
        self.window_steps, self.every_steps, self.dtype = window_steps, every_steps, dtype
        self.sum: dict[str, torch.Tensor] | None = None
        self.count = 0

    def update(self, model: torch.nn.Module, step: int) -> tuple[dict[str, torch.Tensor], int] | None:
        """Call after the update that brought the model to ``step``; returns the window's
        mean and its number of samples when ``step`` closes a window, else None."""
        if step % self.every_steps == 0:
            with torch.no_grad():
                weights = _float_state(model)
                if self.sum is None:
                    self.sum = {k: v.detach().to(self.dtype).clone() for k, v in weights.items()}
                else:
                    for k, v in weights.items():
                        self.sum[k].add_(v.detach().to(self.dtype))
            self.count += 1
        if step % self.window_steps:
            return None
        mean = {k: (v / self.count).to(torch.float32) for k, v in self.sum.items()}
        samples = self.count
        self.sum, self.count = None, 0
        return mean, samples

    def settings(self) -> dict:
        return {"window_steps": self.window_steps, "every_steps": self.every_steps, "dtype": str(self.dtype)}

    def state_dict(self) -> dict:
        return {"settings": self.settings(), "sum": self.sum, "count": self.count}

    def load_state_dict(self, state: dict, where: str = "checkpoint") -> None:
        if state["settings"] != self.settings():
            raise ScalingLawsError(
                f"{where}: its SWA window was {state['settings']}, this run asks for {self.settings()}"
            )
        self.sum, self.count = _copy(state["sum"]), state["count"]


class EMA:
    """Exponential moving average of the weights, updated every step: e ← d·e + (1−d)·w."""

    def __init__(self, decay: float):
        if not 0.0 < decay < 1.0:
            raise ScalingLawsError(f"ema decay {decay} is outside (0, 1)")
        self.decay = decay
        self.weights: dict[str, torch.Tensor] | None = None

    def update(self, model: torch.nn.Module) -> None:
        with torch.no_grad():
            w = _float_state(model)
            if self.weights is None:
                self.weights = {k: v.detach().float().clone() for k, v in w.items()}
            else:
                for k, v in w.items():
                    self.weights[k].lerp_(v.detach().float(), 1.0 - self.decay)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "weights": self.weights}

    def load_state_dict(self, state: dict, where: str = "checkpoint") -> None:
        if state["decay"] != self.decay:
            raise ScalingLawsError(f"{where}: its EMA decay was {state['decay']}, this run asks for {self.decay}")
        self.weights = _copy(state["weights"])


def merge(weights: list[dict[str, torch.Tensor]], counts: list[int] | None = None) -> dict[str, torch.Tensor]:
    """Mean of several window averages, weighted by how many samples each holds
    (equal windows: a uniform mean). Computed in fp64."""
    if not weights:
        raise ScalingLawsError("average: no weights to merge")
    counts = counts or [1] * len(weights)
    keys = weights[0].keys()
    for i, w in enumerate(weights[1:], 1):
        if w.keys() != keys or any(w[k].shape != weights[0][k].shape for k in keys):
            raise ScalingLawsError(f"average: input {i + 1} has different tensors from input 1")
    total = sum(counts)
    return {
        k: (sum(w[k].to(torch.float64) * c for w, c in zip(weights, counts)) / total).to(weights[0][k].dtype)
        for k in keys
    }
