"""Cross-domain transfer: align the source domain's features to an unlabelled target domain.

When the target images come from another *domain* (same classes, different
look: inverted, noisy, another dataset), a classifier trained on the labelled
source features meets features it has never seen. CORrelation ALignment
(CORAL) reduces the gap by matching second-order statistics, the feature
covariances, using target images **without** their labels.

* :func:`coral` and :class:`CORAL` -- the closed form (Sun, Feng and Saenko,
  "Return of Frustratingly Easy Domain Adaptation", AAAI 2016): whiten the
  source features with their own covariance, re-colour them with the
  target's; then train any classifier on the aligned source features.
* :func:`coral_loss` -- ``||C_s - C_t||_F^2 / (4 d^2)`` in ``keras.ops``, the
  loss of Deep CORAL (Sun and Saenko, "Deep CORAL: Correlation Alignment for
  Deep Domain Adaptation", ECCV 2016 workshops). The same quantity as
  :func:`keras_tl.coral_distance`, but differentiable.
* :class:`DeepCORAL` -- a ``keras.Model`` made of a feature model and a head,
  trained with ``compile``/``fit`` on ``((x_source, x_target), y_source)``:
  classification loss on the source plus ``weight * coral_loss`` between the
  source and target features of each batch. :class:`DomainBatches` yields
  such batches.
* :func:`adapt_batchnorm` -- AdaBN (Li, Wang, Shi, Liu and Hou, "Revisiting
  Batch Normalization for Practical Domain Adaptation", 2016): re-estimate
  every BatchNormalization layer's moving mean and variance on target images,
  weights untouched. A pretrained base frozen in Keras keeps the *source*
  statistics; this gives it the target's.

Design: the CORAL term is added with ``self.add_loss`` inside ``call``, not
in a custom ``train_step``. Keras 3 collects ``add_loss`` terms on every
backend (TensorFlow, JAX, PyTorch) and adds them to the compiled loss, so the
model stays backend-agnostic and uses Keras's own ``train_step``, optimizers,
metrics and callbacks. Called on a single batch of images (``predict``,
``evaluate`` on target data) the model is just ``head(feature_model(x))``.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> source = rng.normal(size=(500, 3))
    >>> target = rng.normal(size=(500, 3)) * [1.0, 3.0, 0.5]
    >>> aligned = coral(source, target, eps=1e-6)
    >>> np.round(np.cov(aligned, rowvar=False).diagonal(), 2)
    array([1.  , 8.51, 0.26])
    >>> np.round(np.cov(target, rowvar=False).diagonal(), 2)
    array([1.  , 8.51, 0.26])
"""

from __future__ import annotations

import math
import warnings
from numbers import Real

import keras
import numpy as np
from keras import ops

from keras_tl.core.data_input import as_arrays, dataset_xy, is_dataset
from keras_tl.core.validation import check_images, check_xy

__all__ = ["CORAL", "DeepCORAL", "DomainBatches", "ScoreWithOwnStatistics", "adapt_batchnorm", "coral", "coral_loss"]


# --------------------------------------------------------------------------- #
# Input checks
# --------------------------------------------------------------------------- #
def _check_nonnegative(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)) or value < 0:
        raise ValueError(f"{name}={value!r} is not allowed: give a finite number >= 0.")
    return float(value)


def _check_features(a, name: str) -> np.ndarray:
    if is_dataset(a):  # a dataset of feature batches (labels, if any, are not needed)
        a = as_arrays(a, name=name)[0]
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of features (n_samples, n_features), got shape {a.shape}.")
    if len(a) < 2:
        kind = "is empty" if len(a) == 0 else f"has {len(a)} sample"
        raise ValueError(f"{name} {kind}: a covariance needs at least 2 samples.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values; only finite features can be aligned.")
    return a


def _check_widths(ds: int | None, dt: int | None, what: str = "features") -> None:
    if ds is not None and dt is not None and ds != dt:
        raise ValueError(
            f"source and target {what} have different widths: {ds} and {dt}; "
            "both must come from the same layer of the same model."
        )


# --------------------------------------------------------------------------- #
# Closed-form CORAL
# --------------------------------------------------------------------------- #
def _sym_power(c: np.ndarray, power: float) -> np.ndarray:
    """``c ** power`` for a symmetric positive (semi-)definite matrix, by eigendecomposition."""
    values, vectors = np.linalg.eigh(c)
    values = np.clip(values, np.finfo(np.float64).tiny, None)
    return (vectors * values**power) @ vectors.T


