"""The foundation's exactness claims, bit for bit on CPU (``torch.equal`` on every tensor)."""

import csv

import pytest
import torch

from helpers import assert_same_state, tiny_run, training_state
from scalinglaws import ScalingLawsError
from scalinglaws.training import checkpoint
from scalinglaws.training.evaluate import val_loss
from scalinglaws.training.loop import load_model, train
from scalinglaws.training.schedules import Schedule, cooldown_steps


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_chained_links_equal_one_run(tmp_path, data, precision):
    run = tiny_run(swa_window_steps=8, swa_every_steps=2, ema_decay=0.9, precision=precision)
    windows_one, windows_chain = {}, {}
    train(
        run,
        data,
        until=30,
        out=tmp_path / "one.pt",
        on_window=lambda s, w, n: windows_one.setdefault(s, (w, n)),
        progress=False,
    )
    prev = None
    for stop in (10, 20, 30):  # links end mid-window (8, 16, 24 close windows)
        train(
            run,
            data,
            until=stop,
            init=prev,
            out=tmp_path / f"link{stop}.pt",
            on_window=lambda s, w, n: windows_chain.setdefault(s, (w, n)),
            progress=False,
        )
        prev = tmp_path / f"link{stop}.pt"
    assert_same_state(training_state(tmp_path / "one.pt"), training_state(prev))
    assert sorted(windows_one) == sorted(windows_chain) == [8, 16, 24]
    for s in windows_one:
        assert windows_one[s][1] == windows_chain[s][1] == 4  # samples at every 2nd step of 8
        assert_same_state(windows_one[s][0], windows_chain[s][0], f"window{s}")


@pytest.mark.parametrize("shape,precision", [("linear", "fp32"), ("1-sqrt", "fp32"), ("1-sqrt", "bf16")])
def test_forked_cooldown_equals_uninterrupted_wsd_run(tmp_path, data, shape, precision):
    n = 40
    wsd = Schedule("wsd", n, warmup_steps=4, cooldown_steps=cooldown_steps(n, fraction=0.25), shape=shape)
    fork = wsd.fork_step  # 30
    trunk = tiny_run(swa_window_steps=5, precision=precision)  # the trunk carries SWA state; the fork drops it
    # the fork step off the chain's grid, as the workflow reaches it: a link to grid step 24
    # (inside an SWA window), then a branch from there to the fork step
    train(trunk, data, until=24, out=tmp_path / "link.pt", progress=False)
    train(trunk, data, until=fork, init=tmp_path / "link.pt", out=tmp_path / "trunk.pt", progress=False)
    train(
        tiny_run(wsd, precision=precision),
        data,
        until=n,
        init=tmp_path / "trunk.pt",
        out=tmp_path / "fork.pt",
        progress=False,
    )
    train(tiny_run(wsd, precision=precision), data, until=n, out=tmp_path / "whole.pt", progress=False)
    a, b = training_state(tmp_path / "fork.pt"), training_state(tmp_path / "whole.pt")
    for key in ("step", "model", "optimizer", "rng"):
        assert_same_state(a[key], b[key], key)


def test_metrics_csv_has_one_row_per_step(tmp_path, data):
    run = tiny_run(Schedule("wsd", 12, warmup_steps=4, cooldown_steps=4, shape="linear"))
    train(run, data, until=12, out=tmp_path / "c.pt", metrics=tmp_path / "c.csv", progress=False)
    rows = list(csv.DictReader(open(tmp_path / "c.csv")))
    assert [int(r["step"]) for r in rows] == list(range(1, 13))
    assert int(rows[-1]["tokens"]) == 12 * run.tokens_per_step
    assert [float(r["lr"]) for r in rows] == pytest.approx([3e-3 * run.schedule.multiplier(s) for s in range(12)])


def test_training_lowers_validation_loss(tmp_path, data):
    run = tiny_run()
    train(run, data, until=1, out=tmp_path / "a.pt", progress=False)
    train(run, data, until=150, init=tmp_path / "a.pt", out=tmp_path / "b.pt", progress=False)
    before = val_loss(load_model(tmp_path / "a.pt")[0], data, 2048)
    after = val_loss(load_model(tmp_path / "b.pt")[0], data, 2048)
    assert after < before - 1.0, (before, after)


def test_resume_with_other_settings_is_refused(tmp_path, data):
    train(tiny_run(), data, until=5, out=tmp_path / "a.pt", progress=False)
    with pytest.raises(
        checkpoint.CheckpointError, match=r"a.pt: made for a different run: batch_size=4 \(this run: 8\)"
    ):
        train(tiny_run(batch_size=8), data, until=10, init=tmp_path / "a.pt", out=tmp_path / "b.pt", progress=False)
    assert not (tmp_path / "b.pt").exists()


