"""How similar is the target data to the source, and how well do the features transfer? Measured.

The course text asks to *assess* dataset similarity before choosing a strategy.
This module measures it on **backbone features** (what the reused layers
actually see), not on raw pixels:

* :func:`jensen_shannon` -- Jensen-Shannon divergence between the two feature
  distributions, in ``[0, 1]`` (base 2). How the distributions are formed:
  both feature sets are standardised and projected onto the top principal
  components of the pooled data; on each component both projections are
  binned into one shared histogram grid; the divergence is the mean over the
  components, weighted by the variance each explains.
* :func:`mmd` -- maximum mean discrepancy (squared, biased estimate) with a
  Gaussian kernel whose width is set by the median heuristic.
* :func:`coral_distance` -- the CORAL distance between the feature covariances,
  ``||C_s - C_t||_F^2 / (4 d^2)``.
* :func:`logme` -- LogME, the transferability of features for a labelled
  target (evidence of a Bayesian linear model; higher is better).
* :func:`leep` -- LEEP, the transferability of a source *classifier* from its
  predicted source-class probabilities on the target.
* :func:`similarity` -- all of the above in one :class:`SimilarityReport`, whose
  ``score = 1 - JS`` is the similarity level :func:`keras_tl.advise` uses.

Transferability scores are a rough guide: in published model-ranking tables
they correlate only loosely with fine-tuned accuracy (weighted Kendall's tau
from about -0.3 to 0.9 across data sets), so treat them as evidence, not proof.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(300, 8)), rng.normal(loc=2.0, size=(300, 8))
    >>> jensen_shannon(a, a), jensen_shannon(a, b) > 0.5
    (0.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from .data_input import as_arrays, is_dataset
from .validation import check_model_input

__all__ = [
    "MIN_SAMPLES",
    "SimilarityReport",
    "coral_distance",
    "features_of",
    "jensen_shannon",
    "leep",
    "logme",
    "mmd",
    "similarity",
]

#: The fewest samples per side for which a distribution can be compared at all.
MIN_SAMPLES = 20


# --------------------------------------------------------------------------- #
# Input checks
# --------------------------------------------------------------------------- #
def _features(a, name: str, min_samples: int = MIN_SAMPLES) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of features (n_samples, n_features), got shape {a.shape}. "
            "Pass images together with a backbone to similarity(), or flatten the features first."
        )
    if len(a) < min_samples:
        raise ValueError(f"{name} has {len(a)} samples: too few to measure; allowed: at least {min_samples}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values; only finite features can be compared.")
    return a


def _pair(source, target, min_samples: int = MIN_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    s, t = _features(source, "source", min_samples), _features(target, "target", min_samples)
    if s.shape[1] != t.shape[1]:
        raise ValueError(
            f"source and target features have different widths: {s.shape[1]} and {t.shape[1]}; "
            "both must come from the same layer of the same backbone."
        )
    return s, t


def _subsample(a: np.ndarray, max_samples: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_samples is None or len(a) <= max_samples:
        return a
    return a[np.sort(rng.choice(len(a), size=max_samples, replace=False))]


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"labels must be a 1-D array with one label per sample ({n}), got shape {y.shape}.")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError("labels must be whole class indices 0..k-1.")
        y = y.astype(np.int64)
    if y.min() < 0:
        raise ValueError(f"labels must be class indices >= 0, found {int(y.min())}.")
    if len(np.unique(y)) < 2:
        raise ValueError("labels hold fewer than 2 classes: transferability needs at least 2.")
    return y


# --------------------------------------------------------------------------- #
# Distribution distances
# --------------------------------------------------------------------------- #
def jensen_shannon(
    source,
    target,
    n_components: int = 10,
    bins: int = 20,
    max_samples: int | None = 2000,
    seed: int = 0,
) -> float:
    """Jensen-Shannon divergence (base 2, in ``[0, 1]``) between two feature sets.

    The distributions are formed like this: the pooled features are
    standardised, projected on their top ``n_components`` principal
    components, and on each component the source and target projections are
    counted in ``bins`` equal bins spanning both. The result is the mean of
    the per-component divergences, weighted by the share of the variance
    each component explains (so a shift along the main direction of
    variation is not diluted by the directions where nothing changed): 0 for
    identical samples, 1 for samples that share no bin on any component.
    Projecting first keeps the histograms meaningful in thousands of
    dimensions; the price is that only the marginals of the main directions
    of variation are compared.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(500, 4))
        >>> near, far = a + 0.1, a + 3.0
        >>> jensen_shannon(a, near) < jensen_shannon(a, far)
        True
    """
    s, t = _pair(source, target)
    if not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ValueError(f"n_components={n_components!r} is not allowed: give an int >= 1.")
    if not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins={bins!r} is not allowed: give an int >= 2.")
    from scipy.spatial.distance import jensenshannon

    rng = np.random.default_rng(seed)
    s, t = _subsample(s, max_samples, rng), _subsample(t, max_samples, rng)
    pooled = np.concatenate([s, t])
    mean, std = pooled.mean(0), pooled.std(0)
    std[std == 0] = 1.0
    pooled = (pooled - mean) / std
    k = int(min(n_components, pooled.shape[1], len(pooled) - 1))
    centred = pooled - pooled.mean(0)
    if k < min(centred.shape) // 4:  # only the top components are needed: a randomized SVD is much cheaper
        from sklearn.utils.extmath import randomized_svd

        _, singular, vt = randomized_svd(centred, k, n_iter=4, random_state=seed)
    else:
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ vt[:k].T
    weights = singular[:k] ** 2
    ps, pt = projected[: len(s)], projected[len(s):]
    divergences = []
    for j in range(k):
        edges = np.linspace(projected[:, j].min(), projected[:, j].max(), bins + 1)
        if edges[0] == edges[-1]:  # a constant direction: both sides agree on it
            divergences.append(0.0)
            continue
        hs, _ = np.histogram(ps[:, j], bins=edges)
        ht, _ = np.histogram(pt[:, j], bins=edges)
        divergences.append(float(jensenshannon(hs / hs.sum(), ht / ht.sum(), base=2) ** 2))
    if weights.sum() == 0:  # every sample is the same point
        return 0.0
    return float(np.clip(np.average(divergences, weights=weights), 0.0, 1.0))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def mmd(source, target, gamma: float | None = None, max_samples: int | None = 1000, seed: int = 0) -> float:
    """Squared maximum mean discrepancy with a Gaussian kernel (biased estimate, so 0 for identical samples).

    ``MMD^2 = mean k(s, s') + mean k(t, t') - 2 mean k(s, t)`` with
    ``k(a, b) = exp(-gamma ||a - b||^2)``. ``gamma`` defaults to the median
    heuristic, ``1 / median ||a - b||^2`` over the pooled samples. Gretton et
    al., "A Kernel Two-Sample Test", JMLR 2012.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(200, 3))
        >>> mmd(a, a), mmd(a, a + 0.2) < mmd(a, a + 2.0)
        (0.0, True)
    """
    s, t = _pair(source, target)
    if gamma is not None and not gamma > 0:
        raise ValueError(f"gamma={gamma!r} is not allowed: give a positive kernel width, or None for the median heuristic.")
    rng = np.random.default_rng(seed)
    s, t = _subsample(s, max_samples, rng), _subsample(t, max_samples, rng)
    pooled = np.concatenate([s, t])
    d = _sq_dists(pooled, pooled)  # one matrix, sliced into its source/target blocks below
    if gamma is None:
        median = np.median(d[np.triu_indices(len(pooled), k=1)])
        gamma = 1.0 / median if median > 0 else 1.0
    k = np.exp(-gamma * d)
    n = len(s)
    k_ss, k_tt, k_st = k[:n, :n].mean(), k[n:, n:].mean(), k[:n, n:].mean()
    return float(max(k_ss + k_tt - 2.0 * k_st, 0.0))


def coral_distance(source, target) -> float:
    """The CORAL distance ``||C_s - C_t||_F^2 / (4 d^2)`` between the feature covariances.

    The quantity the Deep CORAL loss minimises (Sun and Saenko, "Deep CORAL:
    Correlation Alignment for Deep Domain Adaptation", ECCV 2016
    workshops). 0 when the second-order statistics agree.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(500, 3))
        >>> coral_distance(a, a), coral_distance(a, 3.0 * a) > 0.1
        (0.0, True)
    """
    s, t = _pair(source, target)
    d = s.shape[1]
    diff = np.cov(s, rowvar=False) - np.cov(t, rowvar=False)
    return float(np.sum(np.atleast_2d(diff) ** 2) / (4.0 * d * d))


# --------------------------------------------------------------------------- #
# Transferability
# --------------------------------------------------------------------------- #
def _log_evidence(s: np.ndarray, z: np.ndarray, r2_out: float, n: int, d: int, max_iter: int = 100) -> float:
    """Maximised log evidence per sample of a Bayesian linear regression, in the SVD basis of the features.

    ``s`` are the singular values of the features, ``z = U^T y`` the target
    in the left singular basis and ``r2_out`` the part of ``||y||^2``
    outside the column space. Prior precision ``alpha`` and noise precision
    ``beta`` are found by the standard fixed-point updates (MacKay).
    """
    sigma = s**2
    alpha, beta = 1.0, 1.0
    for _ in range(max_iter):
        denom = alpha + beta * sigma
        gamma = float(np.sum(beta * sigma / denom))
        m2 = float(np.sum((beta * s * z / denom) ** 2))
        res = float(np.sum((alpha * z / denom) ** 2)) + r2_out
        new_alpha = gamma / max(m2, 1e-12)
        new_beta = (n - gamma) / max(res, 1e-12)
        done = abs(new_alpha - alpha) / alpha < 1e-5 and abs(new_beta - beta) / beta < 1e-5
        alpha, beta = new_alpha, new_beta
        if done:
            break
    denom = alpha + beta * sigma
    m2 = float(np.sum((beta * s * z / denom) ** 2))
    res = float(np.sum((alpha * z / denom) ** 2)) + r2_out
    log_det = float(np.sum(np.log(denom))) + (d - len(s)) * np.log(alpha)
    evidence = (
        0.5 * n * np.log(beta) + 0.5 * d * np.log(alpha) - 0.5 * n * np.log(2 * np.pi)
        - 0.5 * beta * res - 0.5 * alpha * m2 - 0.5 * log_det
    )
    return float(evidence / n)


def logme(features, labels, max_samples: int | None = 3000, seed: int = 0) -> float:
    """LogME: how well ``features`` suit a labelled target, without training (higher is better).

    For each class, a Bayesian linear model predicts its one-hot column from
    the features; its evidence (marginal likelihood), maximised over the
    prior and noise precisions, measures how well the features explain the
    labels. LogME is the mean log evidence per sample over the classes.
    You, Liu, Wang and Long, "LogME: Practical Assessment of Pre-trained
    Models for Transfer Learning", ICML 2021. Compare scores of features of
    the *same width* (e.g. pretrained against random weights of one
    architecture); values of different backbones are comparable only loosely.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = np.repeat([0, 1], 100)
        >>> good = rng.normal(size=(200, 5)) + 3.0 * y[:, None]
        >>> noise = rng.normal(size=(200, 5))
        >>> logme(good, y) > logme(noise, y)
        True
    """
    f = _features(features, "features", min_samples=2)
    y = _labels(labels, len(f))
    rng = np.random.default_rng(seed)
    if max_samples is not None and len(f) > max_samples:
        idx = np.sort(rng.choice(len(f), size=max_samples, replace=False))
        f, y = f[idx], y[idx]
    n, d = f.shape
    # The singular values s and U^T y are all LogME needs: take them from the eigendecomposition of the
    # smaller Gram matrix (n x n or d x d), much cheaper than a full SVD of thousands of features.
    if n <= d:
        eigvals, u = np.linalg.eigh(f @ f.T)
        project = None
    else:
        eigvals, v = np.linalg.eigh(f.T @ f)
        u = None
    keep = eigvals > eigvals.max() * 1e-10
    s = np.sqrt(eigvals[keep])
    if u is not None:
        u = u[:, keep]
    else:
        project = v[:, keep] / s  # U = F V / s, so U^T y = (V / s)^T F^T y
    scores = []
    for c in np.unique(y):
        target = (y == c).astype(np.float64)
        z = u.T @ target if u is not None else project.T @ (f.T @ target)
        r2_out = max(float(target @ target - z @ z), 0.0)
        scores.append(_log_evidence(s, z, r2_out, n, d))
    return float(np.mean(scores))


def leep(source_probabilities, labels) -> float:
    """LEEP: the log expected empirical prediction of a source classifier on a labelled target (higher is better).

    ``source_probabilities`` are the source model's softmax outputs on the
    target inputs, shape ``(n, n_source_classes)``. LEEP builds the
    empirical conditional ``P(target label | source label)`` from them and
    returns the mean log-likelihood of the true target labels under
    "predict a source label, then map it". It is at most 0. Nguyen, Hassner,
    Seeger and Archambeau, "LEEP: A New Measure to Evaluate Transferability
    of Learned Representations", ICML 2020.

    Example:
        >>> y = np.array([0, 0, 1, 1])
        >>> sharp = np.array([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]])
        >>> flat = np.full((4, 2), 0.5)
        >>> leep(sharp, y) > leep(flat, y)
        True
    """
    p = _features(source_probabilities, "source_probabilities", min_samples=2)
    if np.any(p < 0) or not np.allclose(p.sum(1), 1.0, atol=1e-3):
        raise ValueError("source_probabilities must be probabilities: non-negative rows that sum to 1 (softmax outputs).")
    y = _labels(labels, len(p))
    onehot = np.eye(int(y.max()) + 1)[y]
    joint = onehot.T @ p / len(p)  # P(y, z)
    conditional = joint / np.maximum(joint.sum(0, keepdims=True), 1e-12)  # P(y | z)
    expected = np.sum(conditional[y] * p, axis=1)
    return float(np.mean(np.log(np.maximum(expected, 1e-12))))


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
            from .strategies import architecture_only

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
