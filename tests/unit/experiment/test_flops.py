import pytest

from scalinglaws import ScalingLawsError
from scalinglaws.experiment.flops import flops_per_token, forward_flops_per_token, param_counts
from scalinglaws.training.model import ModelConfig, build, count_params


@pytest.mark.parametrize("d,L,H,V", [(32, 1, 2, 256), (96, 3, 4, 1000), (128, 4, 8, 50257)])
def test_param_formula_matches_the_built_model(d, L, H, V):
    cfg = ModelConfig(vocab_size=V, d_model=d, n_layers=L, n_heads=H, seq_len=16)
    assert param_counts(cfg) == count_params(build(cfg, 0))


def test_chinchilla_forward_count_by_hand():
    # d=64, f=192, L=2, V=256, T=128, H=4
    cfg = ModelConfig(vocab_size=256, d_model=64, n_layers=2, n_heads=4, seq_len=128)
    attn = 6 * 64 * 64 + 2 * 128 * 64 + 3 * 4 * 128 + 2 * 128 * 64 + 2 * 64 * 64
    mlp = 6 * 64 * 192
    assert forward_flops_per_token(cfg) == 2 * 256 * 64 + 2 * (attn + mlp) + 2 * 64 * 256
    assert flops_per_token(cfg, "chinchilla") == 3 * forward_flops_per_token(cfg)


def test_6n_conventions():
    cfg = ModelConfig(vocab_size=256, d_model=64, n_layers=2, n_heads=4, seq_len=128)
    assert flops_per_token(cfg, "6N", "total") == 6 * param_counts(cfg)["params"]
    assert flops_per_token(cfg, "6N", "non_embedding") == 6 * param_counts(cfg)["params_non_embedding"]
    with pytest.raises(ScalingLawsError, match="flops.convention 'x'"):
        flops_per_token(cfg, "x")


def test_chinchilla_count_approaches_6n_for_large_models():
    # For wide models with short context the non-embedding matmuls dominate: ratio → ~1.
    cfg = ModelConfig(vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, seq_len=2048, ffn_multiple_of=256)
    ratio = flops_per_token(cfg, "chinchilla") / flops_per_token(cfg, "6N", "total")
    assert 1.0 < ratio < 1.2
