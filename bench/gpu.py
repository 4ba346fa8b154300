"""One GPU: tokens/s and MFU of the real training loop on a ~124M-parameter model (GPT-2
small's shape: d 768, 12 layers, 12 heads, seq 1024, GPT-2's 50,257-token vocabulary) in
bf16 autocast, against the card's bf16 matmul peak measured in the same run.

    python bench/gpu.py                       # on a CUDA machine: a few hundred steps
    python bench/gpu.py --device cpu --d-model 64 --n-layers 2 --n-heads 2 --seq-len 64 \
        --batch 4 --steps 3 --vocab 256       # the same code path, tiny, anywhere

Synthetic tokens (throughput does not depend on text); prints one line per setting and a
JSON summary (``--out``)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import synthetic_data  # noqa: E402
from scalinglaws.experiment.flops import flops_per_token, param_counts  # noqa: E402
from scalinglaws.training.architecture import ModelConfig  # noqa: E402
from scalinglaws.training.data import TokenData  # noqa: E402
from scalinglaws.training.loop import OptimConfig, RunConfig, train  # noqa: E402
from scalinglaws.training.schedules import Schedule  # noqa: E402


def matmul_peak(device: str, dtype=torch.bfloat16, n: int = 8192, repeats: int = 20) -> float:
    """FLOP/s of the best of ``repeats`` n×n products on the device."""
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def run(args) -> dict:
    cfg = ModelConfig(
        vocab_size=args.vocab, d_model=args.d_model, n_layers=args.n_layers, n_heads=args.n_heads, seq_len=args.seq_len
    )
    peak = matmul_peak(args.device, n=args.peak_n)
    out = {
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
        "torch": torch.__version__,
        "params": param_counts(cfg)["params"],
        "bf16_peak_flops": peak,
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        tokens = max(4 * args.batch * (args.seq_len + 1) * (args.steps + args.warm), 200_000)
        data = TokenData.open(synthetic_data(Path(tmp) / "d", tokens, val_tokens=10_000, vocab=args.vocab))
        for compile_ in (False, True) if args.compile else (False,):
            r = RunConfig(
                model=cfg,
                optim=OptimConfig(lr=3e-4, weight_decay=0.1, grad_clip=1.0),
                schedule=Schedule("constant", warmup_steps=0),
                batch_size=args.batch,
                precision="bf16",
                compile=compile_,
            )
            train(r, data, until=args.warm, out=Path(tmp) / "warm.pt", device=args.device, progress=False)
            res = train(
                r,
                data,
                until=args.warm + args.steps,
                init=Path(tmp) / "warm.pt",
                out=Path(tmp) / "x.pt",
                device=args.device,
                progress=False,
            )
            tps = args.steps * args.batch * args.seq_len / res.seconds
            row = {
                "compile": compile_,
                "tokens_per_s": tps,
                "final_loss": res.losses[-1],
                "mfu_6n": 6 * out["params"] * tps / peak,
                "mfu_chinchilla": flops_per_token(cfg, "chinchilla") * tps / peak,
            }
            out["runs"].append(row)
            print(
                f"{out['device']}: {out['params'] / 1e6:.1f}M params, bf16, compile={compile_}: {tps:,.0f} tokens/s, "
                f"MFU {row['mfu_6n']:.1%} (6N) / {row['mfu_chinchilla']:.1%} (3×fwd) of the measured bf16 peak "
                f"{peak / 1e12:.0f} TFLOP/s"
            )
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--d-model", type=int, default=768)
    p.add_argument("--n-layers", type=int, default=12)
    p.add_argument("--n-heads", type=int, default=12)
    p.add_argument("--seq-len", type=int, default=1024)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warm", type=int, default=10)
    p.add_argument("--peak-n", type=int, default=8192)
    p.add_argument("--compile", action="store_true", help="also measure with torch.compile")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    out = run(args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
