"""Rule compute: the compute account → compute.json."""

import json

from scalinglaws.analysis.compute import account
from scalinglaws.experiment.layout import Layout

layout = Layout(f"results/{snakemake.config['experiment']}")  # noqa: F821 (snakemake is injected)
with open(snakemake.output[0], "w") as f:  # noqa: F821
    json.dump(account(snakemake.config, layout), f, indent=2)
