"""Workflow tests: the real Snakemake on the smoke config, in a temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from test_train import assert_same_state

ROOT = Path(__file__).resolve().parents[1]
# Jobs downstream of points.csv: rerun whenever any point changes, never training.
ANALYSIS = ["aggregate", "all", "compute", "fit", "plots", "summary"]
SMOKE = ROOT / "tests" / "configs" / "smoke.yaml"


def make_workdir(dest: Path) -> Path:
    """A copy of the workflow (not of results) where Snakemake can run on its own."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("workflow", "profiles", "scripts"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy2(SMOKE, dest / "smoke.yaml")
    return dest


def snakemake(workdir: Path, *args, check=True) -> subprocess.CompletedProcess:
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "smoke.yaml"]
    r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    return r


def planned_jobs(workdir: Path, *args) -> list[tuple[str, str]]:
    """(rule, first output) of every job a dry run would execute."""
    out = snakemake(workdir, "-n", *args)
    text = out.stdout + out.stderr
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if m:
            o = re.search(r"\n\s+output: ([^,\n]+)", block)
            jobs.append((m.group(1), o.group(1).strip() if o else ""))
    return jobs


def edit_config(workdir: Path, change) -> None:
    cfg = yaml.safe_load((workdir / "smoke.yaml").read_text())
    change(cfg)
    (workdir / "smoke.yaml").write_text(yaml.safe_dump(cfg))


@pytest.fixture(scope="module")
def completed(tmp_path_factory):
    """The smoke experiment run to completion once; tests copy it before changing it."""
    wd = make_workdir(tmp_path_factory.mktemp("smoke") / "wf")
    snakemake(wd)
    return wd


@pytest.fixture
def copy_of_completed(completed, tmp_path):
    dest = tmp_path / "wf"
    shutil.copytree(completed, dest, symlinks=True)
    return dest


def test_complete_run_writes_points_and_then_has_nothing_to_do(completed):
    import pandas as pd

    points = pd.read_csv(completed / "results" / "smoke" / "points.csv")
    assert list(points.columns) == [
        "model", "params", "params_non_embedding", "tokens", "flops", "kind", "shape", "cooldown_fraction", "step", "val_loss",
    ]
    assert sorted(points.kind.unique()) == ["cooldown", "cosine", "swa", "trunk"]
    assert len(points) == 2 * 3 * (1 + 1 + 2 + 1)  # models × budgets × (trunk, cosine, 2 shapes, swa)
    assert points.val_loss.between(0.5, 6).all()
    assert planned_jobs(completed) == []


def test_figures_and_html_report(completed):
    from scalinglaws.plots import FIGURES

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
    assert sorted(fits["sets"]) == ["cooldown 1-sqrt@0.2", "cooldown linear@0.2", "cosine", "swa", "trunk"]
    a3 = fits["sets"]["cosine"]["approach3"]
    assert a3["n_starts"] == 500 and a3["bootstrap"]["n_boot"] == 5
    assert "cooldown 1-sqrt@0.2 vs cosine" in fits["comparison"]
    compute = json.loads((completed / "results" / "smoke" / "compute.json").read_text())
    wsd, cos = compute["totals"]["wsd (1-sqrt@0.2)"], compute["totals"]["cosine"]
    # one trunk to 60 steps + 20% cooldowns of 20, 40, 60 steps vs cosine runs of 20+40+60
    assert wsd["flops_ratio_to_cosine"] == pytest.approx((60 + 4 + 8 + 12) / 120)
    assert wsd["seconds"] > 0 and cos["seconds"] > 0


