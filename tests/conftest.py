"""Shared fixtures: a small corpus written by the test and prepared once per session, the
smoke experiment run once per session, and copies of it to change. Shared helpers (not
fixtures) are in helpers.py."""

from __future__ import annotations

import fcntl
import os
import shutil

import pytest

from helpers import write_corpus
from scalinglaws.training.data import TokenData, prepare


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, corpus_dir):
    out = tmp_path_factory.mktemp("data")
    prepare(out, {"source": "files", "files": [str(corpus_dir / "*.txt")]}, "bytes", val_fraction=0.2)
    return out


@pytest.fixture(scope="session")
def data(data_dir):
    return TokenData.open(data_dir)


@pytest.fixture(scope="session")
def completed(tmp_path_factory):
    """The smoke experiment run to completion once per test session, also under pytest-xdist
    (make test: two workers share one run, the first to need it makes it while the other
    waits on a lock); tests copy it before changing it."""
    from helpers import make_workdir, snakemake

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above each worker's own
    wd, done = base / "smoke" / "wf", base / "smoke.done"
    with open(base / "smoke.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(wd.parent, ignore_errors=True)  # a run that failed half-way
            snakemake(make_workdir(wd))
            done.touch()
    return wd


@pytest.fixture
def copy_of_completed(completed, tmp_path):
    """A copy of the completed smoke run that a test may change and rerun."""
    dest = tmp_path / "wf"
    shutil.copytree(completed, dest, symlinks=True)
    return dest


# A test that needs the smoke run (a few minutes, once per session) or a SLURM cluster is
# slow; so is one marked @pytest.mark.slow. `make test-fast` runs the others.
SLOW_FIXTURES = {"completed", "copy_of_completed", "cluster"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # The SLURM test first: it mostly waits on the queue, while the other worker computes.
    items.sort(key=lambda item: "cluster" not in getattr(item, "fixturenames", ()))
