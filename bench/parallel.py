"""One 2-thread training job against two 1-thread jobs side by side (total tokens/s): what
the default profile's threads per job should be."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from common import train_args

BIN = Path(sys.executable).parent


def _train_cmd(data: Path, out: Path, threads: int, steps: int, shape: dict, seq_len: int, batch: int) -> list[str]:
    args = train_args(data, out, steps, shape["d_model"], shape["n_layers"], shape["n_heads"], seq_len, batch, threads)
    return [str(BIN / "scalinglaws"), *args]


def _tokens_per_s(output: str) -> float:
    return float(re.search(r"([0-9,]+) tokens/s", output).group(1).replace(",", ""))


def compare(data: Path, tmp: Path, shape: dict, seq_len: int, batch: int, steps: int) -> dict:
    one = subprocess.run(
        _train_cmd(data, tmp / "one.pt", 2, steps, shape, seq_len, batch), check=True, capture_output=True, text=True
    )
    procs = [
        subprocess.Popen(
            _train_cmd(data, tmp / f"p{i}.pt", 1, steps, shape, seq_len, batch), stdout=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    side_by_side = [_tokens_per_s(p.communicate()[0]) for p in procs]
    two_threads = _tokens_per_s(one.stdout)
    return {
        "one_job_2_threads": two_threads,
        "two_jobs_1_thread": sum(side_by_side),
        "ratio": sum(side_by_side) / two_threads,
    }
