"""What each CLI subcommand does, from parsed arguments to library calls and files."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from scalinglaws import ScalingLawsError
from scalinglaws.experiment.config import default
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.prepared import check_prepared
from scalinglaws.training import averaging, checkpoint, distributed
from scalinglaws.training.architecture import ModelConfig
from scalinglaws.training.data import TokenData, prepare
from scalinglaws.training.evaluate import val_loss
from scalinglaws.training.loop import OptimConfig, RunConfig, load_model, save_weights
from scalinglaws.training.loop import train as run_training
from scalinglaws.training.schedules import Schedule, cooldown_steps


def _device(name: str) -> str:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ScalingLawsError(f"--device {name}: no CUDA device is available")
    if name != "cpu" and not name.startswith("cuda"):
        raise ScalingLawsError(f"--device {name!r} is not one of cpu, cuda, auto")
    if name.startswith("cuda"):
        # TF32 tensor cores for fp32 matmuls (bf16 autocast covers most of them anyway).
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return name


def _threads(n: int | None) -> None:
    """--threads is the job's: split between the processes of a torchrun job."""
    if n is not None:
        if n < 1:
            raise ScalingLawsError(f"--threads {n} must be at least 1")
        torch.set_num_threads(max(1, n // distributed.current().size))


def prepare_data(args) -> None:
    source = {"source": args.source}
    if args.source == "files":
        source["files"] = args.files
    elif args.source == "huggingface":
        source.update(
            hf_path=args.hf_path,
            hf_name=args.hf_name,
            hf_split=args.hf_split,
            streaming=args.streaming,
            text_field=args.text_field,
            data_files=args.hf_data_files,
        )
    meta = prepare(args.out, source, args.tokenizer, args.vocab_size, args.val_fraction, args.max_tokens)
    print(
        f"{args.out}: {meta['train_tokens']:,} train and {meta['val_tokens']:,} validation tokens "
        f"({meta['tokenizer']}, vocab {meta['vocab_size']})"
    )


def _setting(args, name: str, saved: dict, default=None, flag: str | None = None):
    """A train setting: the flag if given, else the --init checkpoint's, else the default."""
    value = getattr(args, name)
    if value is None:
        value = saved.get(name, default)
    if value is None:
        raise ScalingLawsError(f"{flag or '--' + name.replace('_', '-')} is required when there is no --init")
    return value


def _run_config(args, data: TokenData) -> RunConfig:
    saved = {}
    if args.init is not None:
        fp = checkpoint.read_fingerprint(args.init)
        saved = {
            **fp["model"],
            **fp["optim"],
            **{k: fp[k] for k in ("batch_size", "seed", "data_seed", "warmup_steps")},
        }
    model = ModelConfig(
        vocab_size=data.meta["vocab_size"],
        d_model=_setting(args, "d_model", saved),
        n_layers=_setting(args, "n_layers", saved),
        n_heads=_setting(args, "n_heads", saved),
        seq_len=_setting(args, "seq_len", saved),
        ffn_multiple_of=_setting(args, "ffn_multiple_of", saved, default("training.ffn_multiple_of")),
    )
    optim = OptimConfig(
        lr=_setting(args, "lr", saved),
        weight_decay=_setting(args, "weight_decay", saved, default("training.weight_decay")),
        grad_clip=_setting(args, "grad_clip", saved, default("training.grad_clip")),
    )
    batch_size = _setting(args, "batch_size", saved)
    # the config's warmup is in tokens: its default in steps of this run
    warmup = _setting(args, "warmup_steps", saved, default("training.warmup_tokens") // (batch_size * model.seq_len))
    kind, n = args.schedule, args.total_steps
    if kind != "constant" and n is None:
        raise ScalingLawsError(f"--schedule {kind} needs --total-steps")
    n_d = None
    if kind == "wsd":
        if args.cooldown_fraction is None and args.cooldown_steps is None:
            raise ScalingLawsError("--schedule wsd needs --cooldown-fraction or --cooldown-steps")
        n_d = cooldown_steps(n, fraction=args.cooldown_fraction, steps=args.cooldown_steps)
    final = args.final_fraction
    if final is None:
        final = default("cosine.final_fractions")[0] if kind == "cosine" else default("cooldown.final_fraction")
    schedule = Schedule(kind, n, warmup, n_d, args.shape, final)
    return RunConfig(
        model=model,
        optim=optim,
        schedule=schedule,
        batch_size=batch_size,
        seed=_setting(args, "seed", saved, default("training.seed")),
        data_seed=_setting(args, "data_seed", saved, default("training.data_seed")),
        swa_window_steps=args.swa_window_steps,
        swa_every_steps=args.swa_every_steps,
        ema_decay=args.ema_decay,
        precision=args.precision,
        micro_batch_size=args.micro_batch_size,
        compile=args.compile,
    )


def train(args) -> None:
    _threads(args.threads)
    device = _device(args.device)
    data = TokenData.open(args.data)
    run = _run_config(args, data)
    until = args.until if args.until is not None else run.schedule.total_steps
    if until is None:
        raise ScalingLawsError("--until is required for a constant schedule without --total-steps")
    swa_dir = args.swa_dir or args.out.parent / "swa"
    fingerprint = run.fingerprint(data)

    def save_window(end_step, weights, samples):
        start = end_step - run.swa_window_steps
        save_weights(
            swa_dir / Layout.window_file(end_step),
            weights,
            fingerprint,
            end_step,
            window=[start, end_step],
            samples=samples,
        )

    metrics = args.metrics or args.out.with_suffix(".csv")
    result = run_training(
        run,
        data,
        until=until,
        out=args.out,
        init=args.init,
        metrics=metrics,
        on_window=save_window,
        device=device,
        progress=args.progress,
        rescue=args.rescue,
    )
    world = distributed.current()
    distributed.stop(world)
    if not world.is_main:
        return  # rank 0 saved, reports and evaluates
    tokens = (result.step - result.start_step) * run.tokens_per_step
    print(
        f"{args.out}: steps {result.start_step}→{result.step}, final train loss {result.losses[-1]:.4f}, "
        f"{tokens / result.seconds:,.0f} tokens/s, training {result.seconds:.3f} s"
    )
    _evaluate_after(args, data, device)


def average(args) -> None:
    if args.eval_out and args.data is None:
        raise ScalingLawsError("average --eval-out needs --data (the prepared data to evaluate on)")
    if args.ema:
        _take_ema(args)
    else:
        _merge_windows(args)
    if args.eval_out:
        _threads(args.threads)
        _evaluate_after(args, TokenData.open(args.data), _device(args.device))


def _take_ema(args) -> None:
    if len(args.inputs) != 1:
        raise ScalingLawsError("average --ema takes exactly one training checkpoint")
    state = checkpoint.load(args.inputs[0])
    if not state.get("ema"):
        raise ScalingLawsError(f"{args.inputs[0]}: holds no EMA (train with --ema-decay)")
    save_weights(
        args.out, state["ema"]["weights"], state["fingerprint"], state["step"], ema_decay=state["ema"]["decay"]
    )


def _merge_windows(args) -> None:
    states = [checkpoint.load(p) for p in args.inputs]
    for p, st in zip(args.inputs[1:], states[1:]):
        checkpoint.check_fingerprint(p, st["fingerprint"], states[0]["fingerprint"])
    merged = averaging.merge([st["model"] for st in states], [st.get("samples", 1) for st in states])
    windows = [st.get("window") for st in states]
    save_weights(args.out, merged, states[0]["fingerprint"], max(st["step"] for st in states), windows=windows)
    print(f"{args.out}: mean of {len(states)} averages, up to step {max(st['step'] for st in states)}")


def _evaluation(
    ckpt: Path, model, state: dict, data: TokenData, tokens: int, batch_size: int, device: str, out: Path | None
) -> dict:
    """Validation loss of a saved checkpoint (loaded as ``model``, ``state``), as
    `scalinglaws evaluate` reports it."""
    loss = val_loss(model, data, tokens, batch_size, device)
    result = {"checkpoint": str(ckpt), "step": state["step"], "val_loss": loss, "val_tokens": tokens}
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _evaluate_after(args, data: TokenData, device: str) -> None:
    """--eval-out: evaluate the checkpoint this job just saved, in this process (the
    workflow's per-job cost is mostly starting Python and torch: this saves one start)."""
    if args.eval_out:
        result = _evaluation(
            args.out, *load_model(args.out), data, args.eval_tokens, args.eval_batch_size, device, args.eval_out
        )
        print(f"{args.eval_out}: val_loss {result['val_loss']:.6f} on {args.eval_tokens:,} validation tokens")


def evaluate(args) -> None:
    _threads(args.threads)
    model, state = load_model(args.checkpoint)
    data = TokenData.open(args.data)
    result = _evaluation(
        args.checkpoint, model, state, data, args.tokens, args.batch_size, _device(args.device), args.out
    )
    print(json.dumps(result))


def _read_points(path: Path, where: str | None = None):
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise ScalingLawsError(f"{path}: cannot read the points ({e})") from None
    if where:
        try:
            df = df.query(where)
        except Exception as e:
            raise ScalingLawsError(f"--where {where!r}: {type(e).__name__}: {e}") from None
    return df


def summary(args) -> None:
    import pandas as pd

    from scalinglaws.analysis.summary import markdown

    predictions = None
    if args.predictions:
        try:
            predictions = pd.read_csv(args.predictions)
        except (OSError, ValueError) as e:
            raise ScalingLawsError(f"{args.predictions}: cannot read it as CSV ({e})") from None
    compute = None
    if args.compute:
        try:
            compute = json.loads(args.compute.read_text())
        except (OSError, ValueError) as e:
            raise ScalingLawsError(f"{args.compute}: cannot read it as JSON ({e})") from None
    text = markdown(_read_points(args.points), predictions, compute)
    if args.out:
        args.out.write_text(text)
    print(text)


def _fixed(pairs: list[str]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ScalingLawsError(f"--fix {pair!r}: expected NAME=VALUE, e.g. --fix E=1.8") from None
    return out


def fit(args) -> None:
    import pandas as pd

    from scalinglaws.analysis.fits import fit_table, jsonable, report_lines, summary_rows

    df = _read_points(args.points, args.where)
    result = fit_table(
        df,
        params=args.params_col,
        tokens=args.tokens_col,
        loss=args.loss_col,
        flops=args.flops_col,
        budget=args.budget_col,
        group=args.group_col,
        approaches=tuple(args.approach),
        n_boot=args.bootstrap,
        seed=args.seed,
        workers=args.workers,
        start_stride=args.start_stride,
        screen=args.screen,
        weight=args.weight_col,
        fix=_fixed(args.fix),
    )
    result["points"] = str(args.points)
    result["where"] = args.where
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(jsonable(result), indent=2, allow_nan=False) + "\n")
    print(
        f"{args.points}: {result['n_points']} points in {result['n_groups']} groups; FLOPs: {result['flops_convention']}"
    )
    print(pd.DataFrame(summary_rows(result)).fillna("").to_markdown(index=False))
    for line in report_lines(result):
        print(line)


def read_run(path, loss_column: str = "loss"):
    """A run from a CSV with columns step, lr and the loss (one row per logged step): the LR
    between logged rows is interpolated linearly, and rises linearly from 0 before the first."""
    import numpy as np
    import pandas as pd

    from scalinglaws.laws.curves import Run

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise ScalingLawsError(f"{path}: cannot read it as CSV ({e})") from None
    missing = [c for c in ("step", "lr", loss_column) if c not in df.columns]
    if missing:
        raise ScalingLawsError(f"{path}: needs the columns step, lr and {loss_column}; missing {', '.join(missing)}")
    if df.empty:
        raise ScalingLawsError(f"{path}: has no rows")
    steps, lr, loss = (df[c].to_numpy(float) for c in ("step", "lr", loss_column))
    if not (
        np.isfinite(steps).all() and (steps == np.round(steps)).all() and steps[0] >= 1 and (np.diff(steps) > 0).all()
    ):
        raise ScalingLawsError(f"{path}: 'step' must be whole numbers ≥ 1, increasing")
    if not np.isfinite(lr).all() or (lr < 0).any():
        raise ScalingLawsError(f"{path}: 'lr' must be finite and ≥ 0")
    if not np.isfinite(loss).all() or (loss <= 0).any():
        raise ScalingLawsError(f"{path}: '{loss_column}' must be finite and positive")
    steps = steps.astype(int)
    every = np.arange(1, steps[-1] + 1)
    per_step = np.interp(every, np.concatenate([[0], steps]), np.concatenate([[0.0], lr]))
    return Run(str(path), per_step, steps, loss)


def predict(args) -> None:
    from dataclasses import asdict

    from scalinglaws.laws.curves import predict as predicted
    from scalinglaws.laws.registry import fit_law

    runs = [read_run(p, args.loss_col) for p in args.fit]
    targets = [read_run(p, args.loss_col) for p in args.target]
    result = fit_law(args.law, [r.as_fit_input() for r in runs])
    p = result.law
    print(
        f"{p}; {result.n_points} losses from {len(runs)} runs, Huber objective {result.objective:.3g}"
        f"{'' if result.success else ', NOT CONVERGED'}"
    )
    predictions = [predicted(p, t) for t in targets]
    print(f"{'target':<40} {'predicted':>10} {'measured':>10} {'final err':>10} {'mean err':>9} {'worst err':>9}")
    for t in predictions:
        print(
            f"{t.name[-40:]:<40} {t.final_predicted:>10.4f} {t.final_measured:>10.4f} {t.final_error:>+10.2%} "
            f"{t.mean_error:>9.2%} {t.worst_error:>9.2%}"
        )
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "law": {"name": args.law, **asdict(p)},
                    "objective": result.objective,
                    "n_points": result.n_points,
                    "converged": result.success,
                    "fit": [str(f) for f in args.fit],
                    "targets": [{**asdict(t), "final_error": t.final_error} for t in predictions],
                },
                indent=2,
            )
            + "\n"
        )


def plan(args) -> None:
    from scalinglaws.experiment import plan as planning
    from scalinglaws.experiment.config import load_config

    config = load_config(args.configs, args.workdir)
    layout = Layout.of(config, str(args.workdir))
    check_prepared(layout.meta, config)
    vocab = planning.vocab_size(config, layout)
    rates = None
    if args.probe_seconds > 0:
        from scalinglaws.experiment.sweep import Sweep
        from scalinglaws.experiment.walltime import rates as measure

        rates = measure(Sweep(config, vocab_size=vocab), layout, _device(args.device), args.probe_seconds)
    rows = planning.plan(config, vocab, planning.data_bytes(config, layout, vocab), rates)
    print(f"experiment {config['experiment']!r}: {len(config['models'])} models, vocab {vocab}")
    print(planning.table(rows, planning.savings(config, vocab), rates))
    print("\n".join(planning.chains(config, vocab)))
    if args.against:
        from scalinglaws.experiment import reruns

        print()
        print(reruns.table(reruns.against(config, args.configs, args.workdir, args.against, vocab), args.against))
