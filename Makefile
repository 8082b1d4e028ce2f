# cnn-basics: one command to set up and open the course, one to run every test.
# Needs only Python >= 3.10 (with venv) to start; everything else goes into .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lab test lint bench site site-offline

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

lab: $(STAMP)
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

# The course as a static JupyterLite site in _site/ (publish that folder; see README).
# site-offline ships Pyodide's wheels too (no other host contacted), for tests/test_site.py.
SITE_STAMP := .venv-site/.installed
$(SITE_STAMP): site/requirements.txt
	$(PYTHON) -m venv .venv-site
	.venv-site/bin/python -m pip install -r site/requirements.txt
	touch $(SITE_STAMP)

site: $(SITE_STAMP)
	.venv-site/bin/python site/build.py --output _site

site-offline: $(SITE_STAMP)
	.venv-site/bin/python site/build.py --offline --output _site-offline
