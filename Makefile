# oautom developer commands. `make` alone lists them.
PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
# The stamp file is rewritten whenever the dev tools are (re)installed,
# so editing setup.py or the Pipfile reinstalls them on the next run.
STAMP := $(VENV)/.dev-installed

.DEFAULT_GOAL := help
.PHONY: help example tests lint coverage bench clean

help:  ## list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

example:  ## run the hello-world flow (needs nothing installed)
	$(PYTHON) -m oautom.examples.01_hello_world

$(STAMP): setup.py Pipfile
	test -x $(VENV_PYTHON) || $(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip
	$(VENV_PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

tests: $(STAMP)  ## create .venv if missing, install the dev tools, run the test suite
	$(VENV_PYTHON) -m pytest

lint: $(STAMP)  ## pylint over the package and its examples (must stay at 10.00)
	$(VENV_PYTHON) -m pylint oautom

bench:  ## oautom against standard-library floors, side by side (under 2 minutes)
	$(PYTHON) benchmarks/bench.py

coverage: $(STAMP)  ## the test suite under coverage, with a report
	$(VENV_PYTHON) -m coverage run -m pytest
	$(VENV_PYTHON) -m coverage report

clean:  ## remove the virtual environment and build leftovers
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .coverage htmlcov
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
