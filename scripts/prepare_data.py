"""Rule prepare_data: tokenize config['data'] into the experiment's data directory."""

import json
import os
import sys

from scalinglaws import ScalingLawsError
from scalinglaws.training.data import prepare_from_config

sys.stderr = open(snakemake.log[0], "w")
try:
    meta = prepare_from_config(
        os.path.dirname(snakemake.output.meta),
        json.loads(snakemake.params.data),
        # read from the config, not params: changing them must not re-tokenize the corpus
        eval_tokens=snakemake.config["eval"]["tokens"],
        seq_len=snakemake.config["training"]["seq_len"],
    )
except ScalingLawsError as e:  # a bad setting: one line naming it, no traceback
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
print(f"{meta['train_tokens']} train and {meta['val_tokens']} validation tokens", file=sys.stderr)
