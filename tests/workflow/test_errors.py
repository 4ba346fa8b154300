"""Bad input is refused before anything is computed, with a message naming the setting."""

from __future__ import annotations

import pytest
import yaml

from helpers import ROOT, SMOKE, edit_config, make_workdir, snakemake
from scalinglaws import ScalingLawsError
from scalinglaws.experiment.config import load_config
from scalinglaws.experiment.sweep import Sweep

HOSTILE = ["a b", "a'b", 'a"b', "a;touch pwned", "$(touch pwned)", "`touch pwned`"]


# (change to the smoke config, what the error says); paths as jsonschema prints them.
BAD_CONFIGS = [
    (
        lambda c: c["cooldown"].update(shapse=["linear"]),
        ["Additional properties are not allowed ('shapse' was unexpected)"],
    ),
    (
        lambda c: c["training"].update(batch_size="16"),
        ["'16' is not of type 'integer'", "['training']['batch_size']"],
    ),
    (
        lambda c: c["cooldown"].update(fractions=[0.2, 1.5]),
        ["1.5 is greater than the maximum of 1", "['cooldown']['fractions'][1]"],
    ),
    (
        lambda c: c["cooldown"].update(fractions=[0]),
        ["0 is less than or equal to the minimum of 0", "['cooldown']['fractions'][0]"],
    ),
    (
        lambda c: c.update(budgets=[2560, 5000]),
        ["budgets (a): 5000 tokens is not a whole positive number of steps"],
    ),
    (lambda c: c.update(budgets=[2560, 5120, 2560]), ["duplicate budget(s) [2560] for model 'a'"]),
    (
        lambda c: c["training"].update(warmup_tokens=2048),
        ["forks at step 16, at or before the end of warmup (step 16)"],
    ),
    (
        lambda c: c["eval"].update(tokens=16),
        ["eval.tokens 16 is less than one sequence of training.seq_len 32 tokens"],
    ),
    (lambda c: c["models"][0].update(n_heads=3), ["models (a): d_model 32 is not divisible by n_heads 3"]),
    (
        lambda c: c["cooldown"].update(shapes=["1-sqrt", "sqrt"]),
        ["'sqrt' is not one of", "['cooldown']['shapes'][1]"],
    ),
    (lambda c: c["data"].update(tokenizer="wordpiece"), ["'wordpiece' does not match", "['data']['tokenizer']"]),
    (lambda c: c["data"].update(source="web"), ["'web' is not one of", "['data']['source']"]),
    *[(lambda c, n=n: c.update(experiment=n), ["does not match", "['experiment']"]) for n in HOSTILE],
    *[(lambda c, n=n: c["models"][1].update(name=n), ["does not match", "['models'][1]['name']"]) for n in HOSTILE],
]


def _dotted(message: str) -> str:
    """Snakemake prints a schema error's place as ['a']['b'][1]; the library as a.b.1."""
    if not message.startswith("["):
        return message
    return ".".join(part.strip("'\"") for part in message[1:-1].split("]["))


@pytest.mark.parametrize("change,messages", BAD_CONFIGS)
def test_bad_config_is_a_clear_error(tmp_path, change, messages):
    """Schema and semantic checks, as the workflow makes them at every start (the schema,
    then the sweep's checks: ``Sweep`` of the merged config), each naming the key and the
    value. Hostile names never reach a shell: the schema refuses them."""
    path = tmp_path / "smoke.yaml"
    config = yaml.safe_load(SMOKE.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ScalingLawsError) as e:
        Sweep(load_config([path], ROOT))
    for message in messages:
        assert _dotted(message) in str(e.value)


@pytest.mark.parametrize("case", [1, 6, len(BAD_CONFIGS) - 1], ids=["schema", "semantic", "hostile-name"])
def test_bad_config_stops_snakemake_before_anything_runs(tmp_path, case):
    """The real Snakemake on three of the cases above: a non-zero exit at the dry run with
    the message, and nothing computed (no results, no command run from a hostile name)."""
    change, messages = BAD_CONFIGS[case]
    wd = make_workdir(tmp_path / "wf")
    edit_config(wd, change)
    r = snakemake(wd, check=False)
    assert r.returncode != 0
    for message in messages:
        assert message in r.stdout + r.stderr
    assert not (wd / "results").exists() and not list(wd.rglob("pwned"))


@pytest.mark.parametrize(
    "change,message",
    [
        (
            lambda c: c["eval"].update(tokens=20000),
            "eval.tokens 20000 needs 20001 validation tokens; the validation split (data.val_fraction 0.05) has 10000",
        ),
        (
            lambda c: c.update(data={"source": "files", "files": ["empty dir/*.txt"]}),
            "data.source 'files': the corpus is empty or unusable (no documents",
        ),
    ],
    ids=["val-split-smaller-than-eval", "empty-corpus"],
)
def test_bad_data_fails_in_prepare_data_before_any_training(tmp_path, change, message):
    wd = make_workdir(tmp_path / "wf")
    (wd / "empty dir").mkdir()
    (wd / "empty dir" / "a.txt").write_text("")
    edit_config(wd, change)
    r = snakemake(wd, check=False)
    assert r.returncode != 0
    assert (wd / "results" / "smoke" / "logs" / "prepare_data.log").read_text().startswith(f"error: {message}")
    assert not (wd / "results" / "smoke" / "data" / "meta.json").exists()
    assert not (wd / "results" / "smoke" / "trunk").exists()


def test_raising_eval_tokens_past_the_prepared_split_is_refused_at_the_dry_run(copy_of_completed):
    edit_config(copy_of_completed, lambda c: c["eval"].update(tokens=20000))
    r = snakemake(copy_of_completed, "-n", check=False)
    assert r.returncode != 0
    assert "config: eval.tokens 20000 needs 20001 validation tokens" in r.stdout + r.stderr


@pytest.mark.slow
def test_hostile_paths_in_the_config_pass_through_quoted(tmp_path):
    """A corpus glob with spaces, quotes, `;` and `$(...)` reaches the data source intact."""
    wd = make_workdir(tmp_path / "wf")
    weird = wd / """dir with 'quotes' "and" ; $(touch pwned) `touch pwned`"""
    weird.mkdir()
    for i in range(20):  # both splits get documents (the split hashes each path)
        (weird / f"doc{i}.txt").write_text(f"document {i}\n" * 500)
    edit_config(
        wd,
        lambda c: c.update(
            data={"source": "files", "files": [f"{weird}/*.txt"], "val_fraction": 0.5}, eval={"tokens": 64}
        ),
    )
    snakemake(wd, "results/smoke/data/meta.json")
    import json

    meta = json.loads((wd / "results" / "smoke" / "data" / "meta.json").read_text())
    assert meta["source"]["files"] == [f"{weird}/*.txt"] and meta["train_documents"] + meta["val_documents"] == 20
    assert not list(wd.rglob("pwned"))
