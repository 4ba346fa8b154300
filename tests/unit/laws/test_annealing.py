"""The LR-annealing law (Tissue et al. 2024): areas by hand, and a fit that recovers the
law from a trunk and one cooldown and then predicts other schedules' curves; the
`scalinglaws predict` command on step,lr,loss CSVs."""

import json

import numpy as np
import pandas as pd
import pytest

from scalinglaws import ScalingLawsError
from scalinglaws.cli import main
from scalinglaws.commands import read_run
from scalinglaws.laws.annealing import AnnealingLaw, areas, fit_annealing
from scalinglaws.training.schedules import Schedule

PEAK = 3e-3


def lr_of(schedule: Schedule, steps: int) -> np.ndarray:
    return np.array([PEAK * schedule.multiplier(s) for s in range(steps)])


def test_areas_by_hand():
    s1, s2 = areas([1.0, 1.0, 0.5, 0.5], decay=0.5)
    assert s1.tolist() == [1.0, 2.0, 2.5, 3.0]
    # m: 0, 0, 0.5 (the drop), 0.25 (remembered at λ = 0.5)
    assert s2.tolist() == [0.0, 0.0, 0.5, 0.75]
    with pytest.raises(ScalingLawsError, match="learning-rate sequence"):
        areas([1.0, float("nan")])


def test_the_warmup_rise_is_not_annealing():
    """Only falls after the LR's first maximum count; a later rise (re-warming) does."""
    _, s2 = areas([0.5, 1.0, 1.0, 0.5, 1.0], decay=0.5)
    # m: 0, 0, 0 (warmup ignored), 0.5 (the drop), 0.25 − 0.5 (the rise)
    assert s2.tolist() == [0.0, 0.0, 0.0, 0.5, 0.25]


TRUTH = AnnealingLaw(L0=2.0, A=1.5, alpha=0.5, C=1.2)
N = 400


def schedules():
    wsd = lambda fork_frac: Schedule("wsd", N, warmup_steps=20, cooldown_steps=int(N * fork_frac), shape="1-sqrt")  # noqa: E731
    return {
        "trunk": lr_of(Schedule("constant", warmup_steps=20), N),
        "cooldown 20%": lr_of(wsd(0.2), N),
        "cooldown 40% linear": lr_of(Schedule("wsd", N, warmup_steps=20, cooldown_steps=160, shape="linear"), N),
        "cosine": lr_of(Schedule("cosine", N, warmup_steps=20, final_fraction=0.1), N),
    }


def test_fit_on_a_trunk_and_one_cooldown_recovers_the_law_and_predicts_the_rest():
    runs = schedules()
    steps = np.arange(25, N + 1, 5)  # logged every 5 steps after warmup
    used = [(runs[k], steps, TRUTH.curve(runs[k])[steps - 1]) for k in ("trunk", "cooldown 20%")]
    result = fit_annealing(used)
    for k in ("L0", "A", "alpha", "C"):
        assert getattr(result.law, k) == pytest.approx(getattr(TRUTH, k), rel=1e-3), k
    for name in ("cooldown 40% linear", "cosine"):  # never seen by the fit
        predicted, true = result.law.curve(runs[name])[steps - 1], TRUTH.curve(runs[name])[steps - 1]
        assert np.abs(predicted / true - 1).max() < 1e-4, name


def test_with_noisy_losses_the_unseen_final_losses_stay_within_half_a_percent():
    """0.3% log-normal noise on the fitted runs (seeded): the unseen schedules' curves are
    predicted within 0.5% on average and 1.5% at worst (measured: 0.05% and 0.08%)."""
    runs = schedules()
    steps = np.arange(25, N + 1, 5)
    rng = np.random.default_rng(0)
    used = [
        (runs[k], steps, TRUTH.curve(runs[k])[steps - 1] * np.exp(rng.normal(0, 0.003, len(steps))))
        for k in ("trunk", "cooldown 20%")
    ]
    law = fit_annealing(used).law
    for name in ("cooldown 40% linear", "cosine"):
        error = np.abs(law.curve(runs[name])[steps - 1] / TRUTH.curve(runs[name])[steps - 1] - 1)
        assert error.mean() < 0.005 and error.max() < 0.015, name


