"""Interrupted and repeated runs: killed jobs, and trunk checkpoints protected from reruns."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from helpers import edit_config, make_workdir, planned_jobs, snakemake, without_root_override


def test_trunk_checkpoints_are_write_protected_and_recomputed_only_on_purpose(copy_of_completed):
    import hashlib
    import stat

    wd, prefix = copy_of_completed, without_root_override()
    trunk = wd / "results" / "smoke" / "trunk"
    files = sorted(p for p in trunk.rglob("*") if p.is_file())
    assert files and not any(p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) for p in files)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    # A trunk setting changes: an ordinary rerun refuses instead of overwriting model b's trunk.
    edit_config(wd, lambda c: c["models"][1].update(lr=c["models"][1]["lr"] / 2))
    r = snakemake(wd, check=False, prefix=prefix)
    assert r.returncode != 0
    # whichever of model b's trunk jobs Snakemake checks first: a link or a branch
    assert re.search(r"Write-protected output files for rule (trunk|branch)", r.stdout + r.stderr)
    assert "results/smoke/trunk/b/" in r.stdout + r.stderr
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before
    # The README's recipe: make that model's trunk writable, and the rerun retrains it alone.
    subprocess.run(["chmod", "-R", "u+w", str(trunk / "b")], check=True)
    planned = [out for r, out in planned_jobs(wd, prefix=prefix) if r == "trunk"]
    assert planned and all(out.startswith("results/smoke/trunk/b/") for out in planned)


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
    (Model a at its two smaller budgets, to keep the test short: its rows are those of the
    full smoke run.)"""
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, lambda c: c.update(models=c["models"][:1], budgets=[2560, 5120]))
    _start_and_kill_when(wd, "trunk/*/step20.log")
    assert not (wd / "results" / "smoke" / "points.csv").exists()
    snakemake(wd, "--unlock")
    _start_and_kill_when(wd, "cooldown/*/*/*/tokens5120.log")
    snakemake(wd, "--unlock")
    snakemake(wd, "results/smoke/points.csv")
    header, *rows = (completed / "results" / "smoke" / "points.csv").read_text().splitlines()
    expected = [r for r in rows if r.split(",")[0] == "a" and r.split(",")[3] in ("2560", "5120")]
    assert (wd / "results" / "smoke" / "points.csv").read_text().splitlines() == [header, *expected]
    # nothing half-written was kept: every checkpoint loads and verifies
    from scalinglaws.training import checkpoint

    for ckpt in (wd / "results" / "smoke").rglob("*.pt"):
        checkpoint.load(ckpt)
