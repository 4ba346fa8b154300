"""The loss-curve laws by name, as configs and the CLI choose them (``predict.law``,
``--law``), with the number of parameters each fits (a fit needs at least as many losses)."""

from __future__ import annotations

from scalinglaws import ScalingLawsError
from scalinglaws.laws.annealing import DECAY, AnnealingLaw, fit_annealing
from scalinglaws.laws.curves import LawFit
from scalinglaws.laws.multipower import MultiPowerLaw, fit_multi_power

LAWS = {"annealing": AnnealingLaw, "multi-power": MultiPowerLaw}
PARAMETERS = {name: len(law.FITTED) for name, law in LAWS.items()}


def fit_law(name: str, runs: list, decay: float = DECAY) -> LawFit:
    """Fit the law called ``name`` to runs given as (lr per step, logged steps (1-based),
    losses there); ``decay`` is the annealing law's λ."""
    if name == "annealing":
        return fit_annealing(runs, decay)
    if name == "multi-power":
        return fit_multi_power(runs)
    raise ScalingLawsError(f"unknown law {name!r}: one of {', '.join(LAWS)}")
