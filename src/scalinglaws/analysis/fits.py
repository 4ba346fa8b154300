"""Scaling laws of a points table: the three approaches with intervals, as a dict for JSON.

Works on any table of (params, tokens, loss) — ours (``points.csv``) or a published one —
given which columns hold what. Used by ``scalinglaws fit`` and by the workflow's fit rule.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd

from scalinglaws import ScalingLawsError
from scalinglaws.analysis.points import labels
from scalinglaws.laws.chinchilla import (
    MIN_SIZES,
    PerTokenFlops,
    bootstrap,
    chinchilla_starts,
    covered_budgets,
    fit_envelope,
    fit_isoflop,
    fit_parametric,
    holdout_check,
    isoflop_profiles,
    leave_largest_out,
)


def _columns(
    df: pd.DataFrame, params: str, tokens: str, loss: str | None, flops: str | None, weight: str | None = None
) -> dict:
    loss = loss or ("val_loss" if "val_loss" in df else "loss")
    cols = {"params": params, "tokens": tokens, "loss": loss}
    for role, col in {**cols, "flops": flops, "weight": weight}.items():
        if col and col not in df:
            raise ScalingLawsError(f"--{role}-col {col!r} is not a column; the table has {list(df.columns)}")
    return {**cols, "flops": flops or None, "weight": weight or None}


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
    weight: str | None = None,
    fix: dict | None = None,
) -> dict:
    """Fit every requested approach to the table's points; a JSON-ready dict.

    ``flops`` (a column) gives each point's training compute; without it C = 6·N·D. Every
    approach, the holdout split and Approach 3's allocation use that one C.
    ``budget`` labels isoFLOP profiles for Approach 2; without it each run is
    interpolated at common budgets. ``group`` names the runs (e.g. ``model``): the unit
    the bootstrap resamples and the envelope compares; without it, one per params value.
    ``start_stride`` k > 1 starts Approach 3 from every k-th point of Chinchilla's grid only
    (for quick looks and smoke tests; the default is all 4,500). ``screen`` k > 0 runs
    L-BFGS-B only from the k starts with the lowest objective (0: from every start).
    ``weight`` (a column) weights each point's term in Approach 3; ``fix`` holds law
    parameters at given values (``{"E": 1.8}``). Every refit (bootstrap, holdout,
    leave-the-largest-out) runs the same search as the fit, on its own points only."""
    if start_stride < 1:
        raise ScalingLawsError(f"start stride {start_stride} must be at least 1")
    cols = _columns(df, params, tokens, loss, flops, weight)
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
        "interval_levels": ["80%", "95%"],
    }
    if 3 in approaches:
        w = df[cols["weight"]].to_numpy(float) if cols["weight"] else None
        out["approach3"] = _approach3(
            n,
            d,
            y,
            c,
            g,
            w,
            fix,
            n_boot,
            seed,
            workers,
            dict(starts=chinchilla_starts()[::start_stride], screen=screen or None),
        )
    if 2 in approaches:
        labels = df[budget].to_numpy(float) if budget else None
        budgets = covered_budgets(g, c)

        def iso(idx):
            if labels is not None:
                return fit_isoflop(n[idx], d[idx], y[idx], labels[idx])
            p = isoflop_profiles(g[idx], n[idx], d[idx], c[idx], y[idx], budgets)
            return fit_isoflop(p["n"], p["d"], p["loss"], p["budget"])

        note = (
            f"isoFLOP profiles from column {budget!r}"
            if budget
            else f"each run's loss interpolated along its own loss-versus-FLOPs points at {len(budgets)} "
            "budgets that at least 3 runs reach (the runs are not laid out on isoFLOP lines): " + INTERPOLATED_NOTE
        )
        res = iso(np.arange(len(y)))
        res.note = note
        out["approach2"] = res.to_dict()
        if n_boot:
            out["approach2"]["bootstrap"] = bootstrap(g, lambda idx: _exponents(iso(idx)), n_boot, seed, sizes=n)

    if 1 in approaches:

        def env(idx):
            return fit_envelope(g[idx], n[idx], d[idx], c[idx], y[idx])

        out["approach1"] = env(np.arange(len(y))).to_dict()
        if n_boot:
            out["approach1"]["bootstrap"] = bootstrap(g, lambda idx: _exponents(env(idx)), n_boot, seed, sizes=n)
    return out


# Measured by bench/calibrate.py (BENCHMARKS.md): on sweeps laid out as the workflow's
# (each model trained to several budgets), the interpolated profiles bias a.
INTERPOLATED_NOTE = "interpolating along runs biases a (bench/calibrate.py measures by how much)"


def _approach3(n, d, y, c, g, w, fix, n_boot, seed, workers, search) -> dict:
    """Approach 3 with its allocation in the data's own compute convention, bootstrap
    intervals, the holdout and the leave-the-largest-model-out check; each refit runs
    ``search`` (the fit's starts and screening) on its own points."""
    per_token = PerTokenFlops.of_points(n, c, d)
    span, sizes = (float(c.min()), float(c.max())), (float(n.min()), float(n.max()))

    def refit(sel, processes=1):
        return fit_parametric(
            n[sel], d[sel], y[sel], workers=processes, weights=None if w is None else w[sel], fix=fix, **search
        )

    best = refit(np.arange(len(y)), workers)
    res = best.to_dict()
    res.update({f"allocation_{k}": v for k, v in best.allocation_in(per_token, span, sizes).items()})
    if not per_token.is_6nd:
        res.pop("allocation_G")  # the closed form's constant: C = 6ND only
    res["allocation_convention"] = (
        "C = 6ND, closed form"
        if per_token.is_6nd
        else "the data's C: N_opt(C) minimises L(N, C/c(N)), c(N) = FLOPs per token "
        "interpolated log-log between the runs; a, b = slopes over the budgets of the "
        "data's FLOPs range whose N_opt lies within the sizes trained"
    )
    res.setdefault("allocation_flops_range", list(span))
    res["per_token_flops"] = asdict(per_token)
    if n_boot:
        at_bound = {}

        def once(idx):
            f = refit(idx)
            for p in f.at_bound:
                at_bound[p] = at_bound.get(p, 0) + 1
            at_bound["any"] = at_bound.get("any", 0) + bool(f.at_bound)
            al = f.allocation_in(per_token, span, sizes)
            return {
                "E": f.E,
                "A": f.A,
                "B": f.B,
                "alpha": f.alpha,
                "beta": f.beta,
                "a": al["a"],
                "b": al["b"],
            }, f.success

        res["bootstrap"] = bootstrap(g, once, n_boot, seed, sizes=n)
        # Converged, but with a parameter pinned at a bound: counted, not hidden.
        res["bootstrap"]["at_bound"] = at_bound.pop("any", 0)
        res["bootstrap"]["at_bound_by_parameter"] = at_bound
    res["holdout"] = holdout_check(n, d, y, c, refit)
    res["leave_largest_out"] = leave_largest_out(n, d, y, refit)
    return res


def _exponents(fit) -> tuple[dict, bool]:
    ok = np.isfinite(fit.a) and np.isfinite(fit.b)
    return {"a": fit.a, "b": fit.b}, bool(ok)


def summary_rows(result: dict, level: str = "95%") -> list[dict]:
    """One row per approach: the exponents of N*(C) and D*(C) (with the ``level`` interval
    where bootstrapped, named in the header) and, for Approach 3, the law's parameters."""
    rows = []
    for k in ("approach1", "approach2", "approach3"):
        if k not in result:
            continue
        r = result[k]
        a = r.get("a", r.get("allocation_a"))
        b = r.get("b", r.get("allocation_b"))
        iv = r.get("bootstrap", {}).get("intervals", {})
        named = (
            f" [{level}]"
            if any("bootstrap" in result.get(x, {}) for x in ("approach1", "approach2", "approach3"))
            else ""
        )
        row: dict = {
            "approach": int(k[-1]),
            f"a (N* ∝ C^a){named}": _with_interval(a, iv.get("a"), level),
            f"b (D* ∝ C^b){named}": _with_interval(b, iv.get("b"), level),
        }
        if k == "approach3":
            for p in ("E", "A", "B", "alpha", "beta"):
                mark = " (fixed)" if p in r.get("fixed", {}) else " (at bound)" if p in r.get("at_bound", []) else ""
                row[p] = _with_interval(r[p], iv.get(p), level) + mark
        rows.append(row)
    return rows


def _with_interval(v, interval, level: str = "95%") -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if not interval:
        return f"{v:.4g}"
    lo, hi = interval[level]
    return f"{v:.4g} [{lo:.3g}, {hi:.3g}]"


def report_lines(result: dict) -> list[str]:
    """What a reader must know besides the table: the extrapolation checks, how the
    bootstrap went, and estimates that sit outside or at the edge of their own interval."""
    out = []
    a3 = result.get("approach3", {})
    for key, what in (
        ("holdout", "without the top 20% of points by compute"),
        ("leave_largest_out", "without the largest model"),
    ):
        h = a3.get(key, {})
        if h.get("n_test"):
            out.append(
                f"approach 3 fitted {what} predicts its {h['n_test']} points to {100 * h['mean_abs_rel_error']:.2f}% "
                f"on average ({100 * h['max_abs_rel_error']:.2f}% worst, mean signed {100 * h['mean_rel_error']:+.2f}%)"
            )
    if "allocation_convention" in a3:
        out.append(f"approach 3 allocation: {a3['allocation_convention']}")
    for k in ("approach1", "approach2", "approach3"):
        b = result.get(k, {}).get("bootstrap")
        if not b:
            continue
        line = (
            f"approach {k[-1]} bootstrap: {b['n_boot']} resamples of {b['groups']} groups, {b['used']} in the "
            f"intervals ({b['distinct_resamples']} distinct); {b['under_identified']} held fewer than {MIN_SIZES} "
            f"model sizes (left out), {b['failed']} did not converge"
        )
        if "at_bound" in b:
            by = ", ".join(f"{p} {c}" for p, c in sorted(b["at_bound_by_parameter"].items()))
            line += f", {b['at_bound']} ended with a parameter at a bound" + (f" ({by})" if by else "")
        out.append(line)
        if b["distinct_resamples"] == 1 and b["used"] > 1:
            out.append(
                f"  warning: approach {k[-1]}'s intervals come from the original runs only: no width, no information"
            )
        for key, iv in b["intervals"].items():
            est = result[k].get(key, result[k].get(f"allocation_{key}"))
            lo, hi = iv["95%"]
            if est is not None and np.isfinite(est) and not lo < est < hi:
                out.append(
                    f"  warning: approach {k[-1]}'s {key} = {est:.4g} is not inside its own 95% interval "
                    f"[{lo:.4g}, {hi:.4g}]: the estimator is skewed or biased on these points"
                )
    if "approach2" in result and result["approach2"].get("note"):
        out.append(f"approach 2: {result['approach2']['note']}")
    return out


def point_sets(points: pd.DataFrame, predicted: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The points of ``points.csv`` split by what produced them: each cooldown
    (shape@fraction), each cosine baseline (``cosine``, ``cosine→0``, …), the SWA models and
    the raw trunk checkpoints; and, given ``predicted`` (``predictions.predicted_points``),
    each cooldown with its untrained budgets' predicted losses, as "cooldown
    shape@fraction (predicted)"."""
    label = labels(points)
    sets = {f"cooldown {k}": points[label == k] for k in label[points.kind == "cooldown"].unique()}
    if predicted is not None:
        for (shape, frac), g in predicted.groupby(["shape", "cooldown_fraction"], sort=False):
            sets[f"cooldown {shape}@{frac:g} (predicted)"] = g
    for k in [*label[points.kind == "cosine"].unique(), "swa", "trunk"]:
        if (label == k).any():
            sets[k] = points[label == k]
    return sets


def fit_sets(
    points: pd.DataFrame, fit_config: dict, flops_config: dict, workers: int = 1, predicted: pd.DataFrame | None = None
) -> dict:
    """fits.json: every point set fitted separately (``workers`` sets at a time, each in
    its own process: the bootstrap refits dominate), and cooldown against cosine."""
    conv = f"{flops_config['convention']}" + (
        f" (N = {flops_config['params']})" if flops_config["convention"] == "6N" else ""
    )
    out = {
        "conventions": {
            "flops": conv,
            "params": "params (all parameters, the tied embedding once)",
            "loss": "validation loss (nats/token)",
        },
        "sets": {},
    }
    sets = point_sets(points, predicted)
    jobs = [(df, fit_config, conv) for df in sets.values()]
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(jobs))) as pool:
            results = list(pool.map(_fit_set, jobs))
    else:
        results = [_fit_set(job) for job in jobs]
    out["sets"] = dict(zip(sets, results))
    out["comparison"] = compare(out["sets"])
    out["pointwise"] = pointwise(points)
    return out


