"""Checkpoints: resume an interrupted ``fit``, load weight files safely, write files atomically.

* :func:`fit_resumable` -- ``model.fit`` with ``keras.callbacks.BackupAndRestore``: a run
  stopped between epochs (killed, interrupted, out of time) resumes from its last completed
  epoch when called again with the same ``checkpoint_dir``. With :class:`EpochSeed` the
  randomness of each epoch (shuffling, dropout) depends only on ``seed`` and the epoch, so a
  resumed run ends with the same weights as an uninterrupted one (on CPU).
* :func:`load_weights` -- ``model.load_weights`` that checks the file first (exists, readable,
  not truncated, the shapes the model expects) and leaves the model unchanged on any error.
* :func:`atomic_write` -- write a file (or a folder) through a temporary sibling, then rename,
  so an interrupted write never leaves a half-written file behind.

Example:
    >>> import tempfile, numpy as np
    >>> from keras_tl import build_source_cnn
    >>> model = build_source_cnn(filters=(4, 8), units=16)
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> x, y = np.zeros((8, 28, 28), "uint8"), np.arange(8) % 5
    >>> history = fit_resumable(model, x, y, checkpoint_dir=tempfile.mkdtemp(), epochs=2, verbose=0)
    >>> len(history.history["loss"])
    2
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np

__all__ = ["EpochSeed", "WeightsFileError", "atomic_write", "fit_resumable", "load_weights", "weight_file_shapes"]


class WeightsFileError(ValueError):
    """A weights file that is missing, corrupt, truncated or does not match the model."""


# --------------------------------------------------------------------------- #
# Resumable training
# --------------------------------------------------------------------------- #
def _seed_generators(model: keras.Model) -> list:
    found, seen = [], set()

    def walk(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        found.extend(getattr(layer, "_seed_generators", []) or [])
        for sub in getattr(layer, "_layers", []) or []:
            walk(sub)
        for sub in getattr(layer, "layers", []) or []:
            walk(sub)

    walk(model)
    return found


class EpochSeed(keras.callbacks.Callback):
    """Reseed everything random at the start of every epoch from ``(seed, epoch)``.

    Sets ``keras.utils.set_random_seed(seed + epoch)`` (Python, NumPy, TensorFlow: the
    shuffling of ``fit``) and resets the state of every layer's ``SeedGenerator`` (dropout,
    random augmentation), which no checkpoint saves. Epoch ``e`` then draws the same random
    numbers whether the run started at epoch 0 or resumed at ``e``.

    Example:
        >>> EpochSeed(seed=3).seed
        3
    """

    def __init__(self, seed: int = 0):
        super().__init__()
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed={seed!r} is not allowed: give an int >= 0.")
        self.seed = int(seed)

    def on_epoch_begin(self, epoch, logs=None):
        epoch_seed = self.seed * 100_003 + int(epoch)
        keras.utils.set_random_seed(epoch_seed % (2**31))
        for i, generator in enumerate(_seed_generators(self.model)):
            state = generator.state
            generator.state.assign(np.array([(epoch_seed + 7919 * (i + 1)) % (2**31), 0], dtype=state.dtype))


def fit_resumable(
    model: keras.Model,
    x: Any = None,
    y: Any = None,
    checkpoint_dir: str | os.PathLike | None = None,
    seed: int = 0,
    callbacks: list | None = None,
    **fit_kwargs: Any,
) -> keras.callbacks.History:
    """``model.fit(x, y, **fit_kwargs)`` that resumes from ``checkpoint_dir`` after an interruption.

    With a ``checkpoint_dir``, ``keras.callbacks.BackupAndRestore`` saves the weights, the
    optimizer state and the epoch at the end of every epoch; a call with the same folder
    after an interruption restores them and trains only the remaining epochs (its
    ``History`` holds those epochs). After a run completes the backup is deleted, so a new
    call trains from the start. :class:`EpochSeed` (``seed``) makes each epoch's shuffling and
    dropout a function of the epoch, so interrupted-and-resumed equals uninterrupted.
    Callbacks with their own state (``EarlyStopping``'s patience counter, its best weights)
    start afresh on resume.

    Example:
        >>> import numpy as np
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        >>> fit_resumable(model, np.zeros((4, 3)), np.array([0, 1, 0, 1]), epochs=1, verbose=0).epoch
        [0]
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"Model {model.name!r} is not compiled: call compile(...) before fit_resumable.")
    own = [EpochSeed(seed)]
    if checkpoint_dir is not None:
        folder = Path(checkpoint_dir)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"checkpoint_dir={str(folder)!r} is a file; allowed: a folder (created if missing).")
        folder.mkdir(parents=True, exist_ok=True)
        own.insert(0, keras.callbacks.BackupAndRestore(str(folder), delete_checkpoint=True))
    # The shuffling ops of ``fit``'s input pipeline take their seeds when ``fit`` builds it, from
    # the global state *now*: seed it too, so a resumed call and an uninterrupted one agree even
    # when different work (e.g. a skipped earlier phase) ran before them.
    keras.utils.set_random_seed(seed % (2**31))
    try:
        return model.fit(x, y, callbacks=own + list(callbacks or []), **fit_kwargs)
    finally:
        # BackupAndRestore leaves the restored epoch on the model (Keras 3.15: ``model._initial_epoch``,
        # never reset), so a *later* fit of the same model would start there instead of at its own
        # ``initial_epoch``. Clear it: the restore only concerns this call.
        if hasattr(model, "_initial_epoch"):
            model._initial_epoch = None


