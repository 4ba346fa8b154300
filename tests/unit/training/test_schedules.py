import math

import pytest

from scalinglaws import ScalingLawsError
from scalinglaws.training.schedules import SHAPES, Schedule, cooldown_steps


def wsd(shape, n=1000, frac=0.2, **kw):
    return Schedule("wsd", n, cooldown_steps=cooldown_steps(n, fraction=frac), shape=shape, **kw)


# Golden values from the foundation issue: N=1000, no warmup, 20% cooldown, final factor 0.
GOLDEN = {
    900: {"1-sqrt": 0.29289, "linear": 0.5, "cosine": 0.5, "1-square": 0.75, "mirror-cosine": 0.5},
    999: {"1-sqrt": 0.0025031, "linear": 0.005},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_is_one_at_the_fork_step(shape):
    assert wsd(shape).multiplier(800) == 1.0
    assert wsd(shape).multiplier(799) == 1.0


@pytest.mark.parametrize("step,shape,value", [(s, sh, v) for s, d in GOLDEN.items() for sh, v in d.items()])
def test_golden_values(step, shape, value):
    assert wsd(shape).multiplier(step) == pytest.approx(value, abs=5e-6)


def test_warmup_is_linear_from_one_over_w():
    for sched in (
        Schedule("constant", warmup_steps=10),
        Schedule("cosine", 100, warmup_steps=10),
        wsd("linear", warmup_steps=10),
    ):
        assert [sched.multiplier(s) for s in range(10)] == pytest.approx([(s + 1) / 10 for s in range(10)])
        assert sched.multiplier(10) == 1.0


def test_cosine_runs_from_one_to_final_fraction():
    c = Schedule("cosine", 101, warmup_steps=10, final_fraction=0.1)
    assert c.multiplier(10) == 1.0
    assert c.multiplier(100) == pytest.approx(0.1)
    assert c.multiplier(55) == pytest.approx(0.1 + 0.9 * 0.5)  # halfway
    vals = c.multipliers(10, 101)
    assert all(a >= b for a, b in zip(vals, vals[1:]))


def test_wsd_final_fraction_scales_the_decay():
    s = wsd("linear", final_fraction=0.1)
    assert s.multiplier(900) == pytest.approx(0.1 + 0.9 * 0.5)


def test_wsd_is_the_constant_trunk_before_its_fork_step():
    trunk = Schedule("constant", warmup_steps=7)
    cd = Schedule("wsd", 60, warmup_steps=7, cooldown_steps=12, shape="1-sqrt")
    assert cd.fork_step == 48
    assert cd.multipliers(0, 48) == [trunk.multiplier(s) for s in range(48)]


def test_cooldown_steps_rounds_to_nearest_and_never_zero():
    assert cooldown_steps(1000, fraction=0.2) == 200
    assert cooldown_steps(7, fraction=0.25) == 2  # 1.75 → 2
    assert cooldown_steps(10, fraction=0.25) == 3  # 2.5 rounds half up, not to even
    assert cooldown_steps(10, fraction=0.01) == 1  # 0.1 → never 0
    assert cooldown_steps(50, steps=13) == 13


def test_cooldown_over_the_whole_run():
    s = Schedule("wsd", 10, cooldown_steps=cooldown_steps(10, fraction=1.0), shape="linear")
    assert s.fork_step == 0
    assert s.multipliers(0, 10) == pytest.approx([1 - p / 10 for p in range(10)])


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: cooldown_steps(100, fraction=0.0), "fraction 0.0 is outside"),
        (lambda: cooldown_steps(100, fraction=1.5), "fraction 1.5 is outside"),
        (lambda: cooldown_steps(100, steps=101), "does not fit"),
        (lambda: Schedule("wsd", 100, cooldown_steps=10, shape="square"), "shape 'square'"),
        (lambda: Schedule("linear-ish", 100), "kind 'linear-ish'"),
        (lambda: Schedule("cosine"), "needs total_steps"),
        (lambda: Schedule("cosine", 10).multiplier(10), "outside the run"),
    ],
)
def test_bad_schedules_say_what_is_wrong(make, match):
    with pytest.raises(ScalingLawsError, match=match):
        make()


def test_shapes_fall_from_one_towards_zero():
    for name, f in SHAPES.items():
        assert f(0.0) == pytest.approx(1.0), name
        assert f(1.0) == pytest.approx(0.0, abs=1e-12), name
        assert math.isfinite(f(0.5))
