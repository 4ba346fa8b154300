"""What a training rule's params are: which config settings are rerun triggers of a trunk,
a cooldown and a cosine run, and which (how a job runs) never are.

Every scalar setting of the smoke config is changed in turn; the settings string of each
job kind must change exactly for the keys that define its trajectory."""

from __future__ import annotations

import copy

import pytest

from helpers import ROOT, SMOKE
from scalinglaws import ScalingLawsError
from scalinglaws.experiment import flags
from scalinglaws.experiment.config import load_config
from scalinglaws.experiment.sweep import Sweep

# The settings of model a's trunk (model index 0) and of its runs.
TRUNK_KEYS = {
    "models.0.d_model",
    "models.0.n_layers",
    "models.0.n_heads",
    "models.0.lr",
    "training.seq_len",
    "training.batch_size",
    "training.warmup_tokens",
    "training.weight_decay",
    "training.grad_clip",
    "training.ffn_multiple_of",
    "training.seed",
    "training.data_seed",
    "training.precision",
    "swa.enabled",
    "swa.window_tokens",
    "swa.every_tokens",
}
# A cooldown's own flags: its schedule (the rest comes from the trunk checkpoint it forks).
COOLDOWN_KEYS = {"training.seq_len", "training.batch_size", "cooldown.final_fraction", "training.precision"}
COSINE_KEYS = (TRUNK_KEYS - {"swa.enabled", "swa.window_tokens", "swa.every_tokens"}) | {
    "cosine.lr_factor",
    "cosine.final_fractions.0",
}
EVAL_KEYS = {"eval.tokens", "eval.batch_size", "eval.in_training_job"}
EXECUTION_KEYS = {"training.device", "training.compile"}


@pytest.fixture(scope="module")
def base():
    """The smoke config with SWA windows that stay whole steps when a step doubles."""
    config = load_config([SMOKE], ROOT)
    config["swa"].update(window_tokens=1280, every_tokens=256)
    return config


def _scalars(config, prefix=""):
    """(dotted key, value) of every scalar setting, list items by index."""
    items = config.items() if isinstance(config, dict) else enumerate(config)
    for k, v in items:
        key = f"{prefix}{k}"
        if isinstance(v, (dict, list)):
            yield from _scalars(v, key + ".")
        else:
            yield key, v


def _changes(value) -> list:
    """Other values to try, in order, until one makes a valid sweep."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, (int, float)):
        return [value * 2, value + 1, value * 5] if value else [1]
    other = {"fp32": "bf16", "cpu": "cuda", "annealing": "multi-power", "chinchilla": "6N"}
    return [other[value]] if value in other else []


def _set(config, key, value):
    *path, last = key.split(".")
    node = config
    for k in path:
        node = node[int(k)] if isinstance(node, list) else node[k]
    node[int(last) if isinstance(node, list) else last] = value


def _job_flags(config) -> dict[str, str]:
    """Each kind's flags for one job of model a, named by its wildcards (a changed budget
    or fraction makes another job, not a rerun of this one)."""
    sweep = Sweep(config)
    cooldowns = {(c.tokens, c.shape, c.fraction): c for c in sweep.all_cooldowns("a")}
    baselines = {(b.tokens, b.directory): b for b in sweep.baselines("a")}
    c, b = cooldowns.get((7680, "1-sqrt", 0.2)), baselines.get((7680, "cosine"))
    return {
        "trunk": flags.trunk_settings(sweep, "a"),
        "cooldown": flags.cooldown_settings(sweep, c) if c else None,
        "cosine": flags.cosine_settings(sweep, b) if b else None,
        "eval": flags.evaluation_flags(sweep, "x.json"),
        "execution": flags.execution(sweep, config["training"]["device"], 1),
    }


def test_each_setting_triggers_exactly_the_jobs_it_defines(base):
    before = _job_flags(base)
    triggers = {kind: set() for kind in before}
    for key, value in _scalars(base):
        after = None
        for new in _changes(value):
            config = copy.deepcopy(base)
            _set(config, key, new)
            try:
                after = _job_flags(config)
                break
            except ScalingLawsError:  # e.g. a budget that is no longer a whole number of steps
                continue
        if after is None:
            continue
        for kind in before:
            if after[kind] is not None and after[kind] != before[kind]:
                triggers[kind].add(key)
    assert triggers["trunk"] == TRUNK_KEYS
    assert triggers["cooldown"] == COOLDOWN_KEYS
    assert triggers["cosine"] == COSINE_KEYS
    assert triggers["eval"] == EVAL_KEYS
    assert triggers["execution"] == EXECUTION_KEYS
    # how a job runs is never a setting of what it computes
    assert not EXECUTION_KEYS & (triggers["trunk"] | triggers["cooldown"] | triggers["cosine"])


def test_flags_are_quoted_and_none_is_left_out():
    assert flags.cli_flags(out="a b.pt", lr=0.1, init=None) == "--out 'a b.pt' --lr 0.1"


def test_launch_uses_torchrun_only_for_several_processes():
    assert flags.launch(1, 0) == "scalinglaws"
    assert flags.launch(1, 4) == flags.launch(4, 0) == "torchrun --standalone --nproc_per_node 4 -m scalinglaws"


def test_model_warmup_is_a_trunk_setting_of_that_model_only(base):
    config = copy.deepcopy(base)
    config["models"][1]["warmup_tokens"] = 512
    sweep, before = Sweep(config), Sweep(base)
    assert flags.trunk_settings(sweep, "b") != flags.trunk_settings(before, "b")
    assert flags.trunk_settings(sweep, "a") == flags.trunk_settings(before, "a")
