"""Text sources → token arrays on disk (the batch of each step: ``scalinglaws.training.batches``).

``prepare`` writes ``train.bin`` and ``val.bin`` (flat token ids, read back as numpy
memmaps) and ``meta.json`` (source, tokenizer, vocab size, token counts, sha256 of the
text, and a fingerprint that checkpoints record). Sources:

- ``python-stdlib``: the running interpreter's standard-library ``.py`` files, without
  test folders and site-packages, in sorted path order — a corpus every machine has.
- ``files``: local text files matched by globs.
- ``huggingface``: ``datasets.load_dataset(path, name, split=…, streaming=…)``.

A document goes to validation when a hash of its key (path, or index in the data set)
falls under ``val_fraction``, so no document is in both splits and the split does not
depend on which other documents exist.

No torch here: the workflow imports this module (``check_prepared``) at every start.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scalinglaws import ScalingLawsError, __version__
from scalinglaws.files import atomic_write
from scalinglaws.training import tokenizers as toks

SOURCES = ("python-stdlib", "files", "huggingface")
META = "meta.json"
SPLITS = ("train", "val")
# Folders of the standard library that are not the library: its own test suites,
# installed third-party packages, and build-specific files.
_STDLIB_SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}


# --- sources: each yields (key, text) documents in a fixed order ---------------------------


def python_stdlib_documents(root: str | Path | None = None) -> Iterator[tuple[str, str]]:
    root = Path(root or sysconfig.get_paths()["stdlib"])
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _STDLIB_SKIP_DIRS]
        for f in filenames:
            # _sysconfigdata_* records this machine's build paths: not portable text.
            if f.endswith(".py") and not f.startswith("_sysconfigdata"):
                paths.append(Path(dirpath, f).relative_to(root).as_posix())
    for rel in sorted(paths):
        yield rel, (root / rel).read_text(encoding="utf-8", errors="replace")


def file_documents(patterns: list[str]) -> Iterator[tuple[str, str]]:
    if not patterns:
        raise ScalingLawsError("data.files: the 'files' source needs at least one glob")
    paths = sorted({p for pat in patterns for p in glob.glob(os.path.expanduser(pat), recursive=True)})
    paths = [p for p in paths if os.path.isfile(p)]
    if not paths:
        raise ScalingLawsError(f"data.files: no file matches {patterns}")
    for p in paths:
        yield p, Path(p).read_text(encoding="utf-8", errors="replace")


def huggingface_documents(
    path: str,
    name: str | None = None,
    split: str = "train",
    streaming: bool = True,
    text_field: str = "text",
    data_files=None,
) -> Iterator[tuple[str, str]]:
    """Documents of a Hugging Face data set; e.g. ``path="DKYoon/SlimPajama-6B"``, or
    ``path="parquet", data_files="corpus/*.parquet"`` for local files."""
    import datasets

    try:
        ds = datasets.load_dataset(path, name, split=split, streaming=streaming, data_files=data_files)
    except Exception as e:
        raise ScalingLawsError(f"data.hf_path {path!r}: datasets could not load it: {type(e).__name__}: {e}") from None
    columns = ds.column_names
    if columns is not None and text_field not in columns:
        raise ScalingLawsError(f"data.text_field {text_field!r} is not a column of {path!r}: it has {columns}")
    for i, row in enumerate(ds):
        yield str(i), row[text_field]


def documents(source: dict) -> Iterator[tuple[str, str]]:
    kind = source.get("source", "python-stdlib")
    if kind == "python-stdlib":
        return python_stdlib_documents(source.get("root"))
    if kind == "files":
        return file_documents(list(source.get("files") or []))
    if kind == "huggingface":
        if not source.get("hf_path"):
            raise ScalingLawsError("data.hf_path is required for the 'huggingface' source")
        return huggingface_documents(
            source["hf_path"],
            source.get("hf_name"),
            split=source.get("hf_split", "train"),
            streaming=source.get("streaming", True),
            text_field=source.get("text_field", "text"),
            data_files=source.get("data_files"),
        )
    raise ScalingLawsError(f"data.source {kind!r} is not one of {', '.join(SOURCES)}")


def is_validation(key: str, val_fraction: float) -> bool:
    """Deterministic split by a hash of the document's key."""
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return h / 2**64 < val_fraction


