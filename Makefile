# The two commands of the README: `make demo` and `make test`.
# Each creates .venv if it is missing and installs only when pyproject.toml changed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST_WORKERS ?= 2

.PHONY: demo test lint typecheck pytest docs bench clean help

help:
	@echo "make demo   install relmark into $(VENV) and run the CDNOW demo"
	@echo "make test   install the development tools and run every check"
	@echo "make docs   build the documentation into docs/_build/html (offline)"
	@echo "make bench  run the benchmarks (relmark vs lifetimes)"

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "relmark needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[plot]"
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev,plot,dask,polars,docs,sql,spark]"
	@touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/relmark demo --output relmark-demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests src/relmark

docs: $(VENV)/.installed-dev
	rm -rf docs/api/generated  # API pages are generated from __all__: no stale ones
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

test: lint typecheck pytest docs

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) docs/_build relmark-demo .pytest_cache .mypy_cache .ruff_cache
