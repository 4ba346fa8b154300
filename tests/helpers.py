"""What the tests share: a corpus the test writes, a tiny run, exact state comparison, and
the real Snakemake on tiny configs in a temporary copy of the workflow."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from scalinglaws.training import checkpoint
from scalinglaws.training.architecture import ModelConfig
from scalinglaws.training.loop import OptimConfig, RunConfig
from scalinglaws.training.schedules import Schedule

ROOT = Path(__file__).resolve().parents[1]
# Jobs downstream of points.csv: rerun whenever any point changes, never training.
ANALYSIS = ["aggregate", "all", "compute", "fit", "plots", "predict", "summary"]
SMOKE = ROOT / "tests" / "configs" / "smoke.yaml"


MODEL = ["--d-model", "32", "--n-layers", "2", "--n-heads", "2", "--seq-len", "32", "--batch-size", "4", "--lr", "3e-3"]


def sl(*args, cwd=None, check=True):
    r = subprocess.run([sys.executable, "-m", "scalinglaws", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def make_workdir(dest: Path) -> Path:
    """A copy of the workflow (not of results) where Snakemake can run on its own."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("workflow", "profiles", "scripts"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy2(SMOKE, dest / "smoke.yaml")
    return dest


def snakemake(workdir: Path, *args, check=True, prefix=()) -> subprocess.CompletedProcess:
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    cmd = [*prefix, sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "smoke.yaml"]
    r = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
        )
    return r


def without_root_override() -> list[str]:
    """A command prefix under which root obeys file modes as any user does (root ignores
    them, so Snakemake's write protection cannot hold against a root user)."""
    import pytest

    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv (util-linux): cannot drop CAP_DAC_OVERRIDE")
    caps = "-dac_override,-fowner"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def planned_jobs(workdir: Path, *args, prefix=()) -> list[tuple[str, str]]:
    """(rule, main output) of every job a dry run would execute: its checkpoint if it
    writes one, else its first output."""
    out = snakemake(workdir, "-n", *args, prefix=prefix)
    return jobs_in(out.stdout + out.stderr)


def jobs_in(text: str) -> list[tuple[str, str]]:
    """(rule, main output) of every job in a dry run's printout: its checkpoint if it
    writes one, else its first output."""
    from scalinglaws.experiment.reruns import planned

    return [(rule, next((x for x in outs if x.endswith(".pt")), (outs or [""])[0])) for rule, outs in planned(text)]


def edit_config(workdir: Path, change) -> None:
    cfg = yaml.safe_load((workdir / "smoke.yaml").read_text())
    change(cfg)
    (workdir / "smoke.yaml").write_text(yaml.safe_dump(cfg))


# --- data and runs --------------------------------------------------------------------

WORDS = "the of and to in is that for it as with was on be by this are from at or an which".split()


def write_corpus(root, n_docs=40, words_per_doc=400, seed=0):
    """Deterministic pseudo-text documents ``doc{i}.txt`` under ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs):
        lines = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(words_per_doc // 12)]
        (root / f"doc{i:03d}.txt").write_text("\n".join(lines) + "\n")
    return root


def tiny_run(schedule=None, **overrides) -> RunConfig:
    """A 2-layer, d=32 model on 32-token sequences: fast enough to train dozens of steps."""
    kw = dict(
        model=ModelConfig(vocab_size=256, d_model=32, n_layers=2, n_heads=2, seq_len=32),
        optim=OptimConfig(lr=3e-3, weight_decay=0.1, grad_clip=1.0),
        schedule=schedule or Schedule("constant", warmup_steps=4),
        batch_size=4,
        seed=1,
        data_seed=2,
    )
    kw.update(overrides)
    return RunConfig(**kw)


def assert_same_state(a: dict, b: dict, path="state"):
    """Recursively: equal structure, ``torch.equal`` tensors, equal plain values."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_same_state(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def training_state(path):
    s = checkpoint.load(path)
    return {k: s[k] for k in ("step", "model", "optimizer", "rng", "averager", "ema")}
