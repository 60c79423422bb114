"""Choose the source model by measuring: rank candidate backbones on your labelled target data.

* :func:`score_backbones` -- one forward pass per candidate, then LogME, LEEP (when the candidate ends in
  a softmax classifier) and a *measured* linear probe (logistic regression over seeded stratified splits),
  each timed: a :class:`BackboneRanking`.
* :func:`keras_tl.offline_candidates` (:mod:`keras_tl.measure.candidates`) -- the backbones with real weights
  that install offline, as models that take your raw 0..255 images.
* :func:`rank_correlation` -- Spearman's rho and Kendall's tau between a score and a measured result.

The probe is measured on your own labels; LogME and LEEP are cheaper guesses of it. In published
model-ranking tables such scores correlate only loosely with fine-tuned accuracy, so a ranking by them is
evidence, not proof (docs/advisor.md, "Choosing the backbone", has what was measured here).

Example:
    >>> import keras
    >>> from keras_tl import build_source_cnn
    >>> x, y = np.random.default_rng(0).integers(0, 255, (40, 28, 28)), np.arange(40) % 2
    >>> ranking = score_backbones({"cnn": build_source_cnn(filters=(4, 8), units=8)}, x, y, seeds=2, verbose=0)
    >>> ranking.best("probe").name
    'cnn'
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import keras
import numpy as np
from threadpoolctl import threadpool_limits

from keras_tl.core.validation import check_xy
from keras_tl.measure.stats import Interval, interval, seed_offset
from keras_tl.measure.transferability import leep, logme
from keras_tl.transfer.features import fit_logistic_regression

__all__ = ["BackboneRanking", "CandidateScore", "RankCorrelation", "rank_correlation", "score_backbones"]

_BY = ("logme", "leep", "probe")


@dataclass(frozen=True)
class RankCorrelation:
    """Spearman's rho and Kendall's tau (with their p-values) between two rankings of ``n`` candidates."""

    spearman: float
    kendall: float
    n: int
    spearman_p: float
    kendall_p: float

    def __str__(self) -> str:
        return (f"Spearman rho {self.spearman:+.2f}, Kendall tau {self.kendall:+.2f} over {self.n} candidates "
                f"(p = {self.spearman_p:.2f}, {self.kendall_p:.2f}" + ("; coarse with so few)" if self.n <= 6 else ")"))


def rank_correlation(scores, results) -> RankCorrelation:
    """How well a score ranks candidates the way a measured result does: Spearman's rho and Kendall's tau.

    ``scores`` and ``results`` are equally long sequences, or mappings with the same keys (candidate name ->
    value). With 4-5 candidates a single value is coarse: Kendall's tau moves in steps of 0.2 at n = 5
    (one swapped pair) and of 0.33 at n = 4, and neither is significant unless the order is perfect;
    read it with the ranking itself, over several data sets or seeds (:func:`scipy.stats.spearmanr`,
    :func:`scipy.stats.kendalltau`).

    Example:
        >>> r = rank_correlation([1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.7, 0.6, 0.8, 0.9])
        >>> round(r.spearman, 2), round(r.kendall, 2), r.n
        (0.9, 0.8, 5)
    """
    from scipy.stats import kendalltau, spearmanr

    if isinstance(scores, Mapping) or isinstance(results, Mapping):
        if not (isinstance(scores, Mapping) and isinstance(results, Mapping)) or set(scores) != set(results):
            raise ValueError(f"scores and results must be two sequences, or two mappings with the same keys; got "
                             f"{_keys(scores)} and {_keys(results)}.")
        keys = list(scores)
        scores, results = [scores[k] for k in keys], [results[k] for k in keys]
    a, b = np.asarray(scores, dtype=float), np.asarray(results, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or len(a) < 3:
        raise ValueError(f"scores and results of shapes {a.shape} and {b.shape} are not allowed: give two 1-D "
                         "sequences of the same length, at least 3 candidates.")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"scores {a.tolist()} and results {b.tolist()} must be finite numbers (drop candidates "
                         "without a score, e.g. LEEP of a backbone without a classifier).")
    rho, rho_p = spearmanr(a, b)
    tau, tau_p = kendalltau(a, b)
    return RankCorrelation(float(rho), float(tau), len(a), float(rho_p), float(tau_p))


def _keys(value) -> str:
    return sorted(value) if isinstance(value, Mapping) else f"a {type(value).__name__}"


@dataclass
class CandidateScore:
    """One candidate's row of a :class:`BackboneRanking`.

    Attributes:
        name: the candidate's name.
        logme: LogME of its features on the labels (higher is better).
        leep: LEEP of its source classifier (``nan`` without one).
        probe: the linear probe's test accuracy over the seeds (an :class:`~keras_tl.Interval`).
        probe_accuracies: the accuracy of each seed.
        features: the width of the feature vector; source_classes: the classifier's classes (or ``None``).
        forward_seconds, score_seconds: the forward pass, and LogME + LEEP + probe, in seconds.
    """

    name: str
    logme: float
    leep: float
    probe: Interval
    probe_accuracies: np.ndarray
    features: int
    source_classes: int | None
    forward_seconds: float
    score_seconds: float

    def value(self, by: str) -> float:
        """The score ``by`` (``"logme"``, ``"leep"`` or ``"probe"``, the probe's mean)."""
        return self.probe.mean if by == "probe" else float(getattr(self, _check_by(by)))


def _check_by(by: str) -> str:
    if by not in _BY:
        raise ValueError(f"by={by!r} is not allowed; allowed: {list(_BY)}.")
    return by


@dataclass
class BackboneRanking:
    """What :func:`score_backbones` measured: one :class:`CandidateScore` per candidate, in the given order.

    ``str(ranking)`` is the table; ``ranking["name"]`` a row. ``majority`` is the majority-class rate of the
    probe's test splits (what a model that learned nothing scores).
    """

    rows: list[CandidateScore]
    n_samples: int
    n_classes: int
    majority: float
    seeds: list[int]
    test_size: float

    def __getitem__(self, name: str) -> CandidateScore:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"{name!r} is not a candidate; candidates: {[r.name for r in self.rows]}.")

    def best(self, by: str = "logme") -> CandidateScore:
        """The candidate with the highest ``by`` (``"logme"``, ``"leep"`` or ``"probe"``).

        Example:
            >>> from keras_tl import build_source_cnn
            >>> x, y = np.random.default_rng(0).integers(0, 255, (40, 28, 28)), np.arange(40) % 2
            >>> r = score_backbones({"a": build_source_cnn(filters=(4,), units=4)}, x, y, seeds=2, verbose=0)
            >>> r.best("logme").name
            'a'
        """
        scored = [r for r in self.rows if np.isfinite(r.value(_check_by(by)))]
        if not scored:
            raise ValueError(f"by={by!r}: no candidate has that score (LEEP needs a softmax classifier).")
        return max(scored, key=lambda r: r.value(by))

    def rank_correlation(self, by: str = "logme", against: str = "probe") -> RankCorrelation:
        """:func:`rank_correlation` of score ``by`` against ``against`` over the candidates that have both.

        Example:
            >>> from keras_tl import build_source_cnn
            >>> x, y = np.random.default_rng(0).integers(0, 255, (40, 28, 28)), np.arange(40) % 2
            >>> models = {f"m{i}": build_source_cnn(filters=(4,), units=4, seed=i) for i in range(3)}
            >>> score_backbones(models, x, y, seeds=2, verbose=0).rank_correlation().n
            3
        """
        rows = [r for r in self.rows if np.isfinite(r.value(_check_by(by))) and np.isfinite(r.value(_check_by(against)))]
        return rank_correlation([r.value(by) for r in rows], [r.value(against) for r in rows])

    def table(self) -> str:
        """The ranking as text: one line per candidate, then the majority-class rate and the data."""
        width = max([len(r.name) for r in self.rows] + [9])
        lines = [f"{'candidate':<{width}}  {'LogME':>7}  {'LEEP':>7}  {'probe accuracy':>15}  {'features':>8}  "
                 f"{'seconds':>7}"]
        for r in self.rows:
            leep_text = f"{r.leep:7.3f}" if np.isfinite(r.leep) else f"{'-':>7}"
            lines.append(f"{r.name:<{width}}  {r.logme:7.3f}  {leep_text}  {r.probe.mean:7.3f} ± {r.probe.half_width:5.3f}"
                         f"  {r.features:8d}  {r.forward_seconds + r.score_seconds:7.1f}")
        lines.append(f"majority class: {self.majority:.3f}; {self.n_samples} images, {self.n_classes} classes; probe: "
                     f"logistic regression on standardised features, {len(self.seeds)} stratified splits "
                     f"({1 - self.test_size:.0%} fit / {self.test_size:.0%} test, seeds {self.seeds[0]}..{self.seeds[-1]}), "
                     "mean ± 95% CI half-width")
        return "\n".join(lines)

    __str__ = table

    def plot(self, by: str = "logme", ax=None):
        """Score ``by`` against the probe's accuracy, one labelled point per candidate; returns the figure.

        Example:
            >>> from keras_tl import build_source_cnn
            >>> x, y = np.random.default_rng(0).integers(0, 255, (40, 28, 28)), np.arange(40) % 2
            >>> r = score_backbones({"a": build_source_cnn(filters=(4,), units=4)}, x, y, seeds=2, verbose=0)
            >>> type(r.plot()).__name__
            'Figure'
        """
        import matplotlib.pyplot as plt

        rows = [r for r in self.rows if np.isfinite(r.value(_check_by(by)))]
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        for r in rows:
            ax.errorbar(r.value(by), r.probe.mean, yerr=r.probe.half_width, fmt="o", capsize=3)
            ax.annotate(r.name, (r.value(by), r.probe.mean), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.axhline(self.majority, color="grey", linestyle=":", label=f"majority class {self.majority:.2f}")
        ax.set_xlabel({"logme": "LogME", "leep": "LEEP", "probe": "probe accuracy"}[by])
        ax.set_ylabel("linear-probe accuracy (95% CI)")
        ax.legend(fontsize=8)
        return ax.figure


def score_backbones(
    candidates: Mapping[str, keras.Model],
    x,
    y,
    *,
    seeds: int = 5,
    test_size: float = 0.25,
    max_samples: int | None = 3000,
    batch_size: int = 64,
    seed: int = 0,
    verbose: int | str = "auto",
) -> BackboneRanking:
    """Rank candidate backbones on a labelled target: LogME, LEEP and a measured linear probe, each timed.

    Args:
        candidates: name -> ``keras.Model`` that takes ``x`` as it is (raw 0..255 images): e.g.
            :func:`keras_tl.offline_candidates`, or a model of your own such as the develop-model source CNN of
            :func:`keras_tl.pretrain_source_model` (it takes 28x28 grayscale, so then ``x`` must be that).
            A model whose last layer is a ``Dense`` with softmax counts as a classifier: its features are
            that layer's input and its softmax output gives LEEP; otherwise the output is the features
            (4-D feature maps averaged to a vector) and LEEP is ``nan``. A nested model (an adapter and
            ``Preprocess`` in front of a backbone) is looked into.
        x, y: the labelled target images and integer labels; every class needs at least 2 images.
        seeds: how many stratified random splits the probe is fitted on (seeds ``100 * seed_offset() +
            seed + i``: :func:`keras_tl.seed_offset` is honoured); the same splits for every candidate.
        test_size: the share of each split the probe is scored on.
        max_samples: at most this many images (a stratified, seeded subsample) are passed through each
            candidate; ``None`` for all.
        batch_size: of the forward pass (``model.predict``).
        seed: added to the seeds.
        verbose: ``"auto"`` prints one line per candidate that took 3 s or more, ``1`` every candidate,
            ``0`` nothing.

    Returns:
        A :class:`BackboneRanking` (``str()`` is the table; ``.best("probe")``, ``.plot()``,
        ``.rank_correlation()``).

    Example:
        >>> from keras_tl import build_source_cnn
        >>> x, y = np.random.default_rng(0).integers(0, 255, (40, 28, 28)), np.arange(40) % 2
        >>> models = {"a": build_source_cnn(filters=(4,), units=4), "b": build_source_cnn(filters=(8,), units=4)}
        >>> ranking = score_backbones(models, x, y, seeds=2, verbose=0)
        >>> [row.name for row in ranking.rows], ranking.majority
        (['a', 'b'], 0.5)
    """
    candidates = _check_candidates(candidates)
    x, y = check_xy(x, y)
    _check_options(seeds, test_size, max_samples, batch_size, verbose)
    first = 100 * seed_offset() + int(seed)
    x, y = _subsample(np.asarray(x), y, max_samples, first)
    seed_list = [first + i for i in range(int(seeds))]
    splits = _probe_splits(y, seed_list, test_size)
    majority = float(np.mean([np.mean(y[te] == np.bincount(y[tr]).argmax()) for tr, te in splits]))
    rows = []
    for name, model in candidates.items():
        start = time.perf_counter()
        features, probabilities = _forward(model, x, batch_size, name)
        forward = time.perf_counter() - start
        start = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):  # as fit_logistic_regression: 2 BLAS threads fight TensorFlow's
            score = logme(features, y, max_samples=None)
        accuracies = np.array([fit_logistic_regression(features[tr], y[tr], seed=s).score(features[te], y[te])
                               for (tr, te), s in zip(splits, seed_list)])
        row = CandidateScore(
            name=name, logme=score,
            leep=leep(probabilities, y) if probabilities is not None else float("nan"),
            probe=interval(accuracies), probe_accuracies=accuracies, features=int(features.shape[1]),
            source_classes=None if probabilities is None else int(probabilities.shape[1]),
            forward_seconds=forward, score_seconds=time.perf_counter() - start,
        )
        rows.append(row)
        if verbose == 1 or (verbose == "auto" and forward + row.score_seconds >= 3.0):
            leep_text = f"{row.leep:.3f}" if np.isfinite(row.leep) else "-"
            print(f"{name}: LogME {row.logme:.3f}, LEEP {leep_text}, probe {row.probe.mean:.3f} ± "
                  f"{row.probe.half_width:.3f} ({forward:.1f} s forward pass, {row.score_seconds:.1f} s scores)",
                  flush=True)
    return BackboneRanking(rows, len(y), int(y.max()) + 1, majority, seed_list, float(test_size))


