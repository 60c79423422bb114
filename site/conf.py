"""Sphinx configuration of the course site (``make site``; ``make site-quick`` inside ``make test``).

Run as ``sphinx-build -c site . site/_build/html``: the source folder is the repository root, so that
the notebooks are executed where they live (``notebooks/`` as the working directory, as nbval and
``scripts/verdicts.py`` run them) and every relative link between README, docs and notebooks resolves
as on GitHub; ``include_patterns`` keeps the pages to ``site/*.md`` (the README as the landing page,
the tables of contents in the README's reading order), ``notebooks/*.ipynb``, ``docs/*.md`` and
``site/api/`` (written here at every build from ``keras_tl.__all__``: one page per room, one entry per
public name with its docstring and example). ``index.html`` sends the browser to ``site/index.html``.

Execution: myst-nb through jupyter-cache (``nb_execution_mode = "cache"``: a notebook re-executes only
when its code cells changed), QUICK mode as committed, ``KERAS_TL_SEED_OFFSET`` unset (offset 0), a
failing cell fails the build. ``-D nb_execution_mode=off`` (``make site-quick``) builds the structure,
the links and the API reference without running anything.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# The kernels and autodoc import this checkout's keras_tl; the executed notebooks run at offset 0, QUICK.
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
os.environ.pop("KERAS_TL_SEED_OFFSET", None)
os.environ.pop("KERAS_TL_VERDICTS", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(HERE))
import site_build  # noqa: E402  (site/site_build.py: the generated API pages, the verdict notes)

warnings.filterwarnings("ignore", message="Cell is missing an id field")  # nbformat, on the committed notebooks

project = "keras-tl"
author = "the keras-tl authors"
copyright = "the keras-tl authors, Apache-2.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

root_doc = "site/index"
include_patterns = ["site/*.md", "site/api/*.rst", "notebooks/*.ipynb", "docs/*.md"]
exclude_patterns = ["site/_build", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]
html_additional_pages = {"index": "redirect.html"}   # the site's root sends the browser to the landing page
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# The README, CONTRIBUTING and docs/*.md are written for GitHub: headings start at any level, links
# are plain relative paths, $ is money, not maths.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = [
    "myst.header",  # docs written for GitHub skip heading levels (## after #### ...): not a broken page
]

# --- notebooks -------------------------------------------------------------------------------------
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600           # seconds per cell (nbclient times cells, not notebooks): the longest QUICK
                                     # notebook took 452 s in all with the cores shared (docs/verdicts.md)
nb_execution_in_temp = False         # run in notebooks/, as nbval does
# KERAS_TL_SITE_NO_RUN="notebooks/1[2-9]*": notebooks shown without executing them (while working on one page)
nb_execution_excludepatterns = os.environ.get("KERAS_TL_SITE_NO_RUN", "").split()
nb_merge_streams = True
nb_output_stderr = "remove"          # TensorFlow's and Keras's log lines on stderr; the figures and prints stay

# --- API reference ---------------------------------------------------------------------------------
autodoc_default_options = {"members": False, "undoc-members": False}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autoclass_content = "both"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# --- theme -----------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "keras-tl: transfer learning, measured"
html_static_path = []
html_favicon = "_static/favicon.svg"   # without one, every browser asks for /favicon.ico (a 404)
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
# Light by default: the figures are drawn on white; and with no mode set and none stored yet (a first
# visit), the theme's script logs "Got invalid theme mode" as a console error.
html_context = {"default_mode": "light"}


def setup(app):
    site_build.write_api_pages(HERE / "api")
    site_build.check_reading_order(ROOT / "README.md", HERE / "index.md")
    app.connect("source-read", site_build.add_verdict_note)
    return {"parallel_read_safe": True}
