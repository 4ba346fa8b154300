"""Workflow tests: the real Snakemake on the smoke config, in a temporary directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from test_train import assert_same_state
from workflow_helpers import ANALYSIS, edit_config, jobs_in, make_workdir, planned_jobs, snakemake


@pytest.fixture
def copy_of_completed(completed, tmp_path):
    dest = tmp_path / "wf"
    shutil.copytree(completed, dest, symlinks=True)
    return dest


def test_complete_run_writes_points_and_then_has_nothing_to_do(completed):
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
    assert planned_jobs(completed) == []


def test_figures_and_html_report(completed):
    from scalinglaws.experiment.layout import FIGURES

    for name in FIGURES:
        png = completed / "results" / "smoke" / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    snakemake(completed, "--report", "results/smoke/report.html")
    html = (completed / "results" / "smoke" / "report.html").read_text(errors="replace")
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
    # one trunk to 60 steps + 20% cooldowns of 20, 40, 60 steps vs cosine runs of 20+40+60
    assert wsd["flops_ratio_to_cosine"] == pytest.approx((60 + 4 + 8 + 12) / 120)
    # as Hägele et al. count it, the trunk stops at the last fork step, 48
    assert wsd["flops_paper_ratio_to_cosine"] == pytest.approx((48 + 4 + 8 + 12) / 120)
    summary = (completed / "results" / "smoke" / "summary.md").read_text()
    assert f"{(48 + 4 + 8 + 12) / 120:.3f} as the paper counts it" in summary
    assert f"measured job seconds: {wsd['seconds_ratio_to_cosine']:.3f}" in summary
    assert wsd["seconds"] > 0 and cos["seconds"] > 0


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


def test_predicted_only_cooldowns_are_not_trained(tmp_path):
    """predict.run_predicted: false: one cooldown per model, the same trunk links, and the
    fit rule reads the predictions."""
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, lambda c: c.update(predict={"run_predicted": False}))
    jobs = planned_jobs(wd)
    assert sorted(o for r, o in jobs if r == "cooldown") == [
        f"results/smoke/cooldown/{m}/1-sqrt/f0.2/tokens7680.pt" for m in ("a", "b")
    ]
    assert sum(r == "trunk" for r, _ in jobs) == 2 * 6  # budgets 20, 40, 60 and every fork: trunk losses for the law
    dry = snakemake(wd, "-n")
    assert "input: results/smoke/points.csv, results/smoke/predictions.csv" in dry.stdout + dry.stderr


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


def _without_root_override() -> list[str]:
    """A command prefix under which root obeys file modes as any user does (root ignores
    them, so Snakemake's write protection cannot hold against a root user)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv (util-linux): cannot drop CAP_DAC_OVERRIDE")
    caps = "-dac_override,-fowner"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_trunk_checkpoints_are_write_protected_and_recomputed_only_on_purpose(copy_of_completed):
    import hashlib
    import stat

    wd, prefix = copy_of_completed, _without_root_override()
    trunk = wd / "results" / "smoke" / "trunk"
    files = sorted(p for p in trunk.rglob("*") if p.is_file())
    assert files and not any(p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) for p in files)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    # A trunk setting changes: an ordinary rerun refuses instead of overwriting model b's trunk.
    edit_config(wd, lambda c: c["models"][1].update(lr=c["models"][1]["lr"] / 2))
    r = snakemake(wd, check=False, prefix=prefix)
    assert r.returncode != 0
    assert "Write-protected output files for rule trunk" in r.stdout + r.stderr
    assert "results/smoke/trunk/b/" in r.stdout + r.stderr
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before
    # The README's recipe: make that model's trunk writable, and the rerun retrains it alone.
    subprocess.run(["chmod", "-R", "u+w", str(trunk / "b")], check=True)
    planned = [out for r, out in planned_jobs(wd, prefix=prefix) if r == "trunk"]
    assert planned and all(out.startswith("results/smoke/trunk/b/") for out in planned)


def test_changing_how_many_swa_windows_to_merge_retrains_nothing(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["swa"].update(windows=3))
    rules = sorted(r for r, _ in planned_jobs(copy_of_completed))
    assert rules == sorted(["swa"] * 6 + ANALYSIS)


