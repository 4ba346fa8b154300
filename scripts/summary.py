"""Rule summary: the paper's claims checked on points.csv → summary.md (scalinglaws.analysis.summary)."""

import sys

from scalinglaws.analysis.summary import write

sys.stderr = open(snakemake.log[0], "w")
text = write(
    snakemake.input.points,
    snakemake.output[0],
    predictions_csv=snakemake.input.predictions if "predictions" in snakemake.input.keys() else None,
    compute_json=snakemake.input.compute,
)
print(text, file=sys.stderr)
