"""Small checks shared by the data loaders: installed data packages, image sizes, split seeds.
"""


from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray]


def _package_dir(name: str) -> Path | None:
    """The folder of an installed package, found without importing it (``None`` if absent)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    return Path(spec.origin).parent if spec.origin else None


def _check_size(size, original: str) -> int | None:
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(
            f"size={size!r} is not allowed: use None (keep the original {original}) "
            "or a whole number of pixels >= 1 (the images become size x size)."
        )
    return int(size)


def _check_seed(seed, meaning: str = "") -> int:
    """A split seed: a whole number >= 0 (``meaning`` says what 0 is, for the error message)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} is not allowed: use a whole number >= 0{meaning}.")
    return int(seed)
