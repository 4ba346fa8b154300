"""Every default lives in the schema (workflow/schemas/config.schema.yaml): configs built
in code get them filled in, and the command's flags read theirs from it."""

from __future__ import annotations

import pytest
import yaml

from scalinglaws import ScalingLawsError
from scalinglaws.cli import parser
from scalinglaws.experiment.config import default, schema_path, with_defaults
from scalinglaws.experiment.sweep import Sweep

MINIMAL = {
    "experiment": "t",
    "models": [{"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.003}],
    "budgets": [655360],
}

# command flag → the config key whose default it takes
FLAGS = {
    ("prepare-data", "source"): "data.source",
    ("prepare-data", "tokenizer"): "data.tokenizer",
    ("prepare-data", "val_fraction"): "data.val_fraction",
    ("prepare-data", "hf_split"): "data.hf_split",
    ("prepare-data", "text_field"): "data.text_field",
    ("train", "precision"): "training.precision",
    ("train", "device"): "training.device",
    ("train", "eval_tokens"): "eval.tokens",
    ("train", "eval_batch_size"): "eval.batch_size",
    ("evaluate", "tokens"): "eval.tokens",
    ("evaluate", "batch_size"): "eval.batch_size",
    ("fit", "approach"): "fit.approaches",
    ("fit", "seed"): "fit.seed",
    ("fit", "start_stride"): "fit.start_stride",
    ("fit", "screen"): "fit.screen",
    ("predict", "law"): "predict.law",
}


def _subcommand_defaults(name: str) -> dict:
    sub = next(a for a in parser()._actions if a.dest == "command").choices[name]
    return {a.dest: a.default for a in sub._actions}


@pytest.mark.parametrize(("flag", "key"), FLAGS.items(), ids=lambda x: "/".join(x) if isinstance(x, tuple) else x)
def test_command_defaults_are_the_schemas(flag, key):
    command, dest = flag
    assert _subcommand_defaults(command)[dest] == default(key)


def test_the_schema_defaults_as_read():
    schema = yaml.safe_load(schema_path().read_text())
    assert default("training.weight_decay") == schema["properties"]["training"]["properties"]["weight_decay"]["default"]
    fit = default("fit")  # a section: every default in it
    assert fit["bootstrap"] == 100 and fit["screen"] == 100 and fit["approaches"] == [1, 2, 3]
    with pytest.raises(KeyError, match="no default"):
        default("experiment")


def test_a_minimal_config_gets_every_default():
    full = with_defaults(MINIMAL)
    assert MINIMAL.keys() < full.keys()  # the input is not changed, the copy is completed
    assert full["training"]["batch_size"] == default("training.batch_size")
    assert full["predict"] == default("predict")
    s = Sweep(MINIMAL)
    assert s.cosine_final_fractions == default("cosine.final_fractions")
    assert s.predict["fit_shape"] == default("cooldown.shapes")[0]
    assert s.model_config("a").ffn_multiple_of == default("training.ffn_multiple_of")


def test_one_final_fraction_means_a_list_of_one():
    assert Sweep({**MINIMAL, "cosine": {"final_fraction": 0.0}}).cosine_final_fractions == [0.0]
    with pytest.raises(ScalingLawsError, match="both set"):
        Sweep({**MINIMAL, "cosine": {"final_fraction": 0.0, "final_fractions": [0.1, 0.0]}})


def test_a_setting_the_schema_rejects_is_named():
    with pytest.raises(ScalingLawsError, match=r"^training\.batch_size: 0 is less than the minimum of 1"):
        with_defaults({**MINIMAL, "training": {"batch_size": 0}})
    with pytest.raises(ScalingLawsError, match="Additional properties are not allowed"):
        with_defaults({**MINIMAL, "trainig": {}})
