"""Helpers of the workflow tests: the real Snakemake on tiny configs in a temporary copy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Jobs downstream of points.csv: rerun whenever any point changes, never training.
ANALYSIS = ["aggregate", "all", "compute", "fit", "plots", "predict", "summary"]
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


def snakemake(workdir: Path, *args, check=True, prefix=()) -> subprocess.CompletedProcess:
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    cmd = [*prefix, sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "smoke.yaml"]
    r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
        )
    return r


def planned_jobs(workdir: Path, *args, prefix=()) -> list[tuple[str, str]]:
    """(rule, main output) of every job a dry run would execute: its checkpoint if it
    writes one, else its first output."""
    out = snakemake(workdir, "-n", *args, prefix=prefix)
    return jobs_in(out.stdout + out.stderr)


def jobs_in(text: str) -> list[tuple[str, str]]:
    """(rule, main output) of every job in a dry run's printout."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if m:
            o = re.search(r"\n\s+output: ([^\n]+)", block)
            outputs = [x.strip() for x in o.group(1).split(", ")] if o else [""]
            jobs.append((m.group(1), next((x for x in outputs if x.endswith(".pt")), outputs[0])))
    return jobs


def edit_config(workdir: Path, change) -> None:
    cfg = yaml.safe_load((workdir / "smoke.yaml").read_text())
    change(cfg)
    (workdir / "smoke.yaml").write_text(yaml.safe_dump(cfg))
