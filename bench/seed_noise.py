"""Run-to-run noise of the demo's training: the same size trained with several seeds.

One 1-sqrt WSD run per (size, seed) to a budget in tokens per non-embedding parameter, on
the embedded corpus; prints each size's validation losses and their standard deviation,
the per-run offset `bench/calibrate.py --run-offset` needs. Two runs at a time (2 cores).

  python bench/seed_noise.py                          # the demo's d12/d24/d40 at their LRs
  python bench/seed_noise.py --mode init              # seeds vary the init only (batch order 0)
  python bench/seed_noise.py --sizes 12:0.032:20,40:0.016:100 --batch-size 8   # d:lr[:warmup steps]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scalinglaws.experiment.flops import param_counts
from scalinglaws.training.architecture import ModelConfig

ROOT = Path(__file__).resolve().parents[1]
SL = str(Path(sys.executable).with_name("scalinglaws"))


def parse_sizes(text: str, default_warmup: int) -> list[tuple[int, float, int]]:
    """'12:0.032:20,24:0.008' -> [(12, 0.032, 20), (24, 0.008, default_warmup)]: d_model,
    peak LR and its warmup in steps."""
    sizes = []
    for item in text.split(","):
        d, lr, *warmup = item.split(":")
        sizes.append((int(d), float(lr), int(warmup[0]) if warmup else default_warmup))
    return sizes


def steps_for(d_model: int, warmup: int, args) -> int:
    cfg = ModelConfig(
        d_model=d_model, n_layers=args.n_layers, n_heads=2, seq_len=args.seq_len, ffn_multiple_of=8, vocab_size=256
    )
    n = param_counts(cfg)["params_non_embedding"]
    return max(warmup + 5, round(args.tokens_per_param * n / (args.batch_size * args.seq_len)))


def run_one(d_model: int, lr: float, warmup: int, seed: int, args, work: Path) -> float:
    name = f"d{d_model}_s{seed}"
    data_seed = 0 if args.mode == "init" else seed
    cmd = [
        SL,
        "train",
        "--data",
        str(work / "data"),
        "--out",
        str(work / f"{name}.pt"),
        "--d-model",
        str(d_model),
        "--n-layers",
        str(args.n_layers),
        "--n-heads",
        "2",
        "--ffn-multiple-of",
        "8",
        "--seq-len",
        str(args.seq_len),
        "--batch-size",
        str(args.batch_size),
        "--lr",
        str(lr),
        "--seed",
        str(seed),
        "--data-seed",
        str(data_seed),
        "--schedule",
        "wsd",
        "--total-steps",
        str(steps_for(d_model, warmup, args)),
        "--warmup-steps",
        str(warmup),
        "--cooldown-fraction",
        "0.2",
        "--shape",
        "1-sqrt",
        "--no-progress",
        "--threads",
        "1",
        "--eval-out",
        str(work / f"{name}.json"),
        "--eval-tokens",
        "65536",
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((work / f"{name}.json").read_text())["val_loss"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="12:0.032,24:0.008,40:0.008", help="d_model:lr[:warmup steps],...")
    ap.add_argument("--mode", choices=["both", "init"], default="both")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--n-layers", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--warmup-steps", type=int, default=10)
    ap.add_argument("--tokens-per-param", type=float, default=20)
    ap.add_argument("--work", default=str(ROOT / "results" / "seed_noise"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "data" / "meta.json").exists():
        subprocess.run(
            [SL, "prepare-data", "--out", str(work / "data"), "--val-fraction", "0.05"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    sizes = parse_sizes(args.sizes, args.warmup_steps)
    jobs = [(d, lr, w, s) for d, lr, w in sizes for s in range(args.seeds)]
    with ThreadPoolExecutor(args.workers) as pool:
        losses = list(pool.map(lambda j: run_one(*j, args, work), jobs))
    print(
        f"mode {args.mode}, {args.n_layers} layers, batch {args.batch_size} x {args.seq_len}, "
        f"{args.tokens_per_param:g} tokens/param, {args.seeds} seeds"
    )
    for i, (d, lr, w) in enumerate(sizes):
        v = losses[i * args.seeds : (i + 1) * args.seeds]
        sd = statistics.stdev(v)
        print(
            f"d{d} lr {lr:g}, warmup {w} ({steps_for(d, w, args)} steps): {' '.join(f'{x:.4f}' for x in v)}  "
            f"mean {statistics.mean(v):.4f}  sd {sd:.4f} ({100 * sd / statistics.mean(v):.2f}%)"
        )


if __name__ == "__main__":
    main()
