"""The benchmark runner works (its figures are not asserted: speed is measured, not tested)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_runner_writes_its_json(tmp_path):
    out = tmp_path / "bench.json"
    skip = ["trainer", "parallel", "overhead", "workflow", "fit", "memory"]
    r = subprocess.run(
        [sys.executable, ROOT / "bench" / "run.py", "--threads", "1", "--skip", *skip, "--out", out],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text())
    assert result["machine"]["threads"] == 1 and result["matmul_peak_flops"]["fp32"] > 1e8


def test_bench_trainer_and_fit_sections_measure_something(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import fitbench
    import trainer
    from common import model_config, synthetic_data
    from scalinglaws.training.data import TokenData

    data = TokenData.open(synthetic_data(tmp_path / "d", 50_000))
    row = trainer.measure("tiny", model_config(32, 1, 2, seq_len=32), 4, data, peak=1e10, steps=3)
    assert row["tokens_per_s"] > 0 and 0 < row["mfu_6n"] < row["mfu_chinchilla"]
    n, d, loss = fitbench.points(n_points=50)
    assert len(n) == 50 and (loss > 1.69).all()


def test_gpu_script_runs_its_code_path_on_the_cpu(tmp_path):
    """bench/gpu.py is for a lent GPU; here its whole path runs tiny on the CPU (bf16)."""
    out = tmp_path / "gpu.json"
    r = subprocess.run(
        [
            sys.executable,
            ROOT / "bench" / "gpu.py",
            "--device",
            "cpu",
            "--d-model",
            "32",
            "--n-layers",
            "1",
            "--n-heads",
            "2",
            "--seq-len",
            "32",
            "--batch",
            "4",
            "--steps",
            "2",
            "--warm",
            "1",
            "--vocab",
            "256",
            "--peak-n",
            "256",
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text())
    assert result["device"] == "cpu" and result["runs"][0]["tokens_per_s"] > 0 and result["bf16_peak_flops"] > 0


@pytest.mark.slow
def test_seed_noise_trains_one_run_per_seed_and_the_seeds_differ(tmp_path):
    """Each seed is its own run (different init): the losses differ, their sd is printed."""
    r = subprocess.run(
        [
            sys.executable,
            ROOT / "bench" / "seed_noise.py",
            "--work",
            tmp_path,
            "--sizes",
            "8:0.01:2",
            "--seeds",
            "2",
            "--tokens-per-param",
            "2",
            "--seq-len",
            "16",
            "--batch-size",
            "4",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    line = r.stdout.splitlines()[-1]
    assert line.startswith("d8 lr 0.01, warmup 2 (")
    losses = [float(x) for x in line.split(": ")[1].split("  mean")[0].split()]
    assert len(losses) == 2 and losses[0] != losses[1] and all(1 < x < 6 for x in losses)