class CORAL:
    """Closed-form CORAL as a scikit-learn-style transformer: ``fit(source, target)``, then ``transform(source)``.

    Sun, Feng and Saenko, "Return of Frustratingly Easy Domain Adaptation",
    AAAI 2016. With ``C_s = cov(source) + eps I`` and
    ``C_t = cov(target) + eps I``, ``transform`` maps source features ``x``
    to ``x C_s^(-1/2) C_t^(1/2)``: whitened with the source covariance, then
    re-coloured with the target's. ``eps`` (the paper uses 1) regularises
    both covariances; with a small ``eps`` the aligned source covariance equals
    the target's. With ``match_mean=True`` the source mean is removed before and
    the target mean added after (the paper aligns covariances only).

    Attributes after ``fit``: ``source_mean_``, ``target_mean_``, ``matrix_``
    (the ``d x d`` linear map).

    ``source`` and ``target`` may be finite ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of
    feature batches (``x`` or ``(x, y)``; labels are not used), read into arrays.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> s, t = rng.normal(size=(400, 2)), rng.normal(size=(400, 2)) * 4.0 + 10.0
        >>> aligner = CORAL(eps=1e-6, match_mean=True).fit(s, t)
        >>> aligned = aligner.transform(s)
        >>> np.allclose(aligned.std(axis=0), t.std(axis=0)), np.allclose(aligned.mean(axis=0), t.mean(axis=0))
        (True, True)
    """

    def __init__(self, eps: float = 1.0, match_mean: bool = False):
        self.eps = _check_nonnegative(eps, "eps")
        self.match_mean = bool(match_mean)

    def fit(self, source, target) -> "CORAL":
        """Learn the map from the source features' covariance to the target's; returns ``self``."""
        s, t = _check_features(source, "source"), _check_features(target, "target")
        _check_widths(s.shape[1], t.shape[1])
        d = s.shape[1]
        c_s = np.atleast_2d(np.cov(s, rowvar=False)) + self.eps * np.eye(d)
        c_t = np.atleast_2d(np.cov(t, rowvar=False)) + self.eps * np.eye(d)
        self.matrix_ = _sym_power(c_s, -0.5) @ _sym_power(c_t, 0.5)
        self.source_mean_ = s.mean(axis=0)
        self.target_mean_ = t.mean(axis=0)
        self.n_features_in_ = d
        return self

    def transform(self, source) -> np.ndarray:
        """Align ``source`` features (any number of rows, the width seen in ``fit``)."""
        if not hasattr(self, "matrix_"):
            raise ValueError("This CORAL is not fitted yet: call fit(source, target) first.")
        s = np.asarray(as_arrays(source, name="source")[0] if is_dataset(source) else source, dtype=np.float64)
        if s.ndim != 2 or len(s) == 0:
            raise ValueError(f"source must be a non-empty 2-D array (n_samples, n_features), got shape {s.shape}.")
        _check_widths(s.shape[1], self.n_features_in_, "features (transform vs fit)")
        if self.match_mean:
            return (s - self.source_mean_) @ self.matrix_ + self.target_mean_
        return s @ self.matrix_

    def fit_transform(self, source, target) -> np.ndarray:
        """``fit(source, target).transform(source)``."""
        return self.fit(source, target).transform(source)


def coral(source_features, target_features, eps: float = 1.0, match_mean: bool = False) -> np.ndarray:
    """Align source features to the target's covariance in closed form (CORAL, Sun et al., AAAI 2016).

    Returns the source features whitened with ``cov(source) + eps I`` and
    re-coloured with ``cov(target) + eps I``; see :class:`CORAL`. Train your
    classifier on the returned array with the source labels, and apply it to
    the *unchanged* target features.
    Either argument may be a finite dataset of feature batches, as in :class:`CORAL`.

    Example:
        >>> from keras_tl import coral_distance
        >>> rng = np.random.default_rng(0)
        >>> s, t = rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) * 3.0
        >>> round(coral_distance(s, t), 2), round(coral_distance(coral(s, t, eps=1e-6), t), 6)
        (4.57, 0.0)

    ``eps=1`` (the paper's choice, for features of a network) pulls small
    covariances towards the identity: here it only gets part of the way.

        >>> round(coral_distance(coral(s, t, eps=1.0), t), 2)
        1.2
    """
    return CORAL(eps=eps, match_mean=match_mean).fit_transform(source_features, target_features)


# --------------------------------------------------------------------------- #
# Deep CORAL
# --------------------------------------------------------------------------- #
def _covariance(features):
    n = ops.cast(ops.shape(features)[0], features.dtype)
    centred = features - ops.mean(features, axis=0, keepdims=True)
    return ops.matmul(ops.transpose(centred), centred) / (n - 1.0)


