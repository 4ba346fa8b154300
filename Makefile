# Two commands: `make demo` and `make test`. Each creates .venv if missing and installs
# what it needs; re-installs only when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/snakemake --cores 2
	$(BIN)/snakemake --report results/demo/report.html
	@cat results/demo/summary.md
	@echo "Report: results/demo/report.html"

# Two pytest workers (pytest-xdist); the tests' shared smoke run is made once (tests/conftest.py).
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2

# The tests that need no workflow run or cluster: the set to run before each commit.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -m "not slow"

# Speed and memory figures (not pass/fail): prints tables, writes results/bench.json.
# BENCH_ARGS=--demo adds the demo workflow's overhead ratio (about 11 more minutes).
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf results .snakemake