def _check_candidates(candidates) -> dict[str, keras.Model]:
    if not isinstance(candidates, Mapping) or not candidates:
        raise ValueError(f"candidates of type {type(candidates).__name__} is not allowed: give a non-empty mapping "
                         "name -> keras.Model (e.g. keras_tl.offline_candidates(...)).")
    for name, model in candidates.items():
        if not isinstance(name, str) or not isinstance(model, keras.Model):
            raise ValueError(f"candidates[{name!r}] of type {type(model).__name__} is not allowed: give "
                             "str names and keras.Model values that take your raw images.")
        if len(model.outputs or []) != 1:
            raise ValueError(f"candidates[{name!r}] has {len(model.outputs or [])} outputs; allowed: one.")
    return dict(candidates)


def _check_options(seeds, test_size, max_samples, batch_size, verbose) -> None:
    for what, value, low in (("seeds", seeds, 1), ("batch_size", batch_size, 1), ("max_samples", max_samples, 4)):
        if what == "max_samples" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{what}={value!r} is not allowed: give an int >= {low}"
                             + (", or None (all images)." if what == "max_samples" else "."))
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size={test_size!r} is not allowed: give a fraction strictly between 0 and 1.")
    if verbose not in (0, 1, "auto"):
        raise ValueError(f"verbose={verbose!r} is not allowed; allowed: 0, 1, 'auto'.")


