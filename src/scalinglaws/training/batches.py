"""The batch of each training step, drawn from a prepared token array.

``get_batch(tokens, step, …)`` is a pure function of (data seed, step): training needs no
loader state, so a run resumed at any step sees exactly the batches it would have seen.
"""

from __future__ import annotations

import numpy as np
import torch

from scalinglaws import ScalingLawsError


def batch_starts(step: int, data_seed: int, n_tokens: int, batch_size: int, seq_len: int) -> np.ndarray:
    """Start offsets of the batch for ``step``: uniform windows, seeded by (data_seed, step)."""
    high = n_tokens - seq_len  # a window needs seq_len + 1 tokens (inputs and next-token targets)
    if high < 1:
        raise ScalingLawsError(f"the training split has {n_tokens} tokens, fewer than seq_len + 1 = {seq_len + 1}")
    rng = np.random.default_rng([data_seed, step])
    return rng.integers(0, high, size=batch_size)


def windows(tokens: np.ndarray, starts: np.ndarray, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-token targets of the windows starting at ``starts``."""
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]
    w = torch.from_numpy(np.asarray(tokens[idx], dtype=np.int64))
    return w[:, :-1], w[:, 1:]


def get_batch(tokens: np.ndarray, step: int, data_seed: int, batch_size: int, seq_len: int):
    """The (inputs, targets) batch of training step ``step`` — a pure function of its arguments."""
    return windows(tokens, batch_starts(step, data_seed, len(tokens), batch_size, seq_len), seq_len)
