"""The plots rule: what the report shows of an experiment, from its files (points, fits,
compute account, per-step metrics), drawn by ``analysis.drawing``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from scalinglaws.analysis import drawing
from scalinglaws.analysis.predictions import predicted_points
from scalinglaws.analysis.summary import losses
from scalinglaws.experiment.layout import FIGURES, Layout
from scalinglaws.experiment.sweep import Sweep, fraction_label


def figures(config: dict, layout, out_dir: str) -> dict[str, str]:
    """Every figure of the report, from the experiment's files; returns name → PNG path."""
    meta = json.loads(Path(layout.meta).read_text())
    sweep = Sweep(config, vocab_size=meta["vocab_size"])
    points = pd.read_csv(layout.points)
    fits = json.loads(Path(layout.fits).read_text())
    account = json.loads(Path(layout.compute).read_text())
    colors = drawing.model_colors(sweep.models)
    paths = {name: f"{out_dir}/{name}.png" for name in FIGURES}
    Path(out_dir).mkdir(parents=True, exist_ok=True)

    biggest = sweep.models[-1]
    c0 = max(sweep.cooldowns(biggest), key=lambda c: c.tokens)
    drawing.schedules(
        paths["schedules"],
        c0.total_steps,
        sweep.warmup_steps_for(c0.model),
        c0.cooldown_steps,
        config["cooldown"]["shapes"],
        sweep.cosine_final_fractions[0],
    )

    shape, frac = config["cooldown"]["shapes"][0], config["cooldown"]["fractions"][0]

    def metrics(job):
        return pd.read_csv(layout.metrics(job))

    trunk = pd.concat(
        [metrics(Layout.link_job(link)).assign(model=m) for m in sweep.models for link in _curve(sweep, m)]
    )
    cooldowns = {
        m: [
            metrics(layout.cooldown_job(m, c.shape, fraction_label(c.fraction), c.tokens))
            for c in sweep.cooldowns(m)
            if (c.shape, c.fraction) == (shape, frac)
        ]
        for m in sweep.models
    }
    cosine = {
        m: [metrics(layout.cosine_job(m, b.tokens)) for b in sweep.baselines(m) if b.primary] for m in sweep.models
    }
    drawing.loss_curves(paths["loss_curves"], trunk, cooldowns, cosine, colors)

    wide = losses(points)
    label = f"{shape}@{frac:g}"
    for name, x, y, title in (
        ("cooldown_vs_cosine", "cosine", label, f"{label} cooldown vs cosine"),
        ("swa_vs_trunk", "trunk", "swa", "SWA vs the raw trunk"),
    ):
        if x in wide and y in wide:
            drawing.versus(paths[name], wide, x, y, colors, title)
        else:
            drawing.placeholder(paths[name], f"no {x} or {y} points in this experiment")

    cd_set, cd_points = f"cooldown {label}", points[points.kind == "cooldown"]
    if sweep.predicted_only:  # most cooldowns were predicted, not trained: show them, labelled
        cd_set = f"{cd_set} (predicted)"
        filled = predicted_points(points, pd.read_csv(layout.predictions))
        filled = filled[(filled["shape"] == shape) & np.isclose(filled.cooldown_fraction.astype(float), frac)]
        trained = set(zip(cd_points.model, cd_points.tokens, cd_points["shape"]))
        is_trained = [k in trained for k in zip(filled.model, filled.tokens, filled["shape"])]
        cd_points = filled.assign(kind=np.where(is_trained, "cooldown", "cooldown, predicted"))
    drawing.frontier(paths["frontier"], cd_points, fits, colors, cd_set)
    drawing.allocation(paths["allocation"], fits, (points.flops.min(), points.flops.max() * 100))
    drawing.compute_saved(paths["compute"], account)
    return paths


def _curve(sweep: Sweep, model: str) -> list:
    """The trunk jobs that draw ``model``'s trunk once: the chain, and the branch past its
    end to the largest budget (the other branches retrace steps the chain has)."""
    chain = sweep.chain(model)
    tail = [b for b in sweep.branches(model) if b.start == chain[-1].step]
    return chain + [max(tail, key=lambda b: b.step)] if tail else chain
