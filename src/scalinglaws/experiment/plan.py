"""What a configured sweep will cost before it runs: jobs, training FLOPs and disk per rule.

``scalinglaws plan [CONFIG …]`` reads the config as the workflow does (``config.yaml`` of
the working directory with each CONFIG merged over it, validated against the workflow's
schema with its defaults) and counts every job of the complete sweep, whether or not it
has already run. Disk is what the checkpoints of each rule occupy, from the model's
tensor sizes:

- a training checkpoint (trunk link or branch, cooldown, cosine run): fp32 weights,
  AdamW's two fp32 moments, the RNG state, and — for a trunk job that ends inside an SWA
  window — the window's running float64 sum;
- an SWA window or SWA model: the fp32 weights of the model's state dict.
"""

from __future__ import annotations

from dataclasses import dataclass

from scalinglaws.experiment.checkpoints import checkpoints, fork_evaluations
from scalinglaws.experiment.costs import costs
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.prepared import prepared_for
from scalinglaws.experiment.sweep import Sweep
from scalinglaws.training.architecture import ModelConfig

# torch.save's container and the small values of a file (measured on the smoke run), plus
# the RNG state (5 kB) of a training checkpoint.
_TRAIN_OVERHEAD, _WEIGHTS_OVERHEAD = 17_000, 4_000
_VOCAB = {"bytes": 256}


def vocab_size(config: dict, layout: Layout) -> int:
    meta = prepared_for(layout.meta, config["data"])
    if meta:
        return meta["vocab_size"]
    tokenizer = config["data"]["tokenizer"]
    if tokenizer == "bpe" and config["data"]["vocab_size"]:
        return config["data"]["vocab_size"]
    if tokenizer in _VOCAB:
        return _VOCAB[tokenizer]
    from scalinglaws.training import tokenizers

    return tokenizers.build(tokenizer).vocab_size  # tiktoken: needs its vocabulary file


@dataclass(frozen=True)
class CheckpointSizes:
    train: int  # a training checkpoint, no SWA window open
    open_window: int  # added when an SWA window is open at the checkpoint's step
    weights: int  # an SWA window or SWA model


def checkpoint_sizes(cfg: ModelConfig) -> CheckpointSizes:
    import torch  # here: planning a sweep needs torch only for this

    from scalinglaws.training.model import Transformer

    with torch.device("meta"):  # shapes only: a billion-parameter model costs nothing here
        model = Transformer(cfg)
    params = sum(p.numel() for p in model.parameters())  # tied weights once, as torch.save stores them
    # averaged states are per state-dict key (a tied weight is counted under both names)
    floats = sum(v.numel() for v in model.state_dict().values() if v.is_floating_point())
    return CheckpointSizes(
        train=(4 + 2 * 4) * params + _TRAIN_OVERHEAD,  # weights + AdamW's exp_avg and exp_avg_sq
        open_window=8 * floats,
        weights=4 * floats + _WEIGHTS_OVERHEAD,
    )


def data_bytes(config: dict, layout: Layout, vocab: int) -> int | None:
    """The token files: as prepared, else from data.max_tokens, else unknown (None)."""
    meta = prepared_for(layout.meta, config["data"])
    itemsize = 2 if vocab <= 2**16 else 4
    if meta:
        return (meta["train_tokens"] + meta["val_tokens"]) * itemsize
    return None if config["data"]["max_tokens"] is None else config["data"]["max_tokens"] * itemsize


def plan(config: dict, vocab: int, data_disk: int | None = None, rates: dict | None = None) -> list[dict]:
    """One row per rule: jobs, training tokens and FLOPs, bytes of checkpoints (of token
    files for prepare_data: ``data_disk``, None if unknown), and given each model's
    ``walltime.Rate``, the estimated seconds of its training and evaluation jobs."""
    sweep = Sweep(config, vocab_size=vocab)
    spent = costs(sweep)["models"]
    rows = {
        r: {"rule": r, "jobs": 0, "tokens": 0, "flops": 0.0, "disk": 0}
        for r in ("trunk", "branch", "cooldown", "cosine", "swa")
    }
    # Evaluations run in separate jobs for trunk checkpoints, and for every final model
    # when eval.in_training_job is false (else inside the job that made the model).
    apart = ("trunk",) if config["eval"]["in_training_job"] else ("trunk", "cooldown", "cosine", "swa")
    evaluated = checkpoints(sweep, Layout(""))
    if sweep.predict["enabled"]:  # the predict rule also reads every fork step's trunk evaluation
        evaluated += [{"model": m, "kind": "trunk"} for m, _ in fork_evaluations(sweep, Layout(""))]
    n_eval = sum(c["kind"] in apart for c in evaluated)
    seconds = {r: 0.0 for r in (*rows, "evaluate")} if rates else {}
    for m in sweep.models:
        size, fpt = checkpoint_sizes(sweep.model_config(m)), spent[m]["flops_per_token"]
        w = sweep.swa_window_steps if sweep.swa_enabled else None
        for rule, links in (("trunk", sweep.chain(m)), ("branch", sweep.branches(m))):
            _add(rows[rule], len(links), sweep.tokens(rule, m), fpt, 0)
            rows[rule]["disk"] += sum(_link_disk(link, w, size) for link in links)
        cds = sweep.cooldowns(m)
        _add(
            rows["cooldown"],
            len(cds),
            sum(c.cooldown_steps for c in cds) * sweep.tokens_per_step,
            fpt,
            len(cds) * size.train,
        )
        runs = sweep.baselines(m)  # what is trained: every baseline at its budgets
        _add(rows["cosine"], len(runs), sum(b.tokens for b in runs), fpt, len(runs) * size.train)
        _add(rows["swa"], len(sweep.swa_points(m)), 0, fpt, len(sweep.swa_points(m)) * size.weights)
        if rates:
            _estimate(seconds, rates[m], config, sweep, m, [c["kind"] for c in evaluated if c["model"] == m], apart)
    analysis = ["aggregate", "summary", "fit", "compute", "plots"] + (["predict"] if sweep.predict["enabled"] else [])
    out = [{"rule": "prepare_data", "jobs": 1, "tokens": 0, "flops": 0.0, "disk": data_disk}]
    out += [r for r in rows.values() if r["jobs"]]
    out += [{"rule": "evaluate", "jobs": n_eval, "tokens": 0, "flops": 0.0, "disk": 0}]
    out += [{"rule": r, "jobs": 1, "tokens": 0, "flops": 0.0, "disk": 0} for r in analysis]
    for r in out:
        r["seconds"] = seconds.get(r["rule"])
    return out


