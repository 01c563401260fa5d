# jupyter-dl: `make run` starts the embedded hub, `make test` runs the whole suite.
# Everything the project needs is installed from here, into .venv and the repo.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HUB_PORT ?= 8000
HUB_IP ?= 127.0.0.1
# The CPU build of PyTorch; any looser pin lets pip pull GBs of CUDA wheels.
TORCH_PIN := torch==2.13.0

# The extension's package.json scripts call jlpm and jupyter-builder from the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
export WANDB_MODE := disabled
export PIP_DISABLE_PIP_VERSION_CHECK := 1

STAMP := $(VENV)/.jupyter-dl-installed
INSTALL_INPUTS := pyproject.toml labextension/package.json labextension/yarn.lock \
	hub_config/package.json hub_config/package-lock.json

.PHONY: help install run test test-server test-hub test-ui test-examples lint bench system-deps clean

help:
	@echo "make run    - install into $(VENV) and start the embedded hub on http://$(HUB_IP):$(HUB_PORT)"
	@echo "make test   - install test dependencies and run lint plus the whole suite"
	@echo "make lint   - ruff, mypy, eslint and prettier"
	@echo "make bench  - run the benchmarks in benchmarks/"
	@echo "make docs   - build the documentation into docs/_build/html"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): $(PY) $(INSTALL_INPUTS)
	$(PIP) install --quiet $(TORCH_PIN)
	# `labextension develop` copies install.json into the built extension; the wheel
	# adds labextension/install.json itself, so a stale copy would be added twice.
	rm -f extensions/jupyter_dl/labextension/install.json
	$(PIP) install --quiet -e ".[test,lint]"
	# Link the built extension instead of the installed copy, so rebuilds show on reload.
	$(VENV)/bin/jupyter labextension develop --overwrite . >/dev/null
	npm ci --prefix hub_config --no-audit --no-fund --loglevel=error
	ln -sf "$(CURDIR)/hub_config/node_modules/.bin/configurable-http-proxy" $(VENV)/bin/configurable-http-proxy
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/jupyter-dl hub --ip $(HUB_IP) --port $(HUB_PORT)

# Debian packages some tests need: Chromium for the browser tests, PostgreSQL for
# the team store's tests (tests/postgres.py starts a throwaway server from its
# binaries). Installed once; a package already present is skipped.
system-deps:
	@missing=$$( command -v chromium >/dev/null || echo chromium; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || echo postgresql ); \
	[ -z "$$missing" ] || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	cd labextension && jlpm install --immutable >/dev/null && jlpm lint:check

# Server and kernel tests use jupyter-server's fixtures; the hub and the browser
# tests drive real processes with their own event loops: separate pytest runs.
# Two workers; training jobs (torch rendezvous) stay on one of them, one at a time.
test-server: install system-deps
	$(PY) -m pytest -n 2 --dist loadgroup tests/server tests/kernel

# Real hubs, and the Binder install (binder/postBuild) in a fresh virtual
# environment, which mostly waits on pip: two workers run them side by side.
test-hub: install system-deps
	$(PY) -m pytest -n 2 --dist loadfile tests/hub tests/binder

test-ui: install system-deps
	$(PY) -m pytest tests/ui

# The example notebooks, executed in order into a store of their own. `make test`
# runs them once, in test-ui, into the lab's store that the tour shows.
test-examples: install
	$(PY) -m pytest tests/examples

# The docs' extra (sphinx, myst-parser, furo, httpdomain) without reinstalling the
# project itself: its requirements are read from pyproject.toml.
DOCS_STAMP := $(VENV)/.jupyter-dl-docs-installed
DOCS_REQUIREMENTS = $$($(PY) -c 'import sys; t = __import__("tomllib" if sys.version_info >= (3, 11) else "pip._vendor.tomli", fromlist=["loads"]); print(" ".join(t.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["docs"]))')

.PHONY: docs screenshots test-docs

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PIP) install --quiet $(DOCS_REQUIREMENTS)
	touch $@

# HTML into docs/_build/html; a warning (a broken link, a route or screenshot
# missing from the pages) fails the build.
docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: $(CURDIR)/docs/_build/html/index.html"

# After `make test-ui`: copies the screenshots the docs show (and the tour's) from
# test-output/ui into docs/images.
screenshots: $(STAMP)
	$(PY) docs/screenshots.py --from test-output/ui --to docs/images

test-docs: $(DOCS_STAMP)
	$(PY) -m pytest tests/docs

test: lint test-server test-hub test-ui test-docs

bench: install
	$(PIP) install --quiet -e ".[bench]"
	$(PY) benchmarks/server_start.py
	$(PY) benchmarks/tracking.py
	$(PY) benchmarks/datasets.py
	$(PY) benchmarks/training.py
	$(PY) benchmarks/serving.py
	$(PY) benchmarks/hub.py

clean:
	rm -rf $(VENV) labextension/node_modules labextension/lib extensions/jupyter_dl/labextension \
		hub_config/node_modules .state test-output
