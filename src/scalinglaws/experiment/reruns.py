"""What a run would recompute in an experiment that has already run: Snakemake's own dry
run (its rerun triggers are the authority: missing outputs, changed params, inputs and
code), with each planned training job's tokens and FLOPs from the sweep.

``scalinglaws plan CONFIG … --against results/EXPERIMENT`` prints it, so a user sees
what adding budgets costs before running (README, adding budgets later).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from scalinglaws import ScalingLawsError
from scalinglaws.experiment.flops import flops_per_token
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep
from scalinglaws.experiment.walltime import training_jobs


def dry_run(workdir: Path, configs: list[Path]) -> str:
    """The text of ``snakemake --dry-run`` in ``workdir`` with ``configs`` merged over its
    config.yaml (its workflow profile applies, as to a real run)."""
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": os.pathsep.join([bindir, os.environ.get("PATH", "")])}
    cmd = [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1"]
    if configs:
        cmd += ["--configfile", *map(str, configs)]
    r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise ScalingLawsError(f"snakemake --dry-run in {workdir} failed:\n{(r.stdout + r.stderr)[-2000:]}")
    return r.stdout + r.stderr


def planned(text: str) -> list[tuple[str, list[str]]]:
    """(rule, outputs) of every job in a dry run's printout."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        m = re.match(r"(?:local)?rule (\w+):", block)
        if m:
            o = re.search(r"\n\s+output: ([^\n]+)", block)
            jobs.append((m.group(1), [x.strip() for x in o.group(1).split(", ")] if o else []))
    return jobs


def recomputed(sweep: Sweep, layout: Layout, jobs: list[tuple[str, list[str]]]) -> list[dict]:
    """Per rule: the planned jobs, and the training tokens and FLOPs of those that train."""
    conv = sweep.config["flops"]
    trained = {}  # checkpoint path -> (tokens, FLOPs per token)
    for m in sweep.models:
        fpt = flops_per_token(sweep.model_config(m), conv["convention"], conv["params"])
        for job, tokens in training_jobs(sweep, m):
            trained[layout.checkpoint(job)] = (tokens, fpt)
    rows: dict[str, dict] = {}
    for rule, outputs in jobs:
        if rule == "all":
            continue
        row = rows.setdefault(rule, {"rule": rule, "jobs": 0, "tokens": 0, "flops": 0.0})
        row["jobs"] += 1
        for out in outputs:
            tokens, fpt = trained.get(out, (0, 0.0))
            row["tokens"] += tokens
            row["flops"] += tokens * fpt
    return list(rows.values())


def against(config: dict, configs: list[Path], workdir: Path, experiment_dir: Path, vocab: int) -> list[dict]:
    """What running ``configs`` in ``workdir`` would recompute of ``experiment_dir``."""
    layout = Layout.of(config, str(workdir))
    if Path(experiment_dir).resolve() != Path(layout.root).resolve():
        raise ScalingLawsError(
            f"--against {experiment_dir}: the config's experiment {config['experiment']!r} lives in {layout.root}"
        )
    jobs = planned(dry_run(workdir, [Path(c).resolve() for c in configs]))
    return recomputed(Sweep(config, vocab_size=vocab), Layout.of(config), jobs)


def table(rows: list[dict], experiment_dir: Path) -> str:
    from tabulate import tabulate

    if not rows:
        return f"against {experiment_dir}: nothing to recompute (Snakemake's dry run plans no job)"
    body = [[r["rule"], r["jobs"], f"{r['tokens']:,}", f"{r['flops']:.3g}"] for r in rows]
    totals = [sum(r[k] for r in rows) for k in ("jobs", "tokens", "flops")]
    body.append(["total", totals[0], f"{totals[1]:,}", f"{totals[2]:.3g}"])
    text = tabulate(
        body,
        headers=["rule", "jobs", "training tokens", "training FLOPs"],
        colalign=("left", "right", "right", "right"),
    )
    links = next((r["jobs"] for r in rows if r["rule"] == "trunk"), 0)
    note = (
        "no link of any trunk's chain is retrained"
        if not links
        else f"{links} links of the trunks' chains are retrained"
    )
    return f"against {experiment_dir}, what a run would recompute (Snakemake's dry run):\n{text}\n{note}"
