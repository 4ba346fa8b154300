import builtins
import os
import pickle

import pytest
import torch

from scalinglaws import files
from scalinglaws.training import checkpoint
from scalinglaws.training.checkpoint import CheckpointError


def state():
    return {
        "kind": "weights",
        "step": 3,
        "model": {"w": torch.arange(1000, dtype=torch.float32)},
        "fingerprint": {"a": 1},
    }


def test_roundtrip_and_atomic_write(tmp_path):
    checkpoint.save(tmp_path / "c.pt", state())
    loaded = checkpoint.load(tmp_path / "c.pt")
    assert torch.equal(loaded["model"]["w"], state()["model"]["w"])
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temporary left behind


def test_failed_save_keeps_the_previous_file(tmp_path):
    checkpoint.save(tmp_path / "c.pt", state())
    with pytest.raises(Exception):  # noqa: B017 (whatever pickle raises for a lambda)
        checkpoint.save(tmp_path / "c.pt", {**state(), "bad": lambda: 0})  # cannot be pickled
    assert checkpoint.load(tmp_path / "c.pt")["step"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) for a real ENOSPC")
def test_full_disk_keeps_the_previous_file_and_names_the_path(tmp_path, monkeypatch):
    checkpoint.save(tmp_path / "c.pt", state())
    # Every write of the new file goes to /dev/full, which fails with ENOSPC as a full disk does.
    monkeypatch.setattr(files, "open", lambda path, mode, **kw: builtins.open("/dev/full", mode), raising=False)
    with pytest.raises(
        CheckpointError, match=r"c.pt: could not be written \(No space left on device\); the previous file is unchanged"
    ):
        checkpoint.save(tmp_path / "c.pt", {**state(), "step": 4})
    monkeypatch.undo()
    assert checkpoint.load(tmp_path / "c.pt")["step"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_truncated_checkpoint_names_the_file(tmp_path):
    checkpoint.save(tmp_path / "c.pt", state())
    raw = (tmp_path / "c.pt").read_bytes()
    (tmp_path / "c.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match=r"c.pt: cannot be read, the file is truncated or corrupt"):
        checkpoint.load(tmp_path / "c.pt")


def test_tampered_checkpoint_is_refused(tmp_path):
    checkpoint.save(tmp_path / "c.pt", state())
    raw = bytearray((tmp_path / "c.pt").read_bytes())
    # Change one weight in place: the float32 999.0 stored in the tensor's data record.
    i = bytes(raw).index(torch.tensor([999.0]).numpy().tobytes())
    raw[i : i + 4] = torch.tensor([5.0]).numpy().tobytes()
    (tmp_path / "c.pt").write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"c.pt: content does not match its digest"):
        checkpoint.load(tmp_path / "c.pt")


class Payload:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(MARKER),))


MARKER = ""


def test_pickle_with_a_payload_is_refused_and_never_run(tmp_path):
    global MARKER
    MARKER = str(tmp_path / "pwned")
    torch.save({"model": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match=r"evil.pt: refused: it holds Python objects"):
        checkpoint.load(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()
    pickle.loads(pickle.dumps(Payload()))  # the payload is real: plain unpickling runs it
    assert (tmp_path / "pwned").exists()


def test_foreign_file_and_missing_file(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match=r"plain.pt: not a scalinglaws checkpoint"):
        checkpoint.load(tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match=r"nope.pt: checkpoint not found"):
        checkpoint.load(tmp_path / "nope.pt")


def test_fingerprint_mismatch_names_each_setting(tmp_path):
    saved = {"model": {"d_model": 64, "n_layers": 2}, "tokenizer": "bytes", "data": "abc"}
    expected = {"model": {"d_model": 128, "n_layers": 2}, "tokenizer": "bpe", "data": "abc"}
    with pytest.raises(
        CheckpointError,
        match=r"x.pt: made for a different run: model.d_model=64 \(this run: 128\); tokenizer='bytes' \(this run: 'bpe'\)",
    ):
        checkpoint.check_fingerprint(tmp_path / "x.pt", saved, expected)
    checkpoint.check_fingerprint(tmp_path / "x.pt", saved, saved)
