# The workbook's dependency graph: environment -> data -> (notebooks -> figures -> report).
# `make help` lists the targets. Everything runs in .venv (pip, or conda when present).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# make cannot carry a space in a file name (targets, prerequisites): a clone whose path has one is
# refused here, by every target, before anything is built in it
$(if $(word 2,$(CURDIR)),$(error this clone's path "$(CURDIR)" contains a space, which make cannot carry \
  in file names: move the clone (or clone again) to a path without spaces))
PYTHON   ?= $(shell command -v python3.11 || command -v python3)
ENV_TOOL ?= $(if $(shell command -v conda),conda,pip)
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
KERNEL   := mnist-workbook
DATASET  ?= mnist
FROM     ?=
# what a kernel adds to a notebook's metadata.language_info on save (nbstripout strips it; the name stays)
VOLATILE_LANGUAGE_INFO := codemirror_mode file_extension mimetype nbconvert_exporter pygments_lexer version
# The project's kernel spec lives inside .venv; put it first so papermill and nbval
# find this environment's kernel whatever kernels the machine or user has.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter

.PHONY: precision report-graph report-with-grids references-graph help env data test bench notebooks notebooks-graph test-graph inputs references best grid lab report html pdf pdf-graph rerun FORCE clean clean-cache clean-studies distclean

# --- notebooks: every $(RUNS_DIR)/<notebook>/<name>.yaml is one papermill run ---
# A run's name is its parameter file's path under notebooks/ (runs/01_logistic/logistic_2v3):
# results in build/results/<run>.json, figures in figures/<run>/. SCALE=full (default) writes into
# the repository; SCALE=smoke runs the same graph small, into build/smoke/ (what `make test` checks).
# RUNS_DIR=notebooks/runs-fashion-mnist reruns the study on Fashion-MNIST (not in the report).
SCALE     ?= full
OUT       := $(if $(filter smoke,$(SCALE)),build/smoke/,$(if $(filter full,$(SCALE)),,$(error SCALE must be full or smoke, not '$(SCALE)')))
SMOKE     := build/smoke/
# DTYPE=float64 (what `make precision` sets): every fit of every run in float64, into <out>build/float64/ (its own
# stamps, results and figures); unset, the runs keep their own dtype (float32, Config's default).
DTYPE     ?=
$(if $(filter-out float64,$(DTYPE)),$(error DTYPE must be float64 (the precision comparison) or unset, not '$(DTYPE)'))
PRECISION_OUT := $(OUT)build/float64/
OUT       := $(if $(DTYPE),$(PRECISION_OUT),$(OUT))
NOTEBOOKS := $(wildcard notebooks/[0-9]*.ipynb)
RUNS_DIR  ?= notebooks/runs
$(if $(filter notebooks/%,$(RUNS_DIR)),,$(error RUNS_DIR must be a folder under notebooks/, not '$(RUNS_DIR)'))
# the runs make builds: asked of helpers/pipeline/names.py, the one home of the run-name rules (parameter
# files in a folder named after a notebook, whose names make and the shell carry as they are; `names check`,
# below, reports the others, which block nothing else). It needs only the standard library: the system
# Python answers before .venv exists.
RUN_IDS   := $(shell $(PYTHON) -m helpers.pipeline.names runs $(RUNS_DIR))
RUN_FILES := $(RUN_IDS:%=notebooks/%.yaml)
EXECUTED  := $(RUN_IDS:%=$(OUT)build/executed/%.ipynb)
PARAMS    := $(RUN_IDS:%=$(OUT)build/params/%.json)
RESULTS   := $(RUN_IDS:%=$(OUT)build/results/%.json)
REFS      := $(patsubst notebooks/%.ipynb,tests/notebooks/%.ipynb,$(NOTEBOOKS))
# KERNEL_START_TIMEOUT: the seconds a kernel may take to start (papermill's default, 60, can be too
# short on a loaded machine: a run then fails with "Kernel didn't respond", and the failure says so).
# papermill runs through helpers/pipeline/execute.py, which starts a kernel that did not come up (late,
# or dead on a port two kernels picked at once) again, up to 3 times, before the run fails.
KERNEL_START_TIMEOUT ?= 60
PAPERMILL := $(PY) -m helpers.pipeline.execute -k $(KERNEL) --cwd notebooks --no-progress-bar --start-timeout $(KERNEL_START_TIMEOUT)
# after a failed papermill whose log is $(1): the cause a truncated log would hide, when it is one of
# these: its kernel did not start in time, or the disk is full (the log itself then stops short)
FAILURE_HINT = if grep -q "Kernel didn't respond" $(1) 2>/dev/null; then echo "notebooks: its kernel did not start within \
               $(KERNEL_START_TIMEOUT) s, 3 times (a loaded machine): rerun the same make command, or allow longer: KERNEL_START_TIMEOUT=180"; fi; \
               if grep -q "Kernel died before replying" $(1) 2>/dev/null; then echo "notebooks: its kernel died as it started, 3 \
               times: try \`$(PY) -m ipykernel_launcher --version\` for the cause, then rerun the same make command"; fi; \
               free=$$(df -Pk $(dir $(1)) | awk 'NR==2 {print $$4}'); if [ "$${free:-1024}" -lt 1024 ]; then \
               echo "notebooks: No space left on device in $(dir $(1)) ($$free kB free): free space on that disk and rerun"; fi
# Every run, reference and nbval check uses one BLAS thread (the fits pin it themselves too): the
# summation order inside a matrix product depends on the thread count.
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# One build at a time per tree: every target that writes outputs runs under an exclusive lock on
# $(BUILD_LOCK) (flock(1)); a second build in the same tree says so and waits for the first. The lock is
# held by the first make's flock process alone (-o: papermill, kernels and Dask workers do not inherit
# it), so however that build ends, killed included, the lock goes with it. The makes nested in one
# build see WORKBOOK_BUILD_LOCK and do not lock again (`env`: the locked command may start with VAR=value).
BUILD_LOCK ?= .cache/build.lock
LOCKED     = $(if $(WORKBOOK_BUILD_LOCK),,$(if $(shell command -v flock),mkdir -p $(dir $(BUILD_LOCK)) \
             && { flock -n $(BUILD_LOCK) true || echo "make: another build is running in this tree (it holds \
             $(BUILD_LOCK)); waiting for it to finish"; } && WORKBOOK_BUILD_LOCK=$(BUILD_LOCK) flock -o $(BUILD_LOCK) env,\
             echo "make: flock not found (util-linux): this build is not locked against another in this tree";))
# One Dask cluster (a worker process per core, WORKBOOK_WORKERS to change) runs every fit of a
# build, shared through DASK_SCHEDULER_ADDRESS. make runs every notebook of the build at once
# (JOBS, default: the number of runs): they mostly wait for their fits, so every fit reaches the
# cluster as soon as its run starts and the longest start first (Dask priority); the workers,
# not make, set how much runs at a time. Each waiting notebook is a kernel of ~150-250 MB.
# With DASK_SCHEDULER_ADDRESS already set, that cluster is used.
JOBS      ?= $(words $(RUN_IDS) x)
# the build's cluster and its status line (fits done / running / waiting, estimate); the fit
# phase's compute, wall time and utilisation go to <out>build/fit-phase.json (make bench reads it),
# beside that build's plan.json (the status line's scale and plan; its rates are kept per scale)
# (`make best` keeps its own, fit-phase-best.json: the last build's record make bench prints stays the runs')
ENGINE_AT  = WORKBOOK_BUILD_LOG=$(CURDIR)/$(1)build/$(or $(2),fit-phase).json $(PY) -m helpers.pipeline.cluster --
ENGINE    := $(call ENGINE_AT,$(OUT))
BEST_ENGINE := $(call ENGINE_AT,$(OUT),fit-phase-best)
SMOKE_ENGINE := $(call ENGINE_AT,$(SMOKE))

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
	@ln -sf "$$($(PY) -c 'import pypandoc; print(pypandoc.get_pandoc_path())')" $(VENV)/bin/pandoc
	@$(PY) -m ipykernel install --prefix $(VENV) --name $(KERNEL) \
	  --display-name "Python (mnist-workbook)" > /dev/null
	@# the git filter that keeps outputs out of committed notebooks (which files: .gitattributes),
	@# and the volatile metadata a Jupyter save adds (language_info beyond its name)
	@if git rev-parse --git-dir > /dev/null 2>&1; then \
	  $(VENV)/bin/nbstripout --install --attributes "$$(git rev-parse --git-dir)/info/nbstripout-attributes" && \
	  git config filter.nbstripout.extrakeys "$(addprefix metadata.language_info.,$(VOLATILE_LANGUAGE_INFO))"; fi
	@# a Jupyter server from .venv saves those notebooks as the filter stores them (helpers/pipeline/lab.py)
	@mkdir -p $(VENV)/etc/jupyter && \
	  echo '{"ContentsManager": {"pre_save_hook": "helpers.pipeline.lab.strip_on_save"}}' > $(VENV)/etc/jupyter/jupyter_server_config.json
	@touch $@

env: $(STAMP) ## create .venv with the pinned packages and the project kernel
	@echo "env: $(VENV) is up to date with requirements.txt (kernel '$(KERNEL)')"

data: $(STAMP) ## fetch + verify MNIST into data/ (DATASET=fashion-mnist, FROM=dir)
	@$(PY) -m helpers.pipeline.fetch --dataset $(DATASET) $(if $(FROM),--from $(FROM))

test: $(STAMP) data ## smoke-scale runs, then the tests and nbval on the smoke notebooks (fails if none is collected)
	@$(LOCKED) $(SMOKE_ENGINE) $(MAKE) test-graph

test-graph:
	@$(MAKE) -k -j$(JOBS) notebooks-graph SCALE=smoke
	@# the build's status line (helpers/pipeline/monitor.py) stays silent while pytest writes
	@quiet="$${WORKBOOK_MONITOR_QUIET:-}"; if [ -n "$$quiet" ]; then touch "$$quiet"; trap 'rm -f "$$quiet"' EXIT; fi; \
	rc=0; $(ONE_THREAD) WORKBOOK_OUTPUT=$(CURDIR)/$(SMOKE) $(PY) -m pytest $(PYTEST_ARGS) \
	  tests --nbval-lax --nbval-current-env -p no:cacheprovider || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "test: pytest collected no tests: that is a failure here"; exit 1; fi; \
	exit $$rc

bench: $(STAMP) data ## time an epoch of the network and softmax beside the GEMM floor
	@$(PY) -m helpers.pipeline.bench

notebooks: | $(STAMP) data ## run every parameter file (SCALE=full|smoke) with papermill on one Dask cluster; reruns only what changed
	@$(LOCKED) $(ENGINE) $(MAKE) -k -j$(JOBS) notebooks-graph

# One run again, even when make finds it up to date (what a refused record's "rebuild it:" names).
rerun: | $(STAMP) data ## rerun one run whatever make thinks of it: RUN=runs/<notebook>/<name> (SCALE=smoke)
	@test -f "notebooks/$(RUN).yaml" || { echo "rerun: RUN='$(RUN)' names no parameter file notebooks/$(RUN).yaml;\
	  e.g. make rerun RUN=$(firstword $(RUN_IDS))"; exit 1; }
	@$(LOCKED) $(ENGINE) $(MAKE) RERUN=$(RUN) $(OUT)build/executed/$(RUN).ipynb

notebooks-graph: $(EXECUTED)
	@$(PY) -m helpers.pipeline.names check $(RUNS_DIR)
	@echo "notebooks: $(words $(EXECUTED)) $(SCALE)-scale runs up to date in $(OUT)build/executed (results in $(OUT)build/results)"

# The search of training settings (issue 20): notebooks/08_best.ipynb on notebooks/runs-best/, on its own
# Dask cluster (or DASK_SCHEDULER_ADDRESS); not among `make report`'s runs (the report reads its results
# when they exist). Its Optuna studies live in .cache/studies/ and its fits in the fit cache: a second
# `make best` does no work, an interrupted one resumes.
BEST_RUNS := notebooks/runs-best

# Under the build lock as every writing target: two searches in one tree would share one study and one log.
best: | $(STAMP) data ## search training settings per model class on the hold-out set (Optuna; trials are Dask fits; SCALE=smoke: seconds)
	@$(LOCKED) $(BEST_ENGINE) $(MAKE) notebooks-graph RUNS_DIR=$(BEST_RUNS)

# The precision comparison (issue 26): the runs of notebooks/runs again with every fit in float64, into
# build/float64/ (about twice the runs' time: the network's products are about 2x slower in float64). The
# report's appendix then sets each published row's measurement and verdict in float32 (the default) beside
# float64; without it the appendix names this command.
precision: | $(STAMP) data ## rerun notebooks/runs with every fit in float64 (build/float64/), for the report's precision appendix (SCALE=smoke: a minute)
	@$(LOCKED) $(call ENGINE_AT,$(PRECISION_OUT)) $(MAKE) -k -j$(JOBS) notebooks-graph DTYPE=float64

# Inferred-hypothesis grids (issue 28): notebooks/runs-grid/, one seed per grid point. `make report` builds them
# first (the report's choice of one hypothesis per question needs every grid point; about 25 minutes of this
# 2-core machine at full scale, cached like every fit); `make grid` builds only them.
GRID_RUNS := notebooks/runs-grid
GRID_RESULTS = $(wildcard $(OUT)build/results/runs-grid/*/*.json)

grid: | $(STAMP) data ## run the inferred-hypothesis grids of notebooks/runs-grid (Lim & Chen's step scale; SCALE=smoke: a minute)
	@$(LOCKED) $(ENGINE) $(MAKE) notebooks-graph RUNS_DIR=$(GRID_RUNS)

# What a run is made of, as files whose time stamps change only when their content does (so a
# Jupyter save, which rewrites outputs and metadata, reruns nothing): the effective parameters
# (notebook defaults + parameter file + scale), each notebook's cells, the helpers code; and the set of
# runs (runs.list for notebooks/runs, runs-grid.list for the grids), which the report depends on: adding or
# removing a parameter file rebuilds it.
RUN_SET := $(OUT)build/stamps/$(notdir $(RUNS_DIR)).list
inputs: | $(STAMP)
	@$(PY) -m helpers.pipeline.resolve stamps --scale $(SCALE) --out $(OUT)build --runs-dir $(RUNS_DIR) $(if $(DTYPE),--dtype $(DTYPE)) $(RUN_FILES)
$(PARAMS) $(NOTEBOOKS:notebooks/%.ipynb=$(OUT)build/stamps/%.digest) $(OUT)build/stamps/helpers.digest $(RUN_SET): inputs ;

# A failed run leaves nothing complete: papermill writes a temporary file of its own (the shell's pid in
# its name; one a killed build left is removed, builds being one at a time) renamed only on success,
# and the notebook writes its results and figures only after its sanity asserts.
.SECONDEXPANSION:
run_notebook = $(word 2,$(subst /, ,$*))
run_scale    = $(if $(filter $(SMOKE)%,$@),smoke,full)
$(OUT)build/executed/%.ipynb: $(OUT)build/params/%.json $(OUT)build/stamps/$$(word 2,$$(subst /, ,$$*)).digest \
                              $(OUT)build/stamps/helpers.digest $$(if $$(filter $$*,$$(RERUN)),FORCE) | $(STAMP) data
	@mkdir -p $(@D)
	@test -s $< || { echo "notebooks: $* cannot run: $$(cat $(<:.json=.error) 2>/dev/null || echo 'it was not resolved (rerun make)')" >&2; exit 1; }
	@echo "notebooks: running $* (notebooks/$(run_notebook).ipynb, $(run_scale) scale)"
	@rm -f $@.*.part; start=$$(date +%s); part=$@.$$$$.part; $(ONE_THREAD) WORKBOOK_OUTPUT=$(CURDIR)/$(OUT) \
	  $(PAPERMILL) --log-output notebooks/$(run_notebook).ipynb $$part -f $< > $@.log 2>&1 \
	  || { echo "notebooks: $* FAILED, see $@.log"; tail -20 $@.log || true; $(call FAILURE_HINT,$@.log); rm -f $$part; exit 1; }; \
	mv $$part $@; echo "notebooks: $* done in $$(( $$(date +%s) - start )) s"

# RERUN=<run> (make rerun): that run is out of date whatever its inputs say.
FORCE:

# A run writes its results file; a missing one is the report's to name (with the command that reruns it).
$(RESULTS): $(OUT)build/results/%.json: $(OUT)build/executed/%.ipynb ;

# What spans runs reads other runs' results: run those first. (A make pattern holds one %, so
# the lists are picked by their folder with a loop; tests/test_build.py checks `make -pn` sees it.)
ACROSS    := $(foreach e,$(EXECUTED),$(if $(findstring /07_across_runs/,$(e)),$(e)))
LOGISTIC  := $(foreach e,$(EXECUTED),$(if $(findstring /01_logistic/,$(e)),$(e)))
$(ACROSS): $(LOGISTIC)
tests/notebooks/07_across_runs.ipynb: $(patsubst notebooks/%.yaml,$(SMOKE)build/executed/%.ipynb,$(wildcard notebooks/runs/01_logistic/*.yaml))

references: | $(STAMP) data ## regenerate the nbval references (smoke scale) in tests/notebooks
	@$(LOCKED) $(SMOKE_ENGINE) $(MAKE) -j$(JOBS) references-graph

# 07_across_runs reads the logistic runs' results: bring those up to date at smoke scale first
references-graph:
	@$(MAKE) SCALE=smoke $(patsubst notebooks/%.yaml,$(SMOKE)build/executed/%.ipynb,$(wildcard notebooks/runs/01_logistic/*.yaml))
	@$(MAKE) $(REFS)

tests/notebooks/%.ipynb: notebooks/%.ipynb $(wildcard helpers/*.py helpers/*/*.py) | $(STAMP) data
	@mkdir -p $(@D) $(SMOKE)
	@echo "references: $* at smoke scale"
	@$(ONE_THREAD) WORKBOOK_OUTPUT=$(CURDIR)/$(SMOKE) $(PAPERMILL) $< $@.part -p scale smoke \
	  > $@.log 2>&1 || { rm -f $@.part; echo "references: $* failed, see $@.log"; exit 1; }
	@mv $@.part $@ && rm -f $@.log

clean-studies: ## remove the search's Optuna studies (.cache/studies): the next make best searches again (its fits stay cached)
	@$(LOCKED) rm -rf .cache/studies && echo "clean-studies: removed .cache/studies"

# The seconds per cost unit earlier builds measured (.cache/fits/rates.json) are kept: they are this
# machine's, not fits, and give a from-scratch build its estimate from the start.
clean-cache: ## remove the fit cache (.cache/fits; keeps the measured rates.json): the next build refits everything
	@$(LOCKED) find .cache/fits -mindepth 1 -maxdepth 1 ! -name rates.json -exec rm -rf {} + 2>/dev/null || true; \
	  echo "clean-cache: removed the fits in .cache/fits (kept rates.json, the build estimate's measured rates)"

# LAB_ARGS: extra arguments for JupyterLab (e.g. LAB_ARGS="--no-browser --port 8899"); as root
# (a container) --allow-root is added. New notebooks start on the project's kernel.
lab: $(STAMP) data ## start JupyterLab on the project's environment and kernel (LAB_ARGS="--no-browser --port 8899")
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) \
	  --MultiKernelManager.default_kernel_name=$(KERNEL) $(LAB_ARGS)

# --- report: the executed runs -> report notebook (papermill) -> report.html + report.tex (nbconvert) -> PDF ---
# One executed notebook, two exports: every piece it displays carries LaTeX and HTML (helpers.report),
# so the LaTeX exporter and the HTML exporter each take their own. The HTML needs no TeX and no
# network (figures embedded, math as MathML); the PDF needs XeLaTeX.
REPORT     := $(OUT)report
REPORT_NB  := $(REPORT)/build/report.ipynb
REPORT_SRC := report/report.ipynb report/published.yaml report/gradcheck_published.yaml $(wildcard $(BEST_RUNS)/*/*.yaml) notebooks/08_best.ipynb $(wildcard report/templates/*/*) \
              $(wildcard helpers/report/*.py helpers/figures/*) $(addprefix helpers/pipeline/,published.py results.py provenance.py settings.py space.py files.py ceiling.py)
# the search's results (make best), when they exist: the report includes them, or says there are none
BEST_RESULTS = $(wildcard $(OUT)build/results/runs-best/08_best/best.json)
# the precision comparison's results (make precision), when they exist: the report's appendix reads them
PRECISION_RESULTS = $(if $(DTYPE),,$(wildcard $(PRECISION_OUT)build/results/runs/*/*.json))
TEX_PKGS   := texlive-xetex texlive-fonts-recommended texlive-plain-generic
# A fixed date in the PDF (SOURCE_DATE_EPOCH): rebuilding the same report gives the same bytes.
XELATEX    := SOURCE_DATE_EPOCH=0 FORCE_SOURCE_DATE=1 xelatex -interaction=nonstopmode -halt-on-error -output-directory=build -jobname=report
NBCONVERT  := PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/jupyter nbconvert --no-input --no-prompt --log-level WARN \
              --TemplateExporter.extra_template_basedirs=$(CURDIR)/report/templates

