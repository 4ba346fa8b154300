"""Aggregate evaluations into ``points.csv``: one row per evaluated model.

Columns (a contract other tools rely on, see DESIGN.md):
``model, params, params_non_embedding, tokens, flops, kind, shape, cooldown_fraction,
step, val_loss``. ``tokens`` is what the evaluated weights have seen; ``flops`` is the
training FLOPs of one run of that many tokens, so points of every kind are comparable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from scalinglaws import ScalingLawsError
from scalinglaws.experiment.checkpoints import checkpoints
from scalinglaws.experiment.flops import flops_per_token, param_counts
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep, baseline_label
from scalinglaws.files import atomic_write

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "model",
    "params",
    "params_non_embedding",
    "tokens",
    "flops",
    "kind",
    "shape",
    "cooldown_fraction",
    "step",
    "val_loss",
    "final_lr_fraction",
]


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
        rows.append(
            {
                **param_counts(cfg),
                **{
                    k: c.get(k, "")
                    for k in ("model", "tokens", "kind", "shape", "cooldown_fraction", "step", "final_lr_fraction")
                },
                "flops": flops_per_token(cfg, flops_cfg["convention"], flops_cfg["params"]) * c["tokens"],
                "val_loss": ev["val_loss"],
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_points(config: dict, layout: Layout, out: str | None = None) -> pd.DataFrame:
    df = aggregate(config, layout)
    with atomic_write(out or layout.points, newline="") as f:
        df.to_csv(f, index=False)
    return df
