"""Rule prepare_data: tokenize config['data'] into the experiment's data directory."""

import json
import os
import sys

from scalinglaws import ScalingLawsError
from scalinglaws.training.data import prepare

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
d = json.loads(snakemake.params.data)  # noqa: F821
try:
    meta = prepare(
        os.path.dirname(snakemake.output.meta),  # noqa: F821
        source={k: v for k, v in d.items() if k not in ("tokenizer", "vocab_size", "val_fraction", "max_tokens")},
        tokenizer=d["tokenizer"],
        vocab_size=d["vocab_size"],
        val_fraction=d["val_fraction"],
        max_tokens=d["max_tokens"],
        # read from the config, not params: changing them must not re-tokenize the corpus
        eval_tokens=snakemake.config["eval"]["tokens"],  # noqa: F821
        seq_len=snakemake.config["training"]["seq_len"],  # noqa: F821
    )
except ScalingLawsError as e:  # a bad setting: one line naming it, no traceback
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
print(f"{meta['train_tokens']} train and {meta['val_tokens']} validation tokens", file=sys.stderr)
