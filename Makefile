# The course's entry points. `make demo` runs the main job, `make test` runs every test.
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# CPU wheel that lies on this kind of machine's disk; cluster users install their CUDA torch first (README).
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
RUN    ?= runs/demo

.PHONY: install demo toy test sync-check lint nbtest nbkernel pytest lab export

install: $(STAMP)

$(STAMP): settings.ini setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# the whole course on the synthetic default catalogue: data → SIDs → Pop/SASRec → SFT → RL → evaluation (configs/demo.yaml)
demo: $(STAMP)
	OMP_NUM_THREADS=2 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false \
	  $(PY) -m minionerec.pipeline --config configs/demo.yaml --run-dir $(RUN)

# lesson 00 alone: the toy recommender against popularity
toy: $(STAMP)
	$(PY) -m minionerec.toy_rec --dataset toy --num-items 200 --max-len 50 --epochs 3 --device cpu --amp --out runs/toy

test: $(STAMP) sync-check lint nbtest nbkernel pytest

# Fails when the notebooks (the source of truth) and the package disagree, or a notebook is not clean.
sync-check: $(STAMP)
	@tmp=$$(mktemp -d); cp -r minionerec nbs $$tmp/; \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean; \
	if ! diff -r -x __pycache__ $$tmp/minionerec minionerec; then \
	  echo "ERROR: nbdev_export changed minionerec/: export the notebooks and commit both"; exit 1; fi; \
	if ! diff -r -x .ipynb_checkpoints -x __pycache__ $$tmp/nbs nbs >/dev/null; then \
	  diff -r -x .ipynb_checkpoints -x __pycache__ $$tmp/nbs nbs | head -20; \
	  echo "ERROR: nbdev_clean changed notebooks: run nbdev_clean and commit"; exit 1; fi; \
	rm -rf $$tmp; echo "notebooks and package in sync"

# Each notebook runs in its own process; one torch thread each so two workers do not fight over 2 cores.
NBENV  := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
nbtest: $(STAMP)
	$(NBENV) $(BIN)/nbdev_test --n_workers 2 --timing

# Undefined and unused names in the exported package (ruff.toml).
lint: $(STAMP)
	$(BIN)/ruff check minionerec/

# Every notebook top to bottom in a real Jupyter kernel, as "Run All" in JupyterLab runs it (nbdev_test runs
# no kernel and skips `eval: false` cells): once with MINIONEREC_DATA unset, once set to the data folder.
DATA_DIR ?= $(abspath ../shared/data)
nbkernel: $(STAMP)
	env -u MINIONEREC_DATA $(NBENV) $(PY) tools/execute_nbs.py
	MINIONEREC_DATA=$(DATA_DIR) $(NBENV) $(PY) tools/execute_nbs.py

pytest: $(STAMP)
	OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 $(BIN)/pytest -q tests

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir nbs

export: $(STAMP)
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean
