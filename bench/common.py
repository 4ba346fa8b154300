"""Shared pieces of the benchmarks: a synthetic prepared data set, timing, model configs."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from scalinglaws.training.architecture import ModelConfig
from scalinglaws.training.data import META, data_fingerprint

ROOT = Path(__file__).resolve().parents[1]

# The three standard configs (seq 256, batch 32, byte vocabulary).
STANDARD = {
    "S": dict(d_model=64, n_layers=2, n_heads=2),
    "M": dict(d_model=128, n_layers=4, n_heads=4),
    "L": dict(d_model=256, n_layers=8, n_heads=8),
}
SEQ_LEN, BATCH = 256, 32


def synthetic_data(path: Path, train_tokens: int, val_tokens: int = 70_000, vocab: int = 256, seed: int = 0) -> Path:
    """A prepared data directory of uniform random tokens (throughput does not depend on text)."""
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    chunk = 50_000_000  # write a large train split in pieces: never hold it all in memory
    with open(path / "train.bin", "wb") as f:
        for start in range(0, train_tokens, chunk):
            rng.integers(0, vocab, size=min(chunk, train_tokens - start), dtype=np.uint16).tofile(f)
    rng.integers(0, vocab, size=val_tokens, dtype=np.uint16).tofile(path / "val.bin")
    meta = {
        "source": {"source": "synthetic"},
        "tokenizer": "bytes",
        "vocab_size": vocab,
        "eot": 0,
        "dtype": "uint16",
        "val_fraction": val_tokens / (train_tokens + val_tokens),
        "max_tokens": None,
        "train_tokens": train_tokens,
        "val_tokens": val_tokens,
        "text_sha256": f"random-{seed}",
    }
    meta["fingerprint"] = data_fingerprint(meta)
    (path / META).write_text(json.dumps(meta))
    return path


def model_config(
    d_model: int, n_layers: int, n_heads: int, seq_len: int = SEQ_LEN, ffn_multiple_of: int = 32
) -> ModelConfig:
    return ModelConfig(
        vocab_size=256,
        d_model=d_model,
        n_layers=n_layers,
        n_heads=n_heads,
        seq_len=seq_len,
        ffn_multiple_of=ffn_multiple_of,
    )


def best_of(fn, repeats: int) -> float:
    """The shortest of ``repeats`` timings of ``fn()`` in seconds (the least disturbed run)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def workflow_copy(dest: Path) -> Path:
    """A copy of the workflow (Snakefile, config, rules, profiles, scripts) to run apart."""
    dest.mkdir(parents=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("workflow", "profiles", "scripts"):
        shutil.copytree(ROOT / name, dest / name)
    return dest


def train_args(
    data: Path, out: Path, steps: int, d_model: int, n_layers: int, n_heads: int, seq_len: int, batch: int, threads: int
) -> list[str]:
    """``scalinglaws train`` arguments for a run from scratch of ``steps`` at LR 1e-3."""
    flags = dict(
        data=data,
        out=out,
        until=steps,
        d_model=d_model,
        n_layers=n_layers,
        n_heads=n_heads,
        seq_len=seq_len,
        batch_size=batch,
        lr="1e-3",
        threads=threads,
    )
    return ["train", *[x for k, v in flags.items() for x in (f"--{k.replace('_', '-')}", str(v))], "--no-progress"]