# --------------------------------------------------------------------------- #
# Safe loading of weight files
# --------------------------------------------------------------------------- #
_SKIP = re.compile(r"(^|/)(optimizer|seed_generator[^/]*|metrics?[^/]*|compile_metrics|loss_tracker)(/|$)")


def weight_file_shapes(path: str | os.PathLike) -> dict[str, tuple[int, ...]]:
    """The shape of every layer variable stored in a Keras ``.weights.h5`` (or ``.keras``) file, by path.

    Optimizer and metric variables are left out. Raises :class:`WeightsFileError` naming the
    file when it is missing, empty, truncated or not a Keras weights file.

    Example:
        >>> import tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> path = tempfile.mkdtemp() + "/m.weights.h5"
        >>> model.save_weights(path)
        >>> sorted(weight_file_shapes(path).values())
        [(2,), (3, 2)]
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise WeightsFileError(f"Weights file {str(path)!r} does not exist.")
    if path.stat().st_size == 0:
        raise WeightsFileError(f"Weights file {str(path)!r} is empty (0 bytes): an interrupted write? Save it again.")
    shapes: dict[str, tuple[int, ...]] = {}

    def collect(h5):
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not _SKIP.search(name):
                shapes[name] = tuple(int(d) for d in obj.shape)

        h5.visititems(visit)

    try:
        if path.name.endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                if bad is not None:
                    raise WeightsFileError(f"Model file {str(path)!r} is corrupt: member {bad!r} fails its checksum.")
                with archive.open("model.weights.h5") as member, h5py.File(member, "r") as h5:
                    collect(h5)
        else:
            with h5py.File(path, "r") as h5:
                collect(h5)
    except WeightsFileError:
        raise
    except (OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise WeightsFileError(
            f"Weights file {str(path)!r} is corrupt or truncated ({path.stat().st_size} bytes) and cannot be read: "
            f"{type(exc).__name__}: {str(exc)[:200]}. Save the weights again."
        ) from exc
    return shapes


def _describe(counter: Counter) -> str:
    items = sorted(counter.items(), key=lambda kv: (-int(np.prod(kv[0])), kv[0]))
    text = ", ".join(f"{shape}" + (f" x{n}" if n > 1 else "") for shape, n in items[:8])
    return text + (" ..." if len(items) > 8 else "")


def load_weights(model: keras.Model, path: str | os.PathLike) -> keras.Model:
    """Load a ``.weights.h5`` (or ``.keras``) file into ``model``, checking it first; on error the model is unchanged.

    The file is opened and its variable shapes compared with the model's before anything is
    assigned: a missing, empty, truncated or corrupt file, or one saved from another
    architecture, raises :class:`WeightsFileError` (a ``ValueError``) naming the file and the
    shapes expected and found. If Keras still fails half-way, the previous weights are put
    back. Returns ``model``.

    Example:
        >>> import tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="small")
        >>> path = tempfile.mkdtemp() + "/m.weights.h5"
        >>> model.save_weights(path)
        >>> other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="wider")
        >>> load_weights(other, path)
        Traceback (most recent call last):
        ...
        keras_tl.core.checkpoints.WeightsFileError: Weights file '...m.weights.h5' does not match model 'wider': the model expects shapes (4, 2) that the file does not hold; the file holds (3, 2) instead (2 variables in the file, 2 in the model). Load it into the architecture (and input shape) it was saved from.
    """
    path = Path(path)
    name = path.name
    if not (name.endswith(".weights.h5") or name.endswith(".keras")):
        raise WeightsFileError(
            f"Weights file {str(path)!r} is not allowed: give a '.weights.h5' file (model.save_weights) or a '.keras' file."
        )
    found = weight_file_shapes(path)
    expected = [tuple(int(d) for d in w.shape) for w in model.weights]
    missing = Counter(expected) - Counter(found.values())
    extra = Counter(found.values()) - Counter(expected)
    if missing or extra:
        raise WeightsFileError(
            f"Weights file {str(path)!r} does not match model {model.name!r}: the model expects shapes "
            f"{_describe(missing) or 'none missing'} that the file does not hold; the file holds "
            f"{_describe(extra) or 'nothing else'} instead ({len(found)} variables in the file, {len(expected)} in the "
            "model). Load it into the architecture (and input shape) it was saved from."
        )
    before = [np.array(v) for v in model.get_weights()]
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*copy keyword.*")
            model.load_weights(str(path))
    except Exception as exc:
        model.set_weights(before)
        detail = re.search(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))", str(exc))
        where = re.search(r"Target variable: <Variable path=([^,]+)", str(exc))
        shapes = f" {where.group(1) if where else 'a variable'}: expected {detail.group(1)}, found {detail.group(2)}." if detail else ""
        raise WeightsFileError(
            f"Weights file {str(path)!r} could not be loaded into model {model.name!r}; the model is unchanged.{shapes} "
            f"Keras said: {str(exc).splitlines()[0][:300]}"
        ) from exc
    return model


# --------------------------------------------------------------------------- #
# Atomic writes
# --------------------------------------------------------------------------- #
def _suffix(path: Path) -> str:
    return ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any], folder: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it to ``path``.

    If ``write`` raises (or the process dies), ``path`` keeps its old content (or stays
    absent) and the temporary file is removed. ``folder=True`` for writers that create a
    directory (``tf.saved_model.save``). Returns ``path``.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "note.txt"
        >>> _ = atomic_write(target, lambda tmp: Path(tmp).write_text("done"))
        >>> target.read_text()
        'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        tmp = tempfile.mkdtemp(dir=path.parent, prefix=f".tmp-{path.name}.")
        shutil.rmtree(tmp)
    else:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=_suffix(path))
        os.close(fd)
    try:
        write(tmp)
        if folder and path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.remove(tmp)
    return path
