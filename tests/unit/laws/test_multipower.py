"""The multi-power law (Luo et al. 2025): the formula checked term by term, and a fit on
whole curves of a trunk and one cooldown that predicts other schedules."""

import numpy as np
import pytest

import scalinglaws.laws.multipower as mp
from scalinglaws.laws.multipower import MultiPowerLaw, fit_multi_power
from scalinglaws.laws.registry import fit_law
from scalinglaws.training.schedules import Schedule

PEAK = 3e-3
N = 400
TRUTH = MultiPowerLaw(L0=2.0, A=0.6, alpha=0.4, B=150.0, C=2.0, beta=0.6, gamma=0.5)


def lr_of(schedule, steps=N):
    return np.array([PEAK * schedule.multiplier(s) for s in range(steps)])


def by_hand(law, lr, t):
    """L(t) from the paper's sums, one term at a time (t is 1-based)."""
    peak = next((i for i in range(len(lr) - 1) if lr[i + 1] < lr[i]), len(lr) - 1)
    saved = 0.0
    for k in range(peak + 1, t):  # 0-based k: the drop from η_{k-1} to η_k, after the warmup's peak
        drop = lr[k - 1] - lr[k]
        if drop:
            since = lr[k:t].sum()
            saved += drop * (1 - (law.C * max(lr[k], 1e-12) ** -law.gamma * since + 1) ** -law.beta)
    return law.L0 + law.A * lr[:t].sum() ** -law.alpha - law.B * saved


def test_curve_follows_the_formula_term_by_term(monkeypatch):
    lr = lr_of(Schedule("wsd", 60, warmup_steps=5, cooldown_steps=20, shape="linear", final_fraction=0.0), 60)
    expected = [by_hand(TRUTH, lr, t) for t in range(1, 61)]
    np.testing.assert_allclose(TRUTH.curve(lr), expected, rtol=1e-12)
    monkeypatch.setattr(mp, "_BLOCK", 7)  # built in blocks of steps: same values
    np.testing.assert_allclose(TRUTH.curve(lr), expected, rtol=1e-12)
    np.testing.assert_allclose(TRUTH.curve(lr, steps=[10, 60]), [expected[9], expected[59]], rtol=1e-12)
    # before any decay the law is a power law in the LR area
    assert TRUTH.curve(lr)[39] == pytest.approx(TRUTH.L0 + TRUTH.A * lr[:40].sum() ** -TRUTH.alpha)


def schedules():
    return {
        "trunk": lr_of(Schedule("constant", warmup_steps=20)),
        "cooldown 20%": lr_of(Schedule("wsd", N, warmup_steps=20, cooldown_steps=80, shape="1-sqrt")),
        "cooldown 40% linear": lr_of(Schedule("wsd", N, warmup_steps=20, cooldown_steps=160, shape="linear")),
        "short cooldown": lr_of(Schedule("wsd", 200, warmup_steps=20, cooldown_steps=40, shape="1-sqrt"), 200),
        "cosine": lr_of(Schedule("cosine", N, warmup_steps=20, final_fraction=0.1)),
    }


def test_fit_on_a_trunk_and_one_cooldown_curve_predicts_unseen_schedules():
    """Noise-free curves logged every 5 steps after warmup: the fit (by name, as the
    workflow calls it) predicts a longer linear cooldown, a shorter run and a cosine run
    it never saw within 0.1% at every logged step."""
    runs = schedules()
    used = []
    for k in ("trunk", "cooldown 20%"):
        steps = np.arange(25, len(runs[k]) + 1, 5)
        used.append((runs[k], steps, TRUTH.curve(runs[k], steps)))
    result = fit_law("multi-power", used)
    assert result.n_points == len(used[0][1]) + len(used[1][1])
    for name in ("cooldown 40% linear", "short cooldown", "cosine"):
        steps = np.arange(25, len(runs[name]) + 1, 5)
        error = np.abs(result.law.curve(runs[name], steps) / TRUTH.curve(runs[name], steps) - 1)
        assert error.max() < 1e-3, (name, error.max())


def test_bad_input_is_refused():
    from scalinglaws import ScalingLawsError

    lr = np.full(10, 1e-3)
    with pytest.raises(ScalingLawsError, match="logged steps must lie in 1..10"):
        fit_multi_power([(lr, np.array([0, 5]), np.array([3.0, 2.0]))])
    with pytest.raises(ScalingLawsError, match="losses must be positive"):
        fit_multi_power([(lr, np.array([1, 5]), np.array([3.0, -1.0]))])
    with pytest.raises(ScalingLawsError, match="unknown law 'cubic'"):
        fit_law("cubic", [(lr, np.array([1]), np.array([3.0]))])
