"""Are the bootstrap intervals calibrated? Simulate many sweeps from a known law, fit each
exactly as the workflow does (``laws.fit_table``: Approach 3 with every refit searching
as hard as the fit, Approach 2 on profiles interpolated along runs), and count how often
the 80% and 95% intervals cover the truth.

The sweeps are laid out as the workflow lays them out: a few model sizes, each trained to
budgets given in tokens per parameter, one point per (model, budget). The noise has two
parts: a per-point term and a per-run offset shared by every point of one model (its forks
all come from one trunk and share its luck), which the bootstrap's resampling of whole
models is meant to capture.

    python bench/calibrate.py                      # 100 sweeps × 100 resamples (minutes)
    python bench/calibrate.py --replicates 20 --bootstrap 30 --out results/calibrate.json

Prints a Markdown table; BENCHMARKS.md records one run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from scalinglaws.analysis.fits import fit_table
from scalinglaws.laws.chinchilla import ParametricFit

# Hoffmann et al. (2022)'s fitted law; C = 6ND, so its allocation exponent is β/(α+β).
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
QUANTITIES = ("alpha", "beta", "E", "a")


def layout(sizes: int, span: float, tokens_per_param: list[float], smallest: float = 1e8) -> pd.DataFrame:
    """``sizes`` models log-spaced over ``span``× from ``smallest`` parameters, each at every
    budget of ``tokens_per_param``."""
    rows = [
        {"model": f"m{i}", "params": n, "tokens": n * t}
        for i, n in enumerate(smallest * np.logspace(0, np.log10(span), sizes))
        for t in tokens_per_param
    ]
    return pd.DataFrame(rows).assign(flops=lambda df: 6 * df.params * df.tokens)


def sweep(points: pd.DataFrame, noise: float, run_offset: float, rng) -> pd.DataFrame:
    law = ParametricFit.of(TRUTH)
    models = points.model.unique()
    offset = dict(zip(models, rng.normal(0, run_offset, len(models))))
    shift = points.model.map(offset).to_numpy() + rng.normal(0, noise, len(points))
    return points.assign(loss=law.predict(points.params, points.tokens) * np.exp(shift))


def replicate(args) -> dict:
    points, noise, run_offset, n_boot, seed, screen = args
    df = sweep(points, noise, run_offset, np.random.default_rng(seed))
    out = fit_table(df, flops="flops", group="model", approaches=(2, 3), n_boot=n_boot, seed=seed, screen=screen)
    a3, a2 = out["approach3"], out["approach2"]
    est = {"alpha": a3["alpha"], "beta": a3["beta"], "E": a3["E"], "a": a3["allocation_a"], "a (approach 2)": a2["a"]}
    iv = {k: a3["bootstrap"]["intervals"].get(k) for k in QUANTITIES}
    iv["a (approach 2)"] = a2.get("bootstrap", {}).get("intervals", {}).get("a")
    b = a3["bootstrap"]
    return {
        "estimate": est,
        "intervals": iv,
        "at_bound": b["at_bound"],
        "used": b["used"],
        "under_identified": b["under_identified"],
        "fit_at_bound": a3["at_bound"],
    }


def table(results: list[dict]) -> pd.DataFrame:
    """Per quantity: bias and spread of the estimates, and how often each interval covers
    the truth (over the sweeps where the quantity could be estimated at all)."""
    truth = {**TRUTH, "a": TRUTH["beta"] / (TRUTH["alpha"] + TRUTH["beta"])}
    truth["a (approach 2)"] = truth["a"]
    rows = []
    for q, t in truth.items():
        if q not in results[0]["estimate"]:
            continue
        pairs = [(r["estimate"][q], r["intervals"][q]) for r in results]
        pairs = [(e, iv) for e, iv in pairs if e is not None and np.isfinite(e) and iv]
        row = {"quantity": q, "truth": t, "sweeps with an interval": len(pairs)}
        if pairs:
            est = np.array([e for e, _ in pairs])
            lo95, hi95 = np.array([iv["95%"] for _, iv in pairs]).T
            row.update(
                {
                    "median estimate": np.median(est),
                    "median signed error": np.median(est - t),
                    "RMSE": float(np.sqrt(np.mean((est - t) ** 2))),
                }
            )
            for level in ("80%", "95%"):
                lo, hi = np.array([iv[level] for _, iv in pairs]).T
                row[f"{level} covers"] = float(np.mean((lo <= t) & (t <= hi)))
            row["median 95% width"] = float(np.median(hi95 - lo95))
            row["estimate inside its 95%"] = float(np.mean((lo95 <= est) & (est <= hi95)))
        rows.append(row)
    return pd.DataFrame(rows)


def run(
    sizes=5,
    span=10.0,
    tokens_per_param=(10, 15, 20, 30, 50, 80),
    noise=0.005,
    run_offset=0.005,
    replicates=100,
    n_boot=100,
    seed=0,
    workers=None,
    screen=100,
) -> tuple[pd.DataFrame, list[dict]]:
    points = layout(sizes, span, list(tokens_per_param))
    jobs = [(points, noise, run_offset, n_boot, seed + i, screen) for i in range(replicates)]
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        results = list(pool.map(replicate, jobs))
    return table(results), results


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, default=5)
    p.add_argument("--span", type=float, default=10.0, help="largest / smallest model size")
    p.add_argument("--tokens-per-param", type=float, nargs="+", default=[10, 15, 20, 30, 50, 80])
    p.add_argument("--noise", type=float, default=0.005, help="per-point log-normal noise (sd)")
    p.add_argument("--run-offset", type=float, default=0.005, help="per-model offset shared by its points (sd)")
    p.add_argument("--replicates", type=int, default=100)
    p.add_argument("--bootstrap", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int)
    p.add_argument("--screen", type=int, default=100, help="fit.screen: L-BFGS-B from the best k starts (0: all)")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    tab, results = run(
        a.sizes,
        a.span,
        a.tokens_per_param,
        a.noise,
        a.run_offset,
        a.replicates,
        a.bootstrap,
        a.seed,
        a.workers,
        a.screen,
    )
    seconds = time.perf_counter() - t0
    refits = sum(r["used"] for r in results)
    print(
        f"{a.replicates} sweeps of {a.sizes} sizes over {a.span:g}× × budgets {a.tokens_per_param} tokens/param; "
        f"noise {a.noise:g} per point + {a.run_offset:g} per run; {a.bootstrap} resamples each; screen {a.screen}; "
        f"{seconds:.0f} s"
    )
    print(tab.to_markdown(index=False, floatfmt=".4g"))
    print(
        f"refits at a bound: {sum(r['at_bound'] for r in results)} of {refits}; resamples with < 3 sizes left out: "
        f"{sum(r['under_identified'] for r in results)}; fits with a parameter at a bound: "
        f"{sum(bool(r['fit_at_bound']) for r in results)} of {a.replicates}"
    )
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(
            json.dumps(
                {
                    "settings": vars(a) | {"out": str(a.out)},
                    "seconds": seconds,
                    "table": tab.to_dict(orient="records"),
                    "replicates": results,
                },
                indent=1,
                default=float,
            )
        )


if __name__ == "__main__":
    sys.exit(main())