def _fit_set(job) -> dict:
    df, fit_config, conv = job
    try:
        return fit_table(
            df,
            loss="val_loss",
            flops="flops",
            group="model",
            approaches=tuple(fit_config["approaches"]),
            n_boot=fit_config["bootstrap"],
            seed=fit_config["seed"],
            flops_convention=conv,
            start_stride=fit_config["start_stride"],
            screen=fit_config["screen"],
            fix=fit_config["fix"] or None,
        )
    except ScalingLawsError as e:  # e.g. too few points: say so in the output, fit the other sets
        return {"skipped": str(e), "n_points": len(df)}


def pointwise(points: pd.DataFrame) -> dict:
    """Each cooldown against each cosine baseline at the same (model, budget): the signed
    relative gaps (negative: the cooldown's loss is lower), summarised."""
    from scalinglaws.analysis.summary import gaps, losses

    wide = losses(points)
    bases = [c for c in wide.columns if c.startswith("cosine") and " vs " not in c]
    out = {}
    for cd in [c for c in wide.columns if "@" in c and " vs " not in c]:
        for base in bases:
            g = gaps(points, cd, base) / 100
            if len(g):
                out[f"{cd} vs {base}"] = {
                    "n": len(g),
                    "mean": float(g.mean()),
                    "min": float(g.min()),
                    "max": float(g.max()),
                    "within_1%": int((g.abs() <= 0.01).sum()),
                }
    return out


