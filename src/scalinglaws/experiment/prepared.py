"""Whether an experiment's prepared data is what its config asks for, checked before any
job runs (the workflow imports this at every start)."""

from __future__ import annotations

import json
from pathlib import Path

from scalinglaws.training.data import check_validation_split


def prepared_for(meta_path: str | Path, data_config: dict) -> dict | None:
    """The meta of a prepared data directory if it was made from ``data_config`` (the
    config's ``data`` section), else None: then the data will be prepared anew."""
    try:
        meta = json.loads(Path(meta_path).read_text())
    except (OSError, ValueError):
        return None
    settings = ("tokenizer", "val_fraction", "max_tokens")
    same_source = all(meta["source"].get(k) == v for k, v in data_config.items() if k not in (*settings, "vocab_size"))
    same = same_source and all(meta.get(k) == data_config.get(k) for k in settings)
    return meta if same else None


def check_prepared(meta_path: str | Path, config: dict) -> None:
    """If the data is already prepared from this config, check now that the evaluation
    fits its validation split (prepare checks it when it runs)."""
    meta = prepared_for(meta_path, config["data"])
    if meta:
        check_validation_split(
            meta["val_tokens"], config["eval"]["tokens"], config["training"]["seq_len"], meta["val_fraction"]
        )
