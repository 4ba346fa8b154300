# Input and parameter functions shared by the rules. The sweep's logic (which steps,
# which forks, which windows) lives in scalinglaws.experiment.sweep, where it is tested; paths
# live in scalinglaws.experiment.layout.
import glob
import json
import os
import re
import sys

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from scalinglaws import ScalingLawsError
from scalinglaws.experiment import flags
from scalinglaws.experiment.prepared import check_prepared
from scalinglaws.experiment.layout import FIGURES, PREDICTION_FIGURE, Layout
from scalinglaws.experiment.checkpoints import (
    evaluations,
    fork_evaluations,
    trunk_checkpoint,
)
from scalinglaws.experiment.sweep import Sweep, fraction_label

LAYOUT = Layout.of(config)

try:
    SWEEP = Sweep(config)
    check_prepared(LAYOUT.meta, config)
except ScalingLawsError as e:
    raise WorkflowError(f"config: {e}") from None


def _warn_if_trunks_are_unprotected():
    """Root ignores file modes, so Snakemake's write protection of trunk checkpoints
    (protected() in the trunk rule) cannot stop a rerun run with root privileges."""
    made = glob.glob(LAYOUT.trunk("*", "*"))
    if made and os.access(made[0], os.W_OK) and not os.stat(made[0]).st_mode & 0o222:
        logger.warning(
            "Running with root privileges: the write protection of trunk checkpoints is not "
            "enforced, so a rerun could retrain and overwrite them (see README, When things go wrong)."
        )


_warn_if_trunks_are_unprotected()


# Jobs call the `scalinglaws` command installed next to the interpreter running Snakemake
# (the project's .venv), whether or not that environment is activated.
envvars:
    "PATH",


_path = os.environ["PATH"]
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), _path])


wildcard_constraints:
    model="|".join(map(re.escape, SWEEP.models)),
    step=r"\d+",
    tokens=r"\d+",
    fraction=r"[0-9.]+(e-?\d+)?",
    shape="|".join(sorted(set(config["cooldown"]["shapes"]) | {"linear", "1-sqrt"})),
    baseline=r"cosine(-final[0-9.]+(e-?\d+)?)?",


def canonical(settings: dict) -> str:
    """A dict param as sorted JSON: reordering keys in a config file is not a change."""
    return json.dumps(settings, sort_keys=True)


# Job ids as wildcard patterns: each names the job's checkpoint, metrics, log, benchmark
# and rescue files (scalinglaws.experiment.layout).
TRUNK_JOB = LAYOUT.trunk_job("{model}", "{step}")
BRANCH_JOB = LAYOUT.branch_job("{model}", "{step}")
COOLDOWN_JOB = LAYOUT.cooldown_job("{model}", "{shape}", "{fraction}", "{tokens}")
COSINE_JOB = LAYOUT.cosine_job("{model}", "{tokens}", "{baseline}")
SWA_JOB = LAYOUT.swa_job("{model}", "{tokens}")


# Params of the training rules (scalinglaws.experiment.flags decides what is a setting, a rerun
# trigger, and what is execution, which Snakemake leaves out of the trigger because these
# are functions of threads or resources).
def launch(wildcards, threads, resources):
    return flags.launch(getattr(resources, "nproc", 1), getattr(resources, "gpu", 0))


def execution(wildcards, threads, resources):
    micro = int(getattr(resources, "micro_batch_size", 0))
    return flags.execution(SWEEP, resources.device, threads, micro)


def trunk_settings(wildcards):
    return flags.trunk_settings(SWEEP, wildcards.model)


def _link_start(wildcards, branch):
    """The chain checkpoint a trunk job starts from, or none (from scratch)."""
    link = SWEEP.link_to(wildcards.model, int(wildcards.step))
    if link.branch != branch:
        raise WorkflowError(
            f"{wildcards.model} step {wildcards.step} is not a {'branch' if branch else 'grid'} step"
        )
    return LAYOUT.trunk(link.model, link.start) if link.start else []


def trunk_init(wildcards):
    return _link_start(wildcards, branch=False)


def branch_init(wildcards):
    return _link_start(wildcards, branch=True)


