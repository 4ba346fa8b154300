"""scalinglaws: scaling laws from constant-LR trunks, forked cooldowns and SWA.

Implements Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed
Training Durations" (NeurIPS 2024, arXiv 2405.18392) as a library plus a Snakemake
workflow. The library in layers; imports run one way, left to right
(``tests/unit/test_layers.py`` keeps it so):

    cli, commands   the ``scalinglaws`` command
    analysis/       one module per analysis rule: an experiment's files in, one contract file out
    experiment/     config → runs, job ids and paths (Layout), flags, costs; torch-free (the Snakefile imports it)
    laws/           numpy/scipy only: Chinchilla's approaches, the loss-curve laws
    training/       torch: model, data, tokenizers, schedules, the loop, checkpoints, averaging, evaluation
    files           atomic writes, for every layer
"""

__version__ = "0.1.0"


class ScalingLawsError(Exception):
    """An error a user can act on: the message names the setting or file and what is wrong.

    The CLI prints it as one line and exits non-zero instead of a traceback.
    """
