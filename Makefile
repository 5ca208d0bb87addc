# The workbook's dependency graph: environment -> data -> (notebooks -> figures -> report).
# `make help` lists the targets. Everything runs in .venv (pip, or conda when present).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON   ?= $(shell command -v python3.11 || command -v python3)
ENV_TOOL ?= $(if $(shell command -v conda),conda,pip)
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
KERNEL   := mnist-workbook
DATASET  ?= mnist
FROM     ?=
# The project's kernel spec lives inside .venv; put it first so papermill and nbval
# find this environment's kernel whatever kernels the machine or user has.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter

.PHONY: help env data test bench notebooks references lab report clean distclean

# --- notebooks: every notebooks/runs/<notebook>/<run>.yaml is one papermill run ---
NOTEBOOKS := $(wildcard notebooks/[0-9]*.ipynb)
RUNS      := $(wildcard notebooks/runs/*/*.yaml)
EXECUTED  := $(patsubst notebooks/runs/%.yaml,build/executed/%.ipynb,$(RUNS))
REFS      := $(patsubst notebooks/%.ipynb,tests/notebooks/%.ipynb,$(NOTEBOOKS))
HELPERS   := $(wildcard helpers/*.py) helpers/workbook.mplstyle
PAPERMILL := $(PY) -m papermill -k $(KERNEL) --cwd notebooks --no-progress-bar

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt environment.yml pyproject.toml
	@echo "env: building $(VENV) with $(ENV_TOOL) from requirements.txt"
	@if [ "$(ENV_TOOL)" = conda ]; then \
	  conda env create --yes --prefix $(VENV) -f environment.yml; \
	else \
	  $(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -r requirements.txt; \
	fi
	@$(PY) -m pip install -q --no-deps -e .
	@$(PY) -m ipykernel install --prefix $(VENV) --name $(KERNEL) \
	  --display-name "Python (mnist-workbook)" > /dev/null
	@touch $@

env: $(STAMP) ## create .venv with the pinned packages and the project kernel
	@echo "env: $(VENV) is up to date with requirements.txt (kernel '$(KERNEL)')"

data: $(STAMP) ## fetch + verify MNIST into data/ (DATASET=fashion-mnist, FROM=dir)
	@$(PY) -m helpers.fetch --dataset $(DATASET) $(if $(FROM),--from $(FROM))

test: $(STAMP) data ## run the tests and nbval on the smoke notebooks (fails if none is collected)
	@rc=0; WORKBOOK_OUTPUT=$(CURDIR)/build/test-output $(PY) -m pytest $(PYTEST_ARGS) \
	  tests --nbval-lax --nbval-current-env -p no:cacheprovider || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test: pytest collected no tests: that is a failure here"; exit 1; fi; \
	exit $$rc

bench: $(STAMP) data ## time an epoch of the network and softmax beside the GEMM floor
	@$(PY) -m helpers.bench

notebooks: $(EXECUTED) ## run every parameter set (full scale) with papermill; reruns only what changed
	@echo "notebooks: $(words $(EXECUTED)) runs up to date in build/executed (results in build/results)"

# A run depends on its parameter file, its notebook and helpers. Papermill writes to a
# temporary file that is renamed only on success: a failed run leaves nothing complete.
.SECONDEXPANSION:
build/executed/%.ipynb: notebooks/runs/%.yaml notebooks/$$(firstword $$(subst /, ,$$*)).ipynb $(HELPERS) | $(STAMP) data
	@mkdir -p $(@D)
	@echo "notebooks: running $* ($(word 2,$^))"
	@start=$$(date +%s); $(PAPERMILL) --log-output $(word 2,$^) $@.part -f $< > $@.log 2>&1 \
	  || { echo "notebooks: $* FAILED, see $@.log"; tail -20 $@.log; rm -f $@.part; exit 1; }; \
	mv $@.part $@; echo "notebooks: $* done in $$(( $$(date +%s) - start )) s"

references: $(REFS) ## regenerate the nbval references (smoke scale) in tests/notebooks

tests/notebooks/%.ipynb: notebooks/%.ipynb $(HELPERS) | $(STAMP) data
	@mkdir -p $(@D) build/test-output
	@echo "references: $* at smoke scale"
	@WORKBOOK_OUTPUT=$(CURDIR)/build/test-output $(PAPERMILL) $< $@.part -p scale smoke -p run smoke_$* \
	  > $@.log 2>&1 || { rm -f $@.part; echo "references: $* failed, see $@.log"; exit 1; }
	@mv $@.part $@ && rm -f $@.log

lab: $(STAMP) data ## start JupyterLab on the project's environment and kernel
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

report: $(STAMP) data ## build the report (placeholder until the report issue lands)
	@echo "report: env and data are ready; the report build itself is not written yet"

clean: ## remove executed notebooks, results, figures and report builds (keeps .venv, data/)
	rm -rf build report/build report/*.pdf
	find figures -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

distclean: clean ## also remove .venv and the data cache
	rm -rf $(VENV) data