def coral_loss(source_feats, target_feats):
    """The Deep CORAL loss ``||C_s - C_t||_F^2 / (4 d^2)``, in ``keras.ops`` (differentiable, any backend).

    Sun and Saenko, "Deep CORAL: Correlation Alignment for Deep Domain
    Adaptation", ECCV 2016 workshops. ``C_s`` and ``C_t`` are the (unbiased)
    covariances of the ``(n, d)`` source and target feature batches; ``d`` is
    the feature width. Computed in float32 at least. 0 when the covariances agree.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(256, 4)).astype("float32")
        >>> float(coral_loss(a, a)), bool(coral_loss(a, 3.0 * a) > coral_loss(a, 2.0 * a))
        (0.0, True)
    """
    s, t = ops.convert_to_tensor(source_feats), ops.convert_to_tensor(target_feats)
    for name, f in (("source_feats", s), ("target_feats", t)):
        if len(f.shape) != 2:
            raise ValueError(f"{name} must be a 2-D batch of features (batch, d), got shape {tuple(f.shape)}.")
        if f.shape[0] is not None and f.shape[0] < 2:
            kind = "is an empty batch" if f.shape[0] == 0 else f"has batch size {f.shape[0]}"
            raise ValueError(f"{name} {kind}: a covariance needs at least 2 samples per batch.")
    _check_widths(s.shape[1], t.shape[1])
    dtype = "float64" if keras.backend.standardize_dtype(s.dtype) == "float64" else "float32"
    s, t = ops.cast(s, dtype), ops.cast(t, dtype)
    d = s.shape[1] if s.shape[1] is not None else ops.cast(ops.shape(s)[1], dtype)
    return ops.sum(ops.square(_covariance(s) - _covariance(t))) / (4.0 * d * d)


@keras.saving.register_keras_serializable(package="keras_tl")
class DeepCORAL(keras.Model):
    """Deep CORAL: a classifier trained on labelled source plus unlabelled target batches.

    ``head(feature_model(x))`` is the classifier. Trained with ``fit`` on
    ``((x_source, x_target), y_source)`` batches (for example from
    :class:`DomainBatches`), the loss is the compiled classification loss on
    the source plus ``weight * coral_loss(feature_model(x_source),
    feature_model(x_target))`` (Sun and Saenko, ECCV 2016 workshops), added
    with ``add_loss`` so that it works on every Keras backend. ``weight=0``
    is the source-only baseline: the target batch is then not even run
    through the network (so that BatchNormalization statistics see no target
    data either). Called on one array of images (``predict``, ``evaluate``,
    ``validation_data``), the model classifies it.

    Saved and loaded with ``.keras`` files like any Keras model. ``predict`` and ``evaluate`` take a
    ``tf.data.Dataset`` of target ``x`` or ``(x, y)`` batches like any Keras model; to train on
    datasets, build :class:`DomainBatches` from them.

    Example:
        >>> keras.utils.set_random_seed(0)
        >>> features = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu")])
        >>> head = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
        >>> model = DeepCORAL(features, head, weight=1.0)
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> xs, xt, ys = np.random.rand(32, 4), np.random.rand(32, 4) + 1.0, np.arange(32) % 2
        >>> history = model.fit(DomainBatches(xs, ys, xt, batch_size=16), epochs=1, verbose=0)
        >>> model.predict(xt, verbose=0).shape
        (32, 2)
    """

    def __init__(self, feature_model: keras.Layer, head: keras.Layer, weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(feature_model, keras.Layer) or not isinstance(head, keras.Layer):
            raise ValueError(
                f"feature_model and head must be Keras layers or models, got {type(feature_model).__name__} "
                f"and {type(head).__name__}."
            )
        self.weight = _check_nonnegative(weight, "weight")
        self.feature_model = feature_model
        self.head = head

    def call(self, inputs, training=None):
        if isinstance(inputs, (tuple, list)):
            if len(inputs) != 2:
                raise ValueError(
                    f"DeepCORAL takes (x_source, x_target) or one array of images, got a sequence of {len(inputs)}."
                )
            x_source, x_target = inputs
            source_feats = self.feature_model(x_source, training=training)
            if self.weight > 0:
                target_feats = self.feature_model(x_target, training=training)
                self.add_loss(self.weight * coral_loss(source_feats, target_feats))
            return self.head(source_feats, training=training)
        return self.head(self.feature_model(inputs, training=training), training=training)

    def build(self, input_shape=None):
        # The feature model and the head build themselves on their first call (or are built already).
        self.built = True

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_model": keras.saving.serialize_keras_object(self.feature_model),
            "head": keras.saving.serialize_keras_object(self.head),
            "weight": self.weight,
        }

    @classmethod
    def from_config(cls, config: dict) -> "DeepCORAL":
        config = dict(config)
        config["feature_model"] = keras.saving.deserialize_keras_object(config["feature_model"])
        config["head"] = keras.saving.deserialize_keras_object(config["head"])
        return cls(**config)


