# cnn-basics: one command to set up and open the course, one to run every test.
# Needs only Python >= 3.10 (with venv) to start; everything else goes into .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lab test lint bench

# cnnlib's matrices are small: one BLAS thread per process is faster than two fighting over
# two cores (pytest -n 2 already runs two processes). Set them yourself to override.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[notebooks,test,browser]"
	touch $(STAMP)

setup: $(STAMP)

# Jupyter refuses to run as root unless told to (containers often run as root).
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

# Course defaults for JupyterLab, kept inside .venv (never in your home folder): no
# "Would you like to get notified about official Jupyter news?" pop-up over the first notebook.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(LAB_SETTINGS): $(STAMP)
	mkdir -p $(dir $@)
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > $@

lab: $(STAMP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadscope --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

bench: $(STAMP)
	OPENBLAS_NUM_THREADS= OMP_NUM_THREADS= $(BIN)/python benchmarks/conv.py
	$(BIN)/python benchmarks/explorers.py