def test_adding_a_shape_schedules_only_new_cooldowns(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["cooldown"].update(shapes=["1-sqrt", "linear", "cosine"]))
    jobs = planned_jobs(copy_of_completed)
    rules = sorted(r for r, _ in jobs)
    assert rules == sorted(["cooldown"] * 6 + ["evaluate"] * 6 + ANALYSIS)
    assert all("/cosine/" in out for r, out in jobs if r in ("cooldown", "evaluate"))


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
        [f"results/smoke/swa/{m}/tokens10240.pt" for m in ("a", "b")] + [f"results/smoke/cosine/{m}/tokens10240.pt" for m in ("a", "b")]
    )
    evals = [out for r, out in jobs if r == "evaluate"]
    assert len(evals) == 2 * 5 and all("10240" in e or "step80" in e for e in evals)
    assert sorted({r for r, _ in jobs}) == sorted({"trunk", "cooldown", "cosine", "swa", "evaluate", *ANALYSIS})


def test_changing_an_analysis_setting_retrains_nothing(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c.update(fit={"bootstrap": 7, "approaches": [2, 3]}))
    assert sorted(r for r, _ in planned_jobs(copy_of_completed)) == ["all", "fit", "plots"]
    edit_config(copy_of_completed, lambda c: c.update(flops={"convention": "6N"}))
    assert sorted(r for r, _ in planned_jobs(copy_of_completed)) == ANALYSIS


def test_changing_how_many_swa_windows_to_merge_retrains_nothing(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["swa"].update(windows=3))
    rules = sorted(r for r, _ in planned_jobs(copy_of_completed))
    assert rules == sorted(["swa"] * 6 + ["evaluate"] * 6 + ANALYSIS)


def test_trunk_checkpoint_does_not_depend_on_the_chain(tmp_path):
    """Step 40 reached through 3 earlier links or through 7 is bit-identical."""
    states = []
    for name, budgets in (("short", [2560, 5120]), ("long", [1280, 2560, 3840, 5120])):
        wd = make_workdir(tmp_path / name)
        edit_config(wd, lambda c: c.update(budgets=budgets, models=c["models"][:1], experiment=name))
        target = f"results/{name}/trunk/a/step40.pt"
        links = [out for r, out in planned_jobs(wd, target) if r == "trunk"]
        assert len(links) == (4 if name == "short" else 8)
        snakemake(wd, target)
        states.append(torch.load(wd / target, weights_only=True))
    a, b = states
    for part in ("model", "optimizer"):
        assert_same_state(a[part], b[part], part)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c["cooldown"].update(shapse=["linear"]), "Additional properties are not allowed ('shapse' was unexpected)"),
        (lambda c: c.update(budgets=[2560, 5000]), "budgets (a): 5000 tokens is not a whole positive number of steps"),
        (lambda c: c["cooldown"].update(shapes=["1-sqrt", "sqrt"]), "'sqrt' is not one of"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, change, message):
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, change)
    r = snakemake(wd, "-n", check=False)
    assert r.returncode != 0
    assert message in r.stdout + r.stderr
    assert not (wd / "results").exists()


def test_lint_and_format():
    lint = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    snakefmt = Path(sys.executable).parent / "snakefmt"
    fmt = subprocess.run([snakefmt, "--check", "Snakefile", "workflow"], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stderr


def _start_and_kill_when(workdir: Path, started: str, timeout: float = 120.0) -> None:
    """Run the workflow and SIGKILL it (Snakemake and its jobs) as soon as a job's log
    matching ``started`` appears, i.e. in the middle of that job."""
    import signal
    import time

    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "smoke.yaml"]
    p = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
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
    rerun (the profile sets --rerun-incomplete) points.csv equals an uninterrupted run's."""
    wd = make_workdir(tmp_path / "wf")
    _start_and_kill_when(wd, "trunk/*/step20.log")
    assert not (wd / "results" / "smoke" / "points.csv").exists()
    snakemake(wd, "--unlock")
    _start_and_kill_when(wd, "cooldown/*/*/*/tokens5120.log")
    snakemake(wd, "--unlock")
    snakemake(wd)
    for name in ("points.csv",):
        assert (wd / "results" / "smoke" / name).read_text() == (completed / "results" / "smoke" / name).read_text()
    # nothing half-written was kept: every checkpoint loads and verifies
    from scalinglaws import checkpoint

    for ckpt in (wd / "results" / "smoke").rglob("*.pt"):
        checkpoint.load(ckpt)
