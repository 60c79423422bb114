"""Feature extraction with the features computed once: a new head trained on cached features
(:func:`train_head_on_features`), or the same features into scikit-learn's logistic regression
(:func:`fit_logistic_regression`).
"""

from __future__ import annotations

import keras
import numpy as np

from keras_tl.core.checkpoints import fit_resumable
from keras_tl.core.data_input import _batches, check_finite, is_dataset
from keras_tl.core.training import _check_speed_options, _dtype_policy
from keras_tl.core.validation import (
    check_images,
    check_labels,
    check_model_input,
    check_pixel_scale,
    check_xy,
)
from keras_tl.transfer.heads import add_head

__all__ = ["extract_features", "fit_logistic_regression", "train_head_on_features"]


# --------------------------------------------------------------------------- #
# Feature extraction: the cached-features fast path, and logistic regression
# --------------------------------------------------------------------------- #
def extract_features(base: keras.Model, x, batch_size: int = 256, verbose: int | str = 0) -> np.ndarray:
    """Run ``base`` once over ``x`` (``base.predict``) and return the features as a numpy array.

    ``x``: an array of inputs, or a finite ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of
    ``x`` or ``(x, y)`` batches (passed to ``predict``; labels are ignored, ``batch_size`` is the dataset's).

    Example:
        >>> from keras_tl import feature_extractor
        >>> from keras_tl import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> extract_features(base, np.zeros((3, 28, 28))).shape
        (3, 3136)
    """
    if is_dataset(x):
        check_finite(x, "x")
        return np.asarray(base.predict(x, verbose=verbose))
    x = check_model_input(base, x)
    return np.asarray(base.predict(x, batch_size=batch_size, verbose=verbose))


def _features_and_labels(base: keras.Model, data, name: str, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """One pass over a dataset of ``(x, y)`` batches: the base's features of each batch, and its labels."""
    features, labels = [], []
    for i, (xb, yb) in enumerate(_batches(data, name)):
        if yb is None:
            raise ValueError(
                f"{name} yields x batches without labels; allowed: a dataset of (x, y) batches here "
                "(e.g. image_dataset_from_directory(..., labels='inferred'))."
            )
        xb = check_model_input(base, xb, f"{name} batch {i}")
        features.append(np.asarray(base.predict_on_batch(xb)))
        labels.append(yb)
    if not features:
        raise ValueError(f"{name} yields no samples; allowed: a dataset of at least one non-empty batch.")
    y = check_labels(np.concatenate(labels), f"{name} labels", n_classes=n_classes)
    return np.concatenate(features), y


def train_head_on_features(
    base: keras.Model,
    x,
    y,
    n_classes: int,
    validation_data: tuple | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    dropout: float = 0.0,
    seed: int = 0,
    verbose: int | str = "auto",
    callbacks: list | None = None,
    jit_compile: bool | str = "auto",
    mixed_precision: str | None = None,
    checkpoint_dir: str | None = None,
) -> tuple[keras.Model, keras.callbacks.History]:
    """Feature extraction, fast: run the frozen base once, then train only the head on the cached features.

    Builds ``add_head(base, n_classes)`` and a head-only model that *shares*
    its head layers, computes the features of ``x`` (and of the validation
    images) once with ``base.predict``, and fits the head-only model on them.
    The returned full model (base + trained head, compiled) takes images.

    ``x`` may be a finite ``tf.data.Dataset`` or ``keras.utils.PyDataset`` of ``(x, y)`` batches
    (e.g. from ``keras.utils.image_dataset_from_directory``), with ``y=None``: the features are
    computed batch by batch in one pass, the labels collected alongside. ``validation_data`` may
    be such a dataset too.

    Valid only when the base is frozen and inputs are not augmented: then the
    base gives the same features every epoch, and this equals training
    ``add_head(base)`` on the images, minus the repeated forward passes.
    A base with trainable weights raises ``ValueError``. ``callbacks`` go to
    the head's ``fit`` (e.g. ``keras.callbacks.EarlyStopping`` on ``val_accuracy``).
    With ``checkpoint_dir`` the head trains through :func:`keras_tl.fit_resumable`: a run
    interrupted between epochs resumes from its last completed epoch when called again
    (every epoch reseeded from ``(seed, epoch)``).

    Speed options: ``jit_compile`` goes to ``compile`` (XLA; ``"auto"`` is
    Keras's default); ``mixed_precision`` (``"mixed_float16"`` on GPUs,
    ``"mixed_bfloat16"`` on TPUs) builds the head under that Keras dtype policy
    (the global policy is restored afterwards; the base keeps its own). Called
    inside a ``tf.distribute`` strategy's ``scope()``, the head is created there
    and trains on every replica.

    Example:
        >>> from keras_tl import feature_extractor
        >>> from keras_tl import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> x, y = np.zeros((8, 28, 28)), np.arange(8) % 2
        >>> model, history = train_head_on_features(base, x, y, n_classes=2, epochs=1, verbose=0)
        >>> model.output_shape
        (None, 2)
    """
    if base.trainable_weights:
        raise ValueError(
            f"Base {base.name!r} has trainable weights: cached features are only valid for a frozen base. "
            "Call set_trainable(base, False) first, or train add_head(base, ...) on the images."
        )
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number.")
    if not isinstance(n_classes, (int, np.integer)) or isinstance(n_classes, bool) or n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs={epochs!r} is not allowed: give an int >= 1.")
    images = not _takes_strings(base)
    if is_dataset(x):
        if y is not None:
            raise ValueError(
                f"y is given, but x is a dataset ({type(x).__name__}) that yields its own labels; "
                "allowed: y=None with a dataset of (x, y) batches."
            )
        check_finite(x, "x")
    else:
        x, y = check_xy(x, y, n_classes=int(n_classes), shape=_input_shape(base), images=images)
        check_pixel_scale(base, x)  # 0..1 images into a base that starts with Preprocess (0..255)
    if validation_data is not None:
        if is_dataset(validation_data):
            check_finite(validation_data, "validation_data")
        else:
            validation_data = _check_validation(validation_data, int(n_classes), _input_shape(base), images)
    n_classes = int(n_classes)
    _check_speed_options(jit_compile, mixed_precision)
    keras.utils.set_random_seed(seed)
    with _dtype_policy(mixed_precision):
        model = add_head(base, n_classes, dropout=dropout)
        layers_after_base = model.layers[model.layers.index(base) + 1:]
        feature_input = keras.Input(shape=base.output_shape[1:], name="features")
        h = feature_input
        for layer in layers_after_base:
            h = layer(h)
        head = keras.Model(feature_input, h, name="head_on_features")
    compile_args = dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit_compile)
    head.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_args)
    if is_dataset(x):
        features, y = _features_and_labels(base, x, "x", n_classes)
    else:
        features = extract_features(base, x)
    val = None
    if is_dataset(validation_data):
        val = _features_and_labels(base, validation_data, "validation_data", n_classes)
    elif validation_data is not None:
        val = (extract_features(base, validation_data[0]), validation_data[1])
    fit_args = dict(validation_data=val, epochs=epochs, batch_size=batch_size, verbose=verbose)
    if checkpoint_dir is None:
        history = head.fit(features, y, callbacks=callbacks, **fit_args)
    else:
        history = fit_resumable(head, features, y, checkpoint_dir=checkpoint_dir, seed=seed, callbacks=callbacks, **fit_args)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_args)
    return model, history


