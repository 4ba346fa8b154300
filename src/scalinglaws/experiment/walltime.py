"""How long a sweep's jobs will take, for ``scalinglaws plan``: per model, the seconds a
job needs to start and the seconds per training token.

Two sources, the better first:

- the last run's Snakemake benchmark files of this experiment (``results/{experiment}/
  benchmarks/``): a straight line, seconds = start + tokens × per-token, fitted to the
  training jobs of the current config that already ran (it needs two job lengths);
- otherwise a probe on this machine: a few AdamW steps of the model on random tokens
  (``probe``), and the start of a fresh process that imports the trainer (``job_start``).

Evaluation is charged as a forward pass, a third of a training step's FLOPs per token.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from scalinglaws.experiment.costs import benchmark_seconds
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep, fraction_label


@dataclass(frozen=True)
class Rate:
    start: float  # seconds from job start to the first step
    per_token: float  # seconds per training token
    source: str

    def training(self, jobs: int, tokens: int) -> float:
        return jobs * self.start + tokens * self.per_token

    def evaluation(self, tokens: int) -> float:
        return tokens * self.per_token / 3


def job_start() -> float:
    """Seconds a fresh Python needs to import the trainer (what every job pays first)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import scalinglaws.training.loop"], check=True)
    return time.perf_counter() - t0


def probe(sweep: Sweep, model: str, device: str = "cpu", seconds: float = 1.0, max_steps: int = 20) -> float:
    """Seconds per training token of ``model``: AdamW steps on random tokens for about
    ``seconds`` (at least one step after a warm-up step)."""
    import torch

    from scalinglaws.training.model import Transformer, lm_loss

    cfg = sweep.model_config(model)
    net = Transformer(cfg).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    batch = torch.randint(cfg.vocab_size, (sweep.training["batch_size"], cfg.seq_len + 1), device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        lm_loss(net(batch[:, :-1]), batch[:, 1:]).backward()
        opt.step()

    step()  # allocations and kernel choice happen once
    n, t0 = 0, time.perf_counter()
    while n == 0 or (time.perf_counter() - t0 < seconds and n < max_steps):
        step()
        n += 1
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / (n * sweep.tokens_per_step)


def training_jobs(sweep: Sweep, model: str) -> list[tuple[str, int]]:
    """(benchmark name, training tokens) of every training job of ``model``."""
    tps = sweep.tokens_per_step
    jobs = [(Layout.link_job(link), link.steps * tps) for link in sweep.links(model)]
    jobs += [
        (Layout.cooldown_job(model, c.shape, fraction_label(c.fraction), c.tokens), c.cooldown_steps * tps)
        for c in sweep.cooldowns(model)
    ]
    jobs += [(Layout.cosine_job(model, b.tokens, b.directory), b.tokens) for b in sweep.baselines(model)]
    return jobs


def from_benchmarks(sweep: Sweep, layout: Layout, model: str) -> Rate | None:
    ran = [
        (tokens, s)
        for name, tokens in training_jobs(sweep, model)
        if (s := benchmark_seconds(layout.benchmark(name))) is not None
    ]
    if len({t for t, _ in ran}) < 2:
        return None
    tokens, seconds = np.array(ran, float).T
    per_token, start = np.polyfit(tokens, seconds, 1)
    if per_token <= 0:  # too noisy to separate start-up from throughput: charge the mean
        return Rate(0.0, float(seconds.sum() / tokens.sum()), f"benchmarks of {len(ran)} jobs")
    return Rate(max(float(start), 0.0), float(per_token), f"benchmarks of {len(ran)} jobs")


def rates(sweep: Sweep, layout: Layout, device: str = "cpu", probe_seconds: float = 1.0) -> dict[str, Rate]:
    """Each model's rate: from the last run's benchmarks where they suffice, else probed."""
    out, start = {}, None
    for m in sweep.models:
        rate = from_benchmarks(sweep, layout, m)
        if rate is None:
            start = job_start() if start is None else start
            rate = Rate(start, probe(sweep, m, device, probe_seconds), f"probe on {device}")
        out[m] = rate
    return out


def human_seconds(s: float | None) -> str:
    if s is None:
        return "?"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"
