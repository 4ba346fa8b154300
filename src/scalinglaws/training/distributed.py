"""Data parallelism across processes (torchrun + DDP), and gradient accumulation.

A run's global batch for step s is the one ``batches.get_batch`` draws in one process.
Under ``torchrun --nproc_per_node W`` each rank trains on its contiguous share of those
rows, split further into micro-batches when the share does not fit in memory; DDP averages
the gradients. Every micro-batch has the same number of tokens, so the averaged gradient is
the gradient of the global batch's mean loss, whatever W and the micro-batch size: results
differ from one process only by floating-point reduction order, and checkpoints (saved by
rank 0, from the unwrapped model) are interchangeable between world sizes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from scalinglaws import ScalingLawsError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, requested: str) -> str:
        """Each rank of a multi-GPU job gets its own GPU (``cuda:LOCAL_RANK``)."""
        if self.size > 1 and requested == "cuda":
            return f"cuda:{self.local_rank}"
        return requested


def current() -> World:
    """The world this process is in: torchrun's environment, or one process alone."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return World()
    return World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))


def start(device: str) -> World:
    """``current()``, with the process group initialised (NCCL for CUDA, gloo for CPU)
    when there are several processes."""
    world = current()
    if world.size > 1 and not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(world.local_rank)
        dist.init_process_group(backend)
    return world


def stop(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def micro_batches(batch_size: int, world: World, micro_batch_size: int | None) -> tuple[int, int]:
    """(rows per micro-batch, micro-batches per rank) for a global batch of ``batch_size``."""
    share, rest = divmod(batch_size, world.size)
    if rest:
        raise ScalingLawsError(f"batch_size {batch_size} is not divisible by the {world.size} processes of the job")
    micro = micro_batch_size or share
    if micro < 1 or share % micro:
        raise ScalingLawsError(
            f"micro_batch_size {micro_batch_size} does not divide the {share} rows each of {world.size} process(es) trains on"
        )
    return micro, share // micro


def shard(t: torch.Tensor, world: World) -> torch.Tensor:
    """This rank's contiguous share of the global batch's rows."""
    share = t.shape[0] // world.size
    return t[world.rank * share : (world.rank + 1) * share]


def wrap(model: torch.nn.Module, world: World, device: str) -> torch.nn.Module:
    """DDP around the model when there are several processes (it keeps the model's own
    weights: checkpoints are saved from the unwrapped model, so their keys never change)."""
    if world.size == 1:
        return model
    ids = [torch.device(device).index] if device.startswith("cuda") else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def no_sync(model: torch.nn.Module, last: bool):
    """Skip DDP's gradient all-reduce on every micro-batch but the last one."""
    if last or not isinstance(model, torch.nn.parallel.DistributedDataParallel):
        return contextlib.nullcontext()
    return model.no_sync()


def mean(value: torch.Tensor, world: World) -> torch.Tensor:
    """The mean of a per-rank scalar over all ranks (the global batch's loss)."""
    if world.size == 1:
        return value
    value = value.detach().clone()
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value / world.size


def any_rank(flag: bool, world: World, device: str) -> bool:
    """True on every rank if it is true on any (all ranks stop at the same step)."""
    if world.size == 1:
        return flag
    t = torch.tensor([int(flag)], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier(world: World) -> None:
    if world.size > 1:
        dist.barrier()
