"""The sweep's predictions (scalinglaws.analysis.predictions): on points generated from a known
LR-annealing law at the sweep's exact schedules, the law fitted to the trunk and one
cooldown per model predicts every other cooldown and cosine run."""

import numpy as np
import pandas as pd
import pytest

from scalinglaws.analysis.points import COLUMNS
from scalinglaws.analysis.predictions import cooldown_lr, cosine_lr, errors, predicted_points, predictions, trunk_lr
from scalinglaws.experiment.sweep import Sweep, fraction_label
from scalinglaws.laws.annealing import AnnealingLaw

CONFIG = {
    "experiment": "t",
    "training": {"seq_len": 32, "batch_size": 4, "warmup_tokens": 1280},  # 10 steps
    "models": [{"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.003, "cosine_lr": 0.003}],
    "budgets": [12800, 25600, 38400, 51200],  # 100 … 400 steps
    "cooldown": {"shapes": ["1-sqrt", "linear"], "fractions": [0.2], "final_fraction": 0.0},
    "cosine": {"enabled": True, "final_fraction": 0.1, "lr_factor": 2.0},
    "swa": {"enabled": False, "window_tokens": 640, "every_tokens": 128, "windows": 2},
    "trunk": {"link_tokens": 6400},
}
TRUTH = AnnealingLaw(L0=2.0, A=0.5, alpha=0.5, C=1.0)


def synthetic_points(config) -> pd.DataFrame:
    """points.csv rows whose val_loss is TRUTH at each run's final step."""
    sweep, rows = Sweep(config), []
    base = dict(model="a", params=1000, params_non_embedding=900, shape="", cooldown_fraction="")
    for tokens, step in zip(sorted(sweep.budgets("a")), sweep.budget_steps("a")):
        rows.append(
            {
                **base,
                "tokens": tokens,
                "flops": 6000 * tokens,
                "kind": "trunk",
                "step": step,
                "val_loss": TRUTH.curve(trunk_lr(sweep, "a", step))[-1],
            }
        )
        rows.append(
            {
                **base,
                "tokens": tokens,
                "flops": 6000 * tokens,
                "kind": "cosine",
                "step": step,
                "val_loss": TRUTH.curve(cosine_lr(sweep, "a", step))[-1],
            }
        )
    for c in sweep.cooldowns("a"):
        rows.append(
            {
                **base,
                "tokens": c.tokens,
                "flops": 6000 * c.tokens,
                "kind": "cooldown",
                "shape": c.shape,
                "cooldown_fraction": fraction_label(c.fraction),
                "step": c.total_steps,
                "val_loss": TRUTH.curve(cooldown_lr(sweep, c))[-1],
            }
        )
    # through a CSV, as the rule reads it (fractions come back as floats)
    return pd.read_csv(pd.io.common.StringIO(pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False)))


def test_the_law_behind_the_points_predicts_every_other_run():
    table, fits = predictions(CONFIG, synthetic_points(CONFIG))
    assert fits["a"].law.alpha == pytest.approx(TRUTH.alpha, rel=1e-2)
    assert (table.role == "fit").sum() == 1  # the largest budget's 1-sqrt cooldown
    fitted = table[table.role == "fit"].iloc[0]
    assert (fitted.tokens, fitted["shape"]) == (51200, "1-sqrt")
    assert len(table) == 8 + 4  # every cooldown and every cosine run
    np.testing.assert_allclose(table.relative_error, table.predicted_loss / table.measured_loss - 1)
    assert table.relative_error.abs().max() < 1e-3  # noise-free: the law comes back
    by_kind = errors(table)
    assert by_kind.loc["cooldown", "count"] == 7 and by_kind.loc["cosine", "count"] == 4


def test_predicted_only_cooldowns_are_filled_in_as_a_labelled_set():
    config = {**CONFIG, "predict": {"run_predicted": False}}
    trained = synthetic_points(config)  # only the fitted cooldown was trained
    assert (trained.kind == "cooldown").sum() == 1
    table, _ = predictions(config, trained)
    unmeasured = table[(table.kind == "cooldown") & table.measured_loss.isna()]
    assert len(unmeasured) == 7 and unmeasured.relative_error.isna().all()
    filled = predicted_points(trained, table)
    assert len(filled) == 8 and set(filled.columns) == set(COLUMNS)
    truth = synthetic_points(CONFIG)  # what training them would have measured
    merged = filled.merge(truth, on=["model", "tokens", "kind", "shape", "cooldown_fraction"], suffixes=("", "_true"))
    assert len(merged) == 8
    np.testing.assert_allclose(merged.val_loss, merged.val_loss_true, rtol=1e-3)
    np.testing.assert_array_equal(merged.flops, merged.flops_true)


def test_the_multi_power_law_can_be_chosen():
    """predict.law: multi-power, fitted to the same final losses: 9 of them for its 7
    parameters do not pin it down, so only the losses it saw are asserted (0.5%)."""
    from scalinglaws.laws.multipower import MultiPowerLaw

    config = {**CONFIG, "predict": {"law": "multi-power"}}
    points = synthetic_points(config)
    forks = pd.DataFrame(
        [
            {"model": "a", "step": s, "val_loss": TRUTH.curve(trunk_lr(Sweep(config), "a", s))[-1]}
            for s in (80, 160, 240, 320)
        ]
    )  # the fork steps' trunk checkpoints
    table, fits = predictions(config, points, forks)
    assert isinstance(fits["a"].law, MultiPowerLaw) and fits["a"].n_points == 4 + 4 + 1
    assert abs(table[table.role == "fit"].relative_error.iloc[0]) < 5e-3


def test_too_few_measured_losses_are_reported_not_fitted():
    config = {**CONFIG, "budgets": [12800, 25600]}  # 2 trunk points + 1 cooldown < 4 parameters
    table, fits = predictions(config, synthetic_points(config))
    assert table.empty and "3 measured losses cannot fit the annealing law's 4 parameters" in fits["a"]
