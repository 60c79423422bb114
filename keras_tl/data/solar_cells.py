"""Real photos far from ImageNet: electroluminescence images of solar cells (the ELPV dataset).

2,624 grayscale 300x300 images of single solar cells, cut from electroluminescence
(EL) photos of 44 solar modules (18 monocrystalline, 26 polycrystalline), each
rated by experts with a defect probability of 0, 1/3, 2/3 or 1 (1,508 / 295 /
106 / 715 cells). EL images show cracks, broken fingers and dark regions that
reduce a module's power; nothing in ImageNet looks like them.

* Source: the PyPI package ``elpv-dataset==1.0.0.post1`` (91 MB wheel), from
  https://github.com/zae-bayern/elpv-dataset; installed by ``make setup`` with
  ``pip install --no-deps elpv-dataset==1.0.0.post1``. keras-tl reads its PNG
  files and ``labels.csv`` directly.
* Licence: the **data are CC BY-NC-SA 4.0** (non-commercial, share alike,
  attribute), the package's code Apache-2.0. Cite Buerhop-Lutz et al. (2018) and
  Deitsch et al. (2019) when you use the images.
* The paper to compare with: Deitsch, Christlein, Berger, Buerhop-Lutz, Maier,
  Gallwitz and Riess (2019), *Automatic classification of defective
  photovoltaic module cells in electroluminescence images*, Solar Energy 185,
  455-468 (arXiv 1807.02894). Trained on 1,968 cells (75 %), tested on the
  other 656 (25 %), split stratified; an SVM on hand-crafted features reached an
  average accuracy of 82.44 % and an ImageNet VGG-19 fine-tuned on a GPU 88.42 %
  (:data:`ELPV_PAPER`).

:func:`elpv` returns the split the same way every time: 1,968 training and 656
test cells, stratified on the eight (defect probability, module type) groups,
drawn with ``seed`` (0 is *the* split of this package). The paper's own split
was not published, so this split is the paper's protocol, not its exact cells.

Example:
    >>> (x_train, y_train), (x_test, y_test) = elpv(size=32)
    >>> x_train.shape, x_test.shape, ELPV_CLASSES
    ((1968, 32, 32), (656, 32, 32), ('functional', 'defective'))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_tl.data._checks import _check_seed, _check_size, _package_dir
from keras_tl.data.builtin import DatasetUnavailableError

__all__ = ["ELPV_CLASSES", "ELPV_FOUR_CLASSES", "ELPV_INSTALL", "ELPV_PAPER", "ElpvLabels", "elpv", "elpv_labels", "elpv_path"]

#: The command that installs the solar-cell images of :func:`elpv`.
ELPV_INSTALL = "pip install --no-deps elpv-dataset==1.0.0.post1"
#: ``labels="binary"``: defect probability below 0.5 is functional (0), 0.5 or more defective (1).
ELPV_CLASSES = ("functional", "defective")
#: ``labels="four"``: the experts' four defect probabilities, as classes 0..3.
ELPV_FOUR_CLASSES = ("0", "1/3", "2/3", "1")
#: The paper's headline results on this dataset (Deitsch et al. 2019, average accuracy on its 25 % test split).
ELPV_PAPER = {
    "reference": "Deitsch et al. (2019), Solar Energy 185, 455-468, arXiv 1807.02894",
    "train_cells": 1968,
    "test_cells": 656,
    "svm_handcrafted": 0.8244,
    "vgg19_finetuned_gpu": 0.8842,
}
_LABELS = ("binary", "four")
_N_CELLS = 2624
_N_TEST = 656


@dataclass(frozen=True)
class ElpvLabels:
    """The annotations of every cell, in file order (``cell0001.png`` first).

    ``probability`` is the experts' defect probability (0, 1/3, 2/3 or 1),
    ``module_type`` is ``"mono"`` or ``"poly"``, ``files`` the image file names.
    """

    files: tuple[str, ...]
    probability: np.ndarray
    module_type: np.ndarray


def _help(why: str) -> str:
    return (
        f"{why} The solar-cell images ship in the PyPI package elpv-dataset 1.0.0.post1 (91 MB): install "
        f"it with `{ELPV_INSTALL}` (or run `make setup`). keras-tl reads its PNG files and labels.csv "
        "directly. The data are licensed CC BY-NC-SA 4.0 (non-commercial use, share alike, cite the authors)."
    )


def elpv_path() -> Path:
    """The folder of the installed dataset: ``labels.csv`` and ``images/cell0001.png`` ... ``cell2624.png``.

    Found with ``importlib.util.find_spec`` (the package is not imported).
    Raises :class:`~keras_tl.DatasetUnavailableError`, naming the install
    command, when the package or its files are missing.

    Example:
        >>> folder = elpv_path()
        >>> (folder / "labels.csv").is_file(), (folder / "images" / "cell2624.png").is_file()
        (True, True)
    """
    package = _package_dir("elpv_dataset")
    if package is None:
        raise DatasetUnavailableError(_help("The package elpv-dataset is not installed."))
    folder = package / "data"
    if not (folder / "labels.csv").is_file() or not (folder / "images").is_dir():
        raise DatasetUnavailableError(_help(f"{folder} lacks labels.csv or the images folder."))
    return folder


def elpv_labels() -> ElpvLabels:
    """Read ``labels.csv``: every cell's file, defect probability and module type (:class:`ElpvLabels`).

    Example:
        >>> labels = elpv_labels()
        >>> len(labels.files), sorted(set(labels.module_type.tolist()))
        (2624, ['mono', 'poly'])
        >>> np.unique(np.round(labels.probability, 2)).tolist()
        [0.0, 0.33, 0.67, 1.0]
    """
    folder = elpv_path()
    files, probability, module_type = [], [], []
    for number, line in enumerate((folder / "labels.csv").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3:
            raise DatasetUnavailableError(_help(f"labels.csv line {number} is {line!r}, not 'path probability type'."))
        files.append(parts[0])
        probability.append(float(parts[1]))
        module_type.append(parts[2])
    if len(files) != _N_CELLS:
        raise DatasetUnavailableError(_help(f"labels.csv lists {len(files)} cells, not {_N_CELLS}; reinstall it."))
    return ElpvLabels(tuple(files), np.asarray(probability), np.asarray(module_type))


@functools.lru_cache(maxsize=4)
def _images(size: int | None) -> np.ndarray:
    """All 2,624 cells as uint8 ``(n, s, s)``, resized with Pillow's bilinear filter (kept in memory)."""
    from PIL import Image

    folder = elpv_path()
    out = []
    for name in elpv_labels().files:
        with Image.open(folder / name) as image:
            image = image.convert("L")
            if size is not None and image.size != (size, size):
                image = image.resize((size, size), Image.Resampling.BILINEAR)
            out.append(np.asarray(image, dtype=np.uint8))
    images = np.stack(out)
    images.setflags(write=False)
    return images


