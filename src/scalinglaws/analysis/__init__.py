"""One module per analysis rule, an experiment's files in and one contract file out:
``points`` (aggregate → points.csv), ``fits`` (fit → fits.json), ``compute``
(compute.json), ``predictions`` (predict → predictions.csv), ``summary`` (summary.md),
``figures`` (plots: what to draw), with ``drawing`` (how, matplotlib)."""
