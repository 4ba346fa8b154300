"""Where every artifact of an experiment lives, under ``results/{experiment}/``.

The one place for job ids and paths, used by the Snakemake rules (called with wildcard
names such as ``"{model}"`` to make patterns) and by the library (called with values), so
the two cannot drift apart. A training or averaging job's id names everything it writes:
``{root}/{job}.pt`` (the model), ``{root}/{job}.csv`` (per-step metrics), its log,
benchmark and rescue files, and ``{root}/eval/{job}.json`` (its evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass

# The figures of an experiment's report, ``{root}/figures/{name}.png`` (drawn by the plots rule, ``analysis.figures``).
FIGURES = ("schedules", "loss_curves", "cooldown_vs_cosine", "swa_vs_trunk", "frontier", "allocation", "compute")
PREDICTION_FIGURE = "predictions"  # drawn by the predict rule


@dataclass(frozen=True)
class Layout:
    root: str  # results/{experiment}

    @classmethod
    def of(cls, config: dict, base: str = ".") -> Layout:
        """The layout of ``config``'s experiment, under the workflow directory ``base``."""
        root = f"results/{config['experiment']}"
        return cls(root if base in (".", "") else f"{base}/{root}")

    # --- job ids ---------------------------------------------------------------------------

    @staticmethod
    def trunk_job(model, step) -> str:
        """A link of the chain, ending at grid step ``step``."""
        return f"trunk/{model}/step{step}"

    @staticmethod
    def branch_job(model, step) -> str:
        """A branch off the chain, ending at ``step`` (off the grid)."""
        return f"trunk/{model}/branch{step}"

    @classmethod
    def link_job(cls, link) -> str:
        """The job id of a ``sweep.Link``: a chain link's or a branch's."""
        return (cls.branch_job if link.branch else cls.trunk_job)(link.model, link.step)

    @staticmethod
    def cooldown_job(model, shape, fraction, tokens) -> str:
        """``fraction`` as it appears in paths: ``sweep.fraction_label``."""
        return f"cooldown/{model}/{shape}/f{fraction}/tokens{tokens}"

    @staticmethod
    def cosine_job(model, tokens, directory="cosine") -> str:
        """``directory`` is ``Baseline.directory`` (the primary baseline's is ``cosine``)."""
        return f"{directory}/{model}/tokens{tokens}"

    @staticmethod
    def swa_job(model, tokens) -> str:
        return f"swa/{model}/tokens{tokens}"

    # --- what a job writes -----------------------------------------------------------------

    def checkpoint(self, job: str) -> str:
        return f"{self.root}/{job}.pt"

    def metrics(self, job: str) -> str:
        """The per-step metrics CSV of a training job."""
        return f"{self.root}/{job}.csv"

    def log(self, job: str) -> str:
        return f"{self.root}/logs/{job}.log"

    def benchmark(self, job: str) -> str:
        return f"{self.root}/benchmarks/{job}.tsv"

    def rescue(self, job: str) -> str:
        """Where an interrupted training job saves its state: not an output, so Snakemake
        does not delete it with the failed job's outputs, and the rerun resumes from it."""
        return f"{self.root}/rescue/{job}.pt"

    def evaluation(self, checkpoint: str) -> str:
        """The evaluation JSON of a checkpoint: ``{root}/X.pt`` → ``{root}/eval/X.json``."""
        assert checkpoint.startswith(self.root + "/") and checkpoint.endswith(".pt"), checkpoint
        return f"{self.root}/eval/{checkpoint[len(self.root) + 1 : -3]}.json"

    # --- checkpoints by what they are --------------------------------------------------------

    def trunk(self, model, step) -> str:
        """The chain's checkpoint at grid step ``step``."""
        return self.checkpoint(self.trunk_job(model, step))

    def windows(self, job: str) -> str:
        """Directory of the SWA windows a trunk job (chain link or branch) completed:
        ``trunk/m/step40`` → ``trunk/m/windows/step40``."""
        folder, name = job.rsplit("/", 1)
        return f"{self.root}/{folder}/windows/{name}"

    def window(self, job: str, end_step) -> str:
        return f"{self.windows(job)}/{self.window_file(end_step)}"

    @staticmethod
    def window_file(end_step) -> str:
        """An SWA window's file name in its link's directory (``train --swa-dir``)."""
        return f"step{end_step}.pt"

    def cooldown(self, model, shape, fraction, tokens) -> str:
        return self.checkpoint(self.cooldown_job(model, shape, fraction, tokens))

    def cosine(self, model, tokens, directory: str = "cosine") -> str:
        return self.checkpoint(self.cosine_job(model, tokens, directory))

    def swa(self, model, tokens) -> str:
        return self.checkpoint(self.swa_job(model, tokens))

    # --- the experiment's tables and figures ---------------------------------------------------

    @property
    def data(self) -> str:
        return f"{self.root}/data"

    @property
    def meta(self) -> str:
        return f"{self.data}/meta.json"

    @property
    def points(self) -> str:
        return f"{self.root}/points.csv"

    @property
    def predictions(self) -> str:
        return f"{self.root}/predictions.csv"

    @property
    def summary(self) -> str:
        return f"{self.root}/summary.md"

    @property
    def fits(self) -> str:
        return f"{self.root}/fits.json"

    @property
    def compute(self) -> str:
        return f"{self.root}/compute.json"

    @property
    def figures(self) -> str:
        return f"{self.root}/figures"

    def figure(self, name: str) -> str:
        return f"{self.figures}/{name}.png"
