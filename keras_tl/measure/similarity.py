"""How similar is the target data to the source, and how well do the features transfer? Measured, all at once.

The course text asks to *assess* dataset similarity before choosing a strategy. :func:`similarity` runs a
backbone over both samples and measures the distances of :mod:`keras_tl.measure.distances` and the
transferability of :mod:`keras_tl.measure.transferability` in one :class:`SimilarityReport`, whose
``score = 1 - JS`` is the similarity level :func:`keras_tl.advise` uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from keras_tl.core.data_input import as_arrays, is_dataset
from keras_tl.core.validation import check_model_input
from keras_tl.measure.distances import (
    MIN_SAMPLES,
    _labels,
    _pair,
    coral_distance,
    jensen_shannon,
    mmd,
)
from keras_tl.measure.transferability import logme
from keras_tl.transfer.heads import architecture_only

__all__ = ["SimilarityReport", "features_of", "similarity"]


# --------------------------------------------------------------------------- #
# Everything at once
# --------------------------------------------------------------------------- #
def features_of(backbone: keras.Model, x, batch_size: int = 256) -> np.ndarray:
    """Run ``backbone`` over ``x`` and return one feature vector per sample.

    Feature maps are averaged over their spatial positions (global average
    pooling), anything else is flattened.

    Example:
        >>> from keras_tl import feature_extractor, build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "block1_pool")
        >>> features_of(base, np.zeros((2, 28, 28))).shape
        (2, 32)
    """
    if len(x) == 0:
        raise ValueError("x is empty: there are no samples to compute features of.")
    x = check_model_input(backbone, x)
    f = np.asarray(backbone.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if f.ndim == 4:
        f = f.mean(axis=(1, 2))
    return f.reshape(len(f), -1)


@dataclass
class SimilarityReport:
    """What :func:`similarity` measured between a source and a target.

    Attributes:
        js: Jensen-Shannon divergence in ``[0, 1]`` (see :func:`jensen_shannon`).
        mmd: squared maximum mean discrepancy (see :func:`mmd`).
        coral: CORAL distance (see :func:`coral_distance`).
        logme: LogME of the backbone's features for the labelled target, or ``None``.
        logme_random: LogME of the same architecture with random weights, or ``None``.
        n_source, n_target, dim: how much was compared, and the feature width.
    """

    js: float
    mmd: float
    coral: float
    logme: float | None
    logme_random: float | None
    n_source: int
    n_target: int
    dim: int

    @property
    def score(self) -> float:
        """Similarity in ``[0, 1]``: ``1 - js``. The level :func:`keras_tl.advise` compares with its threshold."""
        return 1.0 - self.js

    @property
    def transferability_gain(self) -> float | None:
        """LogME of the pretrained features minus LogME of random ones (> 0: the pretrained weights help)."""
        if self.logme is None or self.logme_random is None:
            return None
        return self.logme - self.logme_random

    def rows(self) -> list[tuple[str, str, str]]:
        def fmt(v):
            return "-" if v is None else f"{v:.4f}"

        return [
            ("similarity score", fmt(self.score), "1 - JS; 1 = same distribution"),
            ("Jensen-Shannon", fmt(self.js), "0 = same, 1 = disjoint (PCA-histogram, base 2)"),
            ("MMD^2", fmt(self.mmd), "0 = same (Gaussian kernel, median width)"),
            ("CORAL distance", fmt(self.coral), "0 = same covariance"),
            ("LogME (pretrained)", fmt(self.logme), "transferability to the labelled target; higher is better"),
            ("LogME (random weights)", fmt(self.logme_random), "same architecture, no pretraining"),
            ("LogME gain", fmt(self.transferability_gain), "> 0: the pretrained features help"),
        ]

    def __str__(self) -> str:
        head = f"Similarity of target ({self.n_target}) to source ({self.n_source}) on {self.dim} features"
        lines = [head, "-" * len(head)]
        lines += [f"{name:<23} {value:>9}   {note}" for name, value, note in self.rows()]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {n} | {v} | {note} |" for n, v, note in self.rows())
        return (
            f"**Similarity** of target ({self.n_target} samples) to source ({self.n_source}), "
            f"{self.dim} features\n\n| measure | value | meaning |\n|---|---:|---|\n{rows}"
        )


def similarity(
    source,
    target,
    backbone: keras.Model | None = None,
    target_labels=None,
    random_baseline: bool = True,
    n_components: int = 10,
    bins: int = 20,
    max_samples: int | None = 2000,
    seed: int = 0,
) -> SimilarityReport:
    """Measure how similar ``target`` is to ``source`` on ``backbone`` features, and how well they transfer.

    Args:
        source, target: inputs of ``backbone`` (e.g. images), or, with
            ``backbone=None``, 2-D feature arrays of the same width; or finite
            ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of ``x`` or ``(x, y)`` batches,
            read into arrays (at most ``max_samples`` samples each, the first ones: shuffle
            the dataset for a random sample; infinite datasets need ``max_samples``).
        backbone: the reused layers (e.g. ``feature_extractor(source_model,
            "flatten")`` or a Keras Applications model with ``include_top=False``).
        target_labels: labels of ``target``; when given, LogME is computed,
            and with ``random_baseline`` also LogME of the same architecture
            with random weights (:func:`keras_tl.architecture_only`), so
            ``report.transferability_gain`` says whether pretraining helps. A
            ``target`` dataset of ``(x, y)`` batches gives them (then leave this ``None``).
        n_components, bins: how :func:`jensen_shannon` forms the distributions.
        max_samples: at most this many samples per side are compared (seeded).

    Returns:
        A :class:`SimilarityReport`; ``report.score`` (``1 - JS``) is in ``[0, 1]``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(400, 6))
        >>> report = similarity(a, a + 0.05)
        >>> report.score > 0.9, report.logme is None
        (True, True)
    """
    if is_dataset(source):
        source = as_arrays(source, max_samples=max_samples, name="source")[0]
    if is_dataset(target):
        if target_labels is not None:
            raise ValueError(
                "target_labels is given, but target is a dataset, which yields its own labels; "
                "allowed: target_labels=None with a dataset of (x, y) batches."
            )
        target, target_labels = as_arrays(target, max_samples=max_samples, name="target")
    rng = np.random.default_rng(seed)
    if backbone is not None:
        source_x = _subsample_inputs(source, max_samples, rng, "source")
        target_idx = _subsample_index(len(target), max_samples, rng, "target")
        target_x = np.asarray(target)[target_idx]
        s, t = features_of(backbone, source_x), features_of(backbone, target_x)
        if target_labels is not None:
            target_labels = _labels(target_labels, len(target))[target_idx]
    else:
        s, t = source, target
    s, t = _pair(s, t)
    report = SimilarityReport(
        js=jensen_shannon(s, t, n_components=n_components, bins=bins, max_samples=max_samples, seed=seed),
        mmd=mmd(s, t, max_samples=min(max_samples or 1000, 1000), seed=seed),
        coral=coral_distance(s, t),
        logme=None, logme_random=None, n_source=len(s), n_target=len(t), dim=s.shape[1],
    )
    if target_labels is not None:
        report.logme = logme(t, target_labels, seed=seed)
        if random_baseline and backbone is not None:
            random_backbone = architecture_only(backbone, seed=seed, trainable=False)
            report.logme_random = logme(features_of(random_backbone, target_x), target_labels, seed=seed)
    return report


def _subsample_index(n: int, max_samples: int | None, rng: np.random.Generator, name: str) -> np.ndarray:
    if n < MIN_SAMPLES:
        raise ValueError(f"{name} has {n} samples: too few to measure; allowed: at least {MIN_SAMPLES}.")
    if max_samples is None or n <= max_samples:
        return np.arange(n)
    return np.sort(rng.choice(n, size=max_samples, replace=False))


def _subsample_inputs(x, max_samples: int | None, rng: np.random.Generator, name: str) -> np.ndarray:
    x = np.asarray(x)
    return x[_subsample_index(len(x), max_samples, rng, name)]