def data_dir(wildcards, input):
    return os.path.dirname(input.data)


def init_flag(wildcards, input):
    return f"--init {input.init}" if input.init else ""


def _cooldown(wildcards):
    for c in SWEEP.cooldowns(wildcards.model):
        if (c.tokens, c.shape, fraction_label(c.fraction)) == (
            int(wildcards.tokens),
            wildcards.shape,
            wildcards.fraction,
        ):
            return c
    raise WorkflowError(f"no cooldown {wildcards} in the config")


def cooldown_init(wildcards):
    return trunk_checkpoint(
        SWEEP, LAYOUT, wildcards.model, _cooldown(wildcards).fork_step
    )


def cooldown_settings(wildcards):
    return flags.cooldown_settings(SWEEP, _cooldown(wildcards))


def cosine_settings(wildcards):
    baseline = SWEEP.baseline(wildcards.baseline, wildcards.model, wildcards.tokens)
    return flags.cosine_settings(SWEEP, baseline)


def _swa_point(wildcards):
    return next(
        p
        for p in SWEEP.swa_points(wildcards.model)
        if p.tokens == int(wildcards.tokens)
    )


def _swa_windows(wildcards):
    """(job that saved it, end step) of each window the SWA model merges."""
    p = _swa_point(wildcards)
    return [(Layout.link_job(SWEEP.window_saver(p, e)), e) for e in p.window_ends]


def swa_window_dirs(wildcards):
    return sorted({LAYOUT.windows(job) for job, _ in _swa_windows(wildcards)})


def swa_window_files(wildcards):
    return " ".join(LAYOUT.window(job, e) for job, e in _swa_windows(wildcards))


# Cooldown, cosine and SWA models are evaluated by the job that made them (saving a
# process start each) unless eval.in_training_job is false; trunk checkpoints are always
# evaluated by the evaluate rule, so an eval setting is never a trunk setting.
EVAL_IN_JOB = config["eval"]["in_training_job"]
EVALUATED_APART = (
    "trunk" if EVAL_IN_JOB else r"trunk|cooldown|cosine(-final[0-9.]+)?|swa"
)


def evaluation_output(checkpoint):
    """The evaluation JSON as an output of the job that writes ``checkpoint``, or none."""
    return {"evaluation": LAYOUT.evaluation(checkpoint)} if EVAL_IN_JOB else {}


def evaluation_flags(checkpoint):
    """The flags that evaluate ``checkpoint`` (a wildcard pattern) in the job. Built from
    wildcards, not from output: Snakemake's params trigger ignores params that are
    functions of input or output, and a changed eval setting must rerun the job."""
    return lambda wildcards: flags.evaluation_flags(
        SWEEP, LAYOUT.evaluation(checkpoint.format(**wildcards))
    )


def predicted_outputs():
    """predictions.csv and its figure, when predictions are on."""
    if not SWEEP.predict["enabled"]:
        return []
    return [LAYOUT.predictions, LAYOUT.figure(PREDICTION_FIGURE)]


def fit_inputs():
    """The fit rule's tables: the points, and the predictions when cooldowns are
    predicted rather than trained (they become a set of their own in fits.json)."""
    inputs = {"points": LAYOUT.points}
    if SWEEP.predicted_only:
        inputs["predictions"] = LAYOUT.predictions
    return inputs


def with_predictions(**inputs):
    """``inputs`` and, when predictions are on, predictions.csv."""
    return (
        {**inputs, "predictions": LAYOUT.predictions}
        if SWEEP.predict["enabled"]
        else inputs
    )


def training_metrics():
    """Per-step metrics CSVs of every training job (for the loss-curve figure)."""
    jobs = [Layout.link_job(link) for m in SWEEP.models for link in SWEEP.links(m)]
    jobs += [
        LAYOUT.cooldown_job(c.model, c.shape, fraction_label(c.fraction), c.tokens)
        for c in SWEEP.cooldowns()
    ]
    jobs += [
        LAYOUT.cosine_job(b.model, b.tokens, b.directory) for b in SWEEP.baselines()
    ]
    return [LAYOUT.metrics(job) for job in jobs]
