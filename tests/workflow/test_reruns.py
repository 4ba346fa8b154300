"""A rerun after a config change does only the new work: what is retrained, and what never is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import (
    ANALYSIS,
    assert_same_state,
    edit_config,
    jobs_in,
    make_workdir,
    planned_jobs,
    snakemake,
    without_root_override,
)


def test_adding_a_shape_schedules_only_new_cooldowns(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["cooldown"].update(shapes=["1-sqrt", "linear", "cosine"]))
    jobs = planned_jobs(copy_of_completed)
    rules = sorted(r for r, _ in jobs)
    assert rules == sorted(["cooldown"] * 6 + ANALYSIS)  # each cooldown job evaluates its model
    assert all("/cosine/" in out for r, out in jobs if r == "cooldown")


def test_adding_a_larger_budget_extends_the_trunk_only_past_its_end(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c.update(budgets=[2560, 5120, 7680, 10240]))
    jobs = planned_jobs(copy_of_completed)
    # the new budget is step 80, a grid step (every 20); its 20% fork, step 64, a branch from 60
    assert sorted(out for r, out in jobs if r == "trunk") == [f"results/smoke/trunk/{m}/step80.pt" for m in ("a", "b")]
    assert sorted(out for r, out in jobs if r == "branch") == [
        f"results/smoke/trunk/{m}/branch64.pt" for m in ("a", "b")
    ]
    assert sorted(out for r, out in jobs if r == "cooldown") == [
        f"results/smoke/cooldown/{m}/{shape}/f0.2/tokens10240.pt" for m in ("a", "b") for shape in ("1-sqrt", "linear")
    ]
    assert sorted(out for r, out in jobs if r in ("swa", "cosine")) == sorted(
        [f"results/smoke/{d}/{m}/tokens10240.pt" for m in ("a", "b") for d in ("swa", "cosine", "cosine-final0")]
    )
    evals = [out for r, out in jobs if r == "evaluate"]  # the others evaluate in their own jobs
    # the new budget's trunk checkpoint, and its fork step's (for the predict rule)
    assert sorted(evals) == [
        f"results/smoke/eval/trunk/{m}/{s}.json" for m in ("a", "b") for s in ("branch64", "step80")
    ]
    assert {r for r, _ in jobs} == {"trunk", "branch", "cooldown", "cosine", "swa", "evaluate", *ANALYSIS}


def _insert_budget_and_fraction(c):
    """A budget between two existing ones (step 30) and a second cooldown fraction (0.5),
    for model a, two budgets of three, one shape, no baselines and no bootstrap (dropping
    those retrains nothing; a shorter test)."""
    c.update(models=c["models"][:1], budgets=[2560, 3840, 5120])
    c["cooldown"].update(fractions=[0.2, 0.5], shapes=["1-sqrt"])
    c["cosine"].update(enabled=False)
    c["fit"].update(bootstrap=0)


def test_a_budget_between_two_and_a_new_fraction_train_no_link_of_the_chain(copy_of_completed, tmp_path):
    """The chain (a link every 20 steps) depends on nothing a budget changes: the new
    trunk checkpoints are branches from grid steps, and the protected chain is never
    rewritten, also for a user who is not root. The points after the rerun are those of a
    fresh run of the extended config, byte for byte."""
    wd, prefix = copy_of_completed, without_root_override()
    edit_config(wd, _insert_budget_and_fraction)
    jobs = planned_jobs(wd, prefix=prefix)
    assert {r for r, _ in jobs} == {"branch", "cooldown", "swa", "evaluate", *ANALYSIS}
    # budget 30 (from 20) and its 20% fork 24 (from 20); the 50% forks 10 and 15 (from
    # scratch); the 50% fork of 40 is step 20, on the grid
    branches = sorted(out for r, out in jobs if r == "branch")
    assert branches == [f"results/smoke/trunk/a/branch{s}.pt" for s in (10, 15, 24, 30)]
    new_cooldowns = [out for r, out in jobs if r == "cooldown"]
    assert len(new_cooldowns) == 1 + 3  # 20% at the new budget, 50% at all three
    # `plan --against` tells the user the same before the run, with the branches' cost
    plan = subprocess.run(
        [*prefix, Path(sys.executable).parent / "scalinglaws", "plan", "smoke.yaml", "--probe-seconds", "0"]
        + ["--against", "results/smoke"],
        cwd=wd, capture_output=True, text=True,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    against = plan.stdout[plan.stdout.index("against results/smoke") :]
    assert re.search(rf"\nbranch +4 +{(10 + 15 + 4 + 10) * 128:,} ", against), against
    assert re.search(r"\ncooldown +4 ", against) and "no link of any trunk's chain is retrained" in against
    snakemake(wd, prefix=prefix)
    fresh = make_workdir(tmp_path / "fresh")
    edit_config(fresh, _insert_budget_and_fraction)
    snakemake(fresh, "results/smoke/points.csv")  # the table only: the analysis is the same code
    points = [(w / "results" / "smoke" / "points.csv").read_bytes() for w in (wd, fresh)]
    assert points[0] == points[1] and points[0].count(b",cooldown,") == 2 * 3


def test_changing_an_analysis_setting_retrains_nothing(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c.update(fit={"bootstrap": 7, "approaches": [2, 3]}))
    assert sorted(r for r, _ in planned_jobs(copy_of_completed)) == ["all", "fit", "plots"]
    edit_config(copy_of_completed, lambda c: c.update(predict={"fit_budgets": [0, -1], "decay": 0.99}))
    # (fit and plots from the change above, still pending in this dry run; summary reports predictions)
    assert sorted(r for r, _ in planned_jobs(copy_of_completed)) == ["all", "fit", "plots", "predict", "summary"]
    edit_config(copy_of_completed, lambda c: c.update(flops={"convention": "6N"}))
    assert sorted(r for r, _ in planned_jobs(copy_of_completed)) == ANALYSIS


def test_baselines_at_some_budgets_only_retrain_nothing_and_count_the_whole_sweep(copy_of_completed):
    """cosine.budgets [-1]: the baselines only at the largest budget; the existing runs
    at the others are simply not read, and the savings still count the whole cosine sweep."""
    import json

    edit_config(copy_of_completed, lambda c: c["cosine"].update(budgets=[-1]))
    assert {r for r, _ in planned_jobs(copy_of_completed)} <= {"all", *ANALYSIS}
    snakemake(copy_of_completed, "--cores", "2", "results/smoke/compute.json", "results/smoke/points.csv")
    compute = json.loads((copy_of_completed / "results" / "smoke" / "compute.json").read_text())
    cos = compute["models"]["a"]["cosine"]
    assert cos["tokens"] == 2560 + 5120 + 7680 and cos["seconds_estimated"] is True
    assert compute["models"]["a"]["other baselines"]["cosine→0"]["tokens"] == 7680
    points = (copy_of_completed / "results" / "smoke" / "points.csv").read_text()
    assert points.count(",cosine,") == 2 * 2  # models × baselines, at one budget


@pytest.mark.parametrize(
    "change,reruns",
    [
        (lambda c: c["training"].update(device="auto"), set()),  # where to run is not what to run
        (lambda c: c["cooldown"].update(final_fraction=0.05), {"cooldown", *ANALYSIS}),
        # final models are evaluated in the jobs that made them (eval.in_training_job)
        (lambda c: c["eval"].update(tokens=4096), {"evaluate", "cooldown", "cosine", "swa", *ANALYSIS}),
        (lambda c: c.setdefault("cosine", {}).update(final_fractions=[0.2, 0.0]), {"cosine", *ANALYSIS}),
        ("edit the cooldown rule", {"cooldown", *ANALYSIS}),
    ],
    ids=["device", "cooldown.final_fraction", "eval.tokens", "cosine.final_fraction", "code"],
)
def test_a_change_that_does_not_define_the_trunk_retrains_no_trunk(copy_of_completed, change, reruns):
    if change == "edit the cooldown rule":  # Snakemake's code trigger: the rule's shell text
        rule = copy_of_completed / "workflow" / "rules" / "cooldown.smk"
        rule.write_text(rule.read_text().replace("--no-progress > {log} 2>&1", "--no-progress >{log} 2>&1"))
    else:
        edit_config(copy_of_completed, change)
    assert {r for r, _ in planned_jobs(copy_of_completed)} == reruns


def test_a_models_own_warmup_retrains_that_model_only(copy_of_completed):
    """models[].warmup_tokens defines that model's trunk and baselines: its runs are
    retrained with the new warmup, the other model's are not."""
    wd = copy_of_completed
    edit_config(wd, lambda c: c["models"][1].update(warmup_tokens=512))  # b: 4 steps instead of 2
    r = snakemake(wd, "-n", "-p")  # one dry run for the jobs and their commands
    trained = {out for rule, out in jobs_in(r.stdout + r.stderr) if rule in {"trunk", "cosine", "cooldown", "swa"}}
    assert any("/trunk/b/" in out for out in trained) and all("/b/" in out for out in trained)
    runs = [line for line in r.stdout.splitlines() if "--warmup-steps" in line]
    assert runs and all("--warmup-steps 4" in line and "--d-model 48" in line for line in runs)


