"""Planning a large sweep: `snakemake -n` on a grid of about 2,000 jobs (10 models ×
20 budgets × 2 shapes × 2 fractions), timed from the command line as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import workflow_copy


def grid_config(n_models: int = 10, n_budgets: int = 20) -> dict:
    models = [
        {"name": f"m{i}", "d_model": 64 + 32 * i, "n_layers": 2 + i // 3, "n_heads": 2, "lr": 0.003}
        for i in range(n_models)
    ]
    step_tokens = 16 * 128
    return {
        "experiment": "grid",
        "training": {"seq_len": 128, "batch_size": 16, "warmup_tokens": 100 * step_tokens},
        "models": models,
        "budgets": [step_tokens * 1000 * (k + 1) for k in range(n_budgets)],
        "budgets_per_param": None,  # config.yaml's, replaced
        "cooldown": {"shapes": ["1-sqrt", "linear"], "fractions": [0.1, 0.2]},
        "cosine": {"final_fractions": [0.1], "budgets": None},  # one baseline at every budget
        "swa": {"window_tokens": 8 * step_tokens},  # budgets are whole windows
        "trunk": {"link_tokens": 500 * step_tokens},  # a link every 500 steps; forks are branches
    }


def dry_run(n_models: int = 10, n_budgets: int = 20, repeats: int = 2) -> dict:
    """Seconds of `snakemake -n` (best of ``repeats``) and the number of jobs it plans."""
    with tempfile.TemporaryDirectory() as tmp:
        wd = workflow_copy(Path(tmp) / "wf")
        (wd / "grid.yaml").write_text(yaml.safe_dump(grid_config(n_models, n_budgets)))
        cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--configfile", "grid.yaml"]
        times, out = [], ""
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = subprocess.run(cmd, cwd=wd, capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - t0)
            out = r.stdout + r.stderr
        total = re.search(r"^total\s+(\d+)", out, re.M)
        return {
            "seconds": min(times),
            "jobs": int(total.group(1)) if total else None,
            "models": n_models,
            "budgets": n_budgets,
        }


if __name__ == "__main__":
    r = dry_run()
    print(
        f"snakemake -n: {r['jobs']:,} jobs ({r['models']} models × {r['budgets']} budgets × 2 shapes × 2 fractions) "
        f"planned in {r['seconds']:.1f} s"
    )
