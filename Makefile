# Two commands: `make run` starts the portal with demo data; `make test` proves it works.
SHELL := /bin/bash
# NumPy's BLAS threads fight each other on small machines (20x slower embeddings under load): one is faster.
export OPENBLAS_NUM_THREADS ?= 1
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKSTAGE_CHECK := tests/backstage

.PHONY: run test lint typecheck pytest venv dev-deps system-deps node-deps clean

run: venv
	$(PY) -m portal.launcher

test: dev-deps system-deps node-deps lint typecheck pytest

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt requirements-nodeps.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt requirements-nodeps.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed

dev-deps: $(VENV)/.dev-installed

system-deps:
	@tests/support/system-packages.sh redis-server:redis-server node:nodejs npm:npm promtool:prometheus

node-deps: $(BACKSTAGE_CHECK)/node_modules/.installed

$(BACKSTAGE_CHECK)/node_modules/.installed: $(BACKSTAGE_CHECK)/package-lock.json
	cd $(BACKSTAGE_CHECK) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy loads the settings through django-stubs; a placeholder URL keeps it from starting a database.
typecheck:
	DATABASE_URL=postgresql://typecheck@localhost/typecheck $(VENV)/bin/mypy

pytest:
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(BACKSTAGE_CHECK)/node_modules