def test_changing_how_many_swa_windows_to_merge_retrains_nothing(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["swa"].update(windows=3))
    rules = sorted(r for r, _ in planned_jobs(copy_of_completed))
    assert rules == sorted(["swa"] * 6 + ANALYSIS)


def test_trunk_checkpoint_does_not_depend_on_the_chain(completed, tmp_path):
    """Step 20 reached in one link from scratch (the smoke run's grid of 20 steps) or
    through links of 6 steps that end inside SWA windows of 5 (6, 12, 18) and a branch
    from 18 to 20 is bit-identical."""
    wd = make_workdir(tmp_path / "long")
    edit_config(wd, lambda c: c.update(budgets=[2560], models=c["models"][:1], trunk={"link_tokens": 768}))
    target = "results/smoke/trunk/a/branch20.pt"
    jobs = planned_jobs(wd, target)
    assert sorted(out for r, out in jobs if r in ("trunk", "branch")) == [
        target,
        *(f"results/smoke/trunk/a/step{s}.pt" for s in (12, 18, 6)),
    ]
    snakemake(wd, target)
    a, b = (torch.load(p, weights_only=True) for p in (completed / "results/smoke/trunk/a/step20.pt", wd / target))
    for part in ("model", "optimizer"):
        assert_same_state(a[part], b[part], part)


def test_processes_and_micro_batches_are_resources_that_retrain_nothing(copy_of_completed):
    """A job's resources ask for several processes (torchrun) or gradient accumulation;
    neither is a rerun trigger, and a fresh plan's commands carry them."""
    wd = copy_of_completed
    job_resources = ["--set-resources", "trunk:nproc=2", "cooldown:micro_batch_size=2"]
    assert planned_jobs(wd, *job_resources) == []
    r = snakemake(wd, "-n", "-p", "--forcerun", "results/smoke/trunk/a/step40.pt", *job_resources)
    trunk = next(line for line in r.stdout.splitlines() if "--until 40" in line)
    assert "mkdir -p" in trunk and "&& torchrun --standalone --nproc_per_node 2 -m scalinglaws train" in trunk
    cooldowns = [line for line in r.stdout.splitlines() if "--schedule wsd" in line]
    assert cooldowns and all("--micro-batch-size 2" in line and "torchrun" not in line for line in cooldowns)
