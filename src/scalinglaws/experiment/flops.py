"""Training FLOPs per token, in two conventions.

- ``chinchilla``: 3 × the forward FLOPs counted as in Chinchilla's appendix F (Hoffmann
  et al. 2022, arXiv 2203.15556): embeddings, attention with its sequence-length terms
  (QK logits, softmax, attention-weighted values over the full context), the MLP (three
  matrices for SwiGLU), and the logits. Backward is taken as 2 × forward. Hägele et al.
  count FLOPs this way.
- ``6N``: 6 × N, with N all parameters or those outside the embedding.

Every output that carries FLOPs also records the convention it was computed in.
"""

from __future__ import annotations

from scalinglaws import ScalingLawsError
from scalinglaws.training.architecture import ModelConfig

CONVENTIONS = ("chinchilla", "6N")


def param_counts(cfg: ModelConfig) -> dict[str, int]:
    """Parameters of the model, by formula (no need to build a possibly huge model)."""
    d, f, L, V = cfg.d_model, cfg.ffn_hidden, cfg.n_layers, cfg.vocab_size
    per_block = 4 * d * d + 3 * d * f + 2 * d  # attention qkv + out, SwiGLU, two RMSNorm gains
    non_embedding = L * per_block + d  # + final norm
    return {"params": V * d + non_embedding, "params_non_embedding": non_embedding}


def forward_flops_per_token(cfg: ModelConfig) -> float:
    """Chinchilla appendix F, per token of a sequence of ``cfg.seq_len``."""
    d, f, L, V, T, H = cfg.d_model, cfg.ffn_hidden, cfg.n_layers, cfg.vocab_size, cfg.seq_len, cfg.n_heads
    embeddings = 2 * V * d
    attention = (
        2 * 3 * d * d  # q, k, v projections
        + 2 * T * d  # q·k logits
        + 3 * H * T  # softmax
        + 2 * T * d  # softmax · v
        + 2 * d * d  # output projection
    )
    mlp = 2 * 3 * d * f  # SwiGLU: gate, up, down
    logits = 2 * d * V
    return embeddings + L * (attention + mlp) + logits


def flops_per_token(cfg: ModelConfig, convention: str = "chinchilla", params: str = "non_embedding") -> float:
    """Training FLOPs (forward + backward) per token."""
    if convention == "chinchilla":
        return 3 * forward_flops_per_token(cfg)
    if convention == "6N":
        key = {"total": "params", "non_embedding": "params_non_embedding"}.get(params)
        if key is None:
            raise ScalingLawsError(f"flops.params {params!r} is not one of total, non_embedding")
        return 6 * param_counts(cfg)[key]
    raise ScalingLawsError(f"flops.convention {convention!r} is not one of {', '.join(CONVENTIONS)}")
