"""Rule compute: the compute account → compute.json."""

import json

from scalinglaws.analysis.compute import account
from scalinglaws.experiment.layout import Layout

layout = Layout.of(snakemake.config)
with open(snakemake.output[0], "w") as f:
    json.dump(account(snakemake.config, layout), f, indent=2)
