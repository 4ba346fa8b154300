"""The CLI as the workflow's rules will call it: real subprocesses, real files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import MODEL, sl
from scalinglaws.training import checkpoint


@pytest.mark.slow
def test_trunk_fork_average_evaluate(tmp_path, corpus_dir):
    d = tmp_path / "data"
    sl("prepare-data", "--out", d, "--source", "files", "--files", corpus_dir / "*.txt", "--val-fraction", "0.2")
    assert json.loads((d / "meta.json").read_text())["tokenizer"] == "bytes"
    trunk = tmp_path / "trunk"
    sl(
        "train",
        "--data",
        d,
        "--out",
        trunk / "step20.pt",
        "--until",
        20,
        "--warmup-steps",
        4,
        "--swa-window-steps",
        10,
        "--swa-every-steps",
        2,
        "--no-progress",
        *MODEL,
    )
    assert (trunk / "step20.csv").is_file()
    assert sorted(p.name for p in (trunk / "swa").iterdir()) == ["step10.pt", "step20.pt"]
    # Model and optimizer settings come from the trunk checkpoint when forking.
    # A cooldown and an SWA model, each evaluated in its own job (--eval-out) ...
    sl(
        "train",
        "--data",
        d,
        "--init",
        trunk / "step20.pt",
        "--out",
        tmp_path / "cd.pt",
        "--schedule",
        "wsd",
        "--total-steps",
        25,
        "--cooldown-fraction",
        0.2,
        "--shape",
        "linear",
        "--no-progress",
        "--eval-out",
        tmp_path / "cd.eval.json",
        "--eval-tokens",
        1024,
    )
    assert checkpoint.load(tmp_path / "cd.pt")["step"] == 25
    sl(
        "average",
        trunk / "swa" / "step10.pt",
        trunk / "swa" / "step20.pt",
        "--out",
        tmp_path / "swa.pt",
        "--data",
        d,
        "--eval-out",
        tmp_path / "swa.eval.json",
        "--eval-tokens",
        1024,
    )
    swa = checkpoint.load(tmp_path / "swa.pt")
    assert swa["kind"] == "weights" and swa["windows"] == [[0, 10], [10, 20]]
    # ... report exactly what a separate `evaluate` of the saved file reports.
    for name, step in (("swa", 20), ("cd", 25)):
        r = sl("evaluate", tmp_path / f"{name}.pt", "--data", d, "--tokens", 1024, "--out", tmp_path / f"{name}.json")
        result = json.loads((tmp_path / f"{name}.json").read_text())
        assert result["step"] == step and 0 < result["val_loss"] < 6
        assert json.loads(r.stdout) == result
        assert json.loads((tmp_path / f"{name}.eval.json").read_text()) == result
    r = sl(
        "average",
        trunk / "swa" / "step10.pt",
        "--out",
        tmp_path / "x.pt",
        "--eval-out",
        tmp_path / "x.json",
        check=False,
    )
    assert r.returncode == 1 and "average --eval-out needs --data" in r.stderr


def test_bad_arguments_give_one_line_and_nonzero_exit(tmp_path):
    r = sl("train", "--data", tmp_path, check=False)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "--out" in r.stderr
    r = sl("evaluate", tmp_path / "none.pt", "--data", tmp_path, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == f"scalinglaws evaluate: error: {tmp_path / 'none.pt'}: checkpoint not found"
    r = sl("frobnicate", check=False)
    assert r.returncode == 2 and "invalid choice" in r.stderr


@pytest.mark.parametrize(
    "extra,message",
    [
        ([], "--d-model is required when there is no --init"),
        ([*MODEL, "--schedule", "wsd", "--total-steps", "10"], "--schedule wsd needs --cooldown-fraction"),
        (
            [*MODEL, "--schedule", "wsd", "--total-steps", "10", "--cooldown-fraction", "2"],
            "cooldown fraction 2.0 is outside (0, 1]",
        ),
        ([*MODEL, "--until", "5", "--device", "tpu"], "--device 'tpu' is not one of"),
    ],
)
def test_train_setting_errors_name_the_setting(data_dir, tmp_path, extra, message):
    r = sl("train", "--data", data_dir, "--out", tmp_path / "x.pt", *extra, check=False)
    assert r.returncode == 1
    assert message in r.stderr and r.stderr.strip().count("\n") == 0
    assert not (tmp_path / "x.pt").exists()


def test_console_script_and_version():
    script = Path(sys.executable).parent / "scalinglaws"  # installed next to the interpreter
    r = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("scalinglaws ")
