"""A sweep's final losses predicted before (or instead of) training them.

Per model, a loss-curve law (``predict.law``: the LR-annealing law of Tissue et al. 2024 by
default, or the multi-power law of Luo et al. 2025) is fitted to the validation losses
measured on the trunk (every checkpoint of its chain: the budgets' from points.csv, the
fork steps' from their own evaluations) and on a few cooldowns (``Sweep.fit_cooldowns``, by
default the largest budget's), each placed on its exact LR schedule. It then predicts every
other cooldown and every cosine run from its schedule alone.
``results/{experiment}/predictions.csv`` has one row per predicted or fitted run:

    model, kind, shape, cooldown_fraction, tokens, step, role, predicted_loss,
    measured_loss, relative_error

``role`` is ``fit`` (the law saw it) or ``predicted``; ``measured_loss`` and
``relative_error`` (predicted / measured − 1) are empty for a cooldown that was predicted
and not trained (``predict.run_predicted: false``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from scalinglaws import ScalingLawsError
from scalinglaws.analysis import drawing
from scalinglaws.experiment.checkpoints import fork_evaluations
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Cooldown, Sweep, fraction_label
from scalinglaws.files import atomic_write
from scalinglaws.laws.curves import LawFit
from scalinglaws.laws.registry import PARAMETERS, fit_law
from scalinglaws.training.schedules import Schedule

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "model",
    "kind",
    "shape",
    "cooldown_fraction",
    "tokens",
    "step",
    "role",
    "predicted_loss",
    "measured_loss",
    "relative_error",
]


def trunk_lr(sweep: Sweep, model: str, steps: int) -> np.ndarray:
    """The trunk's LR at steps 1…``steps``: warmup, then constant."""
    schedule = Schedule("constant", warmup_steps=sweep.warmup_steps_for(model))
    return sweep.model_spec(model)["lr"] * np.array(schedule.multipliers(0, steps))


def cooldown_lr(sweep: Sweep, c: Cooldown) -> np.ndarray:
    """A cooldown's whole LR sequence: the trunk's up to the fork, then the decay."""
    schedule = Schedule(
        "wsd",
        c.total_steps,
        sweep.warmup_steps_for(c.model),
        c.cooldown_steps,
        c.shape,
        sweep.config["cooldown"]["final_fraction"],
    )
    return sweep.model_spec(c.model)["lr"] * np.array(schedule.multipliers(0, c.total_steps))


def cosine_lr(sweep: Sweep, model: str, steps: int) -> np.ndarray:
    """The primary cosine baseline's LR sequence (the one predicted at every budget)."""
    schedule = Schedule("cosine", steps, sweep.warmup_steps_for(model), final_fraction=sweep.cosine_final_fractions[0])
    return sweep.cosine_lr(model) * np.array(schedule.multipliers(0, steps))


def _measured(
    points: pd.DataFrame,
    model: str,
    kind: str,
    tokens: int,
    c: Cooldown | None = None,
    final_fraction: float | None = None,
) -> float:
    rows = points[(points.model == model) & (points.kind == kind) & (points.tokens == tokens)]
    if final_fraction is not None and "final_lr_fraction" in rows and rows.final_lr_fraction.notna().all():
        rows = rows[np.isclose(rows.final_lr_fraction.astype(float), final_fraction)]
    if c is not None:
        rows = rows[(rows["shape"] == c.shape) & np.isclose(rows.cooldown_fraction.astype(float), c.fraction)]
    return float(rows.val_loss.iloc[0]) if len(rows) else float("nan")


def read_fork_evaluations(sweep: Sweep, layout: Layout) -> pd.DataFrame:
    """The fork steps' trunk losses (model, step, val_loss) from their evaluation JSONs."""
    import json
    from pathlib import Path

    import pandas as pd

    rows = [
        {"model": m, "step": s, "val_loss": json.loads(Path(path).read_text())["val_loss"]}
        for (m, s), path in fork_evaluations(sweep, layout).items()
    ]
    return pd.DataFrame(rows, columns=["model", "step", "val_loss"])


def fit_model(sweep: Sweep, points: pd.DataFrame, model: str, forks: pd.DataFrame | None = None) -> LawFit:
    """The law of one model, from its trunk checkpoints' losses (points.csv's, and
    ``forks``': model, step, val_loss) and its fitted cooldowns'."""
    import pandas as pd

    trunk = points[(points.model == model) & (points.kind == "trunk")][["step", "val_loss"]]
    if forks is not None:
        trunk = pd.concat([trunk, forks[forks.model == model][["step", "val_loss"]]])
    trunk = trunk.drop_duplicates("step").sort_values("step")
    runs = [(trunk_lr(sweep, model, int(trunk.step.max())), trunk.step.to_numpy(int), trunk.val_loss.to_numpy(float))]
    for c in sweep.fit_cooldowns(model):
        loss = _measured(points, model, "cooldown", c.tokens, c)
        if np.isnan(loss):
            raise ScalingLawsError(f"points: no measured loss for the fitted cooldown {c}")
        runs.append((cooldown_lr(sweep, c), np.array([c.total_steps]), np.array([loss])))
    n, law = sum(len(r[1]) for r in runs), sweep.predict["law"]
    if n < PARAMETERS[law]:
        raise ScalingLawsError(
            f"model {model!r}: {n} measured losses cannot fit the {law} law's {PARAMETERS[law]} parameters"
        )
    return fit_law(law, runs, decay=sweep.predict["decay"])