report: | $(STAMP) data ## build the report: env -> data -> the grids, then the runs (out of date only, on one Dask cluster) -> report.html, report.tex -> PDF if TeX is present
	@$(LOCKED) $(ENGINE) $(MAKE) report-with-grids

# The grids first (their own stamps and plan), then the runs and the report: one cluster, one lock.
report-with-grids:
	@$(MAKE) -k -j$(JOBS) notebooks-graph RUNS_DIR=$(GRID_RUNS)
	@$(MAKE) -k -j$(JOBS) report-graph

# Without TeX a PDF older than report.tex is another build's: it is removed, never left beside the new HTML.
# The last line says whether the search section (make best) is in the report, and how long it takes here.
report-graph: $(REPORT)/report.html $(REPORT)/report.tex
	@$(PY) -m helpers.pipeline.names check $(RUNS_DIR)
	@if command -v xelatex > /dev/null; then $(MAKE) pdf-graph; else \
	  if [ -e $(REPORT)/report.pdf ] && [ $(REPORT)/report.pdf -ot $(REPORT)/report.tex ]; then rm -f $(REPORT)/report.pdf; \
	    echo "report: removed $(REPORT)/report.pdf: it was made from an older report.tex and there is no TeX here to remake it"; fi; \
	  echo "report: wrote $(REPORT)/report.html (open it in a browser) and $(REPORT)/report.tex; no TeX for the PDF (install: apt-get install -y $(TEX_PKGS))"; fi
	@$(PY) -m helpers.report search-hint $(SCALE)

