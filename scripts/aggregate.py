"""Rule aggregate: evaluations → points.csv."""

from scalinglaws.analysis.points import write_points
from scalinglaws.experiment.layout import Layout

layout = Layout.of(snakemake.config)
df = write_points(snakemake.config, layout, snakemake.output[0])
with open(snakemake.log[0], "w") as log:
    log.write(df.to_string() + "\n")
