"""Learning-rate schedules as pure functions of the step.

Every schedule gives the multiplier of the peak LR for the update from step s to s+1,
s = 0 … N−1, of a run of N steps. Pure functions (no scheduler object with state) are
what makes a forked cooldown exact: the LR of step s does not depend on where the run
was resumed.

- ``constant``: the trunk — linear warmup, then 1 for ever.
- ``wsd``: warmup–stable–decay — the trunk's schedule until the fork step
  N − N_d, then a decay of ``shape`` to ``final_fraction`` over the last N_d steps.
- ``cosine``: the baseline — warmup, then a half cosine from 1 to ``final_fraction``
  reached at s = N − 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scalinglaws import ScalingLawsError

# Each shape maps the cooldown progress p ∈ [0, 1) to a value that falls from 1 to 0;
# it is then scaled between 1 and the final factor. Names as in Hägele et al. (2024).
SHAPES = {
    "linear": lambda p: 1.0 - p,
    "1-sqrt": lambda p: 1.0 - math.sqrt(p),
    "cosine": lambda p: 0.5 * (1.0 + math.cos(math.pi * p)),
    "1-square": lambda p: 1.0 - p * p,
    "mirror-cosine": lambda p: 2.0 * (1.0 - p) - 0.5 * (1.0 + math.cos(math.pi * p)),
}
KINDS = ("constant", "wsd", "cosine")


def cooldown_steps(total_steps: int, *, fraction: float | None = None, steps: int | None = None) -> int:
    """The number of decay steps N_d of a run of ``total_steps``.

    Given as a fraction of the run (rounded half up to a whole step, and never 0) or as
    an absolute number of steps; exactly one of the two.
    """
    if (fraction is None) == (steps is None):
        raise ScalingLawsError("cooldown: give exactly one of a fraction or a number of steps")
    if steps is None:
        if not 0.0 < fraction <= 1.0:
            raise ScalingLawsError(f"cooldown fraction {fraction} is outside (0, 1]")
        steps = max(1, math.floor(fraction * total_steps + 0.5))
    if not 1 <= steps <= total_steps:
        raise ScalingLawsError(f"cooldown of {steps} steps does not fit a run of {total_steps} steps")
    return steps


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule; ``multiplier(s)`` gives the factor on the peak LR."""

    kind: str = "constant"
    total_steps: int | None = None  # N; not needed by ``constant``
    warmup_steps: int = 0  # W
    cooldown_steps: int | None = None  # N_d, for ``wsd``
    shape: str = "1-sqrt"  # for ``wsd``
    final_fraction: float = 0.0  # LR at the end, as a fraction of the peak

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ScalingLawsError(f"schedule kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.warmup_steps < 0:
            raise ScalingLawsError(f"warmup_steps {self.warmup_steps} is negative")
        if self.kind != "constant" and (self.total_steps is None or self.total_steps < 1):
            raise ScalingLawsError(f"a {self.kind} schedule needs total_steps ≥ 1, got {self.total_steps}")
        if self.kind == "wsd":
            if self.shape not in SHAPES:
                raise ScalingLawsError(f"cooldown shape {self.shape!r} is not one of {', '.join(SHAPES)}")
            if self.cooldown_steps is None or not 1 <= self.cooldown_steps <= self.total_steps:
                raise ScalingLawsError(
                    f"cooldown_steps {self.cooldown_steps} does not fit a run of {self.total_steps} steps"
                )

    @property
    def fork_step(self) -> int:
        """The first step of the decay: the trunk checkpoint a cooldown is forked from."""
        if self.kind != "wsd":
            raise ScalingLawsError(f"a {self.kind} schedule has no fork step")
        return self.total_steps - self.cooldown_steps

    def multiplier(self, s: int) -> float:
        """LR factor for the update from step s to s+1."""
        if s < 0 or (self.total_steps is not None and s >= self.total_steps):
            raise ScalingLawsError(f"step {s} is outside the run of {self.total_steps} steps")
        if s < self.warmup_steps:
            return (s + 1) / self.warmup_steps
        if self.kind == "constant":
            return 1.0
        if self.kind == "wsd":
            if s < self.fork_step:
                return 1.0
            p = (s - self.fork_step) / self.cooldown_steps
            return self.final_fraction + (1.0 - self.final_fraction) * SHAPES[self.shape](p)
        # cosine: progress runs from 0 just after warmup to 1 at the last update.
        span = self.total_steps - 1 - self.warmup_steps
        p = 1.0 if span <= 0 else (s - self.warmup_steps) / span
        return self.final_fraction + (1.0 - self.final_fraction) * 0.5 * (1.0 + math.cos(math.pi * p))

    def multipliers(self, start: int, stop: int) -> list[float]:
        return [self.multiplier(s) for s in range(start, stop)]
