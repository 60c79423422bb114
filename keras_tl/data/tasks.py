"""The canonical source/target task of the course: Fashion-MNIST classes 0-4 -> 5-9 (:func:`transfer_task`).
"""


from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from keras_tl.data._checks import Arrays
from keras_tl.data.builtin import load_dataset
from keras_tl.data.splits import sample_per_class, split_by_class, stratified_split

__all__ = ["TransferTask", "transfer_task"]


@dataclass
class TransferTask:
    """A source task and a small target task, ready for ``model.fit``.

    ``source`` and ``source_test`` hold the source classes; ``target`` holds
    ``n_per_class`` labelled examples of each target class and ``target_val``
    the validation images of the target classes. Labels in each part are
    re-indexed from 0.
    """

    source: Arrays
    source_test: Arrays
    target: Arrays
    target_val: Arrays
    source_classes: tuple[int, ...]
    target_classes: tuple[int, ...]

    @property
    def n_source_classes(self) -> int:
        return len(self.source_classes)

    @property
    def n_target_classes(self) -> int:
        return len(self.target_classes)

    def __repr__(self) -> str:
        return (
            f"TransferTask(source classes {list(self.source_classes)}: {len(self.source[1])} train / "
            f"{len(self.source_test[1])} test; target classes {list(self.target_classes)}: "
            f"{len(self.target[1])} train / {len(self.target_val[1])} val)"
        )


def transfer_task(
    source_classes: Iterable[int] = range(5),
    target_classes: Iterable[int] = range(5, 10),
    n_per_class: int = 20,
    n_val: int | None = None,
    seed: int = 0,
    dataset: str = "fashion_mnist",
) -> TransferTask:
    """The canonical transfer split: source classes with all their data, target with few labels.

    Defaults give Fashion-MNIST classes 0-4 as the source task (30,000
    training images) and classes 5-9 as the target with 20 labelled images
    per class, validated on the 5,000 test images of the target classes
    (``n_val`` keeps a stratified subset of them, for quick runs).

    Example:
        >>> task = transfer_task(n_per_class=20)
        >>> task.target[0].shape, task.n_target_classes
        ((100, 28, 28), 5)
    """
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset)
    source, target_pool = split_by_class(x_train, y_train, source_classes, target_classes)
    source_test, target_val = split_by_class(x_test, y_test, source_classes, target_classes)
    target = sample_per_class(*target_pool, n=n_per_class, seed=seed)
    if n_val is not None:
        if not isinstance(n_val, (int, np.integer)) or not 0 < n_val <= len(target_val[1]):
            raise ValueError(f"n_val={n_val!r} is not allowed: give 1..{len(target_val[1])} or None for all.")
        if n_val < len(target_val[1]):
            _, target_val = stratified_split(*target_val, val_fraction=n_val / len(target_val[1]), seed=seed)
    return TransferTask(
        source=source, source_test=source_test, target=target, target_val=target_val,
        source_classes=tuple(int(c) for c in source_classes),
        target_classes=tuple(int(c) for c in target_classes),
    )
