"""Which checkpoints of a sweep are evaluated, and where their evaluations go: the inputs
of the aggregate rule (one per point of points.csv) and of the predict rule (the trunk's
fork steps, which are not points)."""

from __future__ import annotations

from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep, fraction_label


def trunk_checkpoint(sweep: Sweep, layout: Layout, model: str, step: int) -> str:
    """``model``'s trunk checkpoint at ``step``: the chain's at a grid step, else its branch's."""
    return layout.checkpoint(Layout.link_job(sweep.link_to(model, step)))


def checkpoints(sweep: Sweep, layout: Layout) -> list[dict]:
    """Every evaluated checkpoint of the sweep with what identifies its point."""
    out = []
    cooled_to = sweep.config["cooldown"]["final_fraction"]
    for m in sweep.models:
        for tokens, step in zip(sorted(sweep.budgets(m)), sweep.budget_steps(m)):
            out.append(
                dict(model=m, tokens=tokens, kind="trunk", step=step, path=trunk_checkpoint(sweep, layout, m, step))
            )
        for b in sweep.baselines(m):
            out.append(
                dict(
                    model=m,
                    tokens=b.tokens,
                    kind="cosine",
                    step=b.tokens // sweep.tokens_per_step,
                    final_lr_fraction=b.final_fraction,
                    path=layout.cosine(m, b.tokens, b.directory),
                )
            )
        for c in sweep.cooldowns(m):
            frac = fraction_label(c.fraction)
            out.append(
                dict(
                    model=m,
                    tokens=c.tokens,
                    kind="cooldown",
                    shape=c.shape,
                    cooldown_fraction=frac,
                    step=c.total_steps,
                    final_lr_fraction=cooled_to,
                    path=layout.cooldown(m, c.shape, frac, c.tokens),
                )
            )
        for p in sweep.swa_points(m):
            out.append(dict(model=m, tokens=p.tokens, kind="swa", step=p.step, path=layout.swa(m, p.tokens)))
    return out


def evaluations(sweep: Sweep, layout: Layout) -> list[str]:
    return [layout.evaluation(c["path"]) for c in checkpoints(sweep, layout)]


def fork_evaluations(sweep: Sweep, layout: Layout) -> dict[tuple[str, int], str]:
    """The evaluation JSONs of the trunk checkpoints that are not at a budget (so not in
    points.csv), by (model, step): more trunk losses for the law."""
    return {
        (m, s): layout.evaluation(trunk_checkpoint(sweep, layout, m, s))
        for m in sweep.models
        for s in sweep.trunk_steps(m)
        if s not in sweep.budget_steps(m)
    }
