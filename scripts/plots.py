"""Rule plots: the report's figures."""

import sys

from scalinglaws.layout import Layout
from scalinglaws.plots import figures

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
layout = Layout(f"results/{snakemake.config['experiment']}")  # noqa: F821
figures(snakemake.config, layout, layout.figures)  # noqa: F821
