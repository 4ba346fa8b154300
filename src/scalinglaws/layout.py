"""Where every artifact of an experiment lives, under ``results/{experiment}/``.

One place for paths, used by the Snakemake rules (called with wildcard names such as
``"{model}"`` to make patterns) and by the library (called with values), so the two
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

# The figures of an experiment's report, ``{root}/figures/{name}.png`` (drawn by ``plots``).
FIGURES = ("schedules", "loss_curves", "cooldown_vs_cosine", "swa_vs_trunk", "frontier", "allocation", "compute")
PREDICTION_FIGURE = "predictions"  # drawn by the predict rule


@dataclass(frozen=True)
class Layout:
    root: str  # results/{experiment}

    @property
    def data(self) -> str:
        return f"{self.root}/data"

    @property
    def meta(self) -> str:
        return f"{self.data}/meta.json"

    def trunk(self, model, step) -> str:
        return f"{self.root}/trunk/{model}/step{step}.pt"

    def trunk_windows(self, model, step) -> str:
        """Directory of the SWA windows that the link ending at ``step`` completed."""
        return f"{self.root}/trunk/{model}/windows/step{step}"

    def window(self, model, link_step, end_step) -> str:
        return f"{self.trunk_windows(model, link_step)}/step{end_step}.pt"

    def cooldown(self, model, shape, fraction, tokens) -> str:
        return f"{self.root}/cooldown/{model}/{shape}/f{fraction}/tokens{tokens}.pt"

    def cosine(self, model, tokens, directory: str = "cosine") -> str:
        """A cosine baseline's checkpoint; ``directory`` is ``Baseline.directory`` (the primary
        baseline's is ``cosine``)."""
        return f"{self.root}/{directory}/{model}/tokens{tokens}.pt"

    def swa(self, model, tokens) -> str:
        return f"{self.root}/swa/{model}/tokens{tokens}.pt"

    def evaluation(self, checkpoint: str) -> str:
        """The evaluation JSON of a checkpoint: ``{root}/X.pt`` → ``{root}/eval/X.json``."""
        assert checkpoint.startswith(self.root + "/") and checkpoint.endswith(".pt"), checkpoint
        return f"{self.root}/eval/{checkpoint[len(self.root) + 1 : -3]}.json"

    def rescue(self, job: str) -> str:
        """Where an interrupted training job saves its state: not an output, so Snakemake
        does not delete it with the failed job's outputs, and the rerun resumes from it."""
        return f"{self.root}/rescue/{job}.pt"

    def log(self, job: str) -> str:
        return f"{self.root}/logs/{job}.log"

    def benchmark(self, job: str) -> str:
        return f"{self.root}/benchmarks/{job}.tsv"

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
