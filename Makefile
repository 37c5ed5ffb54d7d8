# The two commands a newcomer needs: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: install install-cdk demo test lint synth bench deploy-local clean

CDK := node_modules/.bin/cdk
NODE_STAMP := node_modules/.installed
CDK_ARGS ?=

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Exit 3 is the demo's expected ending: its account holds an endpoint that cannot be described.
demo: $(STAMP)
	$(BIN)/cost-watcher scan --demo || [ $$? -eq 3 ]

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/scan_bench.py

clean:
	rm -rf $(VENV) cdk.out node_modules .pytest_cache

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

install-cdk: $(NODE_STAMP)

synth: $(STAMP) $(NODE_STAMP)
	$(CDK) synth -q $(CDK_ARGS)
	$(BIN)/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

deploy-local: $(STAMP) $(NODE_STAMP)
	PYTHON=$(BIN)/python scripts/deploy_local.sh
