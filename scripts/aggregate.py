"""Rule aggregate: evaluations → points.csv."""

from scalinglaws.analysis.points import write_points
from scalinglaws.experiment.layout import Layout

layout = Layout(f"results/{snakemake.config['experiment']}")  # noqa: F821 (snakemake is injected)
df = write_points(snakemake.config, layout, snakemake.output[0])  # noqa: F821
with open(snakemake.log[0], "w") as log:  # noqa: F821
    log.write(df.to_string() + "\n")
