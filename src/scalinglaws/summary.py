"""The paper's claims, checked on a ``points.csv``: a table a person can read.

Per (model, budget): the validation loss of the raw trunk checkpoint, its SWA model,
each cooldown and the cosine run, the cooldowns relative to cosine, and per model the
training FLOPs of the WSD pipeline for one cooldown shape (the trunk to its largest
budget plus that shape's cooldowns) over those of the cosine sweep.
"""

from __future__ import annotations

import pandas as pd


def _label(row) -> str:
    if row.kind == "cooldown":
        return f"{row['shape']}@{row.cooldown_fraction:g}"
    return row.kind


def losses(points: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per (model, tokens), one column per kind of point."""
    p = points.assign(label=points.apply(_label, axis=1))
    wide = p.pivot_table(index=["model", "tokens"], columns="label", values="val_loss", sort=False)
    order = ["trunk", "swa", "cosine"] + sorted(c for c in wide.columns if "@" in c)
    wide = wide[[c for c in order if c in wide.columns]]
    if "cosine" in wide:
        for c in [c for c in wide.columns if "@" in c]:
            wide[f"{c} vs cosine %"] = 100 * (wide[c] / wide["cosine"] - 1)
    return wide.reset_index()


def flops_ratios(points: pd.DataFrame) -> pd.DataFrame:
    """Per model and cooldown (shape, fraction): WSD-pipeline FLOPs / cosine-sweep FLOPs.

    The trunk is paid once, to the largest budget; each cooldown costs its fraction of its
    budget (up to rounding to whole steps); the cosine sweep pays every budget in full."""
    rows = []
    for model, g in points.groupby("model", sort=False):
        per_token = (g.flops / g.tokens).iloc[0]
        cosine = g[g.kind == "cosine"].flops.sum()
        trunk = per_token * g[g.kind.isin(["trunk", "cooldown"])].tokens.max()
        cds = g[g.kind == "cooldown"]
        for (shape, frac), c in cds.groupby(["shape", "cooldown_fraction"], sort=False):
            wsd = trunk + (c.flops * frac).sum()
            rows.append({"model": model, "cooldown": f"{shape}@{frac:g}", "wsd_flops": wsd, "cosine_flops": cosine,
                         "ratio": wsd / cosine if cosine else float("nan")})
    return pd.DataFrame(rows)


def claims(points: pd.DataFrame, shape: str = "1-sqrt", other: str = "linear", fraction: float = 0.2) -> list[str]:
    """The paper's findings as counted statements about these points (only those the
    points can speak to)."""
    w = losses(points)
    cd, alt = f"{shape}@{fraction:g}", f"{other}@{fraction:g}"
    out = []
    if cd in w and "cosine" in w:
        ok = (w[cd] <= 1.01 * w["cosine"]).sum()
        out.append(f"{shape} {fraction:g} cooldown within 1% of cosine or below: {ok} of {len(w)} "
                   f"(worst {w[f'{cd} vs cosine %'].max():+.2f}%)")
    if cd in w and alt in w:
        out.append(f"{shape} at or below {other}: {(w[cd] <= w[alt]).sum()} of {len(w)}")
    if "swa" in w and "trunk" in w:
        out.append(f"SWA below the raw trunk checkpoint: {(w['swa'] < w['trunk']).sum()} of {len(w)}")
    fr = flops_ratios(points)
    if not fr.empty and fr.cosine_flops.gt(0).any():
        one = fr[fr.cooldown == cd]
        if not one.empty:
            out.append(f"training FLOPs of the trunk + {cd} cooldowns / the cosine sweep: "
                       f"{one.wsd_flops.sum() / one.cosine_flops.sum():.3f}")
    return out


def predicted(predictions: pd.DataFrame) -> list[str]:
    """Markdown lines on predictions.csv: how close the predictions came where the runs were
    also measured, and the predicted losses of cooldowns that were not trained."""
    out = ["## Predicted before training (predictions.csv)", ""]
    done = predictions[(predictions.role == "predicted") & predictions.relative_error.notna()]
    for kind, g in done.groupby("kind", sort=False):
        err = g.relative_error.abs()
        out.append(f"- {kind}: {len(g)} runs predicted from their schedule and then measured: mean |error| "
                   f"{err.mean():.2%}, worst {err.max():.2%}")
    only = predictions[(predictions.kind == "cooldown") & predictions.measured_loss.isna()]
    if len(only):
        table = only[["model", "shape", "cooldown_fraction", "tokens", "predicted_loss"]]
        out += ["", f"{len(only)} cooldowns were predicted and not trained (predict.run_predicted: false):", "",
                table.to_markdown(index=False, floatfmt=".4f")]
    return out + [""]


def markdown(points: pd.DataFrame, predictions: pd.DataFrame | None = None) -> str:
    out = ["## Claims", ""] + [f"- {c}" for c in claims(points)] + [""]
    out += ["## Validation loss per (model, budget)", "", losses(points).to_markdown(index=False, floatfmt=".4f"), ""]
    fr = flops_ratios(points)
    if not fr.empty and fr.cosine_flops.gt(0).any():
        total = fr.groupby("cooldown").agg(wsd_flops=("wsd_flops", "sum"), cosine_flops=("cosine_flops", "sum"))
        total["ratio"] = total.wsd_flops / total.cosine_flops
        out += ["## Training FLOPs: WSD pipeline (one shape) / cosine sweep", "",
                fr.to_markdown(index=False, floatfmt=".3g"), "", "All models:", "",
                total.reset_index().to_markdown(index=False, floatfmt=".3g"), ""]
    if predictions is not None:
        out += predicted(predictions)
    return "\n".join(out)
