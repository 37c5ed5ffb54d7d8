# The two commands a newcomer needs: `make demo` and `make test`. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: install install-demo install-cdk demo test lint synth bench deploy-local cdk clean

CDK := node_modules/.bin/cdk
NODE_STAMP := node_modules/.installed
CDK_ARGS ?=

# Everything: the demo, Powertools, the CDK app's libraries, the test and lint tools.
$(STAMP): requirements.txt requirements-demo.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP) $(DEMO_STAMP)

# Only what the demo runs on: boto3 and moto (no CDK, no test tools).
$(DEMO_STAMP): requirements.txt requirements-demo.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-demo.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(DEMO_STAMP)

install: $(STAMP)

install-demo: $(DEMO_STAMP)

# Exit 3 is the demo's expected ending: its account holds an endpoint that cannot be described.
demo: $(DEMO_STAMP)
	$(BIN)/cost-watcher scan --demo || [ $$? -eq 3 ]
	@echo "The command is $(BIN)/cost-watcher (or 'source $(BIN)/activate' first); try $(BIN)/cost-watcher scan --help"

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

# Any CDK command with the project's CDK CLI and without Node's end-of-life banner:
# make cdk ARGS="deploy -c notify_emails=ml-platform@example.com"
cdk: $(STAMP) $(NODE_STAMP)
	$(CDK) $(ARGS)

deploy-local: $(STAMP) $(NODE_STAMP)
	PYTHON=$(BIN)/python scripts/deploy_local.sh
