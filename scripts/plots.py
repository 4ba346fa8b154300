"""Rule plots: the report's figures."""

import sys

from scalinglaws.analysis.figures import figures
from scalinglaws.experiment.layout import Layout

sys.stderr = open(snakemake.log[0], "w")
layout = Layout.of(snakemake.config)
figures(snakemake.config, layout, layout.figures)