def _input_shape(model: keras.Model) -> tuple | None:
    inputs = getattr(model, "inputs", None)
    return tuple(inputs[0].shape[1:]) if inputs and len(inputs) == 1 else None


def _takes_strings(model: keras.Model) -> bool:
    return any(str(getattr(i, "dtype", "")) == "string" for i in getattr(model, "inputs", None) or [])


def _check_validation(validation_data, n_classes: int | None, shape: tuple | None, images: bool = True) -> tuple:
    """Check ``validation_data`` is an ``(x, y)`` pair of valid images and labels."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise ValueError(
            f"validation_data of type {type(validation_data).__name__} is not allowed: give a pair (x_val, y_val)."
        )
    return check_xy(
        *validation_data, n_classes=n_classes, shape=shape, names=("validation_data[0]", "validation_data[1]"), images=images
    )


def fit_logistic_regression(features: np.ndarray, y, C: float = 1.0, max_iter: int = 2000, seed: int = 0):
    """Fit scikit-learn's logistic regression on extracted features (standardised first).

    The classic feature-extraction recipe: the pretrained network as a fixed
    feature extractor, a linear classifier on top. Returns the fitted
    ``sklearn`` pipeline; ``.score(features_val, y_val)`` gives accuracy.

    Example:
        >>> clf = fit_logistic_regression(np.array([[0.0], [1.0], [0.1], [0.9]]), [0, 1, 0, 1])
        >>> clf.predict([[0.95]]).tolist()
        [1]
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = check_images(features, "features")
    if features.ndim != 2:
        features = features.reshape(len(features), -1)
    if len(features) != len(y):
        raise ValueError(f"features and y have different lengths: {len(features)} and {len(y)}.")
    y = check_labels(y)
    if C <= 0:
        raise ValueError(f"C={C!r} is not allowed: the inverse regularisation strength must be positive.")
    if len(np.unique(y)) < 2:
        raise ValueError("y has fewer than 2 classes: a classifier needs at least 2.")
    from threadpoolctl import threadpool_limits

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, random_state=seed))
    # One BLAS thread: these problems are small, and two threads (fighting TensorFlow's for the cores)
    # made each fit 3-5 times slower on 2 cores (benchmarks: docs/performance.md).
    with threadpool_limits(1, user_api="blas"):
        return clf.fit(features, np.asarray(y))
