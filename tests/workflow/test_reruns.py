"""A rerun after a config change does only the new work: what is retrained, and what never is."""

from __future__ import annotations

import pytest
import torch

from helpers import ANALYSIS, assert_same_state, edit_config, jobs_in, make_workdir, planned_jobs, snakemake


def test_adding_a_shape_schedules_only_new_cooldowns(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["cooldown"].update(shapes=["1-sqrt", "linear", "cosine"]))
    jobs = planned_jobs(copy_of_completed)
    rules = sorted(r for r, _ in jobs)
    assert rules == sorted(["cooldown"] * 6 + ANALYSIS)  # each cooldown job evaluates its model
    assert all("/cosine/" in out for r, out in jobs if r == "cooldown")


def test_adding_a_larger_budget_extends_the_trunk_only_past_its_end(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c.update(budgets=[2560, 5120, 7680, 10240]))
    jobs = planned_jobs(copy_of_completed)
    trunk = sorted(out for r, out in jobs if r == "trunk")
    # the new budget is step 80, its 20% fork is step 64; the chain already ends at 60
    assert trunk == [f"results/smoke/trunk/{m}/step{s}.pt" for m in ("a", "b") for s in (64, 80)]
    assert sorted(out for r, out in jobs if r == "cooldown") == [
        f"results/smoke/cooldown/{m}/{shape}/f0.2/tokens10240.pt" for m in ("a", "b") for shape in ("1-sqrt", "linear")
    ]
    assert sorted(out for r, out in jobs if r in ("swa", "cosine")) == sorted(
        [f"results/smoke/{d}/{m}/tokens10240.pt" for m in ("a", "b") for d in ("swa", "cosine", "cosine-final0")]
    )
    evals = [out for r, out in jobs if r == "evaluate"]  # the others evaluate in their own jobs
    # the new budget's trunk checkpoint, and its fork step's (for the predict rule)
    assert sorted(evals) == [f"results/smoke/eval/trunk/{m}/step{s}.json" for m in ("a", "b") for s in (64, 80)]
    assert sorted({r for r, _ in jobs}) == sorted({"trunk", "cooldown", "cosine", "swa", "evaluate", *ANALYSIS})


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
    """Step 20 reached through 1 earlier link (the smoke run: 16) or through 3 (budgets of
    10 and 20 steps: 8, 10, 16), links that end inside SWA windows of 5 steps, is bit-identical."""
    wd = make_workdir(tmp_path / "long")
    edit_config(wd, lambda c: c.update(budgets=[1280, 2560], models=c["models"][:1]))
    target = "results/smoke/trunk/a/step20.pt"
    made = sorted(int(p.stem[4:]) for p in (completed / "results" / "smoke" / "trunk" / "a").glob("step*.pt"))
    assert [s for s in made if s <= 20] == [16, 20]
    links = [out for r, out in planned_jobs(wd, target) if r == "trunk"]
    assert len(links) == 4
    snakemake(wd, target)
    a, b = (torch.load(w / target, weights_only=True) for w in (completed, wd))
    for part in ("model", "optimizer"):
        assert_same_state(a[part], b[part], part)


def test_processes_and_micro_batches_are_resources_that_retrain_nothing(copy_of_completed):
    """A job's resources ask for several processes (torchrun) or gradient accumulation;
    neither is a rerun trigger, and a fresh plan's commands carry them."""
    wd = copy_of_completed
    job_resources = ["--set-resources", "trunk:nproc=2", "cooldown:micro_batch_size=2"]
    assert planned_jobs(wd, *job_resources) == []
    r = snakemake(wd, "-n", "-p", "--forcerun", "results/smoke/trunk/a/step48.pt", *job_resources)
    trunk = next(line for line in r.stdout.splitlines() if "--until 48" in line)
    assert "mkdir -p" in trunk and "&& torchrun --standalone --nproc_per_node 2 -m scalinglaws train" in trunk
    cooldowns = [line for line in r.stdout.splitlines() if "--schedule wsd" in line]
    assert cooldowns and all("--micro-batch-size 2" in line and "torchrun" not in line for line in cooldowns)
