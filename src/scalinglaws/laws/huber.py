"""The robust loss every fit here minimises: Huber's, on log residuals.

Hoffmann et al. (2022) fit Chinchilla's Approach 3 with it (δ = 1e-3); Tissue et al. (2024)
and Luo et al. (2025) fit their loss-curve laws the same way. Quadratic within ±δ, linear
beyond, so a few outlying points pull a fit less than least squares would.
"""

from __future__ import annotations

import numpy as np

HUBER_DELTA = 1e-3


def huber(r: np.ndarray, delta: float = HUBER_DELTA) -> tuple[np.ndarray, np.ndarray]:
    """Huber loss of residuals and its derivative (which is r clipped to ±δ)."""
    absr = np.abs(r)
    return np.where(absr <= delta, 0.5 * r * r, delta * (absr - 0.5 * delta)), np.clip(r, -delta, delta)
