"""Rule fit: points.csv → fits.json (scalinglaws.analysis.fits)."""

import json
import sys

from scalinglaws.analysis.fits import write

sys.stderr = open(snakemake.log[0], "w")
write(
    snakemake.input.points,
    snakemake.output[0],
    json.loads(snakemake.params.fit),
    json.loads(snakemake.params.flops),
    workers=snakemake.threads,
    # predictions.csv is an input when cooldowns were predicted, not trained
    predictions_csv=snakemake.input.predictions if "predictions" in snakemake.input.keys() else None,
)