def _subsample(x: np.ndarray, y: np.ndarray, max_samples: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_samples`` images, stratified and seeded (all of them when there are fewer)."""
    if max_samples is None or len(y) <= max_samples:
        return x, y
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=int(max_samples), random_state=seed, stratify=y)
    keep = np.sort(keep)
    return x[keep], y[keep]


def _probe_splits(y: np.ndarray, seeds: list[int], test_size: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The probe's stratified (train, test) index pairs, one per seed; every class in both parts."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    present = counts[counts > 0]
    n_test = int(np.ceil(test_size * len(y)))
    if present.min() < 2 or n_test < len(present) or len(y) - n_test < len(present) or len(present) < 2:
        raise ValueError(
            f"labels with class counts {dict(enumerate(counts.tolist()))} and test_size={test_size!r} are not "
            f"allowed: give at least 2 classes, 2 images of every class, and enough images that both parts of "
            f"each split ({len(y) - n_test} fit / {n_test} test) hold every one of the {len(present)} classes."
        )
    index = np.arange(len(y))
    return [tuple(train_test_split(index, test_size=test_size, random_state=s, stratify=y)) for s in seeds]


def _is_softmax(activation) -> bool:
    return activation is keras.activations.softmax or getattr(activation, "__name__", "") == "softmax"


def _call_input(model: keras.Model, layer):
    """The tensor of ``model``'s graph that ``layer`` (its last layer) is called on."""
    for node in getattr(layer, "_inbound_nodes", []):
        if any(out is model.outputs[0] for out in node.output_tensors):
            return node.input_tensors[0] if len(node.input_tensors) == 1 else node.input_tensors
    if isinstance(model, keras.Sequential) and len(model.layers) > 1:
        return model.layers[-2].output
    return model.inputs[0]


def _classifier_split(model: keras.Model) -> keras.Model | None:
    """A model with outputs ``[features, probabilities]`` when ``model`` ends in a Dense softmax (looking into
    a nested last layer), else ``None``."""
    last = model.layers[-1] if model.layers else None
    if isinstance(last, keras.layers.Dense) and _is_softmax(last.activation):
        return keras.Model(model.inputs, [_call_input(model, last), model.outputs[0]])
    if isinstance(last, keras.Model):
        inner = _classifier_split(last)
        if inner is not None:
            return keras.Model(model.inputs, inner(_call_input(model, last)))
    return None


def _forward(model: keras.Model, x: np.ndarray, batch_size: int, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(features as vectors, softmax probabilities or None)`` from one ``predict`` of ``model`` on ``x``."""
    split = _classifier_split(model)
    try:
        out = (split or model).predict(x, batch_size=batch_size, verbose=0)
    except Exception as exc:
        raise ValueError(f"candidates[{name!r}] (input shape {model.input_shape}) could not take x of shape "
                         f"{x.shape}: {str(exc).splitlines()[0][:300]}") from exc
    features, probabilities = (out[0], out[1]) if split is not None else (out, None)
    features = np.asarray(features, dtype=np.float64)
    if features.ndim > 2:
        features = features.mean(axis=tuple(range(1, features.ndim - 1)))
    return features.reshape(len(features), -1), probabilities
