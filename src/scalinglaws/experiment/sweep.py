"""The sweep a config describes: which trunk steps, cooldowns, cosine runs and SWA models.

Config is in tokens; the code works in steps (``tokens / (batch_size × seq_len)``). A
budget that is not a whole number of steps is a config error, not a silent rounding.
This module is the single place that turns a (schema-validated) config into jobs; the
Snakemake rules only ask it. Its checks are the semantic ones a JSON schema cannot
express, each naming the key and the bad value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from scalinglaws import ScalingLawsError
from scalinglaws.experiment.config import default, with_defaults
from scalinglaws.experiment.flops import param_counts
from scalinglaws.laws.registry import PARAMETERS
from scalinglaws.training.architecture import ModelConfig
from scalinglaws.training.schedules import cooldown_steps


def fraction_label(fraction: float) -> str:
    """How a cooldown fraction appears in paths and tables: 0.2 → '0.2'."""
    return f"{fraction:g}"


@dataclass(frozen=True)
class Cooldown:
    model: str
    tokens: int
    shape: str
    fraction: float
    total_steps: int
    cooldown_steps: int

    @property
    def fork_step(self) -> int:
        return self.total_steps - self.cooldown_steps


@dataclass(frozen=True)
class Link:
    """One trunk job: ``model``'s constant-LR trajectory from step ``start`` (0: from scratch)
    to step ``step``. A chain link ends at a step of the model's grid (every ``link_steps``
    steps) and starts at the grid step before it, so the chain depends on nothing that adding
    a budget changes. A branch reaches a step off the grid (a fork step or budget) from the
    latest grid step at or before it; branches start nothing but cooldowns and SWA models."""

    model: str
    start: int
    step: int
    branch: bool

    @property
    def steps(self) -> int:
        return self.step - self.start


@dataclass(frozen=True)
class SWAPoint:
    model: str
    tokens: int
    step: int
    window_ends: tuple[int, ...]  # the windows merged, oldest first


@dataclass(frozen=True)
class Baseline:
    """One cosine run from scratch: a model, a budget and the LR's final fraction of peak.
    The primary baseline (the first of cosine.final_fractions) is the one the method
    replaces: savings are counted against it, and its runs keep the plain ``cosine`` name."""

    model: str
    tokens: int
    final_fraction: float
    primary: bool

    @property
    def label(self) -> str:
        """``cosine`` for the primary baseline, ``cosine→0`` (to 0% of peak) for another."""
        return baseline_label(self.final_fraction, self.primary)

    @property
    def directory(self) -> str:
        """Its folder under results/{experiment}/: ``cosine``, or ``cosine-final0`` for another."""
        return "cosine" if self.primary else f"cosine-final{self.final_fraction:g}"


def baseline_label(final_fraction: float, primary: bool) -> str:
    return "cosine" if primary else f"cosine→{final_fraction:g}"


class Sweep:
    def __init__(self, config: dict, vocab_size: int | None = None):
        """``config`` as written (checked against the schema and completed with its
        defaults here) or as the workflow validated it."""
        self.config = with_defaults(config)
        self.training = self.config["training"]
        self.tokens_per_step = self.training["batch_size"] * self.training["seq_len"]
        self.vocab_size = vocab_size
        # the default warmup; a model entry's own warmup_tokens overrides it (warmup_steps_for)
        self.warmup_steps = self._steps(self.training["warmup_tokens"], "training.warmup_tokens", allow_zero=True)
        self._check()

    # --- conversions and checks ---------------------------------------------------------

    def _steps(self, tokens: int, key: str, allow_zero: bool = False) -> int:
        steps, rest = divmod(int(tokens), self.tokens_per_step)
        if rest or (steps == 0 and not allow_zero):
            raise ScalingLawsError(
                f"{key}: {tokens} tokens is not a whole positive number of steps of "
                f"batch_size × seq_len = {self.tokens_per_step} tokens"
            )
        return steps

    def _check(self) -> None:
        names = self.models
        if not names:
            raise ScalingLawsError("models: the config defines no model")
        if len(set(names)) != len(names):
            raise ScalingLawsError(
                f"models: duplicate model name(s) {sorted({n for n in names if names.count(n) > 1})}"
            )
        for name in names:
            try:
                self.model_config(name)  # shape checks: d_model divisible by n_heads, …
            except ScalingLawsError as e:
                raise ScalingLawsError(f"models ({name}): {e}") from None
            budgets = self.budgets(name)
            if not budgets:
                raise ScalingLawsError(f"budgets: model {name!r} has none (set budgets or budgets_per_param)")
            if len(set(budgets)) != len(budgets):
                dup = sorted({b for b in budgets if budgets.count(b) > 1})
                raise ScalingLawsError(
                    f"budgets: duplicate budget(s) {dup} for model {name!r} (budgets_per_param "
                    f"are rounded to whole multiples of {self.budget_unit} tokens)"
                )
            for b in budgets:
                self._steps(b, f"budgets ({name})")
            self._check_chain(name)
        eval_tokens, seq_len = self.config["eval"]["tokens"], self.training["seq_len"]
        if eval_tokens is not None and eval_tokens < seq_len:
            raise ScalingLawsError(
                f"eval.tokens {eval_tokens} is less than one sequence of training.seq_len {seq_len} tokens"
            )
        self._check_predict()
        self._check_baselines()
        for c in self.all_cooldowns():
            warmup = self.warmup_steps_for(c.model)
            if c.fork_step <= warmup:
                raise ScalingLawsError(
                    f"cooldown.fractions: {c.fraction} of the {c.tokens}-token budget of {c.model!r} forks at step "
                    f"{c.fork_step}, at or before the end of warmup (step {warmup})"
                )
        if self.swa_enabled:
            w, e = self.swa_window_steps, self.swa_every_steps
            if w % e:
                raise ScalingLawsError(
                    f"swa.window_tokens ({w} steps) is not a multiple of swa.every_tokens ({e} steps)"
                )
            for name in names:
                for b in self.budgets(name):
                    if self._steps(b, "budgets") % w:
                        raise ScalingLawsError(
                            f"swa.window_tokens: the {b}-token budget of {name!r} is not a whole number of "
                            f"SWA windows ({self.config['swa']['window_tokens']} tokens)"
                        )

    def _check_chain(self, name: str) -> None:
        every, last = self.link_steps(name), max(self.budget_steps(name))
        if every > last:
            raise ScalingLawsError(
                f"trunk: model {name!r} links its trunk every {every * self.tokens_per_step} tokens, past its "
                f"largest budget ({last * self.tokens_per_step} tokens), so every trunk checkpoint would be "
                "trained from scratch; set a shorter trunk.link_tokens or link_tokens_per_param (or the model's "
                "own link_tokens)"
            )

    def _check_baselines(self) -> None:
        ffs = self.cosine_final_fractions
        if len(set(ffs)) != len(ffs):
            raise ScalingLawsError(f"cosine.final_fractions: {ffs} repeats a value")
        picks = self.config["cosine"].get("budgets")
        for name in self.models if picks is not None else []:
            n = len(self.budgets(name))
            bad = [i for i in picks if not -n <= i < n]
            if bad:
                raise ScalingLawsError(f"cosine.budgets: {bad} is out of range for the {n} budgets of model {name!r}")

    def _check_predict(self) -> None:
        p = self.predict
        if not p["enabled"]:
            if not p["run_predicted"]:
                raise ScalingLawsError(
                    "predict.run_predicted: false needs predict.enabled: true (what else gives those points?)"
                )
            return
        if p["fit_shape"] not in self.config["cooldown"]["shapes"]:
            raise ScalingLawsError(
                f"predict.fit_shape {p['fit_shape']!r} is not one of cooldown.shapes {self.config['cooldown']['shapes']}"
            )
        for name in self.models:
            n = len(self.budgets(name))
            bad = [i for i in p["fit_budgets"] if not -n <= i < n]
            if bad:
                raise ScalingLawsError(
                    f"predict.fit_budgets: {bad} is out of range for the {n} budgets of model {name!r}"
                )
            trunk = len(self.trunk_steps(name))
            measured = trunk + len(self.fit_cooldowns(name))  # trunk checkpoints + fitted cooldowns
            needed = PARAMETERS[p["law"]]
            if self.predicted_only and measured < needed:
                raise ScalingLawsError(
                    f"predict.run_predicted: false, but model {name!r} has {measured} measured losses ({trunk} trunk "
                    f"checkpoints and {measured - trunk} fitted cooldowns) for the {p['law']} law's {needed} "
                    "parameters; add budgets or predict.fit_budgets, or use predict.law: annealing"
                )

    # --- models and budgets ---------------------------------------------------------------

    @property
    def models(self) -> list[str]:
        return [m["name"] for m in self.config["models"]]

    def model_spec(self, name: str) -> dict:
        return next(m for m in self.config["models"] if m["name"] == name)

    def model_config(self, name: str) -> ModelConfig:
        spec = self.model_spec(name)
        return ModelConfig(
            vocab_size=self.vocab_size or 256,  # known once the data is prepared; shape checks need none
            d_model=spec["d_model"],
            n_layers=spec["n_layers"],
            n_heads=spec["n_heads"],
            seq_len=self.training["seq_len"],
            ffn_multiple_of=spec.get("ffn_multiple_of", self.training["ffn_multiple_of"]),
        )

    def warmup_steps_for(self, name: str) -> int:
        """A model's warmup in steps: its own ``warmup_tokens``, else ``training.warmup_tokens``.

        Per model because a warmup long enough to make the largest model's runs reproducible
        can be longer than the smallest model's shortest budget (BENCHMARKS.md, seed noise).
        """
        tokens = self.model_spec(name).get("warmup_tokens")
        if tokens is None:
            return self.warmup_steps
        return self._steps(tokens, f"models ({name}): warmup_tokens", allow_zero=True)

    def budgets(self, name: str) -> list[int]:
        """Training lengths in tokens for one model: its own ``budgets`` (tokens) or
        ``budgets_per_param`` (tokens per non-embedding parameter) if it sets either, else
        the global one. A budget per parameter becomes the nearest whole number of
        ``budget_unit`` tokens (at least one)."""
        spec = self.model_spec(name)
        own = spec if (spec.get("budgets") or spec.get("budgets_per_param")) else self.config
        tokens, per_param = own.get("budgets"), own.get("budgets_per_param")
        if tokens and per_param:
            where = f"model {name!r}" if own is spec else "the config"
            raise ScalingLawsError(
                f"budgets and budgets_per_param are both set in {where} (under --configfile, one "
                "may come from config.yaml): set the other to null"
            )
        if not per_param:
            return [int(b) for b in tokens or []]
        n = param_counts(self.model_config(name))["params_non_embedding"]
        unit = self.budget_unit
        return [max(1, round(r * n / unit)) * unit for r in per_param]

    @property
    def budget_unit(self) -> int:
        """What a budget must be a multiple of: a step, or an SWA window of steps."""
        unit = self.tokens_per_step
        if self.config["swa"]["enabled"]:
            unit = max(unit, int(self.config["swa"]["window_tokens"]))
        return unit

    def budget_steps(self, name: str) -> list[int]:
        return sorted(self._steps(b, "budgets") for b in self.budgets(name))

    @property
    def cosine_final_fractions(self) -> list[float]:
        """The cosine baselines' final LR fractions, the primary one first. ``final_fraction``
        F, if set, means ``final_fractions: [F]``; it cannot be combined with a list other
        than the schema's default."""
        c = self.config["cosine"]
        one, many = c["final_fraction"], c["final_fractions"]
        if one is None:
            return [float(f) for f in many]
        if many not in (default("cosine.final_fractions"), [one]):
            raise ScalingLawsError(
                f"cosine: final_fraction ({one}) and final_fractions ({many}) are both set (under "
                "--configfile, one may come from config.yaml): keep one, e.g. final_fractions"
            )
        return [float(one)]

    def baseline_budgets(self, name: str) -> list[int]:
        """The budgets (tokens) with cosine baselines: cosine.budgets picks some by index
        into the model's sorted budgets (default: all)."""
        budgets = sorted(self.budgets(name))
        picks = self.config["cosine"].get("budgets")
        return budgets if picks is None else sorted({budgets[i] for i in picks})

    def baseline(self, directory: str, name: str, tokens: int) -> Baseline:
        """The baseline a job's wildcards name."""
        for b in self.baselines(name):
            if (b.directory, b.tokens) == (directory, int(tokens)):
                return b
        raise ScalingLawsError(f"no cosine baseline {directory}/{name}/tokens{tokens} in the config")

    def baselines(self, name: str | None = None) -> list[Baseline]:
        if not self.config["cosine"]["enabled"]:
            return []
        names = [name] if name else self.models
        ffs = self.cosine_final_fractions
        return [Baseline(m, t, ff, i == 0) for m in names for i, ff in enumerate(ffs) for t in self.baseline_budgets(m)]

    def cosine_lr(self, name: str) -> float:
        spec = self.model_spec(name)
        return spec.get("cosine_lr") or spec["lr"] * self.config["cosine"]["lr_factor"]

    # --- the jobs -------------------------------------------------------------------------

    def all_cooldowns(self, name: str | None = None) -> list[Cooldown]:
        """Every configured cooldown, trained or only predicted."""
        out = []
        for m in [name] if name else self.models:
            for tokens in sorted(self.budgets(m)):
                n = self._steps(tokens, "budgets")
                for fraction in self.config["cooldown"]["fractions"]:
                    n_d = cooldown_steps(n, fraction=fraction)
                    for shape in self.config["cooldown"]["shapes"]:
                        out.append(Cooldown(m, tokens, shape, fraction, n, n_d))
        return out

    def cooldowns(self, name: str | None = None) -> list[Cooldown]:
        """The cooldowns trained: all configured, or only those the prediction law is
        fitted to when ``predict.run_predicted`` is false."""
        return self.fit_cooldowns(name) if self.predicted_only else self.all_cooldowns(name)

    # --- predictions (scalinglaws.analysis.predictions) ------------------------------------------

    @cached_property
    def predict(self) -> dict:
        """The ``predict`` settings; ``fit_shape`` unset is the first of cooldown.shapes."""
        p = self.config["predict"]
        return {**p, "fit_shape": p.get("fit_shape") or self.config["cooldown"]["shapes"][0]}

    @property
    def predicted_only(self) -> bool:
        """Cooldowns outside the fit subset are predicted, not trained."""
        return self.predict["enabled"] and not self.predict["run_predicted"]

    def fit_cooldowns(self, name: str | None = None) -> list[Cooldown]:
        """Per model, the cooldowns the prediction law is fitted to: ``predict.fit_budgets``
        (indices into the model's sorted budgets, −1 the largest) with ``predict.fit_shape``
        at the first cooldown fraction."""
        shape, fraction = self.predict["fit_shape"], self.config["cooldown"]["fractions"][0]
        out = []
        for m in [name] if name else self.models:
            budgets = sorted(self.budgets(m))
            chosen = sorted({budgets[i] for i in self.predict["fit_budgets"]})
            out += [
                c for c in self.all_cooldowns(m) if c.tokens in chosen and (c.shape, c.fraction) == (shape, fraction)
            ]
        return out

    @property
    def swa_enabled(self) -> bool:
        return bool(self.config["swa"]["enabled"])

    @cached_property
    def swa_window_steps(self) -> int:
        return self._steps(self.config["swa"]["window_tokens"], "swa.window_tokens")

    @cached_property
    def swa_every_steps(self) -> int:
        return self._steps(self.config["swa"]["every_tokens"], "swa.every_tokens")

    def swa_points(self, name: str | None = None) -> list[SWAPoint]:
        """The SWA model at each budget: the last ``swa.windows`` windows ending at its step
        (fewer when the budget holds fewer windows)."""
        if not self.swa_enabled:
            return []
        w, k = self.swa_window_steps, self.config["swa"]["windows"]
        out = []
        for m in [name] if name else self.models:
            for tokens in sorted(self.budgets(m)):
                step = self._steps(tokens, "budgets")
                ends = tuple(e for e in range(step - (k - 1) * w, step + 1, w) if e >= w)
                out.append(SWAPoint(m, tokens, step, ends))
        return out

    # --- the trunk: a chain of links on a fixed grid, and branches off it ----------------------

    def link_steps(self, name: str) -> int:
        """The grid of ``name``'s chain, in steps: the model's own ``link_tokens``, else
        ``trunk.link_tokens``, else ``trunk.link_tokens_per_param`` tokens per non-embedding
        parameter rounded like a budget per parameter (to whole ``budget_unit``)."""
        trunk, own = self.config["trunk"], self.model_spec(name).get("link_tokens")
        if own is not None:
            return self._steps(own, f"models ({name}): link_tokens")
        if trunk["link_tokens"] is not None:
            return self._steps(trunk["link_tokens"], "trunk.link_tokens")
        n = param_counts(self.model_config(name))["params_non_embedding"]
        unit = self.budget_unit
        return max(1, round(trunk["link_tokens_per_param"] * n / unit)) * unit // self.tokens_per_step

    def trunk_steps(self, name: str) -> list[int]:
        """The steps with a trunk checkpoint that something needs: every budget's step (its
        trunk and SWA points) and every configured cooldown's fork step (also of cooldowns
        only predicted: their checkpoints give the prediction law more trunk losses)."""
        steps = set(self.budget_steps(name)) | {c.fork_step for c in self.all_cooldowns(name)}
        return sorted(steps)

    def chain(self, name: str) -> list[Link]:
        """The chain: a link to every grid step up to the last needed trunk step. A larger
        budget extends it at the end; no other change to the sweep moves a link."""
        every, last = self.link_steps(name), self.trunk_steps(name)[-1]
        return [Link(name, s - every, s, False) for s in range(every, last + 1, every)]

    def branches(self, name: str) -> list[Link]:
        """A branch to every needed trunk step off the grid, from the grid step before it."""
        every = self.link_steps(name)
        return [Link(name, s - s % every, s, True) for s in self.trunk_steps(name) if s % every]

    def links(self, name: str) -> list[Link]:
        """Every trunk job of ``name``: the chain, then the branches."""
        return self.chain(name) + self.branches(name)

    @cached_property
    def _links_by_step(self) -> dict[str, dict[int, Link]]:
        # asked once per cooldown, SWA window and trunk job while Snakemake builds the DAG
        return {m: {link.step: link for link in self.links(m)} for m in self.models}

    def link_to(self, name: str, step: int) -> Link:
        """The trunk job whose checkpoint is ``name``'s trunk at ``step``."""
        link = self._links_by_step.get(name, {}).get(step)
        if link is None:
            raise ScalingLawsError(f"step {step} is not a trunk checkpoint of model {name!r}")
        return link

    def window_saver(self, point: SWAPoint, end: int) -> Link:
        """The trunk job that saves the SWA window ending at ``end`` for ``point``: the chain
        link it ends in, if that link is at or before the point's step; else (the window lies
        past the point's last grid step) the branch to the point. Depends on nothing but the
        point and the grid, so adding budgets never moves an SWA model's inputs."""
        every = self.link_steps(point.model)
        closing = -(-end // every) * every
        return self.link_to(point.model, closing if closing <= point.step else point.step)

    # --- cost -------------------------------------------------------------------------------

    def tokens(self, kind: str, name: str) -> int:
        """Training tokens the sweep spends on one model for ``trunk`` (the chain),
        ``branch``, ``cooldown`` (all shapes and fractions) or ``cosine``."""
        if kind in ("trunk", "branch"):  # the chain, or the branches off it
            links = self.branches(name) if kind == "branch" else self.chain(name)
            return sum(link.steps for link in links) * self.tokens_per_step
        if kind == "cooldown":
            return sum(c.cooldown_steps for c in self.cooldowns(name)) * self.tokens_per_step
        if kind == "cosine":  # the sweep the method replaces: the primary baseline at every budget
            return sum(self.budgets(name))
        raise ValueError(kind)
