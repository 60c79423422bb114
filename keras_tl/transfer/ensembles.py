"""Ensembles without retraining: average what several trained models predict.

* :func:`average_predictions` -- members are models (anything with
  ``predict``: plain Keras models, KerasHub text classifiers) or arrays of
  class probabilities already computed; ``voting="soft"`` averages the
  probabilities, ``"hard"`` counts each member's predicted class.
* :func:`ensemble_model` -- the same as one real ``keras.Model`` (the members
  called on a shared input, then :class:`Vote`), when the members take the
  same input: image CNNs, or text models whose graph starts at strings.
* :func:`member_accuracies` and :func:`accuracy` -- to compare the ensemble
  with its best member.

Every member must predict the same number of classes, in the same order;
a mismatch is a ``ValueError`` naming the member. One API for image and text
models: text members (KerasHub tasks) run their own preprocessing in
``predict``.

Example:
    >>> a = np.array([[0.9, 0.1], [0.4, 0.6]])
    >>> b = np.array([[0.6, 0.4], [0.2, 0.8]])
    >>> average_predictions([a, b]).round(2).tolist()
    [[0.75, 0.25], [0.3, 0.7]]
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import numpy as np

from keras_tl.core.data_input import as_arrays, dataset_xy, is_dataset
from keras_tl.core.validation import check_labels

__all__ = ["TIE_MARGIN", "VOTING", "Vote", "accuracy", "average_predictions", "ensemble_model", "member_accuracies"]

#: Hard voting adds ``TIE_MARGIN * soft average`` to the vote shares, so ties go to the more probable class.
TIE_MARGIN = 1e-3

#: The voting rules.
VOTING = {
    "soft": "average the members' class probabilities (optionally weighted)",
    "hard": "share of members (optionally weighted) whose most probable class it is; vote shares within "
            "TIE_MARGIN of each other are decided by the average probability",
}


def _check_voting(voting: str) -> str:
    if voting not in VOTING:
        raise ValueError(f"voting={voting!r} is not allowed; allowed: {sorted(VOTING)}.")
    return voting


def _check_weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError(f"weights={list(weights)!r} is not allowed: give {n} non-negative numbers, not all zero.")
    return w / w.sum()


def _member_probabilities(members: Sequence[Any], x: Any, batch_size: int) -> list[np.ndarray]:
    if isinstance(members, (keras.Model, np.ndarray)) or len(members) == 0:
        raise ValueError("members must be a non-empty list of models or probability arrays.")
    if is_dataset(x):  # read once, so every member predicts on the same samples in the same order
        x = as_arrays(x, name="x")[0]
    if x is not None and hasattr(x, "__len__") and len(x) == 0:
        raise ValueError("x is empty; allowed: at least 1 sample(s).")
    if isinstance(x, (list, tuple)) and x and all(isinstance(item, str) for item in x):
        x = np.array(x, dtype=object)   # Keras cannot feed numpy's fixed-width "<U" arrays to a string input
    probs = []
    for i, member in enumerate(members):
        if hasattr(member, "predict"):
            if x is None:
                raise ValueError(f"members[{i}] is a model, so x (the inputs to predict on) is needed.")
            p = np.asarray(member.predict(x, batch_size=batch_size, verbose=0))
        else:
            p = np.asarray(member, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] < 2:
            raise ValueError(
                f"members[{i}] gives predictions of shape {p.shape}; each member must give class probabilities "
                "of shape (n_samples, n_classes) with n_classes >= 2."
            )
        if not np.isfinite(p).all():
            raise ValueError(f"members[{i}] gives NaN or infinite probabilities; allowed: finite numbers only.")
        probs.append(p.astype(np.float64))
    n_classes = [p.shape[1] for p in probs]
    if len(set(n_classes)) > 1:
        odd = next(i for i, k in enumerate(n_classes) if k != n_classes[0])
        raise ValueError(
            f"members predict different numbers of classes: members[0] {n_classes[0]}, members[{odd}] "
            f"{n_classes[odd]} (all: {n_classes}). Every member must predict the same classes in the same order."
        )
    n_samples = [len(p) for p in probs]
    if len(set(n_samples)) > 1:
        raise ValueError(f"members give predictions for different numbers of samples: {n_samples}.")
    return probs


def _vote(probs: list[np.ndarray], voting: str, weights: np.ndarray) -> np.ndarray:
    soft = sum(w * p for w, p in zip(weights, probs))
    if voting == "soft":
        return soft
    n_classes = probs[0].shape[1]
    votes = sum(w * np.eye(n_classes)[p.argmax(1)] for w, p in zip(weights, probs))
    return votes + TIE_MARGIN * soft   # a tie goes to the class with the higher average probability


def average_predictions(
    members: Sequence[Any],
    x: Any = None,
    voting: str = "soft",
    weights: Sequence[float] | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Combine the predictions of several members into one ``(n_samples, n_classes)`` array.

    ``members``: trained models (their ``predict(x)`` is called) or arrays of
    class probabilities, mixed freely. ``voting="soft"`` returns the
    (weighted) mean probability; ``"hard"`` the (weighted) share of votes
    per class. Either way ``result.argmax(1)`` is the ensemble's prediction.
    Nothing is retrained.
    ``x`` may be a finite ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of ``x`` or ``(x, y)``
    batches: it is read once, so every member predicts on the same samples in the same order.

    Example:
        >>> a = np.array([[0.9, 0.1], [0.4, 0.6]]); b = np.array([[0.6, 0.4], [0.45, 0.55]])
        >>> c = np.array([[0.2, 0.8], [0.9, 0.1]])
        >>> average_predictions([a, b, c], voting="hard").argmax(1).tolist()
        [0, 1]
        >>> average_predictions([a, np.ones((2, 3)) / 3])
        Traceback (most recent call last):
        ...
        ValueError: members predict different numbers of classes: members[0] 2, members[1] 3 (all: [2, 3]). Every member must predict the same classes in the same order.
    """
    _check_voting(voting)
    probs = _member_probabilities(members, x, batch_size)
    return _vote(probs, voting, _check_weights(weights, len(probs)))


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Share of rows whose most probable class is the label.

    ``y`` may also be a finite ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of ``(x, y)`` batches
    (unshuffled, the one the probabilities were predicted on): its labels are used.

    Example:
        >>> accuracy(np.array([[0.9, 0.1], [0.3, 0.7]]), np.array([0, 0]))
        0.5
    """
    if is_dataset(y):
        y = as_arrays(y, name="y", need_labels=True)[1]
    probabilities, y = np.asarray(probabilities), np.asarray(y)
    if probabilities.ndim != 2 or len(probabilities) != len(y):
        raise ValueError(
            f"probabilities of shape {probabilities.shape} do not match {len(y)} labels; "
            "give (n_samples, n_classes) and n_samples labels."
        )
    y = check_labels(y, n=len(probabilities), n_classes=probabilities.shape[1])
    return float(np.mean(probabilities.argmax(1) == y))


def member_accuracies(members: Sequence[Any], x: Any, y: np.ndarray | None = None, batch_size: int = 32) -> list[float]:
    """The accuracy of each member on ``(x, y)``, in order.

    ``x`` may be a finite ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of ``(x, y)`` batches,
    with ``y=None``: read once, images and labels together.

    Example:
        >>> member_accuracies([np.array([[0.9, 0.1], [0.3, 0.7]]), np.array([[0.2, 0.8], [0.3, 0.7]])],
        ...                   None, np.array([0, 1]))
        [1.0, 0.5]
    """
    x, y = dataset_xy(x, y, "x")
    if y is None:
        raise ValueError("y is None; allowed: the labels of x, or x a dataset of (x, y) batches with y=None.")
    return [accuracy(p, y) for p in _member_probabilities(members, x, batch_size)]


@keras.saving.register_keras_serializable(package="keras_tl")
class Vote(keras.layers.Layer):
    """Combine a list of probability tensors: ``"soft"`` (mean) or ``"hard"`` (share of argmax votes).

    Example:
        >>> a = np.array([[0.9, 0.1]], "float32"); b = np.array([[0.4, 0.6]], "float32")
        >>> np.allclose(Vote("soft")([a, b]), [[0.65, 0.35]])
        True
        >>> Vote("hard")([a, b, a]).numpy().argmax(1).tolist()
        [0]
    """

    def __init__(self, voting: str = "soft", weights: Sequence[float] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.voting = _check_voting(voting)
        if weights is not None:
            _check_weights(weights, len(list(weights)))
        self.member_weights = None if weights is None else [float(w) for w in weights]

    def call(self, inputs):
        w = _check_weights(self.member_weights, len(inputs)).tolist()
        soft = sum(wi * p for wi, p in zip(w, inputs))
        if self.voting == "soft":
            return soft
        n_classes = inputs[0].shape[-1]
        votes = sum(wi * keras.ops.one_hot(keras.ops.argmax(p, axis=-1), n_classes, dtype=p.dtype)
                    for wi, p in zip(w, inputs))
        return votes + TIE_MARGIN * soft

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        return {**super().get_config(), "voting": self.voting, "weights": self.member_weights}


def ensemble_model(
    models: Sequence[keras.Model],
    voting: str = "soft",
    weights: Sequence[float] | None = None,
    name: str = "ensemble",
) -> keras.Model:
    """One ``keras.Model`` that runs every member on the same input and votes (:class:`Vote`).

    The members are shared, not copied, and not changed (the ensemble is for
    prediction; ``compile`` it to ``evaluate``; fitting it would train the members). All must take the
    same input shape and dtype and predict the same number of classes.
    Members whose preprocessing runs outside their graph (KerasHub tasks)
    cannot be wired together: use :func:`average_predictions` for them.

    Example:
        >>> def cnn(seed):
        ...     keras.utils.set_random_seed(seed)
        ...     return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> members = [cnn(0), cnn(1)]
        >>> ens = ensemble_model(members)
        >>> x = np.random.default_rng(0).random((4, 8, 8, 1))
        >>> np.allclose(ens.predict(x, verbose=0), average_predictions(members, x), atol=1e-6)
        True
    """
    _check_voting(voting)
    models = list(models)
    if not models or not all(isinstance(m, keras.Model) for m in models):
        raise ValueError("models must be a non-empty list of keras.Model; for probability arrays use average_predictions.")
    _check_weights(weights, len(models))
    def single_input(i: int, m: keras.Model):
        model_inputs = getattr(m, "inputs", None)
        if not model_inputs or len(model_inputs) != 1:
            raise ValueError(
                f"models[{i}] ({m.name!r}) takes {len(model_inputs or [])} inputs; ensemble_model needs members "
                "with exactly one input. Use average_predictions for KerasHub tasks and other multi-input models."
            )
        return tuple(model_inputs[0].shape[1:]), model_inputs[0].dtype

    shape, dtype = single_input(0, models[0])
    k0 = models[0].output_shape[-1]
    for i, m in enumerate(models):
        got = single_input(i, m)
        if got != (shape, dtype):
            raise ValueError(
                f"models[{i}] ({m.name!r}) takes input {got}, but models[0] takes {(shape, dtype)}; "
                "every member must take the same input shape and dtype."
            )
        if m.output_shape[-1] != k0:
            raise ValueError(
                f"models[{i}] ({m.name!r}) predicts {m.output_shape[-1]} classes but models[0] predicts {k0}; "
                "every member must predict the same classes in the same order."
            )
    inputs = keras.Input(shape=shape, dtype=dtype, name="ensemble_input")
    outputs = Vote(voting, weights, name=f"{voting}_vote")([m(inputs) for m in models])
    return keras.Model(inputs, outputs, name=name)
