"""``scalinglaws`` — the commands the workflow's rules call, usable on their own.

    prepare-data   text source → train.bin, val.bin, meta.json
    train          a trunk link, a cooldown forked from a checkpoint, or a cosine run
    average        merge saved SWA windows (or take a run's EMA) into one model
    evaluate       validation loss of any checkpoint
    summary        the paper's claims checked on a points.csv, as Markdown tables
    fit            scaling laws (Chinchilla approaches 1–3) of any CSV of params, tokens, loss
    predict        loss curves of unseen LR schedules from a few runs' curves (step, lr, loss CSVs)
    plan           jobs, FLOPs, disk and wall time of a configured sweep, before running it

Errors a user can act on print one line and exit non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scalinglaws import ScalingLawsError, __version__
from scalinglaws.experiment.config import default


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _add_prepare(sub):
    p = sub.add_parser("prepare-data", help="tokenize a text source into train/val token files")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--source", default=default("data.source"), help="python-stdlib, files or huggingface")
    p.add_argument("--files", nargs="+", default=[], help="globs of text files, for --source files")
    p.add_argument(
        "--hf-path", help="data set for --source huggingface, e.g. DKYoon/SlimPajama-6B, or 'parquet'/'json'"
    )
    p.add_argument("--hf-name", help="its configuration name")
    p.add_argument("--hf-split", default=default("data.hf_split"))
    p.add_argument("--hf-data-files", nargs="+", help="local files for the 'parquet'/'json'/'text' builders")
    p.add_argument("--no-streaming", dest="streaming", action="store_false", help="download the whole split first")
    p.add_argument("--text-field", default=default("data.text_field"))
    p.add_argument("--tokenizer", default=default("data.tokenizer"), help="bytes, bpe or tiktoken:<encoding>")
    p.add_argument("--vocab-size", type=int, help="vocabulary size, for bpe")
    p.add_argument("--val-fraction", type=float, default=default("data.val_fraction"))
    p.add_argument("--max-tokens", type=int, help="cap on train + validation tokens")


def _add_train(sub):
    p = sub.add_parser(
        "train",
        help="train a trunk link, a forked cooldown or a cosine run",
        description="Model and optimizer settings not given are taken from --init's checkpoint.",
    )
    p.add_argument("--data", required=True, type=Path, help="prepared data directory")
    p.add_argument("--init", type=Path, help="training checkpoint to resume or fork from (default: from scratch)")
    p.add_argument("--out", required=True, type=Path, help="checkpoint to write")
    p.add_argument("--metrics", type=Path, help="per-step metrics CSV (default: next to --out)")
    p.add_argument("--until", type=int, help="step to stop at (default: --total-steps)")
    m = p.add_argument_group("model")
    for flag in ("--d-model", "--n-layers", "--n-heads", "--seq-len", "--ffn-multiple-of"):
        m.add_argument(flag, type=int)
    o = p.add_argument_group("optimizer and data order")
    o.add_argument("--lr", type=float, help="peak learning rate")
    o.add_argument("--weight-decay", type=float)
    o.add_argument("--grad-clip", type=float)
    o.add_argument("--batch-size", type=int)
    o.add_argument("--seed", type=int, help="weight initialisation seed")
    o.add_argument("--data-seed", type=int, help="batch order seed")
    s = p.add_argument_group("schedule")
    s.add_argument("--schedule", default="constant", help="constant (trunk), wsd (cooldown) or cosine")
    s.add_argument("--total-steps", type=int, help="run length N (wsd, cosine)")
    s.add_argument("--warmup-steps", type=int)
    s.add_argument("--cooldown-fraction", type=float, help="wsd: decay over this fraction of N")
    s.add_argument("--cooldown-steps", type=int, help="wsd: decay over this many steps")
    s.add_argument("--shape", default=default("cooldown.shapes")[0], help="wsd decay shape")
    s.add_argument("--final-fraction", type=float, help="final LR / peak (default: 0 for wsd, 0.1 for cosine)")
    a = p.add_argument_group("averaging")
    a.add_argument("--swa-window-steps", type=int, help="save the uniform average of each window of this many steps")
    a.add_argument("--swa-every-steps", type=int, default=1, help="sample the weights every this many steps")
    a.add_argument("--swa-dir", type=Path, help="where window averages go, as step{end}.pt (default: next to --out)")
    a.add_argument("--ema-decay", type=float)
    p.add_argument(
        "--rescue", type=Path, help="on SIGTERM/SIGUSR1 save a resumable state here; resume from it when present"
    )
    p.add_argument("--device", default=default("training.device"), help="cpu, cuda or auto")
    p.add_argument(
        "--micro-batch-size",
        type=int,
        help="rows per forward/backward (gradient accumulation); default: each process's whole share",
    )
    p.add_argument("--compile", action="store_true", help="torch.compile the model (same checkpoints, maybe faster)")
    p.add_argument(
        "--precision",
        default=default("training.precision"),
        choices=("fp32", "bf16"),
        help="bf16: autocast forward and backward, fp32 weights and optimizer",
    )
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    _add_eval_after(p)


def _add_eval_after(p):
    e = p.add_argument_group("evaluate the saved model in the same process (as `scalinglaws evaluate`)")
    e.add_argument("--eval-out", type=Path, help="write the validation loss of --out here as JSON")
    e.add_argument("--eval-tokens", type=int, default=default("eval.tokens"))
    e.add_argument("--eval-batch-size", type=int, default=default("eval.batch_size"))


def _add_average(sub):
    p = sub.add_parser("average", help="merge SWA window averages, or extract a run's EMA, into one model")
    p.add_argument("inputs", nargs="+", type=Path, help="window averages (or one training checkpoint with --ema)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--ema", action="store_true", help="take the EMA stored in a training checkpoint")
    p.add_argument("--data", type=Path, help="prepared data (for --eval-out)")
    p.add_argument("--device", default=default("training.device"))
    p.add_argument("--threads", type=int)
    _add_eval_after(p)


def _add_evaluate(sub):
    p = sub.add_parser("evaluate", help="validation loss of a checkpoint")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--tokens", type=int, default=default("eval.tokens"), help="validation tokens to evaluate on")
    p.add_argument("--batch-size", type=int, default=default("eval.batch_size"))
    p.add_argument("--out", type=Path, help="write the result as JSON here")
    p.add_argument("--device", default=default("training.device"))
    p.add_argument("--threads", type=int)


def _add_summary(sub):
    p = sub.add_parser("summary", help="check the paper's claims on a points.csv; print Markdown tables")
    p.add_argument("points", type=Path)
    p.add_argument("--out", type=Path, help="also write the Markdown here")
    p.add_argument("--predictions", type=Path, help="a predictions.csv (rule predict) to summarise too")
    p.add_argument("--compute", type=Path, help="a compute.json (rule compute): measured seconds beside the FLOPs")


def _add_fit(sub):
    p = sub.add_parser("fit", help="fit scaling laws to any CSV of (params, tokens, loss)")
    p.add_argument("points", type=Path, help="CSV with one row per trained model")
    p.add_argument("--params-col", default="params")
    p.add_argument("--tokens-col", default="tokens")
    p.add_argument("--loss-col", help="default: val_loss if present, else loss")
    p.add_argument("--flops-col", help="training FLOPs of each point (default: 6·N·D)")
    p.add_argument("--budget-col", help="isoFLOP profile label of each point, for approach 2")
    p.add_argument("--group-col", help="the runs: what the bootstrap resamples (default: one per params value)")
    p.add_argument("--where", help="pandas query selecting rows, e.g. \"kind == 'cooldown'\"")
    p.add_argument("--approach", type=int, nargs="+", choices=(1, 2, 3), default=default("fit.approaches"))
    # not the workflow's fit.bootstrap (100): a fit of any CSV is a quick look unless asked for intervals
    p.add_argument("--bootstrap", type=int, default=0, metavar="K", help="resample the groups K times for intervals")
    p.add_argument("--seed", type=int, default=default("fit.seed"))
    p.add_argument("--workers", type=int, default=1, help="processes for approach 3's starts")
    p.add_argument(
        "--start-stride",
        type=int,
        default=default("fit.start_stride"),
        metavar="K",
        help="approach 3 from every K-th of the 4,500 starts",
    )
    p.add_argument(
        "--screen",
        type=int,
        default=default("fit.screen"),
        metavar="K",
        help="approach 3: L-BFGS-B from the K starts of lowest objective only (0: from all; default %(default)s)",
    )
    p.add_argument("--weight-col", help="approach 3: a weight per point, multiplying its term in the objective")
    p.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="approach 3: hold a law parameter (E, A, B, alpha, beta) at VALUE, e.g. --fix E=1.8 (repeatable)",
    )
    p.add_argument("--out", type=Path, help="write the fit as JSON here")


def _add_predict(sub):
    p = sub.add_parser(
        "predict",
        help="fit the LR-annealing law to some runs' loss curves and predict other runs from their LR",
        description="Every CSV is one run with the columns step, lr and loss, one row per logged step. "
        "The LR between logged rows is interpolated linearly, and rises linearly from 0 before the first row.",
    )
    p.add_argument("--fit", required=True, nargs="+", type=Path, metavar="CSV", help="runs the law is fitted to")
    p.add_argument(
        "--target",
        required=True,
        nargs="+",
        type=Path,
        metavar="CSV",
        help="runs predicted from their lr column alone, and compared with their losses",
    )
    p.add_argument("--loss-col", default="loss", help="the loss column (e.g. train_loss for our metrics CSVs)")
    p.add_argument(
        "--law",
        default=default("predict.law"),
        choices=("annealing", "multi-power"),
        help="annealing: Tissue et al. 2024 (4 parameters); multi-power: Luo et al. 2025 (7)",
    )
    p.add_argument("--out", type=Path, help="write the law and the predictions as JSON here")


def _add_plan(sub):
    p = sub.add_parser(
        "plan",
        help="jobs, training FLOPs, disk and wall time of a configured sweep, before running it",
        description="Wall time comes from the experiment's last benchmark files where they suffice, "
        "else from a short throughput probe of each model on this machine.",
    )
    p.add_argument(
        "configs",
        nargs="*",
        type=Path,
        metavar="CONFIG",
        help="config files merged over ./config.yaml, as snakemake --configfile does",
    )
    p.add_argument("--workdir", type=Path, default=Path("."), help="the workflow's directory (default: .)")
    p.add_argument(
        "--probe-seconds",
        type=float,
        default=1.0,
        help="seconds of training steps per probed model (0: no wall-time estimate)",
    )
    p.add_argument("--device", default=default("training.device"), help="where the probe runs: cpu, cuda or auto")
    p.add_argument(
        "--against",
        type=Path,
        metavar="results/EXPERIMENT",
        help="the experiment as it has run: also list what running these configs would recompute of it "
        "(Snakemake's dry run), with the training tokens and FLOPs of each rule",
    )


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="scalinglaws", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"scalinglaws {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_prepare, _add_train, _add_average, _add_evaluate, _add_summary, _add_fit, _add_predict, _add_plan):
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        from scalinglaws import commands

        getattr(commands, args.command.replace("-", "_"))(args)
    except ScalingLawsError as e:
        print(f"scalinglaws {args.command}: error: {e}", file=sys.stderr)
        return 1
    return 0
