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
from scalinglaws.sweep import Sweep, baseline_label, fraction_label

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["model", "params", "params_non_embedding", "tokens", "flops", "kind", "shape", "cooldown_fraction", "step", "val_loss",
           "final_lr_fraction"]


def checkpoints(sweep: Sweep, layout: Layout) -> list[dict]:
    """Every evaluated checkpoint of the sweep with what identifies its point."""
    out = []
    cooled_to = sweep.config["cooldown"]["final_fraction"]
    for m in sweep.models:
        for tokens, step in zip(sorted(sweep.budgets(m)), sweep.budget_steps(m)):
            out.append(dict(model=m, tokens=tokens, kind="trunk", step=step, path=layout.trunk(m, step)))
        for b in sweep.baselines(m):
            out.append(dict(model=m, tokens=b.tokens, kind="cosine", step=b.tokens // sweep.tokens_per_step,
                            final_lr_fraction=b.final_fraction, path=layout.cosine(m, b.tokens, b.directory)))
        for c in sweep.cooldowns(m):
            frac = fraction_label(c.fraction)
            out.append(dict(model=m, tokens=c.tokens, kind="cooldown", shape=c.shape, cooldown_fraction=frac,
                            step=c.total_steps, final_lr_fraction=cooled_to, path=layout.cooldown(m, c.shape, frac, c.tokens)))
        for p in sweep.swa_points(m):
            out.append(dict(model=m, tokens=p.tokens, kind="swa", step=p.step, path=layout.swa(m, p.tokens)))
    return out


def labels(points: pd.DataFrame) -> pd.Series:
    """What produced each point, as tables and point sets name it: ``trunk``, ``swa``,
    ``1-sqrt@0.2`` (a cooldown), ``cosine`` (the primary baseline) and ``cosine→0`` (another
    baseline, by its final LR fraction). The primary baseline is the first final fraction
    among the cosine rows: ``aggregate`` writes them in cosine.final_fractions order."""
    kind = points.kind.astype(str)
    out = kind.copy()
    cd = kind == "cooldown"
    out[cd] = points["shape"][cd].astype(str) + "@" + points.cooldown_fraction[cd].map(lambda f: f"{float(f):g}")
    cos = kind == "cosine"
    if cos.any() and "final_lr_fraction" in points and points.final_lr_fraction[cos].notna().all():
        ffs = points.final_lr_fraction[cos].astype(float)
        primary = ffs.iloc[0]
        out[cos] = [baseline_label(f, f == primary) for f in ffs]
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
            **{k: c.get(k, "") for k in ("model", "tokens", "kind", "shape", "cooldown_fraction", "step", "final_lr_fraction")},
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
