"""The matmul peak of this machine: the FLOP/s of ``torch.mm`` on large square matrices,
measured in the same run as the trainer so that MFU compares like with like."""

from __future__ import annotations

import torch

from common import best_of


def peak(dtype: torch.dtype = torch.float32, n: int = 2048, repeats: int = 5) -> float | None:
    """FLOP/s of an n×n by n×n product (2n³ FLOPs); None if the dtype has no fast path here."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    torch.mm(a, b)  # warm the kernels and the thread pool
    seconds = best_of(lambda: torch.mm(a, b), repeats)
    return 2 * n**3 / seconds


def _bf16_supported() -> bool:
    """Whether oneDNN has native bf16 kernels on this CPU (AVX-512 BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def peaks(threads: int, sizes=(1024, 2048, 4096)) -> dict:
    """The best over a few sizes: the peak is what the best-shaped product reaches."""
    torch.set_num_threads(threads)
    out = {"fp32": max(peak(torch.float32, n) for n in sizes)}
    out["bf16"] = max(peak(torch.bfloat16, n) for n in sizes) if _bf16_supported() else None
    return out


if __name__ == "__main__":
    for t in (1, 2):
        print(t, {k: f"{v / 1e9:.1f} GFLOP/s" for k, v in peaks(t).items() if v})
