# The README's two commands: `make test` and `make demo`. Both create the virtualenv and the Pulumi
# tools (the CLI, the Python language host, the dynamic-provider host) on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Our own packages, compiled to bytecode at install and before each run: every process (the CLI, the
# Pulumi program, the provider host, the emulators) then loads .pyc files instead of compiling the
# sources again, also where PYTHONDONTWRITEBYTECODE stops Python from caching them itself.
SOURCES := components emulator tests tools benchmarks demo __main__.py

.PHONY: test demo venv tools which-pulumi bench bytecode lint clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --compile -r requirements-dev.txt
	$(PY) -m compileall -q -j 0 $(SOURCES)
	touch $(STAMP)

# Only changed sources are recompiled (compileall compares each .pyc with its source).
bytecode: $(STAMP)
	@$(PY) -m compileall -q -j 0 $(SOURCES)

# The pulumi CLI on PATH when it is recent enough, else built from Go modules into a cache folder
# outside the repository (once per machine and version; see tools/pulumi_tools.py).
tools:
	$(PYTHON) tools/pulumi_tools.py build

which-pulumi:
	@$(PYTHON) tools/pulumi_tools.py which

# ruff (lint and format check) and mypy, configured in pyproject.toml; .ci/run runs this before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(STAMP) bytecode tools
	$(PY) -m pytest $(PYTEST_ARGS)

demo: $(STAMP) bytecode tools
	$(PY) -m demo

# Runs every benchmarks/*.py and ends with one GOAL line per goal; fails only when one could not run.
bench: $(STAMP) bytecode tools
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .demo

# The operations files we ship, checked by the tools their users run (both also run in `make test`).
.PHONY: actionlint alert-rules
actionlint:
	$(PYTHON) tools/actionlint_tool.py run .github/workflows/*.yml

alert-rules:
	promtool check rules monitoring/prometheus/salesforce-jwt-alerts.yml
	cd monitoring/prometheus && promtool test rules salesforce-jwt-alerts.test.yml
