"""The compute rule: an experiment's costs (``experiment.costs``) with the seconds its jobs'
benchmark files measured → compute.json."""

from __future__ import annotations

import json
from pathlib import Path

from scalinglaws.experiment.costs import benchmark_seconds, costs
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep


def account(config: dict, layout: Layout) -> dict:
    meta = json.loads(Path(layout.meta).read_text())
    sweep = Sweep(config, vocab_size=meta["vocab_size"])
    return costs(sweep, lambda job: benchmark_seconds(layout.benchmark(job)))
