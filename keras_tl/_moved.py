"""The module paths of keras-tl 0.1 before the package moved into rooms, kept working for one release.

``keras_tl.datasets``, ``keras_tl.strategies``, ``keras_tl.backbones`` ... were flat modules; they now
live in subpackages (``keras_tl.data``, ``keras_tl.transfer``, ``keras_tl.models`` ...; the map is in
``CONTRIBUTING.md``). The flat public names (``keras_tl.fashion_mnist``, ``keras_tl.fine_tune``) never
moved. An old module path still imports, with a ``DeprecationWarning`` that names the new one:

    >>> import sys, warnings
    >>> _ = sys.modules.pop("keras_tl.datasets", None)   # as in a fresh process
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     from keras_tl.datasets import sample_per_class
    >>> "keras_tl.data.splits" in str(caught[0].message)
    True

It is removed in the next release: import from ``keras_tl`` (the flat names) or from the new module.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
import types
import warnings

#: Old module name -> the modules that now hold its names (searched in this order).
MOVED: dict[str, tuple[str, ...]] = {
    "datasets": ("data.builtin", "data.splits", "data.tasks", "data.shifts", "data.adapters", "data.text_csv",
                 "data.photos", "data._checks"),
    "solar_cells": ("data.solar_cells",),
    "real_texts": ("data.real_texts",),
    "few_shot_faces": ("data.few_shot_faces",),
    "folders": ("data.folders",),
    "pipelines": ("data.pipelines",),
    "validation": ("core.validation",),
    "data_input": ("core.data_input",),
    "checkpoints": ("core.checkpoints",),
    "backbones": ("models.backbones", "models.registry"),
    "weight_sources": ("models.weight_sources",),
    "torch_weights": ("models.torch_weights",),
    "imagenet": ("models.imagenet",),
    "source_model": ("models.source_model", "core.cache"),
    "strategies": ("transfer.heads", "transfer.freezing", "transfer.features", "core.training"),
    "approaches": ("transfer.approaches",),
    "schedules": ("transfer.schedules",),
    "low_rank": ("transfer.low_rank",),
    "adaptation": ("transfer.adaptation",),
    "forgetting": ("transfer.forgetting",),
    "ensembles": ("transfer.ensembles",),
    "cached_fine_tuning": ("transfer.cached_fine_tuning",),
    "stats": ("measure.stats",),
    "benefits": ("measure.benefits",),
    "similarity": ("measure.similarity", "measure.distances", "measure.transferability"),
    "lr_finder": ("diagnose.lr_finder",),
    "interpretation": ("diagnose.interpretation",),
    "gradcam": ("diagnose.gradcam",),
    "layer_views": ("diagnose.layer_views",),
    "text_data": ("text.sequences",),
}

_PACKAGE = __name__.rpartition(".")[0]
_HERE = os.path.dirname(os.path.abspath(__file__))  # the keras_tl folder: its frames are not the caller
_IMPORTLIB = os.path.dirname(os.path.abspath(importlib.__file__))


def _message(old: str) -> str:
    new = " / ".join(f"{_PACKAGE}.{m}" for m in MOVED[old] if not m.rpartition(".")[2].startswith("_"))
    return (f"{_PACKAGE}.{old} moved to {new} (keras-tl 0.2); the old path is removed in the next release. "
            f"The flat names (keras_tl.<name>) did not move.")


class _MovedModule(types.ModuleType):
    """An old module path: every attribute is looked up in the modules that now hold it."""

    def __init__(self, old: str):
        super().__init__(f"{_PACKAGE}.{old}", _message(old))
        self._homes = [importlib.import_module(f"{_PACKAGE}.{m}") for m in MOVED[old]]

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for home in self._homes:
            if hasattr(home, name):
                return getattr(home, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} ({self.__doc__})")

    def __dir__(self) -> list[str]:
        return sorted({n for home in self._homes for n in getattr(home, "__all__", dir(home))})


def _user_level() -> int:
    """The ``stacklevel`` of the first frame outside keras_tl and importlib: the user's import line (or
    attribute), so the warning is shown where Python shows deprecations by default (code run as ``__main__``,
    a notebook cell). ``warnings.warn`` skips importlib's bootstrap frames itself, so they are not counted."""
    frame, level = sys._getframe(1), 0
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<frozen importlib"):
            level += 1
            if not name.startswith((_HERE, _IMPORTLIB)):
                break
        frame = frame.f_back
    return level


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``keras_tl.<old>`` for the names in :data:`MOVED` (no file is left at the old path)."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, old = fullname.rpartition(".")
        if package == _PACKAGE and old in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return _MovedModule(spec.name.rpartition(".")[2])

    def exec_module(self, module) -> None:
        warnings.warn(module.__doc__, DeprecationWarning, stacklevel=_user_level())


def install() -> None:
    """Make the old module paths importable (``keras_tl/__init__`` calls this once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())


def moved_module(old: str) -> types.ModuleType:
    """``keras_tl.<old>`` as ``keras_tl.__getattr__`` returns it: imported (and warned about) on first use."""
    return importlib.import_module(f"{_PACKAGE}.{old}")