def _row(model, kind, c, tokens, step, role, predicted, measured) -> dict:
    return {
        "model": model,
        "kind": kind,
        "shape": c.shape if c else "",
        "cooldown_fraction": fraction_label(c.fraction) if c else "",
        "tokens": tokens,
        "step": step,
        "role": role,
        "predicted_loss": predicted,
        "measured_loss": measured,
        "relative_error": predicted / measured - 1 if measured == measured else float("nan"),
    }


def predictions(
    config: dict, points: pd.DataFrame, forks: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, LawFit | str]]:
    """Every cooldown and cosine run predicted per model; also each model's fit (or why not)."""
    import pandas as pd  # here: the workflow imports this package at every start

    sweep = Sweep(config)
    rows, fits = [], {}
    for m in sweep.models:
        try:
            fits[m] = fit_model(sweep, points, m, forks)
        except ScalingLawsError as e:
            fits[m] = str(e)
            continue
        law, fitted = fits[m].law, set(sweep.fit_cooldowns(m))
        for c in sweep.all_cooldowns(m):
            rows.append(
                _row(
                    m,
                    "cooldown",
                    c,
                    c.tokens,
                    c.total_steps,
                    "fit" if c in fitted else "predicted",
                    float(law.curve(cooldown_lr(sweep, c))[-1]),
                    _measured(points, m, "cooldown", c.tokens, c),
                )
            )
        if config["cosine"]["enabled"]:
            for tokens, steps in zip(sorted(sweep.budgets(m)), sweep.budget_steps(m)):
                rows.append(
                    _row(
                        m,
                        "cosine",
                        None,
                        tokens,
                        steps,
                        "predicted",
                        float(law.curve(cosine_lr(sweep, m, steps))[-1]),
                        _measured(points, m, "cosine", tokens, final_fraction=sweep.cosine_final_fractions[0]),
                    )
                )
    return pd.DataFrame(rows, columns=COLUMNS), fits


def errors(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and worst |relative error| of the predicted rows that were also measured, by kind."""
    done = table[(table.role == "predicted") & table.relative_error.notna()]
    return done.assign(error=done.relative_error.abs()).groupby("kind").error.agg(["count", "mean", "max"])


def predicted_points(points: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The cooldown points with every predicted-only cooldown's predicted loss filled in:
    points.csv's rows for the trained cooldowns plus one row per predicted cooldown, with
    the parameter and FLOP columns of the same model and budget. The set is labelled
    predicted wherever it is used (``analysis.fits.point_sets``)."""
    import pandas as pd

    unmeasured = table[(table.kind == "cooldown") & table.measured_loss.isna()]
    trained = points[points.kind == "cooldown"]
    per_budget = points.drop_duplicates(["model", "tokens"]).set_index(["model", "tokens"])
    extra = []
    for r in unmeasured.itertuples():
        base = per_budget.loc[(r.model, r.tokens)]
        extra.append(
            {
                **{k: base[k] for k in ("params", "params_non_embedding", "flops")},
                "model": r.model,
                "tokens": r.tokens,
                "kind": "cooldown",
                "shape": r.shape,
                "cooldown_fraction": float(r.cooldown_fraction),
                "step": r.step,
                "val_loss": r.predicted_loss,
            }
        )
    return pd.concat([trained, pd.DataFrame(extra, columns=points.columns)], ignore_index=True)


def curves(config: dict, fits: dict) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Per fitted model, its predicted (steps, loss) curves: the trunk first, then each
    cooldown from its fork step (for the figure)."""
    sweep = Sweep(config)
    out = {}
    for m, f in fits.items():
        if isinstance(f, str):
            continue
        last = max(sweep.budget_steps(m))
        steps = np.arange(1, last + 1)
        out[m] = [(steps, f.law.curve(trunk_lr(sweep, m, last)))]
        for c in sweep.all_cooldowns(m):
            s = np.arange(c.fork_step, c.total_steps + 1)
            out[m].append((s, f.law.curve(cooldown_lr(sweep, c))[s - 1]))
    return out


def write(config: dict, layout: Layout, out: str, figure: str) -> pd.DataFrame:
    """The predict rule: predictions.csv and its figure; a summary of errors to stdout."""

    import pandas as pd

    sweep = Sweep(config)
    points = pd.read_csv(layout.points)
    forks = read_fork_evaluations(sweep, layout)
    table, fits = predictions(config, points, forks)
    for m, f in fits.items():
        print(f"{m}: {f if isinstance(f, str) else f.law}")
    print(errors(table).to_string())
    with atomic_write(out, newline="") as f:
        table.to_csv(f, index=False)
    colors = drawing.model_colors(sweep.models)
    trunk = pd.concat([points[points.kind == "trunk"][["model", "step", "val_loss"]], forks])
    drawing.predictions(figure, table, curves(config, fits), trunk, colors)
    return table
