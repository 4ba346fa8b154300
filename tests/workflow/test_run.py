"""A complete run of the smoke config: what it writes, and the plan that predicted it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import edit_config, make_workdir, planned_jobs, snakemake


def test_complete_run_writes_points_and_then_has_nothing_to_do(completed, copy_of_completed):
    import pandas as pd

    points = pd.read_csv(completed / "results" / "smoke" / "points.csv")
    assert list(points.columns) == [
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
    assert sorted(points.kind.unique()) == ["cooldown", "cosine", "swa", "trunk"]
    assert len(points) == 2 * 3 * (1 + 2 + 2 + 1)  # models × budgets × (trunk, 2 cosine baselines, 2 shapes, swa)
    assert sorted(points[points.kind == "cosine"].final_lr_fraction.unique()) == [0.0, 0.1]
    assert points.val_loss.between(0.5, 6).all()
    # on a copy: the shared run is only read, other workers copy it meanwhile
    assert planned_jobs(copy_of_completed) == []


def test_figures_and_html_report(completed, copy_of_completed):
    from scalinglaws.experiment.layout import FIGURES

    for name in FIGURES:
        png = completed / "results" / "smoke" / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    snakemake(copy_of_completed, "--report", "results/smoke/report.html")
    html = (copy_of_completed / "results" / "smoke" / "report.html").read_text(errors="replace")
    assert "cooldown_vs_cosine.png" in html and "Figures" in html


def test_fits_and_compute_account(completed):
    import json

    def strict(constant):  # NaN or Infinity would make the file unreadable for strict parsers
        raise AssertionError(f"fits.json holds {constant}")

    fits = json.loads((completed / "results" / "smoke" / "fits.json").read_text(), parse_constant=strict)
    assert sorted(fits["sets"]) == ["cooldown 1-sqrt@0.2", "cooldown linear@0.2", "cosine", "cosine→0", "swa", "trunk"]
    assert (
        fits["pointwise"]["1-sqrt@0.2 vs cosine→0"]["n"] == 6
        and "cooldown linear@0.2 vs cosine→0" in fits["comparison"]
    )
    a3 = fits["sets"]["cosine"]["approach3"]
    assert a3["n_starts"] == 500 and a3["bootstrap"]["n_boot"] == 5
    assert "cooldown 1-sqrt@0.2 vs cosine" in fits["comparison"]
    compute = json.loads((completed / "results" / "smoke" / "compute.json").read_text())
    wsd, cos = compute["totals"]["wsd (1-sqrt@0.2)"], compute["totals"]["cosine"]
    # as run: the chain to 60 steps, the branches to the forks 16, 32 and 48 (from 0, 20 and 40),
    # the 20% cooldowns of 20, 40 and 60 steps, against cosine runs of 20 + 40 + 60
    assert wsd["flops_ratio_to_cosine"] == pytest.approx((60 + 16 + 12 + 8 + 4 + 8 + 12) / 120)
    # as Hägele et al. count it, the trunk stops at the last fork step, 48
    assert wsd["flops_paper_ratio_to_cosine"] == pytest.approx((48 + 4 + 8 + 12) / 120)
    summary = (completed / "results" / "smoke" / "summary.md").read_text()
    assert f"{(48 + 4 + 8 + 12) / 120:.3f} as the paper counts it" in summary
    assert f"{(60 + 4 + 8 + 12) / 120:.3f} with one trunk to the largest budget" in summary
    assert f"{wsd['flops_ratio_to_cosine']:.3f} as run here (with the branches" in summary
    assert f"measured job seconds: {wsd['seconds_ratio_to_cosine']:.3f}" in summary
    assert wsd["seconds"] > 0 and cos["seconds"] > 0


def test_predictions_of_the_smoke_run(completed):
    """Every cooldown and cosine run predicted per model from its trunk and its largest
    1-sqrt cooldown; the errors are those of predictions.csv against points.csv."""
    import pandas as pd

    results = completed / "results" / "smoke"
    table, points = pd.read_csv(results / "predictions.csv"), pd.read_csv(results / "points.csv")
    assert len(table) == 2 * (6 + 3)  # models × (cooldowns + cosine runs)
    fit = table[table.role == "fit"]
    assert sorted(fit.model) == ["a", "b"] and set(fit.tokens) == {7680} and set(fit["shape"]) == {"1-sqrt"}
    keys = ["model", "kind", "tokens", "step"]
    primary = (points.kind == "cosine") & (points.final_lr_fraction == 0.1)  # the baseline predicted
    merged = table.merge(points[(points.kind == "cooldown") | primary], on=keys, suffixes=("", "_p"))
    merged = merged[merged["shape"].fillna("") == merged["shape_p"].fillna("")]
    assert len(merged) == len(table)
    assert (merged.measured_loss == merged.val_loss).all()
    assert merged.relative_error.to_numpy() == pytest.approx((merged.predicted_loss / merged.val_loss - 1).to_numpy())
    assert (results / "figures" / "predictions.png").read_bytes()[:4] == b"\x89PNG"
    summary = (results / "summary.md").read_text()
    assert "## Predicted before training" in summary and "- cooldown: 10 runs predicted" in summary
    # The smoke run's own cooldowns, predicted from its trunk and one cooldown per model:
    # measured 0.72% mean and 1.7% worst (2026-11-27); this bounds gross failures (a fit
    # gone astray). Its cooldowns are too short to tell a right annealing term from none
    # (removing S2 changed neither figure), so the laws themselves are tested on synthetic
    # curves in test_predict, test_multipower and test_predictions.
    error = table[(table.role == "predicted") & (table.kind == "cooldown")].relative_error.abs()
    assert error.mean() < 0.02 and error.max() < 0.05, error.describe()


def test_plan_counts_the_dry_runs_jobs_and_the_runs_disk_and_flops(completed, tmp_path):
    """`scalinglaws plan` before a run: the same jobs per rule as Snakemake's dry run;
    after it: checkpoint disk within 3% of the files written, FLOPs as in compute.json."""
    import json
    from collections import Counter

    from scalinglaws.experiment import plan as planning
    from scalinglaws.experiment.config import load_config
    from scalinglaws.experiment.layout import Layout

    fresh = make_workdir(tmp_path / "fresh")
    dry = Counter(r for r, _ in planned_jobs(fresh))
    cli = subprocess.run(
        [Path(sys.executable).parent / "scalinglaws", "plan", "smoke.yaml"], cwd=fresh, capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr
    assert "trunk" in cli.stdout and "1.000 × the cosine sweep" in cli.stdout
    assert "est. time" in cli.stdout and "training tokens/s (probe on cpu)" in cli.stdout  # no benchmarks yet
    config = load_config([completed / "smoke.yaml"], completed)
    rows = {r["rule"]: r for r in planning.plan(config, 256)}
    assert {rule: r["jobs"] for rule, r in rows.items()} == {rule: n for rule, n in dry.items() if rule != "all"}
    results = completed / "results" / "smoke"
    for rule in ("trunk", "cooldown", "cosine", "swa"):
        written = sum(p.stat().st_size for d in results.glob(f"{rule}*") for p in d.rglob("*.pt"))
        planned = rows[rule]["disk"] + (rows["branch"]["disk"] if rule == "trunk" else 0)  # both under trunk/
        assert planned == pytest.approx(written, rel=0.03), rule
    layout = Layout(str(results))
    assert planning.data_bytes(config, layout, 256) == sum(
        (results / "data" / f).stat().st_size for f in ("train.bin", "val.bin")
    )
    compute = json.loads((results / "compute.json").read_text())
    assert rows["trunk"]["flops"] + rows["branch"]["flops"] + rows["cooldown"]["flops"] == pytest.approx(
        compute["totals"]["wsd (all cooldowns)"]["flops"], rel=1e-12
    )
    # plan counts what is trained (both baselines); compute.json's cosine is the sweep replaced (the first)
    other = sum(e["other baselines"]["cosine→0"]["flops"] for e in compute["models"].values())
    assert rows["cosine"]["flops"] == pytest.approx(compute["totals"]["cosine"]["flops"] + other, rel=1e-12)


@pytest.mark.slow
def test_evaluating_apart_runs_an_evaluate_job_per_final_model(tmp_path):
    """eval.in_training_job false: every point gets its own evaluate job (so an eval change
    reruns evaluations only), training jobs get no --eval-out, and plan counts them."""
    from collections import Counter

    from scalinglaws.experiment import plan as planning
    from scalinglaws.experiment.config import load_config

    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, lambda c: c.setdefault("eval", {}).update(in_training_job=False))
    r = snakemake(wd, "-n", "-p")
    assert "scalinglaws train" in r.stdout and "--eval-out" not in r.stdout
    jobs = planned_jobs(wd)
    evaluated = sorted(out for rule, out in jobs if rule == "evaluate")
    # 2 models × 3 budgets × (trunk, 2 cosine baselines, swa, 2 cooldowns), and the 3 fork
    # steps' trunk checkpoints per model that the predict rule reads
    assert len(evaluated) == 2 * 3 * 6 + 2 * 3
    assert {out.split("/")[3] for out in evaluated} == {"trunk", "cooldown", "cosine", "cosine-final0", "swa"}
    rows = planning.plan(load_config([wd / "smoke.yaml"], wd), 256)
    assert {row["rule"]: row["jobs"] for row in rows} == {
        rule: n for rule, n in Counter(r for r, _ in jobs).items() if rule != "all"
    }


def test_predicted_only_run_fits_and_reports_the_predicted_cooldowns(copy_of_completed):
    """A run with predict.run_predicted: false (from the smoke run's trunks, which it
    shares): 2 cooldowns trained, the other 10 predicted; fits.json fits them as labelled
    sets, the summary lists them, the frontier figure draws them, and the points are the
    trained ones only (the other cooldowns' files, left from the full run, are not read)."""
    import json

    import pandas as pd

    wd = copy_of_completed
    edit_config(wd, lambda c: c.update(predict={"run_predicted": False}))
    snakemake(wd)
    results = wd / "results" / "smoke"
    points = pd.read_csv(results / "points.csv")
    assert (points.kind == "cooldown").sum() == 2
    sets = json.loads((results / "fits.json").read_text())["sets"]
    for label in ("1-sqrt@0.2", "linear@0.2"):
        assert sets[f"cooldown {label} (predicted)"]["n_points"] == 2 * 3
        assert "approach3" in sets[f"cooldown {label} (predicted)"]
    assert "skipped" in sets["cooldown 1-sqrt@0.2"]  # 2 trained points cannot be fitted alone
    summary = (results / "summary.md").read_text()
    assert "10 cooldowns were predicted and not trained" in summary
    assert (results / "figures" / "frontier.png").read_bytes()[:4] == b"\x89PNG"
    assert planned_jobs(wd) == []


@pytest.mark.slow
def test_predicted_only_cooldowns_are_not_trained(tmp_path):
    """predict.run_predicted: false: one cooldown per model, the same trunk links, and the
    fit rule reads the predictions."""
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, lambda c: c.update(predict={"run_predicted": False}))
    jobs = planned_jobs(wd)
    assert sorted(o for r, o in jobs if r == "cooldown") == [
        f"results/smoke/cooldown/{m}/1-sqrt/f0.2/tokens7680.pt" for m in ("a", "b")
    ]
    # the grid steps 20, 40, 60 (the budgets) and a branch to every fork: trunk losses for the law
    assert [sum(r == rule for r, _ in jobs) for rule in ("trunk", "branch")] == [2 * 3, 2 * 3]
    dry = snakemake(wd, "-n")
    assert "input: results/smoke/points.csv, results/smoke/predictions.csv" in dry.stdout + dry.stderr
