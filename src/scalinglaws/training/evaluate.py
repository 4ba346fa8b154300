"""Validation loss on a fixed slice of the validation split.

The same ``n_tokens`` tokens — consecutive, non-overlapping windows from the start of
``val.bin`` — are used for every model, so losses of trunk, cooldown, cosine and SWA
models are comparable point for point.
"""

from __future__ import annotations

import numpy as np
import torch

from scalinglaws import ScalingLawsError
from scalinglaws.training.batches import windows
from scalinglaws.training.data import TokenData, check_validation_split
from scalinglaws.training.model import Transformer


@torch.no_grad()
def val_loss(model: Transformer, data: TokenData, n_tokens: int, batch_size: int = 32, device: str = "cpu") -> float:
    """Mean next-token cross-entropy (nats) over the first ``n_tokens`` validation tokens."""
    if data.meta["vocab_size"] != model.cfg.vocab_size:
        raise ScalingLawsError(
            f"the model's vocab_size {model.cfg.vocab_size} does not match the data's {data.meta['vocab_size']} ({data.path})"
        )
    seq_len = model.cfg.seq_len
    n = check_validation_split(len(data.val), n_tokens, seq_len)
    model.eval().to(device)
    total = torch.zeros((), dtype=torch.float64)
    for first in range(0, n, batch_size):
        starts = np.arange(first, min(first + batch_size, n)) * seq_len
        x, y = windows(data.val, starts, seq_len)
        logits = model(x.to(device)).float()
        loss = torch.nn.functional.cross_entropy(
            logits.view(-1, logits.size(-1)), y.to(device).reshape(-1), reduction="sum"
        )
        total += loss.double().cpu()
    return (total / (n * seq_len)).item()
