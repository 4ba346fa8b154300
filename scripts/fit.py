"""Rule fit: points.csv → fits.json."""

import json
import sys

import pandas as pd

from scalinglaws.analysis.fits import fit_sets, jsonable
from scalinglaws.analysis.predictions import predicted_points

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
points = pd.read_csv(snakemake.input.points)  # noqa: F821
predicted = None
if "predictions" in snakemake.input.keys():  # noqa: F821 (cooldowns predicted, not trained)
    predicted = predicted_points(points, pd.read_csv(snakemake.input.predictions))  # noqa: F821
result = fit_sets(
    points,
    json.loads(snakemake.params.fit),
    json.loads(snakemake.params.flops),  # noqa: F821
    workers=snakemake.threads,
    predicted=predicted,
)  # noqa: F821
with open(snakemake.output[0], "w") as f:  # noqa: F821
    json.dump(jsonable(result), f, indent=2, allow_nan=False)