def test_bad_runs_are_refused():
    lr = np.full(10, 1e-3)
    with pytest.raises(ScalingLawsError, match="logged steps must lie in 1..10"):
        fit_annealing([(lr, np.array([0, 5]), np.array([3.0, 2.0]))])
    with pytest.raises(ScalingLawsError, match="losses must be positive"):
        fit_annealing([(lr, np.array([1, 5]), np.array([3.0, 0.0]))])


def write_run(path, lr, every=5, law=TRUTH):
    """A run's CSV as another tool would log it: step, lr, loss every ``every`` steps."""
    steps = np.arange(every, len(lr) + 1, every)
    pd.DataFrame({"step": steps, "lr": lr[steps - 1], "loss": law.curve(lr)[steps - 1]}).to_csv(path, index=False)
    return path


def test_read_run_interpolates_the_lr_and_warms_up_from_zero(tmp_path):
    path = tmp_path / "run.csv"
    pd.DataFrame({"step": [10, 20, 30], "lr": [1.0, 1.0, 0.0], "loss": [3.0, 2.5, 2.0]}).to_csv(path, index=False)
    run = read_run(path)
    assert run.steps.tolist() == [10, 20, 30] and run.loss.tolist() == [3.0, 2.5, 2.0]
    np.testing.assert_allclose(run.lr[:10], np.arange(1, 11) / 10)  # linear from 0 before the first row
    np.testing.assert_allclose(run.lr[10:20], 1.0)
    np.testing.assert_allclose(run.lr[20:], 1 - np.arange(1, 11) / 10)  # 1 → 0 between steps 20 and 30


def test_predict_command_fits_csvs_and_reports_each_target(tmp_path, capsys):
    """Runs logged every 5 steps: the LR the command interpolates differs from the true
    one only near warmup, so the unseen curves come out within 0.2%."""
    runs = schedules()
    names = {k: k.replace(" ", "_").replace("%", "") + ".csv" for k in runs}
    paths = {k: write_run(tmp_path / names[k], lr) for k, lr in runs.items()}
    out = tmp_path / "predictions.json"
    assert (
        main(
            [
                "predict",
                "--fit",
                str(paths["trunk"]),
                str(paths["cooldown 20%"]),
                "--target",
                str(paths["cooldown 40% linear"]),
                str(paths["cosine"]),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert [t["name"] for t in result["targets"]] == [str(paths["cooldown 40% linear"]), str(paths["cosine"])]
    for t in result["targets"]:
        assert names["cosine"] in printed and names["cooldown 40% linear"] in printed
        assert t["mean_error"] < 2e-3 and t["worst_error"] < 2e-3, t
        assert t["final_predicted"] == pytest.approx(t["final_measured"], rel=2e-3)
    assert result["law"]["alpha"] == pytest.approx(TRUTH.alpha, rel=0.05)


@pytest.mark.parametrize(
    "rows, message",
    [
        ({"step": [1, 2], "lr": [1e-3, 1e-3]}, "needs the columns step, lr and loss; missing loss"),
        ({"step": [2, 1], "lr": [1e-3, 1e-3], "loss": [3.0, 2.0]}, "'step' must be whole numbers ≥ 1, increasing"),
        ({"step": [1, 2], "lr": [1e-3, -1.0], "loss": [3.0, 2.0]}, "'lr' must be finite and ≥ 0"),
        ({"step": [1, 2], "lr": [1e-3, 1e-3], "loss": [3.0, 0.0]}, "'loss' must be finite and positive"),
    ],
)
def test_predict_command_refuses_bad_csvs_in_one_line(tmp_path, capsys, rows, message):
    bad = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(bad, index=False)
    good = write_run(tmp_path / "good.csv", schedules()["trunk"])
    assert main(["predict", "--fit", str(good), "--target", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"scalinglaws predict: error: {bad}: {message}"