def test_bad_step_range_is_refused(tmp_path, data):
    train(tiny_run(), data, until=5, out=tmp_path / "a.pt", progress=False)
    with pytest.raises(ScalingLawsError, match="cannot train from step 5 to step 5"):
        train(tiny_run(), data, until=5, init=tmp_path / "a.pt", out=tmp_path / "b.pt", progress=False)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_divergence_stops_without_a_checkpoint(tmp_path, data, monkeypatch, bad):
    import scalinglaws.training.loop as training

    train(tiny_run(), data, until=2, out=tmp_path / "earlier.pt", progress=False)
    earlier = (tmp_path / "earlier.pt").read_bytes()
    real = training.lm_loss
    calls = {"n": 0}

    def loss_that_blows_up(logits, targets):
        calls["n"] += 1
        out = real(logits, targets)
        return out * bad if calls["n"] > 2 else out

    monkeypatch.setattr(training, "lm_loss", loss_that_blows_up)
    with pytest.raises(ScalingLawsError, match=rf"diverged at step 4: loss {bad}; last finite loss .* at step 3"):
        train(
            tiny_run(),
            data,
            until=10,
            init=tmp_path / "earlier.pt",
            out=tmp_path / "x.pt",
            metrics=tmp_path / "x.csv",
            progress=False,
        )
    assert not (tmp_path / "x.pt").exists() and not (tmp_path / "x.csv").exists()
    assert (tmp_path / "earlier.pt").read_bytes() == earlier


def test_bf16_trains_a_different_but_close_trajectory(tmp_path, data):
    """bf16 autocast really computes in bf16 (the weights differ from fp32's), and it
    still learns the same thing to within a few percent of the loss."""
    fp32 = train(tiny_run(), data, until=20, out=tmp_path / "fp32.pt", progress=False)
    bf16 = train(tiny_run(precision="bf16"), data, until=20, out=tmp_path / "bf16.pt", progress=False)
    a, b = checkpoint.load(tmp_path / "fp32.pt")["model"], checkpoint.load(tmp_path / "bf16.pt")["model"]
    assert all(v.dtype == torch.float32 for v in b.values())  # master weights stay fp32
    assert not all(torch.equal(a[k], b[k]) for k in a)
    assert bf16.losses[-1] == pytest.approx(fp32.losses[-1], rel=0.03)


def test_weight_decay_only_on_matrices(data):
    from scalinglaws.training.loop import make_optimizer
    from scalinglaws.training.model import build

    run = tiny_run()
    m = build(run.model, 0)
    groups = make_optimizer(m, run.optim).param_groups
    decayed = {id(p) for p in groups[0]["params"]}
    assert groups[0]["weight_decay"] == 0.1 and groups[1]["weight_decay"] == 0.0
    assert id(m.embed.weight) not in decayed and id(m.blocks[0].attn_norm.weight) not in decayed
    assert id(m.blocks[0].attn.qkv.weight) in decayed and id(m.blocks[0].mlp.out.weight) in decayed


def test_compiled_training_saves_the_same_checkpoint_keys(tmp_path, data, monkeypatch):
    """`compile`: the loop runs a torch.compile'd module (whose own state_dict keys carry
    an `_orig_mod.` prefix), but checkpoints come from the plain model: same keys, and the
    same weights to float tolerance (1e-5), resumable by an uncompiled run. TorchDynamo
    with the eager backend here: inductor's C++ build takes ~35 s on CI's 2 cores."""
    real_compile, compiled = torch.compile, []

    def compile_eager(module):
        compiled.append(module)
        return real_compile(module, backend="eager")

    monkeypatch.setattr(torch, "compile", compile_eager)
    train(tiny_run(compile=True), data, until=4, out=tmp_path / "c.pt", progress=False)
    monkeypatch.undo()
    assert compiled, "the run did not compile its model"
    train(tiny_run(), data, until=4, out=tmp_path / "e.pt", progress=False)
    a, b = checkpoint.load(tmp_path / "c.pt")["model"], checkpoint.load(tmp_path / "e.pt")["model"]
    assert a.keys() == b.keys() and not any(k.startswith("_orig_mod") for k in a)
    for k in a:
        assert torch.allclose(a[k], b[k], rtol=0, atol=1e-5), k
    train(tiny_run(), data, until=6, init=tmp_path / "c.pt", out=tmp_path / "resumed.pt", progress=False)
