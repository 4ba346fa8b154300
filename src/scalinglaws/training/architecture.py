"""A model's shape: the sizes that define the network (``ModelConfig``), without torch.

Separate from ``model`` so that the workflow, the sweep and the FLOP counts, which only
need sizes, start without importing torch (about 2 s a process on a small CPU).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scalinglaws import ScalingLawsError


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    seq_len: int
    ffn_multiple_of: int = 32
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    def __post_init__(self):
        for key in ("vocab_size", "d_model", "n_layers", "n_heads", "seq_len", "ffn_multiple_of"):
            if getattr(self, key) < 1:
                raise ScalingLawsError(f"{key} must be a positive integer, got {getattr(self, key)}")
        if self.d_model % self.n_heads:
            raise ScalingLawsError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        if (self.d_model // self.n_heads) % 2:
            raise ScalingLawsError(
                f"head size d_model / n_heads = {self.d_model // self.n_heads} must be even for rotary embeddings"
            )

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def ffn_hidden(self) -> int:
        m = self.ffn_multiple_of
        return m * math.ceil(8 * self.d_model / 3 / m)

    def to_dict(self) -> dict:
        return asdict(self)
