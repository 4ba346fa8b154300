"""Drawing the figures (matplotlib, PNG): readable at a glance, one colour per model.

Each function takes tables/dicts already computed and writes one PNG; what to draw for
an experiment is chosen in ``analysis.figures``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from scalinglaws.training.schedules import Schedule  # noqa: E402

KIND_STYLE = {"trunk": "o", "swa": "s", "cosine": "^", "cooldown": "D", "cooldown, predicted": "x"}


def model_colors(models) -> dict:
    cmap = plt.get_cmap("viridis")
    models = list(models)
    return {m: cmap(0.1 + 0.8 * i / max(1, len(models) - 1)) for i, m in enumerate(models)}


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def schedules(path, total_steps: int, warmup: int, cooldown_steps: int, shapes, cosine_final: float = 0.1):
    """The LR multipliers of one budget: the trunk, each cooldown shape, and cosine."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    s = np.arange(total_steps)
    ax.plot(
        s,
        Schedule("constant", warmup_steps=warmup).multipliers(0, total_steps),
        color="0.5",
        lw=3,
        label="trunk (constant)",
    )
    for shape in shapes:
        sch = Schedule("wsd", total_steps, warmup, cooldown_steps, shape)
        ax.plot(s, sch.multipliers(0, total_steps), label=f"cooldown {shape}")
    ax.plot(
        s,
        Schedule("cosine", total_steps, warmup, final_fraction=cosine_final).multipliers(0, total_steps),
        "k--",
        label="cosine",
    )
    ax.set(xlabel="step", ylabel="LR / peak LR", title=f"Schedules of a {total_steps}-step run", ylim=(0, 1.05))
    ax.legend(fontsize=8)
    _save(fig, path)


def loss_curves(
    path,
    trunk: pd.DataFrame,
    cooldowns: dict[str, pd.DataFrame],
    cosine: dict[str, pd.DataFrame],
    colors,
    smooth: int = 20,
):
    """Training loss of each model's trunk with its cooldowns (solid) and the
    cosine runs (dashed); ``trunk`` has a ``model`` column, the dicts are keyed by model."""
    fig, ax = plt.subplots(figsize=(7.2, 4.4))

    def smoothed(branch, base):
        # A branch's moving mean starts from the trunk's last steps, not from one noisy step.
        joined = pd.concat([base[base.step < branch.step.min()].tail(smooth), branch])
        return joined.train_loss.rolling(smooth, min_periods=1).mean().iloc[-len(branch) :]

    for m, g in trunk.groupby("model", sort=False):
        g = g.sort_values("step")
        ax.plot(
            g.tokens, g.train_loss.rolling(smooth, min_periods=1).mean(), color=colors[m], lw=1.2, label=f"{m} trunk"
        )
        for c in cooldowns.get(m, []):
            ax.plot(c.tokens, smoothed(c, g), color=colors[m], lw=0.8, alpha=0.8)
        for c in cosine.get(m, []):
            ax.plot(
                c.tokens,
                c.train_loss.rolling(smooth, min_periods=1).mean(),
                color=colors[m],
                lw=0.6,
                ls="--",
                alpha=0.6,
            )
    ax.set(
        xlabel="tokens",
        ylabel=f"train loss (mean of {smooth} steps)",
        title="Trunks, cooldowns (solid), cosine (dashed)",
    )
    lo = trunk.train_loss.quantile(0.01)
    ax.set_ylim(lo - 0.1, trunk.train_loss.quantile(0.5) + 0.5)
    ax.legend(fontsize=8)
    _save(fig, path)


def versus(path, points: pd.DataFrame, x_label: str, y_label: str, colors, title: str):
    """Final validation loss of one kind of point against another at the same (model,
    budget), with the diagonal (below it: y is better). E.g. cooldown vs cosine."""
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    for m, g in points.groupby("model", sort=False):
        ax.scatter(g[x_label], g[y_label], color=colors[m], label=m, s=30)
    lo = min(points[x_label].min(), points[y_label].min())
    hi = max(points[x_label].max(), points[y_label].max())
    pad = 0.02 * (hi - lo)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k:", lw=1)
    ax.set(xlabel=f"{x_label} validation loss", ylabel=f"{y_label} validation loss", title=title)
    ax.legend(fontsize=8)
    _save(fig, path)