def test_trunk_checkpoint_does_not_depend_on_the_chain(completed, tmp_path):
    """Step 40 reached through 3 earlier links (the smoke run: 16, 20, 32) or through 7
    (budgets every 10 steps: 8, 10, 16, 20, 24, 30, 32) is bit-identical."""
    wd = make_workdir(tmp_path / "long")
    edit_config(wd, lambda c: c.update(budgets=[1280, 2560, 3840, 5120], models=c["models"][:1]))
    target = "results/smoke/trunk/a/step40.pt"
    made = sorted(int(p.stem[4:]) for p in (completed / "results" / "smoke" / "trunk" / "a").glob("step*.pt"))
    assert [s for s in made if s <= 40] == [16, 20, 32, 40]
    links = [out for r, out in planned_jobs(wd, target) if r == "trunk"]
    assert len(links) == 8
    snakemake(wd, target)
    a, b = (torch.load(w / target, weights_only=True) for w in (completed, wd))
    for part in ("model", "optimizer"):
        assert_same_state(a[part], b[part], part)


HOSTILE = ["a b", "a'b", 'a"b', "a;touch pwned", "$(touch pwned)", "`touch pwned`"]


@pytest.mark.parametrize(
    "change,messages",
    [
        (
            lambda c: c["cooldown"].update(shapse=["linear"]),
            ["Additional properties are not allowed ('shapse' was unexpected)"],
        ),
        (
            lambda c: c["training"].update(batch_size="16"),
            ["'16' is not of type 'integer'", "['training']['batch_size']"],
        ),
        (
            lambda c: c["cooldown"].update(fractions=[0.2, 1.5]),
            ["1.5 is greater than the maximum of 1", "['cooldown']['fractions'][1]"],
        ),
        (
            lambda c: c["cooldown"].update(fractions=[0]),
            ["0 is less than or equal to the minimum of 0", "['cooldown']['fractions'][0]"],
        ),
        (
            lambda c: c.update(budgets=[2560, 5000]),
            ["budgets (a): 5000 tokens is not a whole positive number of steps"],
        ),
        (lambda c: c.update(budgets=[2560, 5120, 2560]), ["duplicate budget(s) [2560] for model 'a'"]),
        (
            lambda c: c["training"].update(warmup_tokens=2048),
            ["forks at step 16, at or before the end of warmup (step 16)"],
        ),
        (
            lambda c: c["eval"].update(tokens=16),
            ["eval.tokens 16 is less than one sequence of training.seq_len 32 tokens"],
        ),
        (lambda c: c["models"][0].update(n_heads=3), ["models (a): d_model 32 is not divisible by n_heads 3"]),
        (
            lambda c: c["cooldown"].update(shapes=["1-sqrt", "sqrt"]),
            ["'sqrt' is not one of", "['cooldown']['shapes'][1]"],
        ),
        (lambda c: c["data"].update(tokenizer="wordpiece"), ["'wordpiece' does not match", "['data']['tokenizer']"]),
        (lambda c: c["data"].update(source="web"), ["'web' is not one of", "['data']['source']"]),
        *[(lambda c, n=n: c.update(experiment=n), ["does not match", "['experiment']"]) for n in HOSTILE],
        *[(lambda c, n=n: c["models"][1].update(name=n), ["does not match", "['models'][1]['name']"]) for n in HOSTILE],
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, change, messages):
    """Schema and semantic checks: refused at the dry run, naming the key and the value,
    before anything is computed. Hostile names never reach a shell: the schema refuses them."""
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, change)
    r = snakemake(wd, check=False)
    assert r.returncode != 0
    for message in messages:
        assert message in r.stdout + r.stderr
    assert not (wd / "results").exists() and not list(wd.rglob("pwned"))


@pytest.mark.parametrize(
    "change,message",
    [
        (
            lambda c: c["eval"].update(tokens=20000),
            "eval.tokens 20000 needs 20001 validation tokens; the validation split (data.val_fraction 0.05) has 10000",
        ),
        (
            lambda c: c.update(data={"source": "files", "files": ["empty dir/*.txt"]}),
            "data.source 'files': the corpus is empty or unusable (no documents",
        ),
    ],
    ids=["val-split-smaller-than-eval", "empty-corpus"],
)
def test_bad_data_fails_in_prepare_data_before_any_training(tmp_path, change, message):
    wd = make_workdir(tmp_path / "wf")
    (wd / "empty dir").mkdir()
    (wd / "empty dir" / "a.txt").write_text("")
    edit_config(wd, change)
    r = snakemake(wd, check=False)
    assert r.returncode != 0
    assert (wd / "results" / "smoke" / "logs" / "prepare_data.log").read_text().startswith(f"error: {message}")
    assert not (wd / "results" / "smoke" / "data" / "meta.json").exists()
    assert not (wd / "results" / "smoke" / "trunk").exists()