html: | $(STAMP) data ## the report as one self-contained HTML page (no TeX needed)
	@$(LOCKED) $(ENGINE) $(MAKE) -j$(JOBS) $(REPORT)/report.html

pdf: ## the PDF from report.tex (fails if TeX is missing)
	@$(LOCKED) $(MAKE) pdf-graph

pdf-graph: $(REPORT)/report.pdf

# The executed report notebook both exports read. Secondary: kept, but once report.html and
# report.tex exist a deleted build/ folder does not force the notebook to run again.
.SECONDARY: $(REPORT_NB)
# The report is a function of the runs on disk: their set (RUN_SET) and their results files
# (and the grids', and the search's, make best, when it exists).
$(REPORT_NB): $(REPORT_SRC) $(EXECUTED) $(RUN_SET) $(RESULTS) $(BEST_RESULTS) $(GRID_RESULTS) $(PRECISION_RESULTS) | $(STAMP) data
	@mkdir -p $(@D)
	@echo "report: running the report notebook on $(words $(EXECUTED)) runs ($(SCALE) scale)"
	@WORKBOOK_OUTPUT=$(CURDIR)/$(OUT) $(PAPERMILL) --cwd report report/report.ipynb $(@D)/report.part.ipynb \
	  -p scale $(SCALE) -p published_file $(CURDIR)/report/published.yaml > $(@D)/papermill.log 2>&1 \
	  || { echo "report: the report notebook failed, see $(@D)/papermill.log"; tail -20 $(@D)/papermill.log; \
	       $(call FAILURE_HINT,$(@D)/papermill.log); rm -f $(@D)/report.part.ipynb; exit 1; }
	@$(PY) -m helpers.report stable-ids $(@D)/report.part.ipynb
	@mv $(@D)/report.part.ipynb $@