def frontier(path, points: pd.DataFrame, fits: dict, colors, set_name: str):
    """Loss against training FLOPs for every point of the set, with the compute-optimal
    frontier of its Approach 3 law, L(N_opt(C), D_opt(C))."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for (m, kind), g in points.groupby(["model", "kind"], sort=False):
        ax.scatter(
            g.flops,
            g.val_loss,
            color=colors[m],
            marker=KIND_STYLE.get(kind, "o"),
            s=22,
            alpha=0.85,
            label=f"{m} {kind}",
        )
    a3 = fits.get("sets", {}).get(set_name, {}).get("approach3")
    if a3:
        law, per_token = _law(a3)
        c = np.logspace(np.log10(points.flops.min()), np.log10(points.flops.max()), 100)
        ax.plot(c, law.predict(*law.optimal(c, per_token)), "k-", lw=1.5, label=f"{set_name}: compute-optimal frontier")
    ax.set_xscale("log")
    ax.set(xlabel=f"training FLOPs ({_convention(fits)})", ylabel="validation loss", title="Loss against compute")
    ax.legend(fontsize=7, ncol=2)
    _save(fig, path)


def _law(a3: dict):
    """The Approach 3 law of a fits.json entry and the per-token FLOPs it was allocated in."""
    from scalinglaws.laws.chinchilla import ParametricFit, PerTokenFlops

    per_token = PerTokenFlops(**a3["per_token_flops"]) if "per_token_flops" in a3 else None
    return ParametricFit.of(a3), per_token


def _convention(fits: dict) -> str:
    return fits.get("conventions", {}).get("flops", "6ND")


def allocation(path, fits: dict, flops_range):
    """N_opt(C) and D_opt(C) of each point set's Approach 3 law, in the experiment's FLOPs
    convention, with bootstrap 95% bands."""
    c = np.logspace(np.log10(flops_range[0]), np.log10(flops_range[1]), 60)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0))
    for i, (name, res) in enumerate(fits.get("sets", {}).items()):
        a3 = res.get("approach3")
        if not a3:
            continue
        law, per_token = _law(a3)
        n_opt, d_opt = law.optimal(c, per_token)
        color = plt.get_cmap("tab10")(i)
        axes[0].plot(c, n_opt, color=color, label=f"{name} (a = {a3['allocation_a']:.2f})")
        axes[1].plot(c, d_opt, color=color, label=f"{name} (b = {a3['allocation_b']:.2f})")
        iv = a3.get("bootstrap", {}).get("intervals", {})
        if "a" in iv and "b" in iv:
            # Band: the exponent's 95% interval, pivoting at the middle of the range.
            mid = np.sqrt(c[0] * c[-1])
            for ax, y, key in ((axes[0], n_opt, "a"), (axes[1], d_opt, "b")):
                ok = np.isfinite(y)
                y_mid = np.interp(np.log(mid), np.log(c[ok]), np.log(y[ok]))
                lo, hi = iv[key]["95%"]
                ends = [np.exp(y_mid + e * np.log(c / mid)) for e in (lo, hi)]
                ax.fill_between(c, np.minimum(*ends), np.maximum(*ends), color=color, alpha=0.12)
    for ax, what in zip(axes, ("N_opt (parameters)", "D_opt (tokens)")):
        ax.set(xscale="log", yscale="log", xlabel=f"training FLOPs C ({_convention(fits)})", ylabel=what)
        ax.legend(fontsize=7)
    fig.suptitle("Compute-optimal allocation (Approach 3; bands: 95% bootstrap of the exponent)")
    _save(fig, path)


def predictions(path, table: pd.DataFrame, curves: dict, trunk: pd.DataFrame, colors):
    """Left: each model's predicted validation-loss curves (trunk and every cooldown, from
    the fitted law) with the measured losses (filled: seen by the fit). Right: predicted
    against measured final loss of every run that was both predicted and measured."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    for m, c in curves.items():
        for i, (steps, loss) in enumerate(c):
            left.plot(
                steps, loss, color=colors[m], lw=1.4 if i == 0 else 0.7, label=f"{m} predicted" if i == 0 else None
            )
        t = trunk[trunk.model == m]
        left.plot(t.step, t.val_loss, "o", color=colors[m], ms=4)
    cd = table[(table.kind == "cooldown") & table.measured_loss.notna()]
    for role, face in (("fit", None), ("predicted", "none")):
        g = cd[cd.role == role]
        left.scatter(
            g.step,
            g.measured_loss,
            marker="D",
            s=30,
            facecolors=face or [colors[m] for m in g.model],
            edgecolors=[colors[m] for m in g.model],
            label=f"cooldown, measured ({role})",
            zorder=3,
        )
    measured = pd.concat([trunk.val_loss, cd.measured_loss])
    if len(measured):  # the measured range, not the law's steep first steps
        span = measured.max() - measured.min()
        left.set_ylim(measured.min() - 0.15 * span, measured.max() + 0.15 * span)
        left.set_xlim(0.5 * trunk.step.min(), 1.03 * max(trunk.step.max(), cd.step.max() if len(cd) else 0))
    left.set(xlabel="step", ylabel="validation loss", title="Law fitted to trunk (●) and filled ◆ cooldowns")
    left.legend(fontsize=7)
    done = table[(table.role == "predicted") & table.measured_loss.notna()]
    for kind, g in done.groupby("kind"):
        right.scatter(
            g.measured_loss,
            g.predicted_loss,
            marker=KIND_STYLE[kind],
            c=[colors[m] for m in g.model],
            label=f"{kind}: mean |error| {g.relative_error.abs().mean():.2%}, worst {g.relative_error.abs().max():.2%}",
        )
    if len(done):
        lo, hi = (
            done[["measured_loss", "predicted_loss"]].min().min(),
            done[["measured_loss", "predicted_loss"]].max().max(),
        )
        right.plot([lo, hi], [lo, hi], "k:", lw=1)
        right.legend(fontsize=7)
    right.set(
        xlabel="measured final validation loss", ylabel="predicted", title="Predicted before training, against measured"
    )
    _save(fig, path)


def compute_saved(path, account: dict):
    """Training FLOPs and hours of each WSD pipeline against the cosine sweep."""
    totals = account["totals"]
    names = list(totals)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    for ax, key, scale, unit in (
        (axes[0], "flops", 1.0, "training FLOPs"),
        (axes[1], "seconds", 3600.0, "hours (measured)"),
    ):
        vals = [(totals[n][key] or 0) / scale for n in names]
        bars = ax.barh(names, vals, color=["0.3" if n == "cosine" else "tab:green" for n in names])
        for b, n in zip(bars, names):
            r = totals[n].get(f"{key}_ratio_to_cosine")
            if r is not None:
                ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {r:.2f}× cosine", va="center", fontsize=8)
        ax.set(xlabel=unit)
    fig.suptitle("Compute: WSD pipelines (each trunk with its branches + cooldowns) vs the cosine sweep")
    _save(fig, path)


def placeholder(path, text):
    """A figure that says why it has nothing to show."""
    fig, ax = plt.subplots(figsize=(4.8, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    _save(fig, path)
