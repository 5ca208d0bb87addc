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

.PHONY: help env data test report clean distclean

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

test: $(STAMP) data ## run the test suite (fails if no test is collected)
	@rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test: pytest collected no tests: that is a failure here"; exit 1; fi; \
	exit $$rc

report: $(STAMP) data ## build the report (placeholder until the report issue lands)
	@echo "report: env and data are ready; the report build itself is not written yet"

clean: ## remove executed notebooks, figures and report builds (keeps .venv, data/)
	rm -rf build report/build report/*.pdf
	find figures -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

distclean: clean ## also remove .venv and the data cache
	rm -rf $(VENV) data
