"""`make bench`: every figure of the performance issue from one run on this machine, printed
as tables and written to results/bench.json. Not a pass/fail test: compare figures as
ratios measured in the same run.

    python bench/run.py [--threads 2] [--demo] [--skip SECTION …]

--demo also runs the demo workflow for its overhead ratio (about 11 minutes here)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import torch
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fitbench  # noqa: E402
import memory  # noqa: E402
import overhead  # noqa: E402
import parallel  # noqa: E402
import trainer  # noqa: E402
from common import BATCH, SEQ_LEN, STANDARD, model_config, synthetic_data  # noqa: E402
from matmul import peaks  # noqa: E402
from scalinglaws.training.data import TokenData  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("matmul", "trainer", "parallel", "overhead", "workflow", "fit", "memory")


def machine(threads: int) -> dict:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "threads": threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def demo_models() -> dict:
    import yaml

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    t = cfg["training"]
    return {
        m["name"]: (
            dict(d_model=m["d_model"], n_layers=m["n_layers"], n_heads=m["n_heads"]),
            t["seq_len"],
            t["batch_size"],
        )
        for m in cfg["models"]
    }


def run_trainer(peak: dict, data: TokenData) -> list[dict]:
    rows = []
    models = {f"demo {k}": v for k, v in demo_models().items()}
    models.update({k: (v, SEQ_LEN, BATCH) for k, v in STANDARD.items()})
    for name, (shape, seq_len, batch) in models.items():
        cfg = model_config(**shape, seq_len=seq_len)
        steps = max(5, int(200_000 / (batch * seq_len) * 64 / shape["d_model"] / shape["n_layers"]))
        for precision in ("fp32", "bf16") if peak.get("bf16") else ("fp32",):
            # MFU against the fp32 peak for both: bf16's gain is then a plain ratio.
            rows.append(trainer.measure(name, cfg, batch, data, peak["fp32"], steps, precision))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--demo", action="store_true", help="also the demo workflow's overhead ratio (~11 min)")
    p.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    p.add_argument("--out", type=Path, default=ROOT / "results" / "bench.json")
    args = p.parse_args(argv)
    out = {"machine": machine(args.threads)}
    print(" | ".join(f"{k} {v}" for k, v in out["machine"].items()))
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = TokenData.open(synthetic_data(tmp / "data", 4_000_000))
        out["matmul_peak_flops"] = peaks(args.threads)
        torch.set_num_threads(args.threads)
        print(
            tabulate(
                [[k, f"{v / 1e9:.1f}" if v else "n/a"] for k, v in out["matmul_peak_flops"].items()],
                headers=["torch.mm peak", "GFLOP/s"],
            )
        )
        if "trainer" not in args.skip:
            out["trainer"] = run_trainer(out["matmul_peak_flops"], data)
            print(
                tabulate(
                    [
                        [
                            r["model"],
                            r["d_model"],
                            r["n_layers"],
                            r["seq_len"],
                            r["batch"],
                            r["precision"],
                            f"{r['params']:,}",
                            f"{r['tokens_per_s']:,.0f}",
                            f"{r['mfu_6n']:.1%}",
                            f"{r['mfu_chinchilla']:.1%}",
                        ]
                        for r in out["trainer"]
                    ],
                    headers=[
                        "model",
                        "d",
                        "layers",
                        "seq",
                        "batch",
                        "precision",
                        "params",
                        "tokens/s",
                        "MFU 6N",
                        "MFU 3×fwd",
                    ],
                )
            )
        if "parallel" not in args.skip:
            out["parallel"] = parallel.compare(tmp / "data", tmp, STANDARD["M"], SEQ_LEN, BATCH, steps=12)
            r = out["parallel"]
            print(
                f"M: one 2-thread job {r['one_job_2_threads']:,.0f} tok/s; two 1-thread jobs {r['two_jobs_1_thread']:,.0f} tok/s "
                f"in total ({r['ratio']:.2f}×)"
            )
        if "overhead" not in args.skip:
            out["overhead"] = {
                "process_start_s": overhead.process_start(),
                "import_torch_s": overhead.import_torch(),
                "checkpoint": overhead.checkpoint_io(),
                "evaluation_s": overhead.evaluation(),
            }
            o = out["overhead"]
            print(
                tabulate(
                    [
                        ["python start + imports of scalinglaws train", f"{o['process_start_s']:.2f}"],
                        ["of which python -c 'import torch'", f"{o['import_torch_s']:.2f}"],
                        [
                            f"checkpoint save ({o['checkpoint']['bytes'] / 1e6:.1f} MB)",
                            f"{o['checkpoint']['save_s']:.3f}",
                        ],
                        ["checkpoint load + verify", f"{o['checkpoint']['load_s']:.3f}"],
                        ["evaluation, 65,536 tokens, demo model l", f"{o['evaluation_s']:.2f}"],
                    ],
                    headers=["per-job fixed cost", "seconds"],
                )
            )
        if "workflow" not in args.skip:
            out["workflow"] = {"smoke": overhead.workflow_ratio("tests/configs/smoke.yaml")}
            if args.demo:
                out["workflow"]["demo"] = overhead.workflow_ratio(None)
            for name, w in out["workflow"].items():
                print(
                    f"workflow {name}: {w['wall_s']:.0f} s wall, {w['training_s']:.1f} s of training in {w['training_jobs']} jobs "
                    f"on {w['cores']} cores: overhead ratio {w['ratio']:.2f}"
                )
        if "fit" not in args.skip:
            out["fit"] = {
                "all starts, 1 process": fitbench.timed(workers=1),
                "all starts, 2 processes": fitbench.timed(workers=2),
                "best 100 by objective, 1 process": fitbench.timed(screen=100),
            }
            full = out["fit"]["all starts, 1 process"]["objective"]
            print(
                tabulate(
                    [
                        [
                            k,
                            f["n_starts"],
                            f"{f['seconds']:.2f}",
                            f"{f['objective']:.13g}",
                            f"{abs(f['objective'] - full) / full:.1e}",
                        ]
                        for k, f in out["fit"].items()
                    ],
                    headers=["approach 3, 300 points", "grid", "seconds", "objective", "rel. to full"],
                )
            )
        if "memory" not in args.skip:
            big = synthetic_data(tmp / "big", 200_000_000)  # 400 MB of uint16 tokens
            cfg = model_config(**STANDARD["M"])
            out["memory"] = memory.peak_rss(big, tmp / "m.pt", cfg, BATCH)
            m = out["memory"]
            print(
                f"training job, M: peak RSS {m['peak_rss_mb']:.0f} MB on a {m['token_file_mb']:.0f} MB token file "
                f"(at the end: {m['anon_mb_at_end']:.0f} MB its own, {m['file_mb_at_end']:.0f} MB mapped files); "
                f"model+optimizer {m['model_optimizer_mb']:.0f} MB, activations ~{m['activations_mb']:.0f} MB, "
                f"imports alone {m['imports_rss_mb']:.0f} MB"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
