"""Rule plots: the report's figures."""

import sys

from scalinglaws.analysis.figures import figures
from scalinglaws.experiment.layout import Layout

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
layout = Layout(f"results/{snakemake.config['experiment']}")  # noqa: F821
figures(snakemake.config, layout, layout.figures)  # noqa: F821
