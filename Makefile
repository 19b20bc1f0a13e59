# The two everyday commands, `make synth` and `make test`, install whatever is missing first:
# a fresh machine needs only python3, pip, node and npm.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# pipenv itself is the one tool not pinned in Pipfile.lock; it lives in .tools/, not on the system.
PIPENV_VERSION := 2026.10.3
TOOLS := $(CURDIR)/.tools
PIPENV := $(TOOLS)/bin/pipenv

export PATH := $(TOOLS)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PIPENV_DONT_LOAD_ENV := 1
# cdktf: no telemetry, no version check against the network. (CI is not set here: the test run
# refuses to skip the tests that need ../shared/reference when CI is set, and a bare clone has
# none.)
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
# A TF_CLI_CONFIG_FILE that points nowhere makes every terraform call warn; ignore it then.
ifneq ($(TF_CLI_CONFIG_FILE),)
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
unexport TF_CLI_CONFIG_FILE
endif
endif

.PHONY: help app cli dev setup twin synth watch generate test test-fast lint clean

help:
	@echo "make synth   install what is missing, synthesize platform.yaml into cdktf.out/"
	@echo "             (BASE=<rev>: reuse only the output committed at that revision)"
	@echo "make watch   keep a warm synthesis process: re-synthesize on every catalog change, and"
	@echo "             serve make synth/generate/review in about a second (Ctrl-C ends it)"
	@echo "make generate  synthesize and rewrite every committed output: cdktf.out/, atlantis.yaml"
	@echo "             and the README's stack picture (what a pull request commits)"
	@echo "make cli     install the pinned cdktf CLI (for cdktf deploy; make test installs it too)"
	@echo "make test    install what is missing, run the whole test suite"
	@echo "make test-fast  the suite without the CLI runs, large catalogs, rehearsal, warm runs, twin"
	@echo "make lint    ruff and mypy"
	@echo "make clean   remove cdktf.out/ and the local environments"

$(PIPENV):
	@python3 -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)

# The app's packages alone (synth, generate, watch, review), then the development packages
# (tests, linters, the policy scan, the rehearsal's stand-ins) for the targets that use them.
.venv/.synced-app: Pipfile.lock | $(PIPENV)
	@$(PIPENV) sync
	@# cdktf.json runs the app as `python -O` (README, "Performance at scale"). Compile the
	@# optimized bytecode once here, or the first run pays for it (and, where
	@# PYTHONDONTWRITEBYTECODE is set, every run does: about 15 s).
	@.venv/bin/python -O -m compileall -q -j 0 .venv/lib >/dev/null
	@touch $@

.venv/.synced: Pipfile.lock .venv/.synced-app | $(PIPENV)
	@$(PIPENV) sync --dev
	@.venv/bin/python -O -m compileall -q -j 0 .venv/lib >/dev/null
	@touch $@

node_modules/.synced: package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The CDK Terrain twin (README, "Leaving archived cdktf"): its own locked Python packages and
# CLI (with the Node 22 it needs, from the npm registry), beside ours, never mixed with them.
twin/.venv/.synced: twin/Pipfile.lock | $(PIPENV)
	@PIPENV_PIPFILE=$(CURDIR)/twin/Pipfile $(PIPENV) sync
	@twin/.venv/bin/python -O -m compileall -q -j 0 twin/.venv/lib >/dev/null
	@touch $@

twin/node_modules/.synced: twin/package-lock.json
	@npm ci --prefix twin --no-audit --no-fund --loglevel=error
	@touch $@

# What the app needs (synth, generate, watch: Python alone); the pinned cdktf CLI (deploy, and
# the tests that run it); the development packages; the twin (its tests).
app: .venv/.synced-app
cli: node_modules/.synced
dev: app .venv/.synced
twin: twin/.venv/.synced twin/node_modules/.synced
setup: dev cli twin

synth: app
	@$(if $(BASE),SYNTH_BASE=$(BASE)) $(PIPENV) run synth $(if $(OUTDIR),--output $(OUTDIR))

watch: app
	@$(PIPENV) run watch $(if $(OUTDIR),--output $(OUTDIR))

generate: app
	@$(PIPENV) run generate

test: setup
	@$(PIPENV) run test

test-fast: dev
	@$(PIPENV) run test-fast

lint: dev
	@$(PIPENV) run lint
	@$(PIPENV) run typecheck

clean:
	rm -rf cdktf.out .venv .tools node_modules twin/.venv twin/node_modules
