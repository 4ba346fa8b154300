"""What a workflow job costs besides training: process start and imports, checkpoint save
and load, evaluation; and the overhead ratio of a whole workflow run (its wall time over
the training time spent inside its jobs, as each training job's log reports it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import best_of, model_config, synthetic_data, workflow_copy
from scalinglaws.training import checkpoint
from scalinglaws.training.data import TokenData
from scalinglaws.training.evaluate import val_loss
from scalinglaws.training.loop import OptimConfig, RunConfig, _state, make_optimizer
from scalinglaws.training.model import build
from scalinglaws.training.schedules import Schedule

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def process_start() -> float:
    """Seconds to start Python and import what `scalinglaws train` runs (torch included)."""
    return best_of(
        lambda: subprocess.run(
            [sys.executable, "-c", "import scalinglaws.commands, scalinglaws.training.loop"], check=True
        ),
        3,
    )


def import_torch() -> float:
    return best_of(lambda: subprocess.run([sys.executable, "-c", "import torch"], check=True), 3)


def checkpoint_io(d_model=96, n_layers=3, seq_len=128) -> dict:
    """Save and load of a demo-sized training checkpoint (the largest demo model)."""
    cfg = model_config(d_model, n_layers, max(1, d_model // 32), seq_len)
    model = build(cfg, 0)
    opt = make_optimizer(model, OptimConfig(lr=1e-3, weight_decay=0.1, grad_clip=1.0))
    model.loss(torch.zeros(1, seq_len, dtype=torch.long), torch.zeros(1, seq_len, dtype=torch.long)).backward()
    opt.step()  # creates the AdamW moments
    with tempfile.TemporaryDirectory() as tmp:
        data = TokenData.open(synthetic_data(Path(tmp) / "d", 100_000))
        run = RunConfig(
            model=cfg,
            optim=OptimConfig(lr=1e-3, weight_decay=0.1, grad_clip=1.0),
            schedule=Schedule("constant"),
            batch_size=16,
        )
        path = Path(tmp) / "c.pt"
        state = _state(1, model, opt, None, None, run, data)
        save = best_of(lambda: checkpoint.save(path, state), 3)
        load = best_of(lambda: checkpoint.load(path), 3)
        return {"save_s": save, "load_s": load, "bytes": path.stat().st_size}


def evaluation(d_model=96, n_layers=3, seq_len=128, tokens=65536) -> float:
    """Seconds of the demo's evaluation (65,536 validation tokens) of its largest model."""
    cfg = model_config(d_model, n_layers, max(1, d_model // 32), seq_len)
    model = build(cfg, 0)
    with tempfile.TemporaryDirectory() as tmp:
        data = TokenData.open(synthetic_data(Path(tmp), 100_000, val_tokens=tokens + 1))
        return best_of(lambda: val_loss(model, data, tokens), 2)


def workflow_ratio(configfile: str | None) -> dict:
    """Run the workflow (smoke or demo config) in a fresh copy; wall time over training time."""
    with tempfile.TemporaryDirectory() as tmp:
        wd = workflow_copy(Path(tmp) / "wf")
        args = [sys.executable, "-m", "snakemake", "--cores", "2", "--quiet"]
        if configfile:
            shutil.copy2(ROOT / configfile, wd / "extra.yaml")
            args += ["--configfile", "extra.yaml"]
        t0 = time.perf_counter()
        subprocess.run(args, cwd=wd, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        training = 0.0
        jobs = 0
        for log in (wd / "results").glob("*/logs/**/*.log"):
            m = re.search(r"training ([0-9.]+) s", log.read_text())
            if m:
                training += float(m.group(1))
                jobs += 1
        benchmarks = list((wd / "results").glob("*/benchmarks/**/*.tsv"))
        return {
            "wall_s": wall,
            "training_s": training,
            "training_jobs": jobs,
            "cores": 2,
            "ratio": wall / (training / 2),
            "benchmarked_jobs": len(benchmarks),
        }
