"""Scaling laws of a points table: the three approaches with intervals, as a dict for JSON.

Works on any table of (params, tokens, loss) — ours (``points.csv``) or a published one —
given which columns hold what. Used by ``scalinglaws fit`` and by the workflow's fit rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scalinglaws import ScalingLawsError
from scalinglaws.fit import (
    bootstrap, chinchilla_starts, common_budgets, fit_envelope, fit_isoflop, fit_parametric,
    holdout_check, isoflop_profiles,
)


def _columns(df: pd.DataFrame, params: str, tokens: str, loss: str | None, flops: str | None) -> dict:
    loss = loss or ("val_loss" if "val_loss" in df else "loss")
    cols = {"params": params, "tokens": tokens, "loss": loss}
    for role, col in cols.items():
        if col not in df:
            raise ScalingLawsError(f"--{role}-col {col!r} is not a column; the table has {list(df.columns)}")
    if flops and flops not in df:
        raise ScalingLawsError(f"--flops-col {flops!r} is not a column; the table has {list(df.columns)}")
    return {**cols, "flops": flops if flops else None}


def fit_table(
    df: pd.DataFrame,
    params: str = "params",
    tokens: str = "tokens",
    loss: str | None = None,
    flops: str | None = None,
    budget: str | None = None,
    group: str | None = None,
    approaches=(1, 2, 3),
    n_boot: int = 0,
    seed: int = 0,
    workers: int = 1,
    flops_convention: str | None = None,
    start_stride: int = 1,
    screen: int = 0,
) -> dict:
    """Fit every requested approach to the table's points; a JSON-ready dict.

    ``flops`` (a column) gives each point's training compute; without it C = 6·N·D.
    ``budget`` labels isoFLOP profiles for Approach 2; without it each run is
    interpolated at common budgets. ``group`` names the runs (e.g. ``model``): the unit
    the bootstrap resamples and the envelope compares; without it, one per params value.
    ``start_stride`` k > 1 starts Approach 3 from every k-th point of Chinchilla's grid only
    (for quick looks and smoke tests; the default is all 4,500). ``screen`` k > 0 runs
    L-BFGS-B only from the k starts with the lowest objective (0: from every start)."""
    if start_stride < 1:
        raise ScalingLawsError(f"start stride {start_stride} must be at least 1")
    cols = _columns(df, params, tokens, loss, flops)
    df = df.dropna(subset=[cols["params"], cols["tokens"], cols["loss"]])
    if len(df) < 5:
        raise ScalingLawsError(f"only {len(df)} points: a scaling law needs at least 5")
    n, d, y = (df[cols[k]].to_numpy(float) for k in ("params", "tokens", "loss"))
    c = df[cols["flops"]].to_numpy(float) if cols["flops"] else 6 * n * d
    g = df[group].astype(str).to_numpy() if group else np.array([f"{v:.6g}" for v in n])
    out = {
        "n_points": len(df),
        "n_groups": int(len(np.unique(g))),
        "columns": {**cols, "budget": budget, "group": group},
        "flops_convention": flops_convention or (f"column {cols['flops']!r}" if cols["flops"] else "6ND"),
    }

    if 3 in approaches:
        best = fit_parametric(n, d, y, starts=chinchilla_starts()[::start_stride], workers=workers, screen=screen or None)
        res = best.to_dict()
        # Refits (bootstrap, holdout) start from the full fit and a coarse corner of
        # Chinchilla's grid: 4,500 starts per refit would make intervals cost hours.
        refit_starts = np.vstack([best.x, chinchilla_starts()[::450]])
        if n_boot:
            at_bound = []

            def once(idx):
                f = fit_parametric(n[idx], d[idx], y[idx], starts=refit_starts)
                al = f.allocation()
                at_bound.append(bool(f.at_bound))
                return {"E": f.E, "A": f.A, "B": f.B, "alpha": f.alpha, "beta": f.beta, "a": al["a"], "b": al["b"]}, f.success

            res["bootstrap"] = bootstrap(g, once, n_boot, seed)
            # Converged, but with a parameter pinned at a bound: typical when a resample
            # holds too few distinct models to identify the law. Counted, not hidden.
            res["bootstrap"]["at_bound"] = int(sum(at_bound))
        res["holdout"] = holdout_check(n, d, y, c, lambda *a: fit_parametric(*a, starts=refit_starts))
        out["approach3"] = res

    if 2 in approaches:
        labels = df[budget].to_numpy(float) if budget else None
        budgets = common_budgets(c)

        def iso(idx):
            if labels is not None:
                return fit_isoflop(n[idx], d[idx], y[idx], labels[idx])
            p = isoflop_profiles(g[idx], n[idx], d[idx], c[idx], y[idx], budgets)
            return fit_isoflop(p["n"], p["d"], p["loss"], p["budget"])

        note = (f"isoFLOP profiles from column {budget!r}" if budget else
                f"each run's loss interpolated along its own loss-versus-FLOPs points at {len(budgets)} "
                "common budgets (the runs are not laid out on isoFLOP lines)")
        res = iso(np.arange(len(y)))
        res.note = note
        out["approach2"] = res.to_dict()
        if n_boot:
            out["approach2"]["bootstrap"] = bootstrap(g, lambda idx: _exponents(iso(idx)), n_boot, seed)

    if 1 in approaches:

        def env(idx):
            return fit_envelope(g[idx], n[idx], d[idx], c[idx], y[idx])

        out["approach1"] = env(np.arange(len(y))).to_dict()
        if n_boot:
            out["approach1"]["bootstrap"] = bootstrap(g, lambda idx: _exponents(env(idx)), n_boot, seed)
    return out


def _exponents(fit) -> tuple[dict, bool]:
    ok = np.isfinite(fit.a) and np.isfinite(fit.b)
    return {"a": fit.a, "b": fit.b}, bool(ok)


def summary_rows(result: dict) -> list[dict]:
    """One row per approach: the exponents of N*(C) and D*(C) (with the 95% interval
    where bootstrapped) and, for Approach 3, the law's parameters."""
    rows = []
    for k in ("approach1", "approach2", "approach3"):
        if k not in result:
            continue
        r = result[k]
        a = r.get("a", r.get("allocation_a"))
        b = r.get("b", r.get("allocation_b"))
        iv = r.get("bootstrap", {}).get("intervals", {})
        row: dict = {"approach": int(k[-1]), "a (N* ∝ C^a)": _with_interval(a, iv.get("a")), "b (D* ∝ C^b)": _with_interval(b, iv.get("b"))}
        if k == "approach3":
            for p in ("E", "A", "B", "alpha", "beta"):
                row[p] = _with_interval(r[p], iv.get(p))
        rows.append(row)
    return rows


