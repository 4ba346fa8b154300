"""Data parallelism and gradient accumulation: the same global batch gives the same run.

Real processes: `torchrun --nproc_per_node 2` with DDP over gloo on the CPU, against one
process of the same global batch. DDP sums the two halves' gradients in another order than
one process does, and the matmuls run on other shapes, so the runs agree to floating-point
reduction order, not bit for bit. Tolerances: 1e-5 absolute on losses (about 5 nats), and
1e-5 on each weight tensor's relative difference ||a - b|| / ||b||. Measured on Zen 5 with
AVX-512 and with ATEN_CPU_CAPABILITY=avx2 kernels: at most 1e-6 relative, 8e-7 absolute.
The weights are compared in norm, not element by element, because single elements can drift
further on another CPU's kernels (a CI run saw one tensor past 1e-5 somewhere) without the run
being any less the same run.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import MODEL, sl
from scalinglaws.training import checkpoint

TOL = 1e-5
TRUNK = ["--warmup-steps", 2, "--no-progress", "--threads", 1, *MODEL]


def torchrun(*args):
    """`scalinglaws` under torchrun with two CPU processes (gloo)."""
    exe = Path(sys.executable).parent / "torchrun"
    if not exe.exists():
        pytest.skip("torchrun is not installed next to this Python")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [exe, "--standalone", "--nproc_per_node", "2", "-m", "scalinglaws", *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, f"torchrun failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return r


def losses(path):
    return [float(r["train_loss"]) for r in csv.DictReader(open(path))]


def assert_close_states(a, b, tol=TOL):
    for key, wb in b["model"].items():
        wa = a["model"][key]
        assert wa.shape == wb.shape, key
        assert ((wa - wb).norm() / wb.norm()).item() <= tol, key


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, corpus_dir):
    d = tmp_path_factory.mktemp("ddp") / "data"
    sl("prepare-data", "--out", d, "--source", "files", "--files", corpus_dir / "*.txt", "--val-fraction", "0.2")
    return d


@pytest.mark.slow
def test_two_processes_match_one_and_their_checkpoints_are_interchangeable(tmp_path, prepared):
    d = prepared
    # 0 → 6 in one process, and in two (each trains on 2 of the 4 rows of every batch)
    sl("train", "--data", d, "--out", tmp_path / "one.pt", "--until", 6, *TRUNK)
    r = torchrun("train", "--data", d, "--out", tmp_path / "two.pt", "--until", 6, *TRUNK)
    assert r.stdout.count("tokens/s") == 1  # rank 0 alone reports (and saves)
    assert losses(tmp_path / "two.csv") == pytest.approx(losses(tmp_path / "one.csv"), rel=0, abs=TOL)
    one, two = checkpoint.load(tmp_path / "one.pt"), checkpoint.load(tmp_path / "two.pt")
    assert one["model"].keys() == two["model"].keys() and one["fingerprint"] == two["fingerprint"]
    assert_close_states(one, two)
    # 6 → 10: the two-process checkpoint resumed in one process, and the reverse
    sl(
        "train",
        "--data",
        d,
        "--init",
        tmp_path / "two.pt",
        "--out",
        tmp_path / "two_then_one.pt",
        "--until",
        10,
        *TRUNK,
    )
    torchrun(
        "train",
        "--data",
        d,
        "--init",
        tmp_path / "one.pt",
        "--out",
        tmp_path / "one_then_two.pt",
        "--until",
        10,
        *TRUNK,
    )
    sl(
        "train",
        "--data",
        d,
        "--init",
        tmp_path / "one.pt",
        "--out",
        tmp_path / "one_then_one.pt",
        "--until",
        10,
        *TRUNK,
    )
    reference = losses(tmp_path / "one_then_one.csv")
    for name in ("two_then_one", "one_then_two"):
        assert losses(tmp_path / f"{name}.csv") == pytest.approx(reference, rel=0, abs=TOL), name
        assert_close_states(checkpoint.load(tmp_path / f"{name}.pt"), checkpoint.load(tmp_path / "one_then_one.pt"))


@pytest.mark.slow
def test_gradient_accumulation_matches_the_whole_batch(tmp_path, prepared):
    """Micro-batches of 1 row (4 forward/backward passes a step) give the 4-row batch's run."""
    sl("train", "--data", prepared, "--out", tmp_path / "whole.pt", "--until", 6, *TRUNK)
    sl("train", "--data", prepared, "--out", tmp_path / "micro.pt", "--until", 6, "--micro-batch-size", 1, *TRUNK)
    assert losses(tmp_path / "micro.csv") == pytest.approx(losses(tmp_path / "whole.csv"), rel=0, abs=TOL)
    # Summing 4 micro-batch gradients rounds differently from one batch's; AdamW divides by
    # sqrt(v), which amplifies that where gradients are tiny: a weight 1.2e-5 apart after 6
    # steps (AMD EPYC Zen 5, 2026-12-03), so 5× TOL here.
    assert_close_states(checkpoint.load(tmp_path / "micro.pt"), checkpoint.load(tmp_path / "whole.pt"), tol=5 * TOL)


def test_a_batch_that_does_not_split_is_a_clear_error(tmp_path, prepared):
    r = sl(
        "train",
        "--data",
        prepared,
        "--out",
        tmp_path / "x.pt",
        "--until",
        2,
        "--micro-batch-size",
        3,
        *TRUNK,
        check=False,
    )
    assert r.returncode == 1
    assert "micro_batch_size 3 does not divide the 4 rows each of 1 process(es) trains on" in r.stderr
    assert not (tmp_path / "x.pt").exists()