$(REPORT)/report.html: $(REPORT_NB)
	@mkdir -p $(REPORT)/build
	@$(NBCONVERT) --to html --template workbook_html --output-dir $(REPORT)/build --output report-html.part $<
	@mv $(REPORT)/build/report-html.part.html $@ && echo "report: wrote $@ ($$(( $$(wc -c < $@) / 1024 )) kB, self-contained)"

$(REPORT)/report.tex: $(REPORT_NB)
	@mkdir -p $(REPORT)/build
	@$(NBCONVERT) --to latex --template workbook --output-dir $(REPORT)/build --output report.part $<
	@mv $(REPORT)/build/report.part.tex $@ && echo "report: wrote $@"

# xelatex writes into build/ (-output-directory), which must exist: it may have been removed.
$(REPORT)/report.pdf: $(REPORT)/report.tex
	@command -v xelatex > /dev/null || { echo "pdf: xelatex not found; install TeX: apt-get install -y $(TEX_PKGS)"; exit 1; }
	@mkdir -p $(REPORT)/build
	@cd $(REPORT) && for pass in 1 2; do $(XELATEX) report.tex > build/xelatex.log 2>&1 \
	  || { echo "pdf: xelatex failed, see $(REPORT)/build/report.log"; grep -A3 '^!' build/report.log | head -20; exit 1; }; done
	@mv $(REPORT)/build/report.pdf $@ && echo "pdf: wrote $@ ($$(grep -o 'Output written on [^ ]* ([0-9]* pages' $(REPORT)/build/report.log | grep -o '[0-9]* pages'))"

clean: ## remove executed notebooks, results, figures and report builds (keeps .venv, data/)
	@$(LOCKED) rm -rf build report/build report/*.pdf report/report.tex report/report.html
	@$(LOCKED) find figures -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	@echo "clean: removed build/, figures/ and the report's outputs (kept .venv, data/, .cache/fits)"

distclean: clean ## also remove .venv and the data cache
	@$(LOCKED) rm -rf $(VENV) data && echo "distclean: removed $(VENV) and data/"