# --- prepare ----------------------------------------------------------------------------


def _token_dtype(vocab_size: int):
    return np.uint16 if vocab_size <= 2**16 else np.uint32


def _read_documents(source: dict, val_fraction: float, byte_budget: int | None):
    """Split the source's documents; stop once ``byte_budget`` bytes of text are read."""
    split = {"train": [], "val": []}
    sha = hashlib.sha256()
    n_bytes = 0
    for key, text in documents(source):
        if not text:
            continue
        raw = text.encode("utf-8")
        sha.update(raw + b"\0")
        split["val" if is_validation(key, val_fraction) else "train"].append(text)
        n_bytes += len(raw)
        if byte_budget is not None and n_bytes >= byte_budget:
            break
    return split, sha.hexdigest()


def _encode(tokenizer, texts: list[str], cap: int | None) -> np.ndarray:
    """Token ids of the documents, each followed by the tokenizer's end-of-text id."""
    ids: list[np.ndarray] = []
    n = 0
    for start in range(0, len(texts), 256):
        for doc in tokenizer.encode_batch(texts[start : start + 256]):
            ids.append(np.asarray(doc + [tokenizer.eot], dtype=np.int64))
            n += len(doc) + 1
            if cap is not None and n >= cap:
                return np.concatenate(ids)[:cap]
    return np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)


def prepare(
    out_dir: str | Path,
    source: dict,
    tokenizer: str = "bytes",
    vocab_size: int | None = None,
    val_fraction: float = 0.05,
    max_tokens: int | None = None,
    eval_tokens: int | None = None,
    seq_len: int | None = None,
) -> dict:
    """Tokenize a source into ``out_dir/{train,val}.bin`` and ``meta.json``; returns the meta.

    ``max_tokens`` caps the total tokens (train + val). Files are written under temporary
    names and renamed last, so an interrupted run leaves no complete-looking output. Given
    ``eval_tokens`` and ``seq_len``, a validation split too small for that evaluation is an
    error here, before any training, not when the first evaluation runs.
    """
    toks.check_name(tokenizer)
    if not 0.0 < val_fraction < 1.0:
        raise ScalingLawsError(f"data.val_fraction {val_fraction} is outside (0, 1)")
    if max_tokens is not None and max_tokens < 1:
        raise ScalingLawsError(f"data.max_tokens {max_tokens} must be positive")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # With a cap, read only as much text as can yield that many tokens. A token is at
    # most a few dozen bytes for any real tokenizer: 32 bytes a token bounds it safely.
    budget = None if max_tokens is None else 32 * max_tokens
    # A tokenizer that needs no training is built first, so that it fails (e.g. tiktoken
    # offline) before the corpus is read.
    tok = None if tokenizer == "bpe" else toks.build(tokenizer)
    split, text_sha = _read_documents(source, val_fraction, budget)
    if not split["train"] or not split["val"]:
        empty = "no documents" if not (split["train"] or split["val"]) else "too few documents to split"
        raise ScalingLawsError(
            f"data.source {source.get('source')!r}: the corpus is empty or unusable ({empty}: "
            f"{len(split['train'])} train, {len(split['val'])} validation)"
        )
    tok = tok or toks.build(tokenizer, split["train"], vocab_size)
    val_cap = None if max_tokens is None else max(1, round(max_tokens * val_fraction))
    arrays = {
        "val": _encode(tok, split["val"], val_cap),
        "train": _encode(tok, split["train"], None if max_tokens is None else max_tokens - val_cap),
    }
    if eval_tokens is not None and seq_len is not None:
        check_validation_split(int(arrays["val"].size), eval_tokens, seq_len, val_fraction)
    dtype = _token_dtype(tok.vocab_size)
    for name in SPLITS:
        with atomic_write(out / f"{name}.bin", "wb") as f:
            arrays[name].astype(dtype).tofile(f)
    if tokenizer == "bpe":
        tok.save(out / "tokenizer.json")
    meta = {
        "source": source,
        "tokenizer": tok.name,
        "vocab_size": tok.vocab_size,
        "eot": tok.eot,
        "dtype": np.dtype(dtype).name,
        "val_fraction": val_fraction,
        "max_tokens": max_tokens,
        "train_tokens": int(arrays["train"].size),
        "val_tokens": int(arrays["val"].size),
        "train_documents": len(split["train"]),
        "val_documents": len(split["val"]),
        "text_sha256": text_sha,
        "scalinglaws_version": __version__,
    }
    meta["fingerprint"] = data_fingerprint(meta)
    with atomic_write(out / META) as f:  # last: its presence means the token files are complete
        f.write(json.dumps(meta, indent=2) + "\n")
    return meta


