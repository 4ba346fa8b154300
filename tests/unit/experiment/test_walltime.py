"""Wall-time estimates of `scalinglaws plan`: rates from benchmark files, and the probe."""

import math

import pytest

from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.plan import plan
from scalinglaws.experiment.sweep import Sweep
from scalinglaws.experiment.walltime import Rate, from_benchmarks, probe, rates, training_jobs

CONFIG = {
    "experiment": "t",
    "training": {"seq_len": 32, "batch_size": 4, "warmup_tokens": 256},
    "models": [{"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.003}],
    "budgets": [2560, 5120, 7680],
    "cooldown": {"shapes": ["1-sqrt", "linear"], "fractions": [0.2], "final_fraction": 0.0},
    "cosine": {"enabled": True, "final_fraction": 0.1, "lr_factor": 2.0},
    "swa": {"enabled": True, "window_tokens": 640, "every_tokens": 128, "windows": 2},
    "trunk": {"link_tokens": 2560},
    "eval": {"tokens": 2048, "batch_size": 32, "in_training_job": True},
    "flops": {"convention": "chinchilla", "params": "non_embedding"},
}


def test_training_jobs_cover_the_sweeps_tokens():
    sweep = Sweep(CONFIG, vocab_size=256)
    jobs = dict(training_jobs(sweep, "a"))
    for kind in ("cooldown", "cosine"):
        assert sum(t for name, t in jobs.items() if name.startswith(kind)) == sweep.tokens(kind, "a"), kind
    trunk = sum(t for name, t in jobs.items() if name.startswith("trunk/a/step"))
    branches = sum(t for name, t in jobs.items() if name.startswith("trunk/a/branch"))
    assert (
        (trunk, branches)
        == (sweep.tokens("trunk", "a"), sweep.tokens("branch", "a"))
        == (60 * 128, (16 + 12 + 8) * 128)
    )


def test_rates_come_from_the_last_runs_benchmarks(tmp_path):
    """Benchmark files written as 2 s + 1 ms per token: the line through them comes back,
    and a model without enough benchmarks is probed instead."""
    sweep, layout = Sweep(CONFIG, vocab_size=256), Layout(str(tmp_path))
    for name, tokens in training_jobs(sweep, "a"):
        path = tmp_path / "benchmarks" / f"{name}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"s\th:m:s\n{2 + tokens / 1000}\t0:00:01\n")
    rate = from_benchmarks(sweep, layout, "a")
    assert rate.start == pytest.approx(2.0) and rate.per_token == pytest.approx(1e-3)
    assert rate.source == f"benchmarks of {len(training_jobs(sweep, 'a'))} jobs"
    assert from_benchmarks(sweep, Layout(str(tmp_path / "none")), "a") is None


def test_probe_and_the_plans_seconds(tmp_path):
    sweep = Sweep(CONFIG, vocab_size=256)
    per_token = probe(sweep, "a", seconds=0.05)
    assert 0 < per_token < 1 and math.isfinite(per_token)
    measured = rates(sweep, Layout(str(tmp_path)), probe_seconds=0.05)
    assert measured["a"].source == "probe on cpu" and measured["a"].start > 0
    rate = Rate(start=2.0, per_token=1e-3, source="test")
    rows = {r["rule"]: r for r in plan(CONFIG, 256, rates={"a": rate})}
    # every trunk link starts once and trains its tokens
    assert rows["trunk"]["seconds"] == pytest.approx(rows["trunk"]["jobs"] * 2 + rows["trunk"]["tokens"] * 1e-3)
    # cooldowns also evaluate in the job: 2,048 tokens at a third of the training cost
    cd = rows["cooldown"]
    assert cd["seconds"] == pytest.approx(cd["jobs"] * (2 + 2048e-3 / 3) + cd["tokens"] * 1e-3)
    assert rows["evaluate"]["seconds"] == pytest.approx(rows["evaluate"]["jobs"] * (2 + 2048e-3 / 3))
    assert rows["fit"]["seconds"] is None
    assert all(r["seconds"] is None for r in plan(CONFIG, 256))
