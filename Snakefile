# scalinglaws: one constant-LR trunk per model, cooldowns forked from its checkpoints,
# SWA of its weights, optional cosine baselines; all evaluated into points.csv.
# Settings: config.yaml (schema: workflow/schemas/config.schema.yaml).
# Resources: profiles/default/config.yaml.
# Report: snakemake --report results/{experiment}/report.html
# Analysis rules run a thin script from scripts/ (library calls on the experiment's files);
# training, averaging and evaluation rules call the `scalinglaws` command, because such a job
# may run as several processes under torchrun, on a GPU or a cluster node.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/trunk.smk"
include: "workflow/rules/cooldown.smk"
include: "workflow/rules/cosine.smk"
include: "workflow/rules/swa.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/report.smk"


# Quick table, figure and prediction jobs run where Snakemake runs, not as cluster jobs (each would
# wait in the queue longer than it computes); `fit` (bootstrap refits) stays a job.
localrules:
    all,
    aggregate,
    summary,
    compute,
    plots,
    predict,


rule all:
    default_target: True
    input:
        LAYOUT.points,
        LAYOUT.summary,
        LAYOUT.fits,
        LAYOUT.compute,
        [LAYOUT.figure(name) for name in FIGURES],
        predicted_outputs(),