def _link_disk(link, window: int | None, size: CheckpointSizes) -> int:
    """A trunk job's checkpoint, the SWA windows it completes, and an open window's sum."""
    if not window:
        return size.train
    completed = link.step // window - link.start // window
    return size.train + completed * size.weights + (size.open_window if link.step % window else 0)


def _estimate(seconds: dict, rate, config: dict, sweep: Sweep, model: str, kinds: list[str], apart) -> None:
    """Add one model's job seconds per rule: start-up and training tokens, plus its
    evaluations where they run (in the training job, or as evaluate jobs)."""
    eval_s = rate.evaluation(config["eval"]["tokens"])
    tps = sweep.tokens_per_step
    for rule, links in (("trunk", sweep.chain(model)), ("branch", sweep.branches(model))):
        seconds[rule] += rate.training(len(links), sum(link.steps for link in links) * tps)
    cds = sweep.cooldowns(model)
    seconds["cooldown"] += rate.training(len(cds), sum(c.cooldown_steps for c in cds) * tps)
    runs = sweep.baselines(model)
    seconds["cosine"] += rate.training(len(runs), sum(b.tokens for b in runs))
    seconds["swa"] += len(sweep.swa_points(model)) * rate.start
    for kind in kinds:
        seconds["evaluate" if kind in apart else kind] += eval_s + (rate.start if kind in apart else 0.0)


def _add(row, jobs, tokens, flops_per_token, disk):
    row["jobs"] += jobs
    row["tokens"] += tokens
    row["flops"] += tokens * flops_per_token
    row["disk"] += disk


def savings(config: dict, vocab: int) -> dict:
    """Training FLOPs of the WSD pipeline(s) over the cosine sweep (as compute.json)."""
    return costs(Sweep(config, vocab_size=vocab))["totals"]


def chains(config: dict, vocab: int) -> list[str]:
    """Each model's chain and branches, in words: what adding a budget can and cannot move."""
    sweep = Sweep(config, vocab_size=vocab)
    lines = ["the trunks: a chain of links on each model's fixed grid, branches to the steps off it"]
    for m in sweep.models:
        chain, branches = sweep.chain(m), sweep.branches(m)
        extra = sum(b.steps for b in branches)
        reach = ", ".join(f"{b.step} (from {b.start})" for b in branches) or "none"
        lines.append(
            f"  {m}: a link every {sweep.link_steps(m)} steps to step {chain[-1].step} ({len(chain)} links); "
            f"branches to {reach}: {extra} steps, {extra / chain[-1].step:.0%} of the chain's"
        )
    return lines


def human_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError


def table(rows: list[dict], totals: dict, rates: dict | None = None) -> str:
    from tabulate import tabulate

    from scalinglaws.experiment.walltime import human_seconds

    est = lambda r: human_seconds(r["seconds"]) if r.get("seconds") is not None else "-"  # noqa: E731
    body = [
        [r["rule"], r["jobs"], f"{r['tokens']:,}", f"{r['flops']:.3g}", human_bytes(r["disk"]), est(r)] for r in rows
    ]
    disk = sum(r["disk"] or 0 for r in rows)
    job_seconds = sum(r.get("seconds") or 0 for r in rows)
    total = [
        "total",
        sum(r["jobs"] for r in rows),
        f"{sum(r['tokens'] for r in rows):,}",
        f"{sum(r['flops'] for r in rows):.3g}",
        human_bytes(disk) + ("" if all(r["disk"] is not None for r in rows) else " + ?"),
        human_seconds(job_seconds) if rates else "-",
    ]
    text = tabulate(
        [*body, total],
        headers=["rule", "jobs", "training tokens", "training FLOPs", "disk", "est. time"],
        colalign=("left", "right", "right", "right", "right", "right"),
    )
    lines = [text, ""]
    if rates:
        lines.append(
            "est. time: training and evaluation jobs one after another (start-up + tokens at the rate below);"
            " jobs running side by side finish sooner"
        )
        for m, r in rates.items():
            lines.append(f"  {m}: {r.start:.1f} s a job start, {1 / r.per_token:,.0f} training tokens/s ({r.source})")
        lines.append("")
    for name, t in totals.items():
        if "flops_ratio_to_cosine" in t:
            lines.append(
                f"{name}: {t['flops']:.3g} FLOPs, {t['flops_ratio_to_cosine']:.3f} × the cosine sweep's "
                f"{totals['cosine']['flops']:.3g} as run (the chain to the largest budget and its branches); "
                f"{t['flops_paper_ratio_to_cosine']:.3f} × as Hägele et al. count it (to the last fork step)"
            )
    return "\n".join(lines)
