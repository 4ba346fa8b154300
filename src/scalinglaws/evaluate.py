"""Validation loss on a fixed slice of the validation split.

The same ``n_tokens`` tokens — consecutive, non-overlapping windows from the start of
``val.bin`` — are used for every model, so losses of trunk, cooldown, cosine and SWA
models are comparable point for point.
"""

from __future__ import annotations

import numpy as np
import torch

from scalinglaws import ScalingLawsError
from scalinglaws.data import TokenData, windows
from scalinglaws.model import Transformer


def n_windows(val_tokens: int, n_tokens: int, seq_len: int) -> int:
    """How many windows of ``seq_len`` the evaluation uses; a clear error if they do not fit."""
    n = n_tokens // seq_len
    if n < 1:
        raise ScalingLawsError(f"eval tokens {n_tokens} is less than one sequence of {seq_len} tokens")
    if n * seq_len + 1 > val_tokens:
        raise ScalingLawsError(
            f"eval tokens {n_tokens} needs {n * seq_len + 1} validation tokens; the validation split has {val_tokens}"
        )
    return n


@torch.no_grad()
def val_loss(model: Transformer, data: TokenData, n_tokens: int, batch_size: int = 32, device: str = "cpu") -> float:
    """Mean next-token cross-entropy (nats) over the first ``n_tokens`` validation tokens."""
    if data.meta["vocab_size"] != model.cfg.vocab_size:
        raise ScalingLawsError(
            f"the model's vocab_size {model.cfg.vocab_size} does not match the data's {data.meta['vocab_size']} ({data.path})"
        )
    seq_len = model.cfg.seq_len
    n = n_windows(len(data.val), n_tokens, seq_len)
    model.eval().to(device)
    total = torch.zeros((), dtype=torch.float64)
    for first in range(0, n, batch_size):
        starts = np.arange(first, min(first + batch_size, n)) * seq_len
        x, y = windows(data.val, starts, seq_len)
        logits = model(x.to(device)).float()
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.to(device).reshape(-1), reduction="sum")
        total += loss.double().cpu()
    return (total / (n * seq_len)).item()
