"""The one folder where keras_tl caches what it trains or converts: ``$KERAS_TL_CACHE`` or ``~/.cache/keras_tl``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """Where keras_tl caches pretrained source models: ``$KERAS_TL_CACHE`` or ``~/.cache/keras_tl``.

    Example:
        >>> isinstance(cache_dir(), Path)
        True
    """
    env = os.environ.get("KERAS_TL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "keras_tl"