def test_raising_eval_tokens_past_the_prepared_split_is_refused_at_the_dry_run(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["eval"].update(tokens=20000))
    r = snakemake(copy_of_completed, "-n", check=False)
    assert r.returncode != 0
    assert "config: eval.tokens 20000 needs 20001 validation tokens" in r.stdout + r.stderr


def test_hostile_paths_in_the_config_pass_through_quoted(tmp_path):
    """A corpus glob with spaces, quotes, `;` and `$(...)` reaches the data source intact."""
    wd = make_workdir(tmp_path / "wf")
    weird = wd / """dir with 'quotes' "and" ; $(touch pwned) `touch pwned`"""
    weird.mkdir()
    for i in range(20):  # both splits get documents (the split hashes each path)
        (weird / f"doc{i}.txt").write_text(f"document {i}\n" * 500)
    edit_config(
        wd,
        lambda c: c.update(
            data={"source": "files", "files": [f"{weird}/*.txt"], "val_fraction": 0.5}, eval={"tokens": 64}
        ),
    )
    snakemake(wd, "results/smoke/data/meta.json")
    import json

    meta = json.loads((wd / "results" / "smoke" / "data" / "meta.json").read_text())
    assert meta["source"]["files"] == [f"{weird}/*.txt"] and meta["train_documents"] + meta["val_documents"] == 20
    assert not list(wd.rglob("pwned"))


def _start_and_kill_when(workdir: Path, started: str, timeout: float = 120.0) -> None:
    """Run the workflow and SIGKILL it (Snakemake and its jobs) as soon as a job's log
    matching ``started`` appears, i.e. in the middle of that job."""
    import signal
    import time

    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "smoke.yaml"]
    p = subprocess.Popen(
        cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    logs = workdir / "results" / "smoke" / "logs"
    while not list(logs.glob(started)):
        assert p.poll() is None, "the workflow ended before the job to kill started"
        assert time.monotonic() < deadline, f"no job matching {started} started"
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()


def test_killed_twice_then_rerun_gives_the_same_points(completed, tmp_path):
    """SIGKILL in the middle of a trunk link, then of a cooldown: after `--unlock` and a
    rerun (the profile sets --rerun-incomplete) the points equal an uninterrupted run's.
    (Model a alone, to keep the test short: its rows are those of the full smoke run.)"""
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, lambda c: c.update(models=c["models"][:1]))
    _start_and_kill_when(wd, "trunk/*/step20.log")
    assert not (wd / "results" / "smoke" / "points.csv").exists()
    snakemake(wd, "--unlock")
    _start_and_kill_when(wd, "cooldown/*/*/*/tokens5120.log")
    snakemake(wd, "--unlock")
    snakemake(wd, "results/smoke/points.csv")
    header, *rows = (completed / "results" / "smoke" / "points.csv").read_text().splitlines()
    assert (wd / "results" / "smoke" / "points.csv").read_text().splitlines() == [header] + [
        r for r in rows if r.startswith("a,")
    ]
    # nothing half-written was kept: every checkpoint loads and verifies
    from scalinglaws.training import checkpoint

    for ckpt in (wd / "results" / "smoke").rglob("*.pt"):
        checkpoint.load(ckpt)


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
    assert "trunk" in cli.stdout and "0.700 × the cosine sweep" in cli.stdout
    assert "est. time" in cli.stdout and "training tokens/s (probe on cpu)" in cli.stdout  # no benchmarks yet
    config = load_config([completed / "smoke.yaml"], completed)
    rows = {r["rule"]: r for r in planning.plan(config, 256)}
    assert {rule: r["jobs"] for rule, r in rows.items()} == {rule: n for rule, n in dry.items() if rule != "all"}
    results = completed / "results" / "smoke"
    for rule in ("trunk", "cooldown", "cosine", "swa"):
        written = sum(p.stat().st_size for d in results.glob(f"{rule}*") for p in d.rglob("*.pt"))
        assert rows[rule]["disk"] == pytest.approx(written, rel=0.03), rule
    layout = Layout(str(results))
    assert planning.data_bytes(config, layout, 256) == sum(
        (results / "data" / f).stat().st_size for f in ("train.bin", "val.bin")
    )
    compute = json.loads((results / "compute.json").read_text())
    assert rows["trunk"]["flops"] + rows["cooldown"]["flops"] == pytest.approx(
        compute["totals"]["wsd (all cooldowns)"]["flops"], rel=1e-12
    )
    # plan counts what is trained (both baselines); compute.json's cosine is the sweep replaced (the first)
    other = sum(e["other baselines"]["cosine→0"]["flops"] for e in compute["models"].values())
    assert rows["cosine"]["flops"] == pytest.approx(compute["totals"]["cosine"]["flops"] + other, rel=1e-12)


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
