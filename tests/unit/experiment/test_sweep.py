import random

import pytest

from helpers import ROOT
from scalinglaws import ScalingLawsError
from scalinglaws.experiment.layout import Layout
from scalinglaws.experiment.sweep import Sweep


def config(**over):
    c = {
        "experiment": "t",
        "training": {"seq_len": 32, "batch_size": 4, "warmup_tokens": 256},
        "models": [{"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.003}],
        "budgets": [2560, 5120],
        "cooldown": {"shapes": ["1-sqrt", "linear"], "fractions": [0.2], "final_fraction": 0.0},
        "cosine": {"enabled": True, "final_fraction": 0.1, "lr_factor": 2.0},
        "swa": {"enabled": True, "window_tokens": 640, "every_tokens": 128, "windows": 2},
        "trunk": {"link_tokens": 1280},  # a link every 10 steps
    }
    for k, v in over.items():
        c[k] = {**c[k], **v} if isinstance(v, dict) and isinstance(c.get(k), dict) else v
    return c


def test_steps_forks_and_chain():
    s = Sweep(config())
    assert s.tokens_per_step == 128 and s.warmup_steps == 2
    assert s.budget_steps("a") == [20, 40]
    assert sorted({c.fork_step for c in s.cooldowns("a")}) == [16, 32]
    assert s.trunk_steps("a") == [16, 20, 32, 40]  # the checkpoints something needs
    assert s.link_steps("a") == 10
    assert [(x.start, x.step) for x in s.chain("a")] == [(0, 10), (10, 20), (20, 30), (30, 40)]
    assert [(x.start, x.step) for x in s.branches("a")] == [(10, 16), (30, 32)]  # the forks, off the grid
    assert s.link_to("a", 16).branch and not s.link_to("a", 20).branch
    assert s.tokens("trunk", "a") == 40 * 128 and s.tokens("branch", "a") == (6 + 2) * 128
    with pytest.raises(ScalingLawsError, match="step 17 is not a trunk checkpoint of model 'a'"):
        s.link_to("a", 17)
    assert len(s.cooldowns()) == 4


def test_adding_budgets_and_fractions_never_moves_a_link_or_a_branch():
    """The chain is a prefix of any extended sweep's chain, the branches a subset, and
    every SWA model reads its windows from the same jobs: so nothing made is rerun."""
    rng = random.Random(0)
    for _ in range(200):
        budgets = sorted(rng.sample(range(10, 120, 5), 3))  # in steps, whole SWA windows
        more = sorted(set(budgets) | set(rng.sample(range(10, 160, 5), 2)))
        fractions = [0.2]
        before = Sweep(config(budgets=[b * 128 for b in budgets], cooldown={"fractions": fractions}))
        after = Sweep(config(budgets=[b * 128 for b in more], cooldown={"fractions": fractions + [0.5]}))
        chain = before.chain("a")
        assert after.chain("a")[: len(chain)] == chain
        assert set(before.branches("a")) <= set(after.branches("a"))
        for p in before.swa_points("a"):
            q = next(q for q in after.swa_points("a") if q.step == p.step)
            assert [before.window_saver(p, e) for e in p.window_ends] == [
                after.window_saver(q, e) for e in q.window_ends
            ]


def test_swa_windows_come_from_the_chain_or_the_branch_to_their_budget():
    s = Sweep(config(trunk={"link_tokens": 15 * 128}, swa={"windows": 3}))  # grid 15, 30; budgets 20, 40
    points = {p.step: p for p in s.swa_points("a")}
    assert [(x.start, x.step) for x in s.chain("a")] == [(0, 15), (15, 30)]
    saver = {(p, e): s.window_saver(points[p], e) for p in (20, 40) for e in points[p].window_ends}
    assert {k: (link.step, link.branch) for k, link in saver.items()} == {
        (20, 10): (15, False),
        (20, 15): (15, False),
        (20, 20): (20, True),
        (40, 30): (30, False),
        (40, 35): (40, True),  # the chain's link to 45 is past the budget
        (40, 40): (40, True),
    }
    assert saver[(20, 20)].start == 15  # the branch to step 20 completes the window 15-20


def test_the_grid_per_parameter_or_per_model():
    from scalinglaws.experiment.flops import param_counts

    s = Sweep(config(budgets=[64000], trunk={"link_tokens": None, "link_tokens_per_param": 0.5}))
    n = param_counts(s.model_config("a"))["params_non_embedding"]
    assert s.link_steps("a") == round(0.5 * n / 640) * 5  # whole SWA windows of 5 steps
    own = config()
    own["models"] = [{**own["models"][0], "link_tokens": 640}]
    assert Sweep(own).link_steps("a") == 5  # a model's own link_tokens wins


def test_predicted_only_trains_the_fitted_cooldowns_and_their_forks():
    """predict.run_predicted: false keeps the largest budget's first-shape cooldown (the
    default fit subset); the trunk keeps every fork step (more trunk losses for the law)."""
    s = Sweep(config(budgets=[2560, 5120, 7680], predict={"run_predicted": False}))
    assert [(c.tokens, c.shape) for c in s.fit_cooldowns("a")] == [(7680, "1-sqrt")]
    assert s.cooldowns("a") == s.fit_cooldowns("a") and len(s.all_cooldowns("a")) == 6
    assert s.trunk_steps("a") == [16, 20, 32, 40, 48, 60]  # budgets 20, 40, 60 and their forks
    assert s.tokens("cooldown", "a") == 12 * 128
    both = Sweep(config(budgets=[2560, 5120, 7680], predict={"fit_budgets": [0, -1], "fit_shape": "linear"}))
    assert [(c.tokens, c.shape) for c in both.fit_cooldowns("a")] == [(2560, "linear"), (7680, "linear")]
    assert len(both.cooldowns("a")) == 6  # run_predicted defaults to true: everything is trained


def test_fraction_rounding_and_several_fractions():
    s = Sweep(config(budgets=[1280], cooldown={"fractions": [0.25, 0.5]}, swa={"enabled": False}))
    # 10 steps: 25% → 2.5 → 3 steps (fork 7); 50% → 5 steps (fork 5)
    assert sorted((c.fraction, c.cooldown_steps, c.fork_step) for c in s.cooldowns("a"))[::2] == [
        (0.25, 3, 7),
        (0.5, 5, 5),
    ]
    assert s.trunk_steps("a") == [5, 7, 10]


def test_swa_windows_end_at_the_budget_and_map_to_links():
    s = Sweep(config(swa={"windows": 3}))
    points = {p.tokens: p for p in s.swa_points("a")}
    assert points[5120].window_ends == (30, 35, 40)
    assert points[2560].window_ends == (10, 15, 20)
    savers = [s.window_saver(points[2560], e) for e in (10, 15, 20)]
    assert [(x.step, x.branch) for x in savers] == [(10, False), (20, False), (20, False)]
    few = Sweep(config(swa={"windows": 9})).swa_points("a")[0]
    assert few.window_ends == (5, 10, 15, 20)  # a budget holding fewer windows merges those it has


def test_per_model_budgets_and_cosine_lr():
    c = config()
    c["models"] = [
        c["models"][0],
        {"name": "b", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.01, "cosine_lr": 0.015, "budgets": [5120]},
    ]
    s = Sweep(c)
    assert s.budget_steps("b") == [40] and s.trunk_steps("b") == [32, 40]
    assert s.cosine_lr("a") == pytest.approx(0.006) and s.cosine_lr("b") == 0.015


def test_a_model_can_have_its_own_warmup():
    """Its warmup reaches its runs' LR sequences; the other model keeps training.warmup_tokens."""
    from scalinglaws.analysis.predictions import cosine_lr, trunk_lr

    models = [
        {"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.003},
        {"name": "b", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.003, "warmup_tokens": 1024},
    ]
    s = Sweep(config(models=models))
    assert (s.warmup_steps_for("a"), s.warmup_steps_for("b")) == (2, 8)
    a, b = trunk_lr(s, "a", 12), trunk_lr(s, "b", 12)
    assert a[1] == pytest.approx(0.003) and b[1] == pytest.approx(0.003 * 2 / 8)  # step 2 of 8 rising
    assert b[7:].tolist() == pytest.approx([0.003] * 5)
    assert cosine_lr(s, "b", 20)[3] == pytest.approx(2 * 0.003 * 4 / 8)  # cosine too, at lr_factor 2


def test_compute_accounting_in_tokens():
    s = Sweep(config())
    assert s.tokens("trunk", "a") == 5120
    assert s.tokens("cosine", "a") == 2560 + 5120
    assert s.tokens("cooldown", "a") == 2 * (4 + 8) * 128  # two shapes, 20% of 20 and 40 steps


@pytest.mark.parametrize(
    "over,match",
    [
        ({"budgets": [2560, 2600]}, r"budgets \(a\): 2600 tokens is not a whole positive number of steps"),
        ({"budgets": [2560, 2560]}, r"duplicate budget\(s\) \[2560\] for model 'a'"),
        ({"training": {"warmup_tokens": 2048}}, r"forks at step 16, at or before the end of warmup \(step 16\)"),
        (
            {"swa": {"window_tokens": 1280 * 3}},
            r"swa.window_tokens: the 2560-token budget of 'a' is not a whole number",
        ),
        (
            {"swa": {"every_tokens": 384}},
            r"swa.window_tokens \(5 steps\) is not a multiple of swa.every_tokens \(3 steps\)",
        ),
        ({"training": {"warmup_tokens": 100}}, r"training.warmup_tokens: 100 tokens is not a whole"),
        (
            {"models": [{"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.1, "warmup_tokens": 2048}]},
            r"'a' forks at step 16, at or before the end of warmup \(step 16\)",
        ),
        (
            {"models": [{"name": "a", "d_model": 32, "n_layers": 1, "n_heads": 2, "lr": 0.1, "warmup_tokens": 100}]},
            r"models \(a\): warmup_tokens: 100 tokens is not a whole",
        ),
        (
            {"models": [{"name": "a", "d_model": 30, "n_layers": 1, "n_heads": 4, "lr": 0.1}]},
            "d_model 30 is not divisible",
        ),
        ({"predict": {"fit_shape": "cosine"}}, r"predict.fit_shape 'cosine' is not one of cooldown.shapes"),
        (
            {"predict": {"fit_budgets": [2]}},
            r"predict.fit_budgets: \[2\] is out of range for the 2 budgets of model 'a'",
        ),
        (
            {"predict": {"run_predicted": False, "law": "multi-power"}},
            r"model 'a' has 5 measured losses \(4 trunk checkpoints and 1 fitted cooldowns\) for the multi-power law's 7",
        ),
        ({"predict": {"enabled": False, "run_predicted": False}}, "run_predicted: false needs predict.enabled: true"),
        (
            {"trunk": {"link_tokens": 1300}},
            r"trunk.link_tokens: 1300 tokens is not a whole positive number of steps",
        ),
        (
            {"trunk": {"link_tokens": 6400}},
            r"model 'a' links its trunk every 6400 tokens, past its largest budget \(5120 tokens\)",
        ),
    ],
)
def test_semantic_errors_name_the_key(over, match):
    with pytest.raises(ScalingLawsError, match=match):
        Sweep(config(**over))


def test_several_cosine_baselines_some_budgets_only():
    s = Sweep(
        config(
            budgets=[2560, 5120, 7680],
            cosine={"final_fraction": None, "final_fractions": [0.1, 0.0], "budgets": [0, -1]},
        )
    )
    runs = s.baselines("a")
    assert [(b.tokens, b.final_fraction, b.primary) for b in runs] == [
        (2560, 0.1, True),
        (7680, 0.1, True),
        (2560, 0.0, False),
        (7680, 0.0, False),
    ]
    assert [b.label for b in runs[1:3]] == ["cosine", "cosine→0"]
    assert (
        runs[2].directory == "cosine-final0"
        and Layout.cosine_job("a", 2560, runs[0].directory) == "cosine/a/tokens2560"
    )
    assert s.baseline("cosine-final0", "a", "7680") == runs[3]
    # savings are counted against the whole primary sweep, trained or not
    assert s.tokens("cosine", "a") == 2560 + 5120 + 7680
    assert Sweep(config()).cosine_final_fractions == [0.1]
    assert Sweep(config(cosine={"enabled": False})).baselines() == []


@pytest.mark.parametrize(
    "cosine, message",
    [
        ({"final_fractions": [0.1, 0.0]}, r"final_fraction \(0.1\) and final_fractions \(\[0.1, 0.0\]\) are both set"),
        (
            {"final_fraction": None, "final_fractions": [0.0, 0.0]},
            r"cosine.final_fractions: \[0.0, 0.0\] repeats a value",
        ),
        ({"budgets": [2]}, r"cosine.budgets: \[2\] is out of range for the 2 budgets of model 'a'"),
    ],
)
def test_bad_baselines_are_config_errors(cosine, message):
    with pytest.raises(ScalingLawsError, match=message):
        Sweep(config(cosine=cosine))


def test_budgets_per_parameter_round_to_whole_windows():
    from scalinglaws.experiment.flops import param_counts

    s = Sweep(config(budgets=None, budgets_per_param=[1, 2.5]))
    n = param_counts(s.model_config("a"))["params_non_embedding"]
    unit = 640  # the SWA window: 5 steps of 128 tokens
    assert s.budget_unit == unit
    assert s.budgets("a") == [round(n / unit) * unit, round(2.5 * n / unit) * unit]
    no_swa = Sweep(config(budgets=None, budgets_per_param=[1], swa={"enabled": False}))
    assert no_swa.budgets("a") == [round(n / 128) * 128]
    own = config(budgets_per_param=[4], budgets=None)
    own["models"] = [{**own["models"][0], "budgets": [1280]}]
    assert Sweep(own).budgets("a") == [1280]  # a model's own budgets replace the global ones
    with pytest.raises(ScalingLawsError, match="has none"):
        Sweep(config(budgets=None))
    with pytest.raises(ScalingLawsError, match="rounded to whole multiples of 640 tokens"):
        Sweep(config(budgets=None, budgets_per_param=[1, 1.01]))
    with pytest.raises(ScalingLawsError, match="budgets and budgets_per_param are both set in the config"):
        Sweep(config(budgets_per_param=[1]))


@pytest.mark.parametrize("configfile", sorted(p.name for p in (ROOT / "configs").glob("*.yaml")))
def test_the_shipped_configs_are_valid(configfile):
    """Each configs/*.yaml, over config.yaml as `snakemake --configfile` merges it, passes
    the schema and the sweep's checks (a typo there would surface only when a user runs it)."""
    from scalinglaws.experiment.config import load_config

    Sweep(load_config([ROOT / "configs" / configfile], ROOT))
