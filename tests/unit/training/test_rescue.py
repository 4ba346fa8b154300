"""A training job stopped by SIGTERM/SIGUSR1 (SLURM's warning before a time limit) saves a
resumable state outside its outputs, exits non-zero, and the next attempt resumes from it
with the same final weights as an uninterrupted run (``torch.equal``)."""

import os
import signal
import subprocess
import sys

import pytest
import torch

from helpers import assert_same_state, tiny_run, training_state
from scalinglaws.training import checkpoint
from scalinglaws.training.loop import Interrupted, train


def interrupt_at(monkeypatch, step, sig=signal.SIGTERM):
    """Deliver ``sig`` to this process while the batch of ``step`` is being drawn."""
    import scalinglaws.training.loop as tr

    real = tr.get_batch

    def get_batch(tokens, s, *a):
        if s == step:
            os.kill(os.getpid(), sig)
        return real(tokens, s, *a)

    monkeypatch.setattr(tr, "get_batch", get_batch)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1])
def test_interrupted_link_resumes_to_the_same_weights_and_windows(tmp_path, data, monkeypatch, sig):
    run = tiny_run(swa_window_steps=6, swa_every_steps=2)
    train(run, data, until=4, out=tmp_path / "init.pt", progress=False)
    whole, parts = {}, {}
    train(
        run,
        data,
        until=30,
        init=tmp_path / "init.pt",
        out=tmp_path / "whole.pt",
        metrics=tmp_path / "whole.csv",
        on_window=lambda s, w, n: whole.setdefault(s, w),
        progress=False,
    )

    interrupt_at(monkeypatch, 17, sig)
    rescue = tmp_path / "rescue" / "link.pt"

    def link():  # the same job, interrupted and then rerun
        return train(
            run,
            data,
            until=30,
            init=tmp_path / "init.pt",
            out=tmp_path / "link.pt",
            metrics=tmp_path / "link.csv",
            on_window=lambda s, w, n: parts.setdefault(s, w),
            progress=False,
            rescue=rescue,
        )

    with pytest.raises(
        Interrupted, match=rf"received {sig.name} at step 18 of 30: saved a resumable state to .*link.pt"
    ):
        link()
    assert rescue.is_file() and not (tmp_path / "link.pt").exists() and not (tmp_path / "link.csv").exists()

    monkeypatch.undo()
    parts.clear()  # the failed job's window files are gone with its outputs; the resume re-emits them
    result = link()
    assert result.start_step == 18 and not rescue.exists()
    assert signal.getsignal(sig) == signal.SIG_DFL  # the handlers are put back
    assert_same_state(training_state(tmp_path / "whole.pt"), training_state(tmp_path / "link.pt"))
    assert sorted(parts) == sorted(whole) == [6, 12, 18, 24, 30]
    for s in whole:
        assert_same_state(whole[s], parts[s], f"window{s}")
    assert (tmp_path / "whole.csv").read_text() == (tmp_path / "link.csv").read_text()


def test_a_rescue_state_of_another_run_is_not_used(tmp_path, data, monkeypatch):
    rescue = tmp_path / "r.pt"
    interrupt_at(monkeypatch, 5)
    with pytest.raises(Interrupted):
        train(tiny_run(), data, until=20, out=tmp_path / "a.pt", progress=False, rescue=rescue)
    monkeypatch.undo()
    # Another target (until=12): starts from scratch, and equals a plain run to 12.
    result = train(tiny_run(), data, until=12, out=tmp_path / "b.pt", progress=False, rescue=rescue)
    assert result.start_step == 0 and not rescue.exists()
    train(tiny_run(), data, until=12, out=tmp_path / "c.pt", progress=False)
    assert_same_state(training_state(tmp_path / "b.pt"), training_state(tmp_path / "c.pt"))


@pytest.mark.slow
def test_sigterm_to_the_cli_exits_nonzero_and_the_rerun_resumes(tmp_path, data_dir):
    args = [
        sys.executable,
        "-m",
        "scalinglaws",
        "train",
        "--data",
        str(data_dir),
        "--d-model",
        "32",
        "--n-layers",
        "2",
        "--n-heads",
        "2",
        "--seq-len",
        "32",
        "--batch-size",
        "4",
        "--lr",
        "0.003",
        "--until",
        "400",
        "--rescue",
        str(tmp_path / "rescue.pt"),
        "--threads",
        "1",
    ]
    p = subprocess.Popen([*args, "--out", str(tmp_path / "x.pt")], stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    seen = b""
    while b"train 0" not in seen:  # the progress bar appears when the loop starts
        chunk = p.stderr.read(1)
        assert chunk, f"exited early: {seen!r}"
        seen += chunk
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 1, err
    assert b"received SIGTERM at step" in err and b"run the same command again" in err
    assert (tmp_path / "rescue.pt").is_file() and not (tmp_path / "x.pt").exists()
    step = checkpoint.load(tmp_path / "rescue.pt")["step"]
    assert 0 < step < 400

    again = subprocess.run([*args, "--out", str(tmp_path / "x.pt"), "--no-progress"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"resuming an interrupted run at step {step}" in again.stderr
    assert not (tmp_path / "rescue.pt").exists()
    plain = subprocess.run(
        [*args[:-4], "--threads", "1", "--out", str(tmp_path / "y.pt"), "--no-progress"], capture_output=True, text=True
    )
    assert plain.returncode == 0, plain.stderr
    a, b = checkpoint.load(tmp_path / "x.pt"), checkpoint.load(tmp_path / "y.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