class DomainBatches(keras.utils.PyDataset):
    """Batches ``((x_source, x_target), y_source)`` for :class:`DeepCORAL`'s ``fit``.

    One epoch walks through the labelled source data once, in shuffled
    batches of ``batch_size`` (the last, incomplete batch is dropped, so every
    covariance sees a full batch); each source batch is paired with as many
    unlabelled target images, drawn in a shuffled cycle through
    ``x_target``. Target labels are never needed. Works on every backend
    (a ``keras.utils.PyDataset``); extra keyword arguments go to it.

    ``x_source`` may be a finite ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of ``(x, y)``
    batches (with ``y_source=None``) and ``x_target`` one of ``x`` or ``(x, y)`` batches (labels
    ignored): both are read into arrays once.

    Example:
        >>> batches = DomainBatches(np.zeros((10, 3)), np.zeros(10), np.ones((7, 3)), batch_size=4)
        >>> len(batches), [a.shape for a in batches[0][0]], batches[0][1].shape
        (2, [(4, 3), (4, 3)], (4,))
    """

    def __init__(self, x_source, y_source, x_target, batch_size: int = 64, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        x_source, y_source = dataset_xy(x_source, y_source, "x_source")
        if is_dataset(x_target):
            x_target = as_arrays(x_target, name="x_target")[0]
        x_source, y_source, x_target = np.asarray(x_source), np.asarray(y_source), np.asarray(x_target)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
            raise ValueError(f"batch_size={batch_size!r} is not allowed: a covariance needs an int >= 2.")
        if len(x_source) != len(y_source):
            raise ValueError(f"x_source and y_source have different lengths: {len(x_source)} and {len(y_source)}.")
        if len(x_source) < batch_size:
            raise ValueError(
                f"x_source has {len(x_source)} samples, fewer than batch_size={batch_size}; "
                "allowed: at least one full batch."
            )
        if len(x_target) < 2:
            kind = "is empty" if len(x_target) == 0 else "has 1 sample"
            raise ValueError(f"x_target {kind}: a covariance needs at least 2 unlabelled target samples.")
        if x_source.shape[1:] != x_target.shape[1:]:
            raise ValueError(
                f"source and target inputs have different shapes: {x_source.shape[1:]} and {x_target.shape[1:]}."
            )
        x_source, y_source = check_xy(x_source, y_source, names=("x_source", "y_source"))
        x_target = check_images(x_target, "x_target")
        self.x_source, self.y_source, self.x_target = x_source, y_source, x_target
        self.batch_size = int(batch_size)
        self._rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return len(self.x_source) // self.batch_size

    def on_epoch_end(self) -> None:
        self._source_order = self._rng.permutation(len(self.x_source))
        repeats = math.ceil(len(self) * self.batch_size / len(self.x_target))
        self._target_order = np.concatenate([self._rng.permutation(len(self.x_target)) for _ in range(repeats)])

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range 0..{len(self) - 1}")
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        s, t = self._source_order[part], self._target_order[part]
        return (self.x_source[s], self.x_target[t]), self.y_source[s]


# --------------------------------------------------------------------------- #
# AdaBN: BatchNorm statistics re-estimated on the target
# --------------------------------------------------------------------------- #
def _batchnorm_layers(model) -> list:
    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):  # a nested model (a base inside a classifier)
            found.extend(_batchnorm_layers(layer))
    return found


