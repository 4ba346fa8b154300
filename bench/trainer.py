"""Trainer throughput: tokens/s of the real training loop (``scalinglaws.training.loop.train``) and
its MFU against the matmul peak, counting FLOPs as 6·N (N: all parameters) and as
3 × the forward FLOPs of Chinchilla's appendix F (``scalinglaws.experiment.flops``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from common import BATCH, model_config, synthetic_data
from scalinglaws.experiment.flops import flops_per_token, param_counts
from scalinglaws.training.data import TokenData
from scalinglaws.training.loop import OptimConfig, RunConfig, train
from scalinglaws.training.schedules import Schedule


def tokens_per_second(cfg, batch: int, data: TokenData, steps: int, precision: str = "fp32", warm: int = 2) -> float:
    run = RunConfig(
        model=cfg,
        optim=OptimConfig(lr=1e-3, weight_decay=0.1, grad_clip=1.0),
        schedule=Schedule("constant", warmup_steps=0),
        batch_size=batch,
        precision=precision,
    )
    with tempfile.TemporaryDirectory() as tmp:
        # A short run first: kernel selection, allocator and thread-pool start are not throughput.
        train(run, data, until=warm, out=Path(tmp) / "warm.pt", progress=False)
        result = train(
            run, data, until=warm + steps, init=Path(tmp) / "warm.pt", out=Path(tmp) / "x.pt", progress=False
        )
    return steps * batch * cfg.seq_len / result.seconds


def measure(name, cfg, batch, data, peak, steps, precision="fp32") -> dict:
    tps = tokens_per_second(cfg, batch, data, steps, precision)
    n = param_counts(cfg)["params"]
    return {
        "model": name,
        "d_model": cfg.d_model,
        "n_layers": cfg.n_layers,
        "seq_len": cfg.seq_len,
        "batch": batch,
        "precision": precision,
        "params": n,
        "tokens_per_s": tps,
        "mfu_6n": 6 * n * tps / peak,
        "mfu_chinchilla": flops_per_token(cfg, "chinchilla") * tps / peak,
    }


if __name__ == "__main__":
    import sys

    from common import STANDARD
    from matmul import peaks

    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    p = peaks(threads)
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        data = TokenData.open(synthetic_data(Path(tmp), 2_000_000))
        for name, shape in STANDARD.items():
            for prec in ("fp32", "bf16"):
                r = measure(name, model_config(**shape), BATCH, data, p[prec if prec == "fp32" else "fp32"], 10, prec)
                print(
                    f"{name} {prec}: {r['tokens_per_s']:,.0f} tok/s, MFU 6N {r['mfu_6n']:.1%}, chinchilla {r['mfu_chinchilla']:.1%}"
                )