def _split(groups: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    index = np.arange(len(groups))
    train, test = train_test_split(index, test_size=_N_TEST, random_state=seed, stratify=groups)
    return np.sort(train), np.sort(test)


def elpv(
    size: int | None = 96,
    labels: str = "binary",
    split: bool = True,
    seed: int = 0,
    return_types: bool = False,
):
    """Load the 2,624 solar-cell EL images with their labels, split as in Deitsch et al. (2019).

    Images are ``uint8`` 0..255 grayscale of shape ``(n, size, size)``, resized
    from 300x300 with Pillow's bilinear filter (``size=None`` keeps 300x300;
    resized arrays are kept in memory for the next call). Add a channel axis and
    repeat it three times (``keras_tl.adapt_images``) for an ImageNet backbone.

    ``labels="binary"`` (the default): ``0`` functional (defect probability
    below 0.5: 1,803 cells) and ``1`` defective (821; :data:`ELPV_CLASSES`);
    the test split is 68.8 % functional, so the majority class scores 0.688. ``labels="four"``:
    the experts' four probabilities 0, 1/3, 2/3, 1 as classes 0..3
    (:data:`ELPV_FOUR_CLASSES`). Report balanced accuracy beside accuracy:
    the classes are imbalanced.

    ``split=True`` returns ``(x_train, y_train), (x_test, y_test)``: 1,968 and
    656 cells (75 / 25 %), stratified on the eight (probability, module type)
    groups, the same for the same ``seed`` (0 is the package's fixed split;
    another seed is another draw of the same protocol). ``split=False`` returns
    ``(x, y)`` for all cells in file order. ``return_types=True`` adds each
    part's module types (``"mono"``/``"poly"``) as a third element:
    ``(x, y, types)``.

    The data are CC BY-NC-SA 4.0 (see the module docstring for the citation).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = elpv(size=32)
        >>> np.bincount(y_test).tolist(), round(float(np.mean(y_test == 0)), 3)
        ([451, 205], 0.688)
        >>> x, y = elpv(size=32, labels="four", split=False)
        >>> np.bincount(y).tolist()
        [1508, 295, 106, 715]
    """
    size = _check_size(size, "300x300")
    if labels not in _LABELS:
        raise ValueError(f"labels={labels!r} is not allowed: use one of {list(_LABELS)}.")
    if not isinstance(split, bool):
        raise ValueError(f"split={split!r} is not allowed: use True (train/test as in the paper) or False (all cells).")
    seed = _check_seed(seed, " (0 is the package's fixed split)")
    table = elpv_labels()
    level = np.rint(table.probability * 3).astype(np.int64)  # 0, 1, 2, 3
    y = (table.probability >= 0.5).astype(np.int64) if labels == "binary" else level
    x = _images(size)

    def part(index):
        out = (np.array(x[index]), y[index])
        return out + (table.module_type[index],) if return_types else out

    if not split:
        return part(np.arange(len(y)))
    train, test = _split(level * 2 + (table.module_type == "poly"), seed)
    return part(train), part(test)