def adapt_batchnorm(model: keras.Model, x, batch_size: int = 256) -> keras.Model:
    """AdaBN: re-estimate every BatchNormalization layer's moving mean and variance on target inputs ``x``.

    Li et al. (2016), "Revisiting Batch Normalization for Practical Domain
    Adaptation": the weights learnt on the source stay, only the statistics
    each BatchNorm layer normalises with are replaced by the target's. A
    frozen base (``trainable = False``, as in feature extraction) runs its
    BatchNorm layers in inference mode and so keeps the *source* statistics
    for ever; after this call it normalises target activations with target
    statistics. No labels are needed: ``x`` may be the labelled training
    images or any unlabelled target images.

    In plain Keras this is one pass in training mode with the BatchNorm layers
    made trainable and their ``momentum`` set so that the moving statistics
    become the average over the batches (a cumulative average, as PyTorch's
    ``momentum=None``); ``trainable`` and ``momentum`` are restored afterwards.
    No weight other than the moving statistics changes. ``model`` is changed
    in place (nested models included) and returned; copy it first to keep the
    original (``keras.models.clone_model`` plus ``set_weights``). Other layers
    also run in training mode during the pass (a Dropout layer *before* a
    BatchNorm layer would perturb its statistics). On an error the old
    statistics are put back.

    Example:
        >>> import keras, numpy as np
        >>> inputs = keras.Input((4,))
        >>> model = keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(inputs))
        >>> model.trainable = False                      # frozen: inference mode, statistics kept
        >>> target = np.random.default_rng(0).normal(5.0, 2.0, size=(1000, 4)).astype("float32")
        >>> _ = adapt_batchnorm(model, target, batch_size=100)
        >>> bn = model.get_layer("bn")
        >>> np.allclose(bn.moving_mean, target.mean(axis=0), atol=1e-3), model.trainable   # still frozen
        (True, False)
        >>> bool(np.allclose(bn.moving_variance, target.var(axis=0), rtol=0.01))
        True
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model of type {type(model).__name__} is not allowed: give a keras.Model.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: a batch statistic needs an int >= 2.")
    layers = _batchnorm_layers(model)
    if not layers:
        raise ValueError(f"model {model.name!r} has no BatchNormalization layer: there are no statistics to re-estimate.")
    if is_dataset(x):
        x = as_arrays(x, name="x")[0]
    x = np.asarray(x)
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"x of shape {x.shape} is not allowed: give a batch of at least 2 target inputs.")
    if np.issubdtype(x.dtype, np.number) and not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values; statistics need finite inputs.")
    saved = [(layer.trainable, layer.momentum, layer.moving_mean.numpy(), layer.moving_variance.numpy())
             for layer in layers]
    seen = 0
    try:
        for layer in layers:
            layer.trainable = True
        for start in range(0, len(x), batch_size):
            chunk = x[start:start + batch_size]
            if len(chunk) < 2:
                break
            for layer in layers:  # moving = m * moving + (1 - m) * batch: the running average of the batches
                layer.momentum = seen / (seen + len(chunk))
            with warnings.catch_warnings():  # a model built with a one-element input list warns on an array
                warnings.filterwarnings("ignore", message="The structure of `inputs`")
                model(chunk, training=True)
            seen += len(chunk)
    except BaseException:
        for layer, (_, _, mean, var) in zip(layers, saved):
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(var)
        raise
    finally:
        for layer, (trainable, momentum, _, _) in zip(layers, saved):
            layer.trainable, layer.momentum = trainable, momentum
    return model


class ScoreWithOwnStatistics(keras.callbacks.Callback):
    """A fair held-out score for a network whose BatchNorm layers are still training.

    After a few steps a BatchNorm layer's *moving* statistics (momentum 0.99) still hold much of their
    initial values, so a network trained from scratch scores near chance in inference mode although it
    fits its training images: an unfair control. After each epoch this callback re-estimates the
    statistics on ``x`` (the training images, no labels: :func:`adapt_batchnorm`), then evaluates
    ``validation_data`` and writes ``val_loss`` and ``val_<metric>`` into the epoch's logs, so ``History``,
    the progress line, ``EarlyStopping`` and ``ModelCheckpoint`` read the fair score. Training itself is
    unchanged (training mode uses each batch's own statistics). Put it first in ``callbacks``.

    Example:
        >>> import keras, numpy as np
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> x, y = np.random.default_rng(0).normal(3, 2, (64, 4)).astype("float32"), np.arange(64) % 2
        >>> log = model.fit(x, y, epochs=1, verbose=0, callbacks=[ScoreWithOwnStatistics(x, (x, y))])
        >>> sorted(log.history)
        ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """

    def __init__(self, x: np.ndarray, validation_data: tuple, batch_size: int = 256) -> None:
        """``x``: the training inputs the statistics are re-estimated on (no labels); ``validation_data``:
        the ``(x_val, y_val)`` pair that is scored; ``batch_size``: for both passes."""
        super().__init__()
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(f"validation_data of type {type(validation_data).__name__} is not allowed: give an "
                             "(x_val, y_val) pair.")
        self.x, self.validation_data, self.batch_size = x, tuple(validation_data), batch_size

    def on_epoch_end(self, epoch, logs=None):
        adapt_batchnorm(self.model, self.x, batch_size=self.batch_size)
        scores = self.model.evaluate(*self.validation_data, batch_size=self.batch_size, verbose=0, return_dict=True)
        if logs is not None:
            logs.update({f"val_{name}": float(value) for name, value in scores.items()})

