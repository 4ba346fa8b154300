"""The compute account: what the WSD pipeline cost against the cosine sweep it replaces.

Training FLOPs come from the sweep (tokens of every trunk link, branch, cooldown and cosine run ×
FLOPs per token in the configured convention); wall-clock seconds from the Snakemake
``benchmark:`` files of the jobs that ran. Evaluation is not training and is left out of
both sides.
"""

from __future__ import annotations

import csv
from pathlib import Path

from scalinglaws.experiment.flops import flops_per_token
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep, fraction_label


def benchmark_seconds(path: str) -> float | None:
    """Wall seconds of one job from its benchmark TSV (None if it has not run here): the
    ``s`` column, summed over the rows (one per repeat)."""
    p = Path(path)
    if not p.is_file():
        return None
    with open(p, newline="") as f:
        return float(sum(float(row["s"]) for row in csv.DictReader(f, delimiter="\t")))


def _total(values) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else float(sum(values))


def costs(sweep: Sweep, seconds=lambda job: None) -> dict:
    """Tokens and FLOPs of each model's trunk (its chain), branches, cooldowns (by
    shape@fraction) and cosine runs, with the wall seconds ``seconds(job)`` reports for
    each job (None: unknown)."""
    conv = sweep.config["flops"]
    per_model = {}
    for m in sweep.models:
        fpt = flops_per_token(sweep.model_config(m), conv["convention"], conv["params"])
        forks = [c.fork_step for c in sweep.cooldowns(m)]
        entry = {
            "flops_per_token": fpt,
            "trunk": {"tokens": sweep.tokens("trunk", m), "seconds": _seconds(sweep.chain(m), seconds)},
            # what a chain on a fixed grid costs: reaching the steps off it (README, adding budgets later)
            "branches": {"tokens": sweep.tokens("branch", m), "seconds": _seconds(sweep.branches(m), seconds)},
            # Hägele et al.'s count of the savings stops the trunk at its last fork step
            "trunk_to_last_fork": {"tokens": max(forks, default=0) * sweep.tokens_per_step},
        }
        for (shape, frac), group in _by_cooldown(sweep.cooldowns(m)).items():
            entry.setdefault("cooldowns", {})[f"{shape}@{frac}"] = {
                "tokens": sum(c.cooldown_steps for c in group) * sweep.tokens_per_step,
                "seconds": _total(seconds(Layout.cooldown_job(m, shape, frac, c.tokens)) for c in group),
            }
        if sweep.config["cosine"]["enabled"]:
            entry["cosine"] = _equivalent_sweep(sweep, m, seconds)
            for label, runs in _by_label(b for b in sweep.baselines(m) if not b.primary).items():
                entry.setdefault("other baselines", {})[label] = {
                    "tokens": sum(b.tokens for b in runs),
                    "seconds": _total(seconds(Layout.cosine_job(b.model, b.tokens, b.directory)) for b in runs),
                }
        parts = [
            entry["trunk"],
            entry["branches"],
            entry["trunk_to_last_fork"],
            *entry.get("cooldowns", {}).values(),
            entry.get("cosine", {}),
            *entry.get("other baselines", {}).values(),
        ]
        for part in parts:
            if part:
                part["flops"] = part["tokens"] * fpt
        per_model[m] = entry
    return {"flops_convention": conv, "models": per_model, "totals": _totals(per_model)}


def _seconds(links, seconds) -> float | None:
    return _total(seconds(Layout.link_job(link)) for link in links)


def _equivalent_sweep(sweep: Sweep, model: str, seconds) -> dict:
    """The cosine sweep the method replaces: the primary baseline at every budget. Its
    seconds are measured where every such run was trained; where cosine.budgets trained
    only some, they are the trained runs' seconds per token times all the tokens
    (``seconds_estimated``)."""
    tokens = sweep.tokens("cosine", model)
    runs = [b for b in sweep.baselines(model) if b.primary]
    measured = _total(seconds(Layout.cosine_job(b.model, b.tokens, b.directory)) for b in runs)
    if len(runs) == len(sweep.budgets(model)) or measured is None or not runs:
        return {"tokens": tokens, "seconds": measured}
    return {"tokens": tokens, "seconds": measured * tokens / sum(b.tokens for b in runs), "seconds_estimated": True}


def _by_label(baselines):
    out = {}
    for b in baselines:
        out.setdefault(b.label, []).append(b)
    return out


def _by_cooldown(cooldowns):
    out = {}
    for c in cooldowns:
        out.setdefault((c.shape, fraction_label(c.fraction)), []).append(c)
    return out


def _totals(per_model: dict) -> dict:
    """WSD pipeline for each cooldown (the trunk and its branches + that shape's
    cooldowns), for all cooldowns together, and the cosine sweep; ratios WSD / cosine.
    ``flops`` counts the trunk as run (the chain to the largest budget and the branches
    off it), ``flops_paper`` as Hägele et al. do: one run to the last fork step."""

    def add(parts, key):
        return _total(p[key] for p in parts)

    trunks = [part for e in per_model.values() for part in (e["trunk"], e["branches"])]
    to_forks = [e["trunk_to_last_fork"] for e in per_model.values()]
    labels = sorted({k for e in per_model.values() for k in e.get("cooldowns", {})})
    out = {}
    for label in labels + ["all cooldowns"]:
        cds = [
            c for e in per_model.values() for k, c in e.get("cooldowns", {}).items() if label in (k, "all cooldowns")
        ]
        out[f"wsd ({label})"] = {key: add(trunks + cds, key) for key in ("flops", "seconds")}
        out[f"wsd ({label})"]["flops_paper"] = add(to_forks + cds, "flops")
    cos = [e["cosine"] for e in per_model.values() if "cosine" in e]
    if cos:
        out["cosine"] = {key: add(cos, key) for key in ("flops", "seconds")}
        for name in [k for k in out if k.startswith("wsd")]:
            paper = out[name]["flops_paper"]
            out[name]["flops_paper_ratio_to_cosine"] = (
                paper / out["cosine"]["flops"] if out["cosine"]["flops"] else None
            )
            for key in ("flops", "seconds"):
                num, den = out[name][key], out["cosine"][key]
                out[name][f"{key}_ratio_to_cosine"] = None if num is None or not den else num / den
    return out
