"""Peak resident memory of a training job on a token file larger than 300 MB, against
the memory its model, optimizer and activations need: the token file must be memmapped,
never loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from common import train_args
from scalinglaws.experiment.flops import param_counts

BIN = Path(sys.executable).parent


def _memory_mb(code: str) -> dict:
    """Memory of a Python process after running ``code``: its peak RSS (VmHWM, reset at
    exec, unlike ru_maxrss), and the resident pages that are its own (RssAnon) and mapped
    files (RssFile: libraries and the memmapped tokens, clean page cache the kernel can drop)."""
    tail = (
        "\nimport json\nprint(json.dumps({k: int(v.split()[0]) / 1024 for k, v in "
        "(l.split(':', 1) for l in open('/proc/self/status')) if k in ('VmHWM', 'RssAnon', 'RssFile')}))"
    )
    r = subprocess.run([sys.executable, "-c", code + tail], check=True, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def peak_rss(data: Path, out: Path, cfg, batch: int, steps: int = 3) -> dict:
    args = train_args(data, out, steps, cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.seq_len, batch, threads=2)
    job = _memory_mb(f"from scalinglaws.cli import main\nassert main({args!r}) == 0")
    baseline = _memory_mb("import scalinglaws.commands, scalinglaws.training.loop")
    n = param_counts(cfg)["params"]
    # weights, gradients, two AdamW moments (fp32); activations: ~ 34·d + 5·heads·T bytes a
    # token a layer in 16-bit (Korthikanti et al. 2022, eq. 1), doubled for fp32, plus logits.
    tokens = batch * cfg.seq_len
    activations = (
        cfg.n_layers * tokens * (34 * cfg.d_model + 5 * cfg.n_heads * cfg.seq_len) * 2 + tokens * cfg.vocab_size * 4 * 3
    )
    return {
        "peak_rss_mb": job["VmHWM"],
        "anon_mb_at_end": job["RssAnon"],
        "file_mb_at_end": job["RssFile"],
        "imports_rss_mb": baseline["VmHWM"],
        "model_optimizer_mb": 16 * n / 2**20,
        "activations_mb": activations / 2**20,
        "token_file_mb": (data / "train.bin").stat().st_size / 2**20,
    }
