# ptero.panel developer entry points. A fresh clone needs only Python 3.11:
#   make demo   - start the panel emulator, run the example playbook twice and the inventory, stop it
#   make test   - every suite: unit, emulator, integration, sanity, lint, build
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# An older supported ansible-core line: unit tests run on it too.
OLD_ANSIBLE ?= 2.16.14
OLD_VENV ?= .venv-ansible-2.16
# The release tools (galaxy-importer, antsibull-docs) live in a virtualenv of their own.
IMPORTER_VENV ?= .venv-importer

.PHONY: venv demo test unit unit-old emulator-tests integration integration-old integration-pelican test-panel sanity lint build-test changelog-lint docs docs-test reliability clean \
	galaxy-importer awx-test docs-lint docsite

$(STAMP): requirements-dev.txt requirements.txt emulator/pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

$(OLD_VENV)/.installed: requirements-dev.txt requirements.txt
	$(PYTHON) -m venv $(OLD_VENV)
	$(OLD_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLD_VENV)/bin/python -m pip install --quiet ansible-core==$(OLD_ANSIBLE) \
		$$(grep -E '^(pytest|responses|aiohttp|websocket-client|requests|trustme|PyYAML)==' requirements-dev.txt)
	touch $@

# `make demo PANEL=pelican`: the same against the emulator playing a Pelican panel.
PANEL ?= pterodactyl
demo: $(STAMP)
	$(PY) tests/tools/demo.py --panel $(PANEL)

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q -n 2

unit-old: $(OLD_VENV)/.installed
	$(OLD_VENV)/bin/python -m pytest tests/unit -q -p no:cacheprovider

emulator-tests: $(STAMP)
	$(PY) -m pytest tests/emulator_tests -q -n 2

integration: $(STAMP)
	$(PY) -m pytest tests/integration -q -n 2

# The emulator playing panel 1.11: only the test modules whose behaviour differs between panel lines
# (tests/integration/conftest.py VERSION_SENSITIVE_MODULES); everything else ran on the newest above.
integration-old: $(STAMP)
	PTERO_TEST_PANEL_VERSION=1.11 $(PY) -m pytest tests/integration -q -n 2

# The shared integration tests whose panel behaviour differs on Pelican, again with the emulator playing Pelican
# (tests/integration/conftest.py FLAVOUR_SENSITIVE_MODULES); the test_pelican_* modules ran in `integration`.
integration-pelican: $(STAMP)
	PTERO_TEST_PANEL_FLAVOUR=pelican $(PY) -m pytest tests/integration -q -n 2

sanity: $(STAMP)
	$(PY) tests/tools/run_sanity.py

# ruff (lint, import order, format) and mypy as pyproject.toml configures them, then ansible-lint.
lint: $(STAMP)
	$(PY) tests/tools/run_static_checks.py
	$(PY) tests/tools/run_lint.py

changelog-lint: $(STAMP)
	$(VENV)/bin/antsibull-changelog lint

# The integration suite against a real (staging) panel given by the environment; see tests/panel/README.md.
# Not part of `make test`.
test-panel: $(STAMP)
	$(PY) -m pytest tests/panel -q -p no:cacheprovider

# Faults, load and bad input against the emulator; the slow concurrency test included.
reliability: $(STAMP)
	PTERO_RELIABILITY_SLOW=1 $(PY) -m pytest tests/reliability -q -n 2

docs: $(STAMP) $(IMPORTER_VENV)/.installed
	$(PY) tests/tools/render_docs.py
	$(IMPORTER_VENV)/bin/python tests/build/render_docsite.py

docs-test: $(STAMP)
	$(PY) -m pytest tests/docs -q

build-test: $(STAMP)
	$(PY) -m pytest tests/build -q

test: unit unit-old emulator-tests integration integration-old integration-pelican reliability docs-test build-test lint sanity docs-lint awx-test galaxy-importer

# Release checks with the ecosystem's own tools, in a virtualenv of their own (requirements-importer.txt) so their
# pins never change the main one's ansible-core: galaxy-importer with Automation Hub's settings on the built tarball.

$(IMPORTER_VENV)/.installed: requirements-importer.txt
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(IMPORTER_VENV)/bin/python -m pip install --quiet -r requirements-importer.txt
	touch $@

galaxy-importer: $(IMPORTER_VENV)/.installed
	$(IMPORTER_VENV)/bin/python tests/build/run_galaxy_importer.py

# The guides in docs/ as the antsibull-docs docsite pages (docs/docsite/rst/): run after editing docs/awx.md,
# docs/compatibility.md, docs/reliability.md, docs/benchmarks.md or regenerating docs/reference/api-routes.md.
docsite: $(IMPORTER_VENV)/.installed
	$(IMPORTER_VENV)/bin/python tests/build/render_docsite.py

# The docsite pages are up to date, and antsibull-docs lint-collection-docs --plugin-docs on the built tarball is clean.
docs-lint: $(IMPORTER_VENV)/.installed
	$(IMPORTER_VENV)/bin/python tests/build/run_docs_lint.py

# An AWX-shaped job and inventory update through ansible-runner, with only the credential type's environment.
awx-test: $(STAMP)
	$(PY) -m pytest tests/awx -q -p no:cacheprovider

clean:
	rm -rf $(VENV) $(OLD_VENV) $(IMPORTER_VENV) build .pytest_cache .mypy_cache .ruff_cache
