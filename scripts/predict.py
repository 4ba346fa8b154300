"""Rule predict: points.csv and the fork steps' trunk evaluations → predictions.csv and its figure."""

import sys

from scalinglaws.analysis.predictions import write
from scalinglaws.experiment.layout import Layout

sys.stdout = sys.stderr = open(snakemake.log[0], "w")
layout = Layout.of(snakemake.config)
write(snakemake.config, layout, snakemake.output.table, snakemake.output.figure)
