"""What an ImageNet classifier's 1000 outputs mean, offline.

``keras.applications.<model>.decode_predictions`` downloads ``imagenet_class_index.json`` the
first time; without a network it fails. keras_tl ships the 1,000 class names as package data
(``keras_tl/models/imagenet_classes/imagenet_classes.txt``, read from torchvision's list; the index order
is the one every ImageNet-1k classifier uses, Keras's included) and decodes with them.

Example:
    >>> import numpy as np
    >>> probs = np.zeros((1, 1000)); probs[0, 388] = 0.9; probs[0, 387] = 0.1
    >>> decode_predictions(probs, top=2)
    [[(388, 'giant panda', 0.9), (387, 'lesser panda', 0.1)]]
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["decode_predictions", "imagenet_classes"]


#: Where the class list is: package data beside this module.
CLASS_FILES = (Path(__file__).resolve().parent / "imagenet_classes" / "imagenet_classes.txt",)


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names, in classifier-output order.

    Example:
        >>> names = imagenet_classes()
        >>> len(names), names[0], names[388]
        (1000, 'tench', 'giant panda')
    """
    found = next((p for p in CLASS_FILES if p.is_file()), None)
    if found is None:  # pragma: no cover - the file is package data
        raise FileNotFoundError(f"imagenet_classes.txt not found in {[str(p) for p in CLASS_FILES]}; reinstall keras-tl.")
    text = found.read_text("utf-8")
    names = tuple(line for line in text.splitlines() if line)
    if len(names) != 1000:  # pragma: no cover - the file is package data
        raise RuntimeError(f"imagenet_classes.txt has {len(names)} names, expected 1000")
    return names


def decode_predictions(preds, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """The ``top`` classes of each row of ImageNet predictions: ``(index, name, probability)``.

    Like ``keras.applications.imagenet_utils.decode_predictions``, without its download (Keras's
    tuples start with a WordNet id; these start with the class index).

    Args:
        preds: an array of shape ``(n, 1000)`` (probabilities, or logits: the order is the same).
        top: how many classes per row, 1..1000.

    Example:
        >>> import numpy as np
        >>> decode_predictions(np.eye(1000)[[1]], top=1)
        [[(1, 'goldfish', 1.0)]]
    """
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            f"preds has shape {preds.shape}; decode_predictions needs (n_images, 1000): the output of an "
            "ImageNet classifier (include_top=True)."
        )
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= 1000:
        raise ValueError(f"top={top!r} is not allowed: give an int from 1 to 1000.")
    names = imagenet_classes()
    order = np.argsort(-preds, axis=1, kind="stable")[:, :top]
    return [[(int(i), names[i], round(float(row[i]), 6)) for i in idx] for row, idx in zip(preds, order)]
