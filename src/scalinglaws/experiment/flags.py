"""The command lines of the training rules, split by what a change to them means.

Snakemake reruns a job when one of its params changes, except params that are functions
of the job's threads or resources. The flags of a training job therefore come in two kinds:

- **settings** define what a job computes. A trunk's are everything its trajectory depends
  on (model shape, optimizer, data order, warmup, precision, the SWA windows it saves), so a
  changed setting means new trunks; they are ordinary params, rerun triggers.
- **execution** is how the job runs: device, threads, processes, micro-batches,
  compilation. The same checkpoints come out either way, so these are built from the
  job's threads and resources and never trigger a rerun (``execution``, ``launch``).

The workflow's ``common.smk`` only forwards wildcards here; what is a setting is decided
and tested in this module.
"""

from __future__ import annotations

import shlex

from scalinglaws.experiment.sweep import Baseline, Cooldown, Sweep


def cli_flags(**settings) -> str:
    """``--key value`` for every setting that is not None, shell-quoted."""
    return " ".join(f"--{k.replace('_', '-')} {shlex.quote(str(v))}" for k, v in settings.items() if v is not None)


def _run_settings(sweep: Sweep, model: str, lr: float) -> str:
    """Model, optimizer and data-order flags shared by a trunk and a cosine run."""
    t, cfg = sweep.training, sweep.model_config(model)
    return cli_flags(
        d_model=cfg.d_model,
        n_layers=cfg.n_layers,
        n_heads=cfg.n_heads,
        seq_len=cfg.seq_len,
        ffn_multiple_of=cfg.ffn_multiple_of,
        batch_size=t["batch_size"],
        lr=lr,
        weight_decay=t["weight_decay"],
        grad_clip=t["grad_clip"],
        warmup_steps=sweep.warmup_steps_for(model),
        seed=t["seed"],
        data_seed=t["data_seed"],
        precision=t["precision"],
    )


def trunk_settings(sweep: Sweep, model: str) -> str:
    """Everything that defines ``model``'s trunk trajectory: a change here means new trunks."""
    args = _run_settings(sweep, model, sweep.model_spec(model)["lr"])
    if sweep.swa_enabled:
        args += " " + cli_flags(swa_window_steps=sweep.swa_window_steps, swa_every_steps=sweep.swa_every_steps)
    return args


def cooldown_settings(sweep: Sweep, c: Cooldown) -> str:
    """The decay a cooldown applies to its fork's weights (model and optimizer come from
    the trunk checkpoint it forks)."""
    return cli_flags(
        schedule="wsd",
        total_steps=c.total_steps,
        cooldown_steps=c.cooldown_steps,
        shape=c.shape,
        final_fraction=sweep.config["cooldown"]["final_fraction"],
        precision=sweep.training["precision"],
    )


def cosine_settings(sweep: Sweep, b: Baseline) -> str:
    """A cosine run from scratch: a trunk's settings at the cosine LR, and its schedule."""
    schedule = cli_flags(
        schedule="cosine", total_steps=b.tokens // sweep.tokens_per_step, final_fraction=b.final_fraction
    )
    return f"{_run_settings(sweep, b.model, sweep.cosine_lr(b.model))} {schedule}"


def evaluation_flags(sweep: Sweep, eval_out: str) -> str:
    """Flags that make a training or averaging job evaluate the model it saves (settings:
    a changed eval setting must re-evaluate), or none when evaluation runs apart."""
    e = sweep.config["eval"]
    if not e["in_training_job"]:
        return ""
    return cli_flags(eval_out=eval_out, eval_tokens=e["tokens"], eval_batch_size=e["batch_size"])


def execution(sweep: Sweep, device: str, threads: int, micro_batch_size: int = 0) -> str:
    """How, not what, a training job runs: device, threads, micro-batches, compilation."""
    flags = cli_flags(device=device, threads=threads, micro_batch_size=micro_batch_size or None)
    return f"{flags} --compile" if sweep.training["compile"] else flags


def launch(nproc: int = 1, gpu: int = 0) -> str:
    """What runs ``scalinglaws``: the command itself, or torchrun over the job's processes
    when its resources ask for several (``nproc``, or one per GPU)."""
    n = max(int(nproc), int(gpu))
    return "scalinglaws" if n <= 1 else f"torchrun --standalone --nproc_per_node {n} -m scalinglaws"
