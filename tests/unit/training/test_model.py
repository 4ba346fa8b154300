import math

import pytest
import torch

from scalinglaws import ScalingLawsError
from scalinglaws.training.model import ModelConfig, build, count_params


def cfg(**kw):
    base = dict(vocab_size=256, d_model=64, n_layers=2, n_heads=4, seq_len=32)
    return ModelConfig(**{**base, **kw})


def test_swiglu_hidden_is_eight_thirds_rounded_up():
    assert cfg(d_model=64, ffn_multiple_of=32).ffn_hidden == 192  # 170.7 → 192
    assert cfg(d_model=96, ffn_multiple_of=1).ffn_hidden == 256  # exactly 8·96/3
    assert cfg(d_model=128, n_heads=4, ffn_multiple_of=256).ffn_hidden == 512  # 341.3 → 512


def test_parameter_counts_match_the_architecture():
    c = cfg()
    d, h, L, V = c.d_model, c.ffn_hidden, c.n_layers, c.vocab_size
    per_block = 4 * d * d + 3 * d * h + 2 * d  # qkv + out, gate/up/out, two RMSNorm gains
    counts = count_params(build(c, 0))
    assert counts["params"] == V * d + L * per_block + d  # tied embedding counted once, final norm
    assert counts["params_non_embedding"] == L * per_block + d


def test_embedding_is_tied_and_init_follows_the_paper():
    c = cfg(d_model=128, n_layers=4, n_heads=4)
    m = build(c, 0)
    assert m.lm_head.weight is m.embed.weight
    assert m.embed.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert m.blocks[0].attn.qkv.weight.std().item() == pytest.approx(0.02, rel=0.05)
    resid = 0.02 / math.sqrt(2 * c.n_layers)
    assert m.blocks[0].attn.out.weight.std().item() == pytest.approx(resid, rel=0.05)
    assert m.blocks[1].mlp.out.weight.std().item() == pytest.approx(resid, rel=0.05)
    assert torch.all(m.blocks[0].attn_norm.weight == 1)
    assert not any(".bias" in n for n, _ in m.named_parameters())


def test_same_seed_same_weights_and_no_global_rng_side_effect():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b = build(cfg(), 7), build(cfg(), 7)
    assert torch.rand(1) == before  # building did not consume the global generator
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(build(cfg(), 8).embed.weight, a.embed.weight)


def test_attention_is_causal():
    m = build(cfg(), 0).eval()
    x = torch.randint(0, 256, (2, 16))
    y = x.clone()
    y[:, 10:] = (y[:, 10:] + 1) % 256
    with torch.no_grad():
        lx, ly = m(x), m(y)
    assert torch.allclose(lx[:, :10], ly[:, :10], atol=1e-6)
    assert not torch.allclose(lx[:, 10:], ly[:, 10:], atol=1e-3)


def test_initial_loss_is_about_log_vocab():
    m = build(cfg(), 0)
    x, y = torch.randint(0, 256, (2, 4, 32))
    assert m.loss(x, y).item() == pytest.approx(math.log(256), rel=0.05)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"d_model": 60, "n_heads": 8}, "d_model 60 is not divisible by n_heads 8"),
        ({"n_layers": 0}, "n_layers must be a positive integer"),
        ({"d_model": 12, "n_heads": 4}, "must be even"),
    ],
)
def test_bad_model_config(kw, match):
    with pytest.raises(ScalingLawsError, match=match):
        cfg(**kw)
