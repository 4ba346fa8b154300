"""The bootstrap's intervals against a known truth (bench/calibrate.py), with few replicates:
a loose bound that the full calibration run (BENCHMARKS.md) refines."""

import sys

import numpy as np
import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import calibrate  # noqa: E402


def test_sweeps_share_a_per_run_offset():
    points = calibrate.layout(5, 10.0, [10, 20, 40, 80])
    assert points.model.nunique() == 5 and len(points) == 20
    assert points.params.max() / points.params.min() == pytest.approx(10.0)
    df = calibrate.sweep(points, noise=0.0, run_offset=0.05, rng=np.random.default_rng(0))
    truth = calibrate.ParametricFit.of(calibrate.TRUTH).predict(df.params, df.tokens)
    ratio = np.log(df.loss / truth).groupby(df.model).agg(["min", "max"])
    assert (ratio["max"] - ratio["min"]).max() < 1e-12 and ratio["min"].std() > 0.01  # one offset a run


@pytest.mark.slow
def test_intervals_cover_the_truth_on_a_demo_like_layout():
    """8 sweeps of 6 sizes × 4 budgets, 0.5% noise per point and per run, 20 resamples each:
    the 95% interval of Approach 3's a covers the true a in at least 5 of 8 sweeps (a 95%
    interval that covers in 95% of sweeps fails this bound with probability < 0.1%), and no
    fit's point estimate sits outside its own interval in more than 2 of 8."""
    table, results = calibrate.run(
        sizes=6, span=11.0, tokens_per_param=(8, 20, 48, 96), replicates=8, n_boot=20, seed=0, workers=2
    )
    a = table.set_index("quantity").loc["a"]
    assert a["sweeps with an interval"] == 8
    assert a["95% covers"] >= 5 / 8
    assert a["estimate inside its 95%"] >= 6 / 8
    assert all(r["used"] + r["under_identified"] <= 20 for r in results)
