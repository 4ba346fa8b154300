"""Checkpoints: written atomically, loaded safely, checked against a digest and a fingerprint.

A checkpoint is a ``torch.save`` dict of tensors and plain values only, so it loads with
``torch.load(weights_only=True)``: no code from a file is ever run. It records

- ``kind``: ``train`` (model, optimizer, step, RNG state, averaging state — enough to resume
  bit-exactly) or ``weights`` (a model alone: an SWA or EMA average);
- ``fingerprint``: everything that must match for a resume or fork to be valid (model
  shape, tokenizer, data, seq len, batch size, seeds, optimizer settings);
- ``digest``: sha256 of all the content, so a tampered or bit-rotted file is refused.

The file appears under its final name only when complete (temporary file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import torch

from scalinglaws import ScalingLawsError
from scalinglaws.files import atomic_write

FORMAT = "scalinglaws-checkpoint/1"


class CheckpointError(ScalingLawsError):
    pass


def _feed(h, obj) -> None:
    """Hash a nested structure of dicts, lists, tensors and plain values, in a fixed order."""
    if isinstance(obj, dict):
        h.update(b"{")
        for k in sorted(obj, key=str):
            h.update(repr(k).encode() + b":")
            _feed(h, obj[k])
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        h.update(b"[")
        for v in obj:
            _feed(h, v)
        h.update(b"]")
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    else:
        h.update(repr(obj).encode())


def digest(state: dict) -> str:
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in state.items() if k != "digest"})
    return h.hexdigest()


def save(path: str | Path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically, with its format tag and digest."""
    path = Path(path)
    state = {**state, "format": FORMAT}
    state["digest"] = digest(state)
    try:
        with atomic_write(path, "wb", fsync=True) as f:
            torch.save(state, f)
    except OSError as e:  # e.g. a full disk: the previous file, if any, is untouched
        kept = "the previous file is unchanged" if path.exists() else "nothing was written"
        raise CheckpointError(f"{path}: could not be written ({e.strerror or e}); {kept}") from e


def load(path: str | Path) -> dict:
    """Load and verify a checkpoint; every failure names the file and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" in str(e).lower() or "weights_only" in str(e).lower():
            raise CheckpointError(
                f"{path}: refused: it holds Python objects other than tensors and plain values, "
                "and loading it could run code"
            ) from None
        raise CheckpointError(f"{path}: cannot be read, the file is truncated or corrupt ({e})") from None
    except Exception as e:
        raise CheckpointError(
            f"{path}: cannot be read, the file is truncated or corrupt ({type(e).__name__}: {e})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a scalinglaws checkpoint (expected format {FORMAT})")
    if state.get("digest") != digest(state):
        raise CheckpointError(f"{path}: content does not match its digest: the file was modified or corrupted")
    return state


def read_fingerprint(path: str | Path) -> dict:
    """The fingerprint of a checkpoint without reading its tensors (memory-mapped); for
    settings only — ``load`` is what verifies the file before it is used."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return dict(state["fingerprint"])
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except Exception as e:
        raise CheckpointError(
            f"{path}: cannot be read, the file is truncated or corrupt ({type(e).__name__}: {e})"
        ) from None


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def check_fingerprint(path: str | Path, saved: dict, expected: dict) -> None:
    """Refuse to resume from a checkpoint made for another model, data set or setting."""
    a, b = _flatten(saved), _flatten(expected)
    diffs = [f"{k}={a.get(k)!r} (this run: {b.get(k)!r})" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
    if diffs:
        raise CheckpointError(f"{path}: made for a different run: {'; '.join(diffs)}")
