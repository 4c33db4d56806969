# The README's two commands: `make test` and `make demo`. Both create the virtualenv and the Pulumi
# tools (the CLI, the Python language host, the dynamic-provider host) on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo venv tools which-pulumi bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The pulumi CLI on PATH when it is recent enough, else built from Go modules into a cache folder
# outside the repository (once per machine and version; see tools/pulumi_tools.py).
tools:
	$(PYTHON) tools/pulumi_tools.py build

which-pulumi:
	@$(PYTHON) tools/pulumi_tools.py which

test: $(STAMP) tools
	$(PY) -m pytest $(PYTEST_ARGS)

demo: $(STAMP) tools
	$(PY) -m demo

bench: $(STAMP) tools
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .demo

# The operations files we ship, checked by the tools their users run (both also run in `make test`).
.PHONY: actionlint alert-rules
actionlint:
	$(PYTHON) tools/actionlint_tool.py run .github/workflows/*.yml

alert-rules:
	promtool check rules monitoring/prometheus/salesforce-jwt-alerts.yml
	cd monitoring/prometheus && promtool test rules salesforce-jwt-alerts.test.yml
