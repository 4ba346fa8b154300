"""Shared fixtures: a small corpus written by the test, prepared once per session, and a
tiny run configuration that trains in well under a second per few steps."""

from __future__ import annotations

import random

import pytest

from scalinglaws.training.data import TokenData, prepare
from scalinglaws.training.loop import OptimConfig, RunConfig
from scalinglaws.training.model import ModelConfig
from scalinglaws.training.schedules import Schedule

WORDS = "the of and to in is that for it as with was on be by this are from at or an which".split()


def write_corpus(root, n_docs=40, words_per_doc=400, seed=0):
    """Deterministic pseudo-text documents ``doc{i}.txt`` under ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs):
        lines = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(words_per_doc // 12)]
        (root / f"doc{i:03d}.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, corpus_dir):
    out = tmp_path_factory.mktemp("data")
    prepare(out, {"source": "files", "files": [str(corpus_dir / "*.txt")]}, "bytes", val_fraction=0.2)
    return out


@pytest.fixture(scope="session")
def data(data_dir):
    return TokenData.open(data_dir)


def tiny_run(schedule=None, **overrides) -> RunConfig:
    """A 2-layer, d=32 model on 32-token sequences: fast enough to train dozens of steps."""
    kw = dict(
        model=ModelConfig(vocab_size=256, d_model=32, n_layers=2, n_heads=2, seq_len=32),
        optim=OptimConfig(lr=3e-3, weight_decay=0.1, grad_clip=1.0),
        schedule=schedule or Schedule("constant", warmup_steps=4),
        batch_size=4,
        seed=1,
        data_seed=2,
    )
    kw.update(overrides)
    return RunConfig(**kw)


@pytest.fixture(scope="session")
def completed(tmp_path_factory):
    """The smoke experiment run to completion once; tests copy it before changing it."""
    from workflow_helpers import make_workdir, snakemake

    wd = make_workdir(tmp_path_factory.mktemp("smoke") / "wf")
    snakemake(wd)
    return wd