def _with_interval(v, interval) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if not interval:
        return f"{v:.4g}"
    lo, hi = interval["95%"]
    return f"{v:.4g} [{lo:.3g}, {hi:.3g}]"


def point_sets(points: pd.DataFrame, predicted: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The points of ``points.csv`` split by what produced them: each cooldown
    (shape@fraction), the cosine runs, the SWA models and the raw trunk checkpoints; and,
    given ``predicted`` (``predictions.predicted_points``), each cooldown with its
    untrained budgets' predicted losses, as "cooldown shape@fraction (predicted)"."""
    sets = {}
    cd = points[points.kind == "cooldown"]
    for (shape, frac), g in cd.groupby(["shape", "cooldown_fraction"], sort=False):
        sets[f"cooldown {shape}@{frac:g}"] = g
    if predicted is not None:
        for (shape, frac), g in predicted.groupby(["shape", "cooldown_fraction"], sort=False):
            sets[f"cooldown {shape}@{frac:g} (predicted)"] = g
    for kind in ("cosine", "swa", "trunk"):
        if (points.kind == kind).any():
            sets[kind] = points[points.kind == kind]
    return sets


def fit_sets(points: pd.DataFrame, fit_config: dict, flops_config: dict, workers: int = 1,
             predicted: pd.DataFrame | None = None) -> dict:
    """fits.json: every point set fitted separately, and cooldown against cosine."""
    conv = f"{flops_config['convention']}" + (f" (N = {flops_config['params']})" if flops_config["convention"] == "6N" else "")
    out = {"conventions": {"flops": conv, "params": "params (all parameters, the tied embedding once)",
                           "loss": "validation loss (nats/token)"}, "sets": {}}
    for name, df in point_sets(points, predicted).items():
        try:
            out["sets"][name] = fit_table(
                df, loss="val_loss", flops="flops", group="model", approaches=tuple(fit_config["approaches"]),
                n_boot=fit_config["bootstrap"], seed=fit_config["seed"], workers=workers, flops_convention=conv,
                start_stride=fit_config.get("start_stride", 1),
                screen=fit_config.get("screen", 0),
            )
        except ScalingLawsError as e:  # e.g. too few points: say so in the output, fit the other sets
            out["sets"][name] = {"skipped": str(e), "n_points": len(df)}
    out["comparison"] = compare(out["sets"])
    return out


def compare(sets: dict) -> dict:
    """Each cooldown's allocation exponents against the cosine points': values, 95%
    intervals, and whether the intervals overlap."""
    if "approach3" not in sets.get("cosine", {}) and "approach2" not in sets.get("cosine", {}):
        return {}
    out = {}
    for name in [s for s in sets if s.startswith("cooldown")]:
        rows = {}
        for approach, keys in (("approach3", ("allocation_a", "allocation_b", "alpha", "beta")), ("approach2", ("a", "b"))):
            if approach not in sets[name] or approach not in sets["cosine"]:
                continue
            for key in keys:
                mine, theirs = sets[name][approach], sets["cosine"][approach]
                short = key.replace("allocation_", "")
                iv_m = mine.get("bootstrap", {}).get("intervals", {}).get(short, {}).get("95%")
                iv_c = theirs.get("bootstrap", {}).get("intervals", {}).get(short, {}).get("95%")
                rows[f"{approach}.{short}"] = {
                    "cooldown": mine[key], "cosine": theirs[key], "difference": mine[key] - theirs[key],
                    "cooldown_95%": iv_m, "cosine_95%": iv_c,
                    "intervals_overlap": None if not (iv_m and iv_c) else bool(iv_m[0] <= iv_c[1] and iv_c[0] <= iv_m[1]),
                }
        out[f"{name} vs cosine"] = rows
    return out


def jsonable(obj):
    """The result with NaN and infinities as null, so the JSON is strict."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