def prepare_from_config(
    out: str | Path, data: dict, eval_tokens: int | None = None, seq_len: int | None = None
) -> dict:
    """``prepare`` from a config's ``data`` section (its source keys and its settings);
    ``eval_tokens`` and ``seq_len`` check that the validation split can hold an evaluation."""
    settings = ("tokenizer", "vocab_size", "val_fraction", "max_tokens")
    return prepare(
        out,
        source={k: v for k, v in data.items() if k not in settings},
        tokenizer=data["tokenizer"],
        vocab_size=data["vocab_size"],
        val_fraction=data["val_fraction"],
        max_tokens=data["max_tokens"],
        eval_tokens=eval_tokens,
        seq_len=seq_len,
    )


def check_validation_split(val_tokens: int, eval_tokens: int, seq_len: int, val_fraction=None) -> int:
    """How many ``seq_len`` windows an evaluation of ``eval_tokens`` uses; an error naming
    the settings when the validation split cannot hold them (plus the last target)."""
    n = eval_tokens // seq_len
    if n < 1:
        raise ScalingLawsError(
            f"eval.tokens {eval_tokens} is less than one sequence of training.seq_len {seq_len} tokens"
        )
    if n * seq_len + 1 > val_tokens:
        split = (
            "the validation split"
            if val_fraction is None
            else f"the validation split (data.val_fraction {val_fraction})"
        )
        raise ScalingLawsError(
            f"eval.tokens {eval_tokens} needs {n * seq_len + 1} validation tokens; {split} has {val_tokens}: "
            "raise data.val_fraction (or the corpus size) or lower eval.tokens"
        )
    return n


def data_fingerprint(meta: dict) -> str:
    """What makes two token sets the same: text, tokenizer, split and sizes."""
    keys = ("text_sha256", "tokenizer", "vocab_size", "val_fraction", "train_tokens", "val_tokens")
    return hashlib.sha256(json.dumps({k: meta[k] for k in keys}, sort_keys=True).encode()).hexdigest()[:16]


# --- reading ----------------------------------------------------------------------------


@dataclass
class TokenData:
    """A prepared data directory: ``meta`` plus memmapped ``train`` and ``val`` tokens."""

    path: Path
    meta: dict
    train: np.ndarray
    val: np.ndarray

    @classmethod
    def open(cls, path: str | Path) -> TokenData:
        path = Path(path)
        meta_path = path / META
        if not meta_path.is_file():
            raise ScalingLawsError(f"{meta_path}: not found; run 'scalinglaws prepare-data --out {path}' first")
        try:
            meta = json.loads(meta_path.read_text())
            dtype = np.dtype(meta["dtype"])
        except (ValueError, KeyError, TypeError) as e:
            raise ScalingLawsError(f"{meta_path}: not a valid meta.json ({e})") from None
        arrays = {}
        for name in SPLITS:
            f = path / f"{name}.bin"
            expected = meta[f"{name}_tokens"] * dtype.itemsize
            size = f.stat().st_size if f.is_file() else None
            if size != expected:
                raise ScalingLawsError(
                    f"{f}: {'missing' if size is None else f'{size} bytes'}, but {meta_path} says "
                    f"{meta[f'{name}_tokens']} {dtype.name} tokens ({expected} bytes)"
                )
            arrays[name] = np.memmap(f, dtype=dtype, mode="r")
        return cls(path, meta, arrays["train"], arrays["val"])

    @property
    def fingerprint(self) -> str:
        return self.meta["fingerprint"]
