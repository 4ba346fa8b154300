"""scalinglaws: scaling laws from constant-LR trunks, forked cooldowns and SWA.

Implements Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed
Training Durations" (NeurIPS 2024, arXiv 2405.18392) as a library plus a Snakemake
workflow. One module per idea: data, tokenizers, model, schedules, train, checkpoint,
averaging, evaluate, cli.
"""

__version__ = "0.1.0"


class ScalingLawsError(Exception):
    """An error a user can act on: the message names the setting or file and what is wrong.

    The CLI prints it as one line and exits non-zero instead of a traceback.
    """
