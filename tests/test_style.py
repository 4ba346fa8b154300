"""Style is checked, not argued: ruff (lint and format, configured in pyproject.toml) on
the Python, snakefmt and Snakemake's linter on the workflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON = ["src", "tests", "bench", "scripts"]


def _run(*cmd):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_and_format_are_clean():
    lint = _run(BIN / "ruff", "check", *PYTHON)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run(BIN / "ruff", "format", "--check", *PYTHON)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_workflow_lint_and_format():
    lint = _run(sys.executable, "-m", "snakemake", "--lint")
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    fmt = _run(BIN / "snakefmt", "--check", "Snakefile", "workflow")
    assert fmt.returncode == 0, fmt.stderr
