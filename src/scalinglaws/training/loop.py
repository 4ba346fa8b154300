"""The training loop: trunk links, cooldowns forked from a trunk checkpoint, cosine runs.

One loop serves all three; they differ only in the schedule and in where they start.
Everything a step depends on is a pure function of the run's settings and the step —
the LR (``schedules``), the batch (``batches.get_batch``) — or is restored from the
checkpoint (weights, AdamW moments, RNG, averaging state). So training 0→S in one call
or in several resumed calls gives bit-identical weights on CPU, and a cooldown forked at
the fork step is exactly the uninterrupted warmup–stable–decay run.
"""

from __future__ import annotations

import csv
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from scalinglaws import ScalingLawsError
from scalinglaws.files import atomic_write
from scalinglaws.training import checkpoint, distributed
from scalinglaws.training.averaging import EMA, WindowAverager
from scalinglaws.training.batches import get_batch
from scalinglaws.training.data import TokenData
from scalinglaws.training.model import ModelConfig, Transformer, build, count_params, lm_loss
from scalinglaws.training.schedules import Schedule

METRICS_COLUMNS = ("step", "tokens", "lr", "train_loss")
PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class OptimConfig:
    """AdamW as in Hägele et al.: betas (0.9, 0.95), decoupled weight decay on matrices, and
    gradient clipping (the config's defaults for these: workflow/schemas/config.schema.yaml)."""

    lr: float
    weight_decay: float
    grad_clip: float
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8

    def __post_init__(self):
        if not self.lr > 0:
            raise ScalingLawsError(f"lr {self.lr} must be positive")


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training trajectory, besides where it starts and stops."""

    model: ModelConfig
    optim: OptimConfig
    schedule: Schedule
    batch_size: int
    seed: int = 0  # weight initialisation
    data_seed: int = 0  # batch order
    swa_window_steps: int | None = None  # save uniform averages over windows of this many steps
    swa_every_steps: int = 1  # sampling interval inside a window
    ema_decay: float | None = None
    # bf16: forward and backward under bf16 autocast, weights and optimizer in fp32. Like
    # the device, not part of the fingerprint: a checkpoint resumes in either precision.
    precision: str = "fp32"
    # Rows per forward/backward pass (gradient accumulation when below the rows each
    # process trains on); None: all of them at once. Not in the fingerprint either: the
    # gradient is that of the whole batch's mean loss whatever the split.
    micro_batch_size: int | None = None
    # torch.compile the model for the loop; checkpoints come from the uncompiled module,
    # so their keys and contents do not depend on it.
    compile: bool = False

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ScalingLawsError(f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.model.seq_len

    def fingerprint(self, data: TokenData) -> dict:
        """What a checkpoint must share with this run to be resumed or forked by it.

        The schedule after warmup is left out on purpose: a cooldown changes it."""
        return {
            "model": self.model.to_dict(),
            "tokenizer": data.meta["tokenizer"],
            "data": data.fingerprint,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "data_seed": self.data_seed,
            "warmup_steps": self.schedule.warmup_steps,
            "optim": {**asdict(self.optim), "betas": list(self.optim.betas)},
        }


@dataclass
class TrainResult:
    start_step: int
    step: int
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def make_optimizer(model: Transformer, cfg: OptimConfig) -> torch.optim.AdamW:
    # Decay matrices only; not the (tied) embedding, nor the norm gains.
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() >= 2 and name != "embed.weight" else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # fused: one kernel per step for all parameters (CPU and CUDA); 2-7% faster than the
    # per-tensor loop on the bench's S and M models (BENCHMARKS.md).
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, fused=True)


def _write_metrics(path: Path, rows: list[tuple]) -> None:
    with atomic_write(path, newline="") as f:
        w = csv.writer(f)
        w.writerow(METRICS_COLUMNS)
        w.writerows(rows)


def _restore(run, data, init, model, opt, averager, ema) -> int:
    """Load a training checkpoint into the run's objects; returns its step."""
    state = checkpoint.load(init)
    if state.get("kind") != "train":
        raise checkpoint.CheckpointError(f"{init}: holds {state.get('kind')!r} weights, not a training state to resume")
    checkpoint.check_fingerprint(init, state["fingerprint"], run.fingerprint(data))
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"]["torch"])
    step = state["step"]
    if averager is not None:
        if state.get("averager") is not None:
            averager.load_state_dict(state["averager"], where=str(init))
        elif step % run.swa_window_steps:
            raise ScalingLawsError(f"{init}: has no SWA state, so SWA cannot start in mid-window at step {step}")
    if ema is not None and state.get("ema") is not None:
        ema.load_state_dict(state["ema"], where=str(init))
    return step