def compare(sets: dict) -> dict:
    """Each cooldown's allocation exponents against each cosine baseline's: values, 95%
    intervals, and whether the intervals overlap."""
    out = {}
    for base in [s for s in sets if s.startswith("cosine")]:
        out.update(_compare_with(sets, base))
    return out


def _compare_with(sets: dict, base: str) -> dict:
    if "approach3" not in sets[base] and "approach2" not in sets[base]:
        return {}
    out = {}
    for name in [s for s in sets if s.startswith("cooldown")]:
        rows = {}
        for approach, keys in (
            ("approach3", ("allocation_a", "allocation_b", "alpha", "beta")),
            ("approach2", ("a", "b")),
        ):
            if approach not in sets[name] or approach not in sets[base]:
                continue
            for key in keys:
                mine, theirs = sets[name][approach], sets[base][approach]
                short = key.replace("allocation_", "")
                iv_m = mine.get("bootstrap", {}).get("intervals", {}).get(short, {}).get("95%")
                iv_c = theirs.get("bootstrap", {}).get("intervals", {}).get(short, {}).get("95%")
                rows[f"{approach}.{short}"] = {
                    "cooldown": mine[key],
                    "cosine": theirs[key],
                    "difference": mine[key] - theirs[key],
                    "cooldown_95%": iv_m,
                    "cosine_95%": iv_c,
                    "intervals_overlap": None
                    if not (iv_m and iv_c)
                    else bool(iv_m[0] <= iv_c[1] and iv_c[0] <= iv_m[1]),
                }
        out[f"{name} vs {base}"] = rows
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


def write(
    points_csv: str,
    out: str,
    fit_config: dict,
    flops_config: dict,
    workers: int = 1,
    predictions_csv: str | None = None,
) -> dict:
    """The fit rule: points.csv (and predictions.csv, when cooldowns were predicted rather
    than trained) → fits.json."""
    from scalinglaws.analysis.predictions import predicted_points
    from scalinglaws.files import atomic_write

    points = pd.read_csv(points_csv)
    predicted = None if predictions_csv is None else predicted_points(points, pd.read_csv(predictions_csv))
    result = jsonable(fit_sets(points, fit_config, flops_config, workers=workers, predicted=predicted))
    with atomic_write(out) as f:
        json.dump(result, f, indent=2, allow_nan=False)
    return result
