# eks_templates — every target installs what it needs into .venv first.
#   make render [STACK=name]     render build/<stack>/ (default: the built-in myeks cluster)
#   make test                    install, then run the whole test suite
# See `make help` for the rest.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
CHECKOV_VENV ?= .venv-checkov
STACK   ?=
# Arguments passed through to the CLI, e.g. make deploy STACK=myeks ARGS=--yes
ARGS    ?=

.DEFAULT_GOAL := help
.PHONY: help setup render lint test check golden checkov-venv bench clean \
        deploy plan outputs scale upgrade delete sandbox require-stack fuzz diagram diagram-deps docs

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed ## create .venv and install the project with its dev tools
	@command -v dot >/dev/null || echo "note: Graphviz' dot is not installed; \`diagram\` needs it for svg/png and the tests for the SVG checks: make diagram-deps" >&2

# checkov pins an old boto3, so it gets an environment of its own (never .venv).
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==3.3.30'
	touch $@

checkov-venv: $(CHECKOV_VENV)/.installed ## create .venv-checkov with checkov (used by the tests)

render: setup ## render STACK (default: built-in myeks) into build/<stack>/
	$(PY) -m eks_templates render $(STACK) $(ARGS) > /dev/null

lint: setup ## render and lint STACK with cfn-lint and the quota checks
	$(PY) -m eks_templates lint $(STACK) $(ARGS)

test: setup checkov-venv diagram-deps ## install everything (incl. Graphviz and Chromium), then run the whole test suite
	$(PY) -m pytest $(ARGS)

check: setup checkov-venv ## ruff, mypy, then the tests
	$(VENV)/bin/ruff check eks_templates tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest $(ARGS)

fuzz: setup ## the property-based fuzz test, long (EKS_TEMPLATES_FUZZ=fuzz; make test runs it briefly)
	EKS_TEMPLATES_FUZZ=fuzz $(PY) -m pytest tests/test_fuzz.py -p no:cacheprovider $(ARGS)

golden: setup ## rewrite tests/golden/, tests/golden_diagram/ and docs/*.svg from the current render (review the diff!)
	$(PY) -m pytest tests/test_golden.py --update-golden -q
	git status --short tests/golden tests/golden_diagram docs

# Graphviz lays out the svg/png pictures; Chromium is only for the browser test of the SVG.
diagram-deps: ## install Graphviz (dot) and Chromium from the system's packages (Debian/Ubuntu, needs root)
	@if command -v dot >/dev/null && command -v chromium >/dev/null; then echo "dot and chromium are installed"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends graphviz chromium; \
	else echo "install Graphviz and Chromium: sudo apt-get install graphviz chromium (macOS: brew install graphviz)" >&2; exit 1; fi

# STACK=name: build/<stack>/diagram.svg (ARGS="--format mermaid" etc.); without STACK also
# redraws the README's pictures docs/myeks.svg and docs/myeks-private.svg.
diagram: setup ## draw STACK (nested stacks, network, every security-group rule) into build/<stack>/diagram.svg
	$(PY) -m eks_templates diagram $(STACK) $(ARGS)
	@if [ -z "$(STACK)" ]; then \
	  $(PY) -m eks_templates diagram myeks --out docs/myeks.svg && \
	  $(PY) -m eks_templates diagram myeks-private --out docs/myeks-private.svg; fi

docs: setup ## the library's API reference (pdoc) into build/docs/; fails on a public name without a docstring
	$(PY) docs/api.py --out build/docs $(ARGS)

bench: setup ## benchmarks: prints ratios, writes nothing unless ARGS=--write
	$(PY) bench/run.py $(ARGS)

.PHONY: critical-path
critical-path: setup ## the create's modeled wall-clock: ours / eksctl's layout / the floor (bench/critical_path.py)
	$(PY) bench/critical_path.py $(ARGS)

.PHONY: simulated-create
simulated-create: setup ## the create measured: real deploy vs sandbox --delays, against the model (bench/simulated_create.py)
	$(PY) bench/simulated_create.py $(ARGS)

require-stack:
	@test -n "$(STACK)" || { echo "STACK is required, e.g. make $(MAKECMDGOALS) STACK=myeks" >&2; exit 2; }

deploy: setup require-stack ## render, lint, upload, change set, confirm, execute, watch, outputs
	$(PY) -m eks_templates deploy $(STACK) $(ARGS)

plan: setup require-stack ## show the change set a deploy would execute, then delete it
	$(PY) -m eks_templates plan $(STACK) $(ARGS)

outputs: setup require-stack ## print a deployed stack's outputs
	$(PY) -m eks_templates outputs $(STACK) $(ARGS)

.PHONY: drift
drift: setup require-stack ## what was changed by hand since the deploy; exit 1 if drifted [ARGS="--revert --yes" / --json]
	$(PY) -m eks_templates drift $(STACK) $(ARGS)

scale: setup require-stack ## NODEGROUP=name NODES=n [MIN=n MAX=n]: resize through a change set
	$(PY) -m eks_templates scale $(strip $(STACK) $(NODEGROUP) --nodes $(NODES) $(if $(MIN),--min $(MIN)) $(if $(MAX),--max $(MAX)) $(ARGS))

upgrade: setup require-stack ## write the next Kubernetes version into the stack file [ARGS="--to 1.36 --amis --deploy"]
	$(PY) -m eks_templates upgrade $(STACK) $(ARGS)

delete: setup require-stack ## delete a deployed cluster stack (asks for the stack name)
	$(PY) -m eks_templates delete $(STACK) $(ARGS)

sandbox: setup ## run a local AWS endpoint (moto + our EKS models) in the foreground
	$(PY) -m eks_templates sandbox $(ARGS)

clean: ## remove build output (keeps the virtual environments)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
