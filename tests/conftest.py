"""Shared fixtures: a small corpus written by the test and prepared once per session, the
smoke experiment run once per session, and copies of it to change. Shared helpers (not
fixtures) are in helpers.py."""

from __future__ import annotations

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
    """The smoke experiment run to completion once; tests copy it before changing it."""
    from helpers import make_workdir, snakemake

    wd = make_workdir(tmp_path_factory.mktemp("smoke") / "wf")
    snakemake(wd)
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
