"""Aggregate evaluations into ``points.csv``: one row per evaluated model.

Columns (a contract other tools rely on, see DESIGN.md):
``model, params, params_non_embedding, tokens, flops, kind, shape, cooldown_fraction,
step, val_loss``. ``tokens`` is what the evaluated weights have seen; ``flops`` is the
training FLOPs of one run of that many tokens, so points of every kind are comparable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scalinglaws import ScalingLawsError
from scalinglaws.flops import flops_per_token, param_counts
from scalinglaws.layout import Layout
from scalinglaws.sweep import Sweep, fraction_label

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["model", "params", "params_non_embedding", "tokens", "flops", "kind", "shape", "cooldown_fraction", "step", "val_loss"]


def checkpoints(sweep: Sweep, layout: Layout) -> list[dict]:
    """Every evaluated checkpoint of the sweep with what identifies its point."""
    out = []
    for m in sweep.models:
        for tokens, step in zip(sorted(sweep.budgets(m)), sweep.budget_steps(m)):
            out.append(dict(model=m, tokens=tokens, kind="trunk", step=step, path=layout.trunk(m, step)))
            if sweep.config["cosine"]["enabled"]:
                out.append(dict(model=m, tokens=tokens, kind="cosine", step=step, path=layout.cosine(m, tokens)))
        for c in sweep.cooldowns(m):
            frac = fraction_label(c.fraction)
            out.append(dict(model=m, tokens=c.tokens, kind="cooldown", shape=c.shape, cooldown_fraction=frac,
                            step=c.total_steps, path=layout.cooldown(m, c.shape, frac, c.tokens)))
        for p in sweep.swa_points(m):
            out.append(dict(model=m, tokens=p.tokens, kind="swa", step=p.step, path=layout.swa(m, p.tokens)))
    return out


def evaluations(sweep: Sweep, layout: Layout) -> list[str]:
    return [layout.evaluation(c["path"]) for c in checkpoints(sweep, layout)]


def fork_evaluations(sweep: Sweep, layout: Layout) -> dict[tuple[str, int], str]:
    """The evaluation JSONs of the trunk checkpoints that are not at a budget (so not in
    points.csv), by (model, step): more trunk losses for the law."""
    return {(m, s): layout.evaluation(layout.trunk(m, s)) for m in sweep.models
            for s in sweep.trunk_steps(m) if s not in sweep.budget_steps(m)}


def aggregate(config: dict, layout: Layout) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: the workflow imports this module at every start

    meta = json.loads(Path(layout.meta).read_text())
    sweep = Sweep(config, vocab_size=meta["vocab_size"])
    flops_cfg = config["flops"]
    rows = []
    for c in checkpoints(sweep, layout):
        ev_path = layout.evaluation(c["path"])
        try:
            ev = json.loads(Path(ev_path).read_text())
        except (OSError, ValueError) as e:
            raise ScalingLawsError(f"{ev_path}: cannot read the evaluation ({e})") from None
        cfg = sweep.model_config(c["model"])
        rows.append({
            **param_counts(cfg),
            **{k: c.get(k, "") for k in ("model", "tokens", "kind", "shape", "cooldown_fraction", "step")},
            "flops": flops_per_token(cfg, flops_cfg["convention"], flops_cfg["params"]) * c["tokens"],
            "val_loss": ev["val_loss"],
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def write_points(config: dict, layout: Layout, out: str | None = None) -> pd.DataFrame:
    df = aggregate(config, layout)
    out = out or layout.points
    tmp = f"{out}.tmp{os.getpid()}"
    df.to_csv(tmp, index=False)
    os.replace(tmp, out)
    return df
