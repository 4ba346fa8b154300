"""Rule predict: points.csv → predictions.csv and its figure."""

import sys

from scalinglaws.predictions import write

sys.stdout = sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
write(snakemake.config, snakemake.input[0], snakemake.output.table, snakemake.output.figure)  # noqa: F821