def train(
    run: RunConfig,
    data: TokenData,
    *,
    until: int,
    out: str | Path,
    init: str | Path | None = None,
    metrics: str | Path | None = None,
    on_window: Callable[[int, dict, int], None] | None = None,
    device: str = "cpu",
    progress: bool = True,
    rescue: str | Path | None = None,
) -> TrainResult:
    """Train from ``init`` (a training checkpoint) or from scratch up to step ``until``.

    Writes the training checkpoint ``out`` and the per-step metrics CSV ``metrics``.
    ``on_window(end_step, weights, samples)`` receives each completed SWA window.

    With ``rescue``, SIGTERM or SIGUSR1 (what SLURM sends before a time limit) stops the
    run after the current step, saves everything needed to continue — including the
    metrics and SWA windows of this call, since a failed job's outputs are deleted — to
    ``rescue`` and raises ``Interrupted``; the next call with the same arguments resumes
    from there and ends with the same weights as an uninterrupted run.
    """
    if data.meta["vocab_size"] != run.model.vocab_size:
        raise ScalingLawsError(
            f"model vocab_size {run.model.vocab_size} does not match the data's {data.meta['vocab_size']} ({data.path})"
        )
    model = build(run.model, run.seed)
    opt = make_optimizer(model, run.optim)
    averager = WindowAverager(run.swa_window_steps, run.swa_every_steps) if run.swa_window_steps else None
    ema = EMA(run.ema_decay) if run.ema_decay else None
    target = {"until": until, "schedule": asdict(run.schedule), "init": None if init is None else str(init)}
    rows, windows = [], []
    resumed = _resume(rescue, target, run, data, model, opt, averager, ema) if rescue else None
    if resumed is not None:
        start, rows, windows = resumed
        for w in windows if on_window else ():
            on_window(*w)  # the interrupted job's window files were deleted with its outputs
    else:
        start = _restore(run, data, init, model, opt, averager, ema) if init else 0
    total = run.schedule.total_steps
    if not start < until or (total is not None and until > total):
        raise ScalingLawsError(f"cannot train from step {start} to step {until} (run length {total})")

    world = distributed.start(device)
    device = world.device(device)
    micro, n_micro = distributed.micro_batches(run.batch_size, world, run.micro_batch_size)
    model.to(device)
    # The optimizer state follows its parameters when loaded; move it for GPU runs.
    for st in opt.state.values():
        for k, v in st.items():
            if isinstance(v, torch.Tensor) and k != "step":
                st[k] = v.to(device)
    ddp = distributed.wrap(model, world, device)
    net = torch.compile(ddp) if run.compile else ddp  # what computes; `model` is what is saved
    result = TrainResult(start_step=start, step=start)
    autocast = torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=run.precision == "bf16")
    t0 = time.perf_counter()
    last_finite = (start, None)
    # Signal handlers are installed only for the loop, and put back however it ends.
    with _StopOnSignal(enabled=rescue is not None) as stop:
        for s in tqdm(
            range(start, until),
            desc=f"train {start}→{until}",
            unit="step",
            disable=not progress or not world.is_main,
            mininterval=2,
        ):
            lr = run.optim.lr * run.schedule.multiplier(s)
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = get_batch(data.train, s, run.data_seed, run.batch_size, run.model.seq_len)
            x, y = distributed.shard(x, world).to(device), distributed.shard(y, world).to(device)
            loss = torch.zeros((), device=device)
            for i in range(n_micro):  # equal micro-batches: their mean is the batch's mean
                mb = slice(i * micro, (i + 1) * micro)
                with autocast:
                    part = lm_loss(net(x[mb]), y[mb]) / n_micro
                with distributed.no_sync(ddp, last=i == n_micro - 1):
                    part.backward()
                loss += part.detach()
            loss = distributed.mean(loss, world)
            value = loss.item()
            if not torch.isfinite(loss):
                raise ScalingLawsError(
                    f"training diverged at step {s}: loss {value}; last finite loss {last_finite[1]} at step "
                    f"{last_finite[0]}. No checkpoint was written for this run."
                )
            last_finite = (s, value)
            torch.nn.utils.clip_grad_norm_(model.parameters(), run.optim.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if ema is not None:
                ema.update(model)
            if averager is not None:
                window = averager.update(model, s + 1)
                if window is not None:
                    if rescue:
                        windows.append((s + 1, *window))
                    if on_window is not None and world.is_main:
                        on_window(s + 1, *window)
            rows.append((s + 1, (s + 1) * run.tokens_per_step, lr, value))
            result.losses.append(value)
            if rescue and distributed.any_rank(stop.signal is not None, world, device) and s + 1 < until:
                model.to("cpu")
                if world.is_main:
                    state = _state(s + 1, model, opt, averager, ema, run, data)
                    checkpoint.save(
                        rescue, {**state, "kind": "rescue", "target": target, "metrics": rows, "windows": windows}
                    )
                distributed.barrier(world)
                raise Interrupted(
                    f"received {stop.signal.name if stop.signal else 'a stop signal'} at step {s + 1} of {until}: "
                    f"saved a resumable state to {rescue}; run the same command again to continue from there"
                )
    result.step = until
    result.seconds = time.perf_counter() - t0

    model.to("cpu")
    if world.is_main:  # every rank holds the same weights and optimizer state
        checkpoint.save(out, _state(until, model, opt, averager, ema, run, data))
        if metrics is not None:
            _write_metrics(Path(metrics), rows)
        if rescue:
            Path(rescue).unlink(missing_ok=True)  # done: nothing left to resume
    distributed.barrier(world)
    return result


class Interrupted(ScalingLawsError):
    """The run was stopped by a signal after saving a resumable state."""


class _StopOnSignal:
    """Turns SIGTERM and SIGUSR1 into a flag the training loop checks after each step."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self, enabled: bool):
        self.signal = None
        self._previous = {}
        if enabled and threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        self.signal = signal.Signals(signum)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


def _state(step, model, opt, averager, ema, run, data) -> dict:
    """Everything a training checkpoint holds."""
    return {
        "kind": "train",
        "step": step,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "rng": {"torch": torch.get_rng_state()},
        "fingerprint": run.fingerprint(data),
        "averager": averager.state_dict() if averager else None,
        "ema": ema.state_dict() if ema else None,
        "params": count_params(model),
    }


def _resume(rescue, target, run, data, model, opt, averager, ema):
    """Load a rescue state left by an interrupted call with the same target, if any."""
    path = Path(rescue)
    if not path.is_file():
        return None
    state = checkpoint.load(path)
    if state.get("kind") != "rescue" or state.get("target") != target or state["fingerprint"] != run.fingerprint(data):
        print(f"{path}: a rescue state of another run; ignored and replaced", file=sys.stderr)
        path.unlink()
        return None
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"]["torch"])
    if averager is not None:
        averager.load_state_dict(state["averager"], where=str(path))
    if ema is not None:
        ema.load_state_dict(state["ema"], where=str(path))
    print(f"{path}: resuming an interrupted run at step {state['step']}", file=sys.stderr)
    return state["step"], [tuple(r) for r in state["metrics"]], [tuple(w) for w in state["windows"]]


def save_weights(path: str | Path, weights: dict, fingerprint: dict, step: int, **extra) -> None:
    """Save a model without training state (an SWA or EMA average)."""
    checkpoint.save(path, {"kind": "weights", "step": step, "model": weights, "fingerprint": fingerprint, **extra})


def load_model(path: str | Path) -> tuple[Transformer, dict]:
    """The model of any checkpoint (training state or weights), and the checkpoint."""
    state = checkpoint.load(path)
    cfg = ModelConfig(**state["fingerprint"]["model"])
    model = Transformer(cfg)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise checkpoint.CheckpointError(f"{path}: weights do not fit its model config: {e}") from None
    return model, state
