"""What a classifier gets wrong: confusion matrix, most-confused pairs, per-class accuracy, top losses.

:func:`interpret` runs the model once over labelled data (arrays, or a
``tf.data.Dataset`` of ``(x, y)`` batches) and keeps the predicted
probabilities; the :class:`Interpretation` it returns answers the usual
questions after training (the idea of fastai's ClassificationInterpretation):

* :meth:`~Interpretation.confusion_matrix` -- counts, rows the true class, columns the prediction;
* :meth:`~Interpretation.most_confused` -- the off-diagonal cells as ``(true, predicted, count)``, largest first;
* :meth:`~Interpretation.per_class_accuracy` -- recall of each class;
* :meth:`~Interpretation.top_losses` -- the samples with the largest cross-entropy loss, i.e. the
  most confidently wrong ones; :meth:`~Interpretation.plot_top_losses` shows them.

The model's outputs are taken as probabilities when each row is >= 0 and
sums to 1; otherwise as logits, and a softmax is applied.

Example:
    >>> import numpy as np
    >>> probs = np.array([[.9, .1, 0], [.2, .7, .1], [.1, .8, .1], [0, .4, .6]])
    >>> interp = Interpretation(probs, [0, 1, 0, 2], class_names=["a", "b", "c"])
    >>> interp.most_confused()
    [('a', 'b', 1)]
    >>> interp.per_class_accuracy()
    {'a': 0.5, 'b': 1.0, 'c': 1.0}
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from keras_tl.core.validation import (
    check_images,
    check_labels,
    check_model_input,
    is_array_like,
)

__all__ = ["Interpretation", "TopLosses", "interpret"]


class TopLosses(NamedTuple):
    """The ``k`` samples with the largest loss, largest first (arrays of length ``k``).

    ``probability`` is the model's probability of its *predicted* class.
    """

    indices: np.ndarray
    losses: np.ndarray
    predicted: np.ndarray
    true: np.ndarray
    probability: np.ndarray


def _as_probabilities(out: np.ndarray) -> np.ndarray:
    out = np.asarray(out, dtype="float64")
    if out.ndim != 2 or out.shape[1] < 2:
        raise ValueError(f"the model's outputs have shape {out.shape}; allowed: (n_samples, n_classes >= 2) scores.")
    if (out >= 0).all() and np.allclose(out.sum(1), 1.0, atol=1e-3):
        return out
    e = np.exp(out - out.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


class Interpretation:
    """Predicted probabilities and true labels of one evaluation, with the questions to ask of them.

    Usually built by :func:`interpret`; ``Interpretation(probs, y)`` works on
    any ``(n, n_classes)`` probabilities (or logits). ``class_names`` default
    to ``"0"``, ``"1"``, ...; ``images`` (optional) are kept for
    :meth:`plot_top_losses`.

    Example:
        >>> interp = Interpretation(np.eye(3)[[0, 1, 1]], [0, 1, 2])
        >>> interp.confusion_matrix().tolist(), round(interp.accuracy, 3)
        ([[1, 0, 0], [0, 1, 0], [0, 1, 0]], 0.667)
    """

    def __init__(self, probabilities: Any, y: Any, class_names: Sequence[str] | None = None, images: Any = None) -> None:
        self.probabilities = _as_probabilities(probabilities)
        n, k = self.probabilities.shape
        self.y = check_labels(y, "y", n=n, n_classes=k)
        if class_names is None:
            class_names = [str(i) for i in range(k)]
        elif isinstance(class_names, str) or len(class_names) != k:
            got = "a single string" if isinstance(class_names, str) else f"{len(class_names)} names"
            raise ValueError(f"class_names has {got}, but the model predicts {k} classes; allowed: one name per class.")
        self.class_names = [str(c) for c in class_names]
        self.images = images
        self.predicted = self.probabilities.argmax(1)
        p_true = self.probabilities[np.arange(n), self.y]
        self.losses = -np.log(np.clip(p_true, 1e-12, 1.0))

    def __repr__(self) -> str:
        return f"Interpretation({len(self.y)} samples, {len(self.class_names)} classes, accuracy {self.accuracy:.3f})"

    @property
    def accuracy(self) -> float:
        """The fraction of samples predicted right."""
        return float(np.mean(self.predicted == self.y))

    def confusion_matrix(self) -> np.ndarray:
        """Counts: row ``i``, column ``j`` = samples of true class ``i`` predicted as ``j``.

        Example:
            >>> Interpretation([[.9, .1], [.6, .4]], [0, 1]).confusion_matrix().tolist()
            [[1, 0], [1, 0]]
        """
        k = len(self.class_names)
        return np.bincount(self.y * k + self.predicted, minlength=k * k).reshape(k, k)

    def most_confused(self, min_count: int = 1) -> list[tuple[str, str, int]]:
        """The off-diagonal cells with at least ``min_count`` samples: ``(true name, predicted name, count)``, most first.

        Ties are ordered by true, then predicted class index.

        Example:
            >>> Interpretation([[.2, .8], [.6, .4], [.3, .7]], [0, 1, 0], ["cat", "dog"]).most_confused()
            [('cat', 'dog', 2), ('dog', 'cat', 1)]
        """
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise ValueError(f"min_count={min_count!r} is not allowed: give an int >= 1.")
        cm = self.confusion_matrix()
        cells = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j and cm[i, j] >= min_count]
        cells.sort(key=lambda c: (-c[0], c[1], c[2]))
        return [(self.class_names[i], self.class_names[j], c) for c, i, j in cells]

    def per_class_accuracy(self) -> dict[str, float]:
        """``{class name: fraction of its samples predicted right}`` (NaN for a class with no samples).

        Example:
            >>> Interpretation([[.9, .1], [.6, .4], [.1, .9]], [0, 1, 1], ["a", "b"]).per_class_accuracy()
            {'a': 1.0, 'b': 0.5}
        """
        cm = self.confusion_matrix()
        totals = cm.sum(1)
        return {name: (float(cm[i, i] / totals[i]) if totals[i] else float("nan")) for i, name in enumerate(self.class_names)}

    def top_losses(self, k: int | None = None) -> TopLosses:
        """The ``k`` samples (default all) with the largest cross-entropy loss, largest first.

        Example:
            >>> top = Interpretation([[.9, .1], [.3, .7], [.6, .4]], [0, 0, 1]).top_losses(2)
            >>> top.indices.tolist(), top.predicted.tolist(), top.true.tolist(), top.probability.round(2).tolist()
            ([1, 2], [1, 0], [0, 1], [0.7, 0.6])
        """
        n = len(self.y)
        k = n if k is None else k
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise ValueError(f"k={k!r} is not allowed: give an int in 1..{n} (the number of samples).")
        order = np.argsort(-self.losses, kind="stable")[:k]
        pred = self.predicted[order]
        return TopLosses(order, self.losses[order], pred, self.y[order], self.probabilities[order, pred])

    def plot_confusion_matrix(self, normalize: bool = False, ax: Any = None, cmap: str = "Blues"):
        """Draw the confusion matrix (counts, or each row as fractions with ``normalize``); return the figure.

        The figure uses Matplotlib's constrained layout and is at least wide enough for its title (two lines),
        so a plain ``fig.savefig(path)`` keeps the title, the tick labels and the axis labels.

        Example:
            >>> fig = Interpretation([[.9, .1], [.6, .4]], [0, 1], ["a", "b"]).plot_confusion_matrix()
            >>> fig.axes[0].get_xlabel()
            'predicted'
        """
        import matplotlib.pyplot as plt

        cm = self.confusion_matrix().astype(float)
        if normalize:
            cm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
        k = len(self.class_names)
        if ax is None:
            fig, ax = plt.subplots(figsize=(max(3.4, 1.0 + 0.8 * k), max(3.2, 1.2 + 0.8 * k)), layout="constrained")
        else:
            fig = ax.figure
        ax.imshow(cm, cmap=cmap)
        ax.set_xticks(range(k), self.class_names, rotation=45, ha="right")
        ax.set_yticks(range(k), self.class_names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"Confusion matrix\n(accuracy {self.accuracy:.3f})")
        top = cm.max() if cm.size else 1
        for i in range(k):
            for j in range(k):
                text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if cm[i, j] > top / 2 else "black")
        if fig.get_layout_engine() is None:  # an ax the caller made: lay its figure out once, as before
            fig.tight_layout()
        return fig

    def plot_top_losses(self, k: int = 9, images: Any = None, ncols: int | None = None):
        """A grid of the ``k`` top-loss images, each titled ``predicted / true / probability of predicted``.

        ``images`` (default: the ones given to :func:`interpret`) are ``(n, h, w)`` or
        ``(n, h, w, 1)`` grayscale or ``(n, h, w, 3)`` RGB, pixel values 0..255, in the
        order of the labels. Returns the figure.

        Example:
            >>> interp = Interpretation([[.9, .1], [.3, .7]], [0, 0], ["a", "b"])
            >>> fig = interp.plot_top_losses(1, images=np.zeros((2, 8, 8)))
            >>> fig.axes[0].get_title()
            'b / a / 0.70'
        """
        import matplotlib.pyplot as plt

        images = self.images if images is None else images
        if images is None:
            raise ValueError("plot_top_losses needs the images: pass images=x (the samples, in the order of the labels).")
        images = check_images(images, "images")
        if len(images) != len(self.y):
            raise ValueError(f"images has {len(images)} samples but there are {len(self.y)} labels; allowed: the same samples.")
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
            raise ValueError(f"images have shape {images.shape}; allowed: (n, h, w), (n, h, w, 1) or (n, h, w, 3).")
        top = self.top_losses(k)
        ncols = ncols or int(np.ceil(np.sqrt(k)))
        nrows = int(np.ceil(k / ncols))
        fig, axes = plt.subplots(nrows, ncols, figsize=(2.0 * ncols, 2.2 * nrows), squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for ax, i, p, t, prob in zip(axes.flat, top.indices, top.predicted, top.true, top.probability):
            img = np.clip(np.asarray(images[i], dtype="float64"), 0, 255)
            if img.ndim == 2:
                ax.imshow(img, cmap="gray", vmin=0, vmax=255)
            else:
                ax.imshow(img.astype("uint8"))
            ax.set_title(f"{self.class_names[p]} / {self.class_names[t]} / {prob:.2f}", fontsize=9)
        fig.suptitle("Top losses: predicted / true / probability", fontsize=10)
        fig.tight_layout()
        return fig


def interpret(model: Any, x: Any, y: Any = None, class_names: Sequence[str] | None = None, batch_size: int = 256) -> Interpretation:
    """Predict ``x`` with ``model`` and return an :class:`Interpretation` of the errors against ``y``.

    ``x`` and ``y`` are arrays, or ``x`` is a ``tf.data.Dataset`` of ``(x, y)``
    batches and ``y`` is ``None`` (then pass ``images=`` to
    :meth:`Interpretation.plot_top_losses`). ``class_names`` needs one name per
    output of the model. The model is only used for prediction.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
        >>> interpret(model, np.zeros((3, 2)), [0, 1, 2])
        Traceback (most recent call last):
        ...
        ValueError: y holds label 2 at index 2, outside the allowed range 0..1 (n_classes=2).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")
    if is_array_like(x):
        if y is None:
            raise ValueError("y is None but x is an array: give the true labels y, or a tf.data.Dataset of (x, y) batches.")
        x = check_model_input(model, x)
        labels = check_labels(y, "y")
        if len(x) != len(labels):
            raise ValueError(f"x and y have different lengths: {len(x)} samples and {len(labels)} labels; "
                             "allowed: one label per sample.")
        probs = model.predict(x, batch_size=int(batch_size), verbose=0)
        images = x
    else:
        if y is not None:
            raise ValueError("y is given but x is a dataset: a dataset must yield (x, y) batches itself; pass y=None.")
        outs, ys = [], []
        for batch in x:
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise ValueError("the dataset must yield (x, y) batches; allowed: a tf.data.Dataset of (images, labels).")
            outs.append(np.asarray(model.predict_on_batch(np.asarray(batch[0]))))  # numpy: any backend
            ys.append(np.asarray(batch[1]).reshape(-1))
        if not outs:
            raise ValueError("the dataset is empty; allowed: at least one (x, y) batch.")
        probs, y, images = np.concatenate(outs), np.concatenate(ys), None
    return Interpretation(probs, y, class_names=class_names, images=images)
