import pandas as pd
import pytest

from scalinglaws.analysis.predictions import COLUMNS as PREDICTION_COLUMNS
from scalinglaws.analysis.summary import claims, flops_ratios, losses, markdown


def points():
    rows = []
    for tokens, base in ((1000, 3.0), (2000, 2.5)):
        per_token = 10.0
        rows += [
            ("m", tokens, per_token * tokens, "trunk", "", float("nan"), base + 0.2),
            ("m", tokens, per_token * tokens, "swa", "", float("nan"), base + 0.1),
            ("m", tokens, per_token * tokens, "cosine", "", float("nan"), base),
            ("m", tokens, per_token * tokens, "cooldown", "1-sqrt", 0.2, base - 0.01),
            ("m", tokens, per_token * tokens, "cooldown", "linear", 0.2, base + 0.05),
        ]
    return pd.DataFrame(rows, columns=["model", "tokens", "flops", "kind", "shape", "cooldown_fraction", "val_loss"])


def test_losses_table_and_relative_gap():
    w = losses(points())
    assert list(w.columns[:7]) == ["model", "tokens", "trunk", "swa", "cosine", "1-sqrt@0.2", "linear@0.2"]
    assert w["1-sqrt@0.2 vs cosine %"].iloc[0] == pytest.approx(100 * (2.99 / 3.0 - 1))


def test_flops_ratio_counts_the_trunk_once():
    fr = flops_ratios(points())
    row = fr[fr.cooldown == "1-sqrt@0.2"].iloc[0]
    # trunk to 2000 tokens + 20% of 1000 and of 2000; cosine: 1000 + 2000 (10 FLOPs a token)
    assert row.wsd_flops == pytest.approx(10 * (2000 + 200 + 400))
    assert row.ratio == pytest.approx(2600 / 3000)
    # the paper's count: the trunk to the last fork step (1600) = D_max + 0.2 × 1000
    assert row.wsd_flops_paper == pytest.approx(10 * (2000 + 200)) and row.ratio_paper == pytest.approx(2200 / 3000)


def test_claims_count_what_holds():
    compute = {"totals": {"wsd (1-sqrt@0.2)": {"seconds_ratio_to_cosine": 0.91, "flops_ratio_to_cosine": 0.95}}}
    c = claims(points(), compute=compute)
    # gaps to cosine: 2.99/3 - 1 = -0.33%, 2.49/2.5 - 1 = -0.40%: both within 1%, two-sided
    assert c[0].startswith("1-sqrt 0.2 cooldown matches cosine (|gap| ≤ 1%): 2 of 2; signed gaps -0.40% to -0.33%")
    assert c[1].startswith("1-sqrt at or below linear: 2 of 2")
    assert c[2].startswith("SWA below the raw trunk checkpoint: 2 of 2")
    assert f"{2600 / 3000:.3f} with one trunk" in c[3] and f"{2200 / 3000:.3f} as the paper counts" in c[3]
    assert "0.950 as run here (with the branches" in c[3]  # compute.json's count, branches included
    assert c[3].endswith("measured job seconds: 0.910")
    assert "| m " in markdown(points())


def test_a_cooldown_far_below_cosine_does_not_match_it():
    p = points()
    p.loc[(p.kind == "cooldown") & (p["shape"] == "1-sqrt"), "val_loss"] *= 0.95
    c = claims(p)
    assert "matches cosine (|gap| ≤ 1%): 0 of 2" in c[0] and "below cosine by more than 1%: 2" in c[0]
    assert claims(p, tolerance=6)[0].startswith("1-sqrt 0.2 cooldown matches cosine (|gap| ≤ 6%): 2 of 2")


def test_predictions_section_reports_errors_and_the_untrained_cooldowns():
    cols = PREDICTION_COLUMNS
    table = pd.DataFrame(
        [
            ("m", "cooldown", "1-sqrt", 0.2, 2000, 20, "fit", 2.49, 2.49, 0.0),
            ("m", "cooldown", "linear", 0.2, 2000, 20, "predicted", 2.55, 2.50, 0.02),
            ("m", "cooldown", "linear", 0.2, 1000, 10, "predicted", 3.03, 3.00, 0.01),
            ("m", "cooldown", "1-sqrt", 0.2, 1000, 10, "predicted", 2.95, float("nan"), float("nan")),
            ("m", "cosine", "", float("nan"), 1000, 10, "predicted", 2.97, 3.00, -0.01),
        ],
        columns=cols,
    )
    text = markdown(points(), table)
    assert "- cooldown: 2 runs predicted from their schedule and then measured: mean |error| 1.50%, worst 2.00%" in text
    assert "- cosine: 1 runs predicted" in text and "worst 1.00%" in text
    assert "1 cooldowns were predicted and not trained" in text and "2.9500" in text
    assert "Predicted before training" not in markdown(points())


def test_a_second_baseline_is_compared_pointwise():
    p = points().assign(final_lr_fraction=float("nan"))
    p.loc[p.kind == "cosine", "final_lr_fraction"] = 0.1
    to_zero = p[p.kind == "cosine"].assign(final_lr_fraction=0.0, val_loss=lambda d: d.val_loss * 1.02)
    both = pd.concat([p, to_zero], ignore_index=True)
    w = losses(both)
    assert {"cosine", "cosine→0", "1-sqrt@0.2 vs cosine→0 %"} <= set(w.columns)
    assert w["1-sqrt@0.2 vs cosine→0 %"].iloc[0] == pytest.approx(100 * (2.99 / 3.06 - 1))
    c = claims(both)
    assert c[0].startswith("1-sqrt 0.2 cooldown matches cosine (|gap| ≤ 1%): 2 of 2")  # still the primary
    assert any(line.startswith("1-sqrt 0.2 cooldown against cosine→0 (cosine to 0 of peak): 0 of 2") for line in c)
    assert any(line.startswith("cosine→0 against cosine: lower at 0 of 2; signed gaps +2.00%") for line in c)
    # the equivalent sweep is counted once, not once per baseline
    assert flops_ratios(both).ratio.iloc[0] == pytest.approx(flops_ratios(points()).ratio.iloc[0])
