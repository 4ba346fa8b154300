"""The paper's claims, checked on a ``points.csv``: a table a person can read.

Per (model, budget): the validation loss of the raw trunk checkpoint, its SWA model,
each cooldown and the cosine run, the cooldowns relative to cosine, and per model the
training FLOPs of the WSD pipeline for one cooldown shape (the trunk to its largest
budget plus that shape's cooldowns) over those of the cosine sweep.
"""

from __future__ import annotations

import pandas as pd

from scalinglaws.analysis.points import labels


def losses(points: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per (model, tokens), one column per kind of point (see
    ``points.labels``), and each cooldown's signed gap to each baseline, in %."""
    p = points.assign(label=labels(points))
    wide = p.pivot_table(index=["model", "tokens"], columns="label", values="val_loss", sort=False)
    bases = sorted((c for c in wide.columns if c.startswith("cosine")), key=lambda c: (c != "cosine", c))
    order = ["trunk", "swa", *bases] + sorted(c for c in wide.columns if "@" in c)
    wide = wide[[c for c in order if c in wide.columns]]
    for base in bases:
        for c in [c for c in wide.columns if "@" in c and " vs " not in c]:
            wide[f"{c} vs {base} %"] = 100 * (wide[c] / wide[base] - 1)
    return wide.reset_index()


def flops_ratios(points: pd.DataFrame) -> pd.DataFrame:
    """Per model and cooldown (shape, fraction): WSD-pipeline FLOPs / cosine-sweep FLOPs,
    counted two ways.

    - ``ratio``: one trunk to the largest budget — it goes on past the last fork step, for
      the trunk and SWA points there — plus each cooldown (its fraction of its budget, up
      to rounding to whole steps); the workflow's branches off the trunk's grid are not in
      a points table (compute.json counts them);
    - ``ratio_paper``: the trunk only to the last fork step, as Hägele et al.'s savings
      count it, i.e. D_max + f·Σ_{i<max} D_i.

    The cosine sweep it replaces pays every one of those budgets in full (whether or not
    its baselines were trained: cosine.budgets may pick a few)."""
    rows = []
    for model, g in points.groupby("model", sort=False):
        per_token = (g.flops / g.tokens).iloc[0]
        d_max = g[g.kind.isin(["trunk", "cooldown"])].tokens.max()
        cds = g[g.kind == "cooldown"]
        for (shape, frac), c in cds.groupby(["shape", "cooldown_fraction"], sort=False):
            cosine = c.flops.sum()
            wsd = per_token * d_max + (c.flops * frac).sum()
            paper = wsd - per_token * frac * c.tokens.max()  # the trunk's last stretch is its cooldown's
            rows.append(
                {
                    "model": model,
                    "cooldown": f"{shape}@{frac:g}",
                    "wsd_flops": wsd,
                    "wsd_flops_paper": paper,
                    "cosine_flops": cosine,
                    "ratio": wsd / cosine if cosine else float("nan"),
                    "ratio_paper": paper / cosine if cosine else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def gaps(points: pd.DataFrame, label: str, baseline: str = "cosine") -> pd.Series:
    """Signed relative gaps (%) of the ``label`` points to the baseline at the same (model,
    budget): negative is lower loss than the baseline."""
    w = losses(points)
    both = w[[label, baseline]].dropna() if label in w and baseline in w else pd.DataFrame(columns=[label, baseline])
    return 100 * (both[label] / both[baseline] - 1)


def _signed(g: pd.Series) -> str:
    return f"signed gaps {g.min():+.2f}% to {g.max():+.2f}% (median {g.median():+.2f}%)"


def claims(
    points: pd.DataFrame,
    shape: str = "1-sqrt",
    other: str = "linear",
    fraction: float = 0.2,
    compute: dict | None = None,
    tolerance: float = 1.0,
) -> list[str]:
    """The paper's findings as counted statements about these points (only those the
    points can speak to). "Matches" is two-sided: |gap| ≤ ``tolerance`` %, with the signed
    gaps given, so a cooldown far below the baseline does not read as a match."""
    w = losses(points)
    cd, alt = f"{shape}@{fraction:g}", f"{other}@{fraction:g}"
    out = []
    g = gaps(points, cd)
    if len(g):
        ok = int((g.abs() <= tolerance).sum())
        out.append(
            f"{shape} {fraction:g} cooldown matches cosine (|gap| ≤ {tolerance:g}%): {ok} of {len(g)}; "
            f"{_signed(g)}; below cosine by more than {tolerance:g}%: {int((g < -tolerance).sum())}, "
            f"above by more: {int((g > tolerance).sum())}"
        )
    for base in [c for c in w.columns if c.startswith("cosine→") and " vs " not in c]:
        g = gaps(points, cd, base)
        if len(g):
            out.append(
                f"{shape} {fraction:g} cooldown against {base} (cosine to {base[7:]} of peak): "
                f"{int((g.abs() <= tolerance).sum())} of {len(g)} within {tolerance:g}%; {_signed(g)}"
            )
        g = gaps(points, base, "cosine")
        if len(g):
            out.append(f"{base} against cosine: lower at {int((g < 0).sum())} of {len(g)}; {_signed(g)}")
    if cd in w and alt in w:
        g = gaps(points, cd, alt)
        out.append(f"{shape} at or below {other}: {int((g <= 0).sum())} of {len(g)}; {_signed(g)}")
    if "swa" in w and "trunk" in w:
        g = gaps(points, "swa", "trunk")
        out.append(f"SWA below the raw trunk checkpoint: {int((g < 0).sum())} of {len(g)}; {_signed(g)}")
    fr = flops_ratios(points)
    one = fr[fr.cooldown == cd] if not fr.empty else fr
    if not one.empty and one.cosine_flops.sum() > 0:
        line = (
            f"training FLOPs of the trunk + {cd} cooldowns / the cosine sweep: "
            f"{one.wsd_flops.sum() / one.cosine_flops.sum():.3f} with one trunk to the largest budget, "
            f"{one.wsd_flops_paper.sum() / one.cosine_flops.sum():.3f} as the paper counts it (the trunk to "
            "the last fork step)"
        )
        ran = (compute or {}).get("totals", {}).get(f"wsd ({cd})", {})
        if ran.get("flops_ratio_to_cosine") is not None:
            line += f"; {ran['flops_ratio_to_cosine']:.3f} as run here (with the branches off the trunk's grid)"
        if ran.get("seconds_ratio_to_cosine") is not None:
            line += f"; measured job seconds: {ran['seconds_ratio_to_cosine']:.3f}"
        out.append(line)
    return out


def predicted(predictions: pd.DataFrame) -> list[str]:
    """Markdown lines on predictions.csv: how close the predictions came where the runs were
    also measured, and the predicted losses of cooldowns that were not trained."""
    out = ["## Predicted before training (predictions.csv)", ""]
    done = predictions[(predictions.role == "predicted") & predictions.relative_error.notna()]
    for kind, g in done.groupby("kind", sort=False):
        err = g.relative_error.abs()
        out.append(
            f"- {kind}: {len(g)} runs predicted from their schedule and then measured: mean |error| "
            f"{err.mean():.2%}, worst {err.max():.2%}"
        )
    only = predictions[(predictions.kind == "cooldown") & predictions.measured_loss.isna()]
    if len(only):
        table = only[["model", "shape", "cooldown_fraction", "tokens", "predicted_loss"]]
        out += [
            "",
            f"{len(only)} cooldowns were predicted and not trained (predict.run_predicted: false):",
            "",
            table.to_markdown(index=False, floatfmt=".4f"),
        ]
    return out + [""]


def markdown(points: pd.DataFrame, predictions: pd.DataFrame | None = None, compute: dict | None = None) -> str:
    out = ["## Claims", ""] + [f"- {c}" for c in claims(points, compute=compute)] + [""]
    out += ["## Validation loss per (model, budget)", "", losses(points).to_markdown(index=False, floatfmt=".4f"), ""]
    fr = flops_ratios(points)
    if not fr.empty and fr.cosine_flops.gt(0).any():
        total = fr.groupby("cooldown").agg(
            wsd_flops=("wsd_flops", "sum"),
            wsd_flops_paper=("wsd_flops_paper", "sum"),
            cosine_flops=("cosine_flops", "sum"),
        )
        total["ratio"] = total.wsd_flops / total.cosine_flops
        total["ratio_paper"] = total.wsd_flops_paper / total.cosine_flops
        out += [
            "## Training FLOPs: WSD pipeline (one shape) / cosine sweep",
            "",
            "`ratio`: one trunk to the largest budget (compute.json adds the branches off its grid); "
            "`ratio_paper`: the trunk to the last fork step "
            "(D_max + f·Σ_{i<max} D_i), as Hägele et al. count the savings.",
            "",
            fr.to_markdown(index=False, floatfmt=".3g"),
            "",
            "All models:",
            "",
            total.reset_index().to_markdown(index=False, floatfmt=".3g"),
            "",
        ]
    if predictions is not None:
        out += predicted(predictions)
    return "\n".join(out)


def write(points_csv: str, out: str, predictions_csv: str | None = None, compute_json: str | None = None) -> str:
    """The summary rule: points.csv (with predictions.csv and compute.json when given) →
    summary.md; returns the Markdown."""
    import json
    from pathlib import Path

    from scalinglaws.files import atomic_write

    predictions = None if predictions_csv is None else pd.read_csv(predictions_csv)
    compute = None if compute_json is None else json.loads(Path(compute_json).read_text())
    text = markdown(pd.read_csv(points_csv), predictions, compute)
    with atomic_write(out) as f:
        f.write(text)
    return text
