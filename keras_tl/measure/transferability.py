"""How well features (or a source classifier) transfer to a labelled target, before any training.

* :func:`logme` -- LogME, the evidence of a Bayesian linear model on the features (higher is better).
* :func:`leep` -- LEEP, from a source classifier's predicted source-class probabilities on the target.

Transferability scores are a rough guide: in published model-ranking tables they correlate only loosely with
fine-tuned accuracy (weighted Kendall's tau from about -0.3 to 0.9 across data sets), so treat them as
evidence, not proof.
"""

from __future__ import annotations

import numpy as np

from keras_tl.measure.distances import _features, _labels

__all__ = ["leep", "logme"]


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
