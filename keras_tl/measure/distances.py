"""How far apart two feature distributions are, measured on **backbone features** (what the reused layers
actually see), not on raw pixels.

* :func:`jensen_shannon` -- Jensen-Shannon divergence between the two feature distributions, in ``[0, 1]``
  (base 2): both feature sets are standardised and projected onto the top principal components of the pooled
  data; on each component both projections are binned into one shared histogram grid; the divergence is the
  mean over the components, weighted by the variance each explains.
* :func:`mmd` -- maximum mean discrepancy (squared, biased estimate) with a Gaussian kernel whose width is set
  by the median heuristic.
* :func:`coral_distance` -- the CORAL distance between the feature covariances, ``||C_s - C_t||_F^2 / (4 d^2)``.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(300, 8)), rng.normal(loc=2.0, size=(300, 8))
    >>> jensen_shannon(a, a), jensen_shannon(a, b) > 0.5
    (0.0, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["MIN_SAMPLES", "coral_distance", "jensen_shannon", "mmd"]

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
