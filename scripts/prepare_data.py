"""Rule prepare_data: tokenize config['data'] into the experiment's data directory."""

import json
import os
import sys

from scalinglaws.data import prepare

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
d = json.loads(snakemake.params.data)  # noqa: F821
meta = prepare(
    os.path.dirname(snakemake.output.meta),  # noqa: F821
    source={k: v for k, v in d.items() if k not in ("tokenizer", "vocab_size", "val_fraction", "max_tokens")},
    tokenizer=d["tokenizer"],
    vocab_size=d["vocab_size"],
    val_fraction=d["val_fraction"],
    max_tokens=d["max_tokens"],
)
print(f"{meta['train_tokens']} train and {meta['val_tokens']} validation tokens", file=sys.stderr)
