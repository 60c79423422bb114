"""How sure is a measured gain? Seeds, intervals and paired comparisons.

One training run is one draw: the head's first weights, the order of the
images and the labelled subset all move a small-data result by several
points. So a claim such as "transfer beats scratch" is measured over several
seeds, on the *same* seeds and splits for both methods (a paired
comparison), and reported with a confidence interval:

* :func:`over_seeds` runs a recipe once per seed and collects its scores;
* :func:`interval` gives the mean and a t-based confidence interval;
* :func:`compare` pairs two methods seed by seed and says, in one line,
  whether one beats the other and by how much (:class:`Comparison`);
* :func:`seeds_needed` estimates how many seeds a margin needs;
* :func:`stack_models` trains several small models (one per seed) in one
  ``fit``, which costs little more than training one;
* :func:`claim` asserts a claim that is not a paired comparison, and
  :func:`seed_offset` reads ``KERAS_TL_SEED_OFFSET`` (another draw of every
  seed, as another CPU would give): ``make verdicts`` records every claim
  that :meth:`Comparison.check` and :func:`claim` assert, at offsets 0, 1, 2.

Example:
    >>> a = [0.82, 0.85, 0.80, 0.84]            # method A, seeds 0-3
    >>> b = [0.75, 0.80, 0.74, 0.78]            # method B, same seeds and splits
    >>> print(compare(a, b, names=("transfer", "scratch")))
    transfer beats scratch by +0.060 ± 0.013 (95% CI +0.047 to +0.073) over 4 seeds; ahead on 4 of 4
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["Interval", "interval", "Comparison", "compare", "SeedRuns", "over_seeds", "seeds_needed",
           "stack_models", "accuracy_per_model", "claim", "seed_offset"]

#: Environment variables read here: the seed offset of a run, and the file (JSON lines) where every
#: asserted claim is recorded (``scripts/verdicts.py`` sets both; unset, nothing is written).
SEED_OFFSET_ENV = "KERAS_TL_SEED_OFFSET"
VERDICTS_ENV = "KERAS_TL_VERDICTS"


def seed_offset() -> int:
    """The seed offset of this run: ``int(os.environ["KERAS_TL_SEED_OFFSET"])``, 0 when unset.

    A notebook adds it to every seed it uses (``SEED = 100 * seed_offset()``), so
    offsets 0, 1 and 2 are three independent draws of every split, subset and
    initialisation: a claim must hold at all three (``make verdicts``).

    Example:
        >>> import os
        >>> os.environ.pop("KERAS_TL_SEED_OFFSET", None) and None
        >>> seed_offset()
        0
    """
    raw = os.environ.get(SEED_OFFSET_ENV, "0").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_ENV}={raw!r} is not allowed: give a whole number ≥ 0, e.g. 1.") from None
    if value < 0:
        raise ValueError(f"{SEED_OFFSET_ENV}={raw!r} is not allowed: give a whole number ≥ 0, e.g. 1.")
    return value


def _record(entry: dict) -> None:
    """Append one asserted claim to the file named by ``KERAS_TL_VERDICTS`` (if set)."""
    path = os.environ.get(VERDICTS_ENV)
    if not path:
        return
    entry = {"offset": seed_offset(), **entry}
    with open(path, "a", encoding="utf-8") as fh:   # one short line per claim: appends do not interleave
        fh.write(json.dumps(entry) + "\n")


def claim(statement: str, holds: bool, figure: str = "") -> bool:
    """Assert a claim that is not a paired comparison, and record it for ``make verdicts``.

    ``statement`` says what is claimed, ``holds`` whether the measurement
    supports it, ``figure`` the measured numbers behind it. Raises
    ``AssertionError`` with all three when it does not hold. Use
    :meth:`Comparison.check` for "A beats B" over seeds.

    Example:
        >>> claim("the probe beats chance (0.2)", 0.83 > 0.2 + 0.1, figure="0.830")
        True
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement={statement!r} is not allowed: say in words what is claimed.")
    ok = bool(holds)
    _record({"claim": statement, "figure": str(figure), "passed": ok})
    if not ok:
        raise AssertionError(f"claim not supported: {statement} ({figure})")
    return True


def _values(values, name: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise ValueError(f"{name} is empty: give one score per seed.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite scores: {arr.tolist()}.")
    return arr


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r} is not allowed: give a number between 0 and 1, e.g. 0.95.")


def _t_quantile(confidence: float, dof: int) -> float:
    from scipy import stats as _st

    return float(_st.t.ppf(0.5 + confidence / 2, dof))


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval, over ``n`` runs.

    ``half_width`` is the ± part: ``mean ± half_width`` covers the true mean
    with probability ``confidence`` if the runs are independent draws (a
    Student t interval). With one run the interval is infinite: one run says
    nothing about how much runs vary.

    Example:
        >>> print(interval([0.80, 0.82, 0.84]))
        0.820 ± 0.050 (95% CI 0.770 to 0.870, n=3)
    """

    mean: float
    low: float
    high: float
    n: int
    std: float
    confidence: float = 0.95

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def __str__(self) -> str:
        pct = f"{self.confidence:.0%}"
        return (f"{self.mean:.3f} ± {self.half_width:.3f} "
                f"({pct} CI {self.low:.3f} to {self.high:.3f}, n={self.n})")


def interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean and Student t confidence interval of per-seed scores.

    Example:
        >>> iv = interval([0.70, 0.74, 0.72, 0.76])
        >>> round(iv.mean, 3), round(iv.half_width, 3)
        (0.73, 0.041)
    """
    _check_confidence(confidence)
    arr = _values(values)
    mean = float(arr.mean())
    if arr.size == 1:
        return Interval(mean, -math.inf, math.inf, 1, float("nan"), confidence)
    std = float(arr.std(ddof=1))
    half = _t_quantile(confidence, arr.size - 1) * std / math.sqrt(arr.size)
    return Interval(mean, mean - half, mean + half, int(arr.size), std, confidence)


@dataclass(frozen=True)
class Comparison:
    """Method A against method B, paired seed by seed.

    ``diff`` is the :class:`Interval` of the per-seed differences A - B;
    ``wins`` counts the seeds where A scored higher. ``str(comparison)`` is
    the one-line verdict; :meth:`check` turns it into an assertion.

    Example:
        >>> c = compare([0.9, 0.8, 0.85, 0.88], [0.8, 0.72, 0.77, 0.8], names=("A", "B"))
        >>> round(c.mean, 3), c.wins, c.n
        (0.085, 4, 4)
        >>> c.check(margin=0.05).names
        ('A', 'B')

        Three wins out of three is not yet a verdict: with so few seeds the
        interval can still reach below zero.

        >>> print(compare([0.9, 0.8, 0.85], [0.7, 0.75, 0.7]))
        no clear difference between A and B: A - B = +0.133 ± 0.190 (95% CI -0.056 to +0.323) over 3 seeds; ahead on 3 of 3
    """

    a: np.ndarray
    b: np.ndarray
    diff: Interval
    names: tuple = ("A", "B")
    wins: int = 0
    p_value: float = float("nan")

    @property
    def mean(self) -> float:
        return self.diff.mean

    @property
    def low(self) -> float:
        return self.diff.low

    @property
    def high(self) -> float:
        return self.diff.high

    @property
    def n(self) -> int:
        return self.diff.n

    def verdict(self) -> str:
        """One line: who wins, by how much, with the interval and the seed count."""
        a, b = self.names
        d = self.diff
        pct = f"{d.confidence:.0%}"
        runs = f"over {d.n} seed{'s' if d.n != 1 else ''}"
        span = (f"{d.mean:+.3f} ± {d.half_width:.3f} ({pct} CI {d.low:+.3f} to {d.high:+.3f}) {runs}"
                if d.n > 1 else f"{d.mean:+.3f} {runs} (no interval from one seed)")
        if d.low > 0:
            head = f"{a} beats {b} by "
        elif d.high < 0:
            head = f"{b} beats {a}: {a} - {b} = "
        else:
            head = f"no clear difference between {a} and {b}: {a} - {b} = "
        return f"{head}{span}; ahead on {self.wins} of {d.n}"

    def __str__(self) -> str:
        return self.verdict()

    def check(self, margin: float = 0.0, interval: bool = True, min_wins: int | None = None) -> "Comparison":
        """Assert that A beats B: mean difference ≥ ``margin`` and, with
        ``interval=True``, the lower end of the interval above 0 (the gain is
        not chance at this confidence). ``min_wins`` also asks A to be ahead on
        at least that many seeds. Raises ``AssertionError`` with the verdict;
        returns ``self`` so it can be printed.
        """
        problems = []
        if self.mean < margin:
            problems.append(f"mean difference {self.mean:+.3f} < margin {margin:+.3f}")
        if interval and not self.low > 0:
            problems.append(f"the {self.diff.confidence:.0%} interval reaches {self.low:+.3f} (not above 0)")
        if min_wins is not None and self.wins < min_wins:
            problems.append(f"ahead on {self.wins} seeds < {min_wins}")
        a, b = self.names
        rule = f"mean ≥ {margin:+.3f}" + (", CI above 0" if interval else "") + (
            f", ahead on ≥ {min_wins}" if min_wins is not None else "")
        _record({"claim": f"{a} beats {b} ({rule})", "figure": self.verdict(), "passed": not problems,
                 "mean": self.mean, "low": self.low, "high": self.high, "n": self.n, "wins": self.wins,
                 "margin": margin})
        if problems:
            raise AssertionError(f"{self.verdict()} -- claim not supported: " + "; ".join(problems))
        return self


def compare(a: Sequence[float], b: Sequence[float], names: tuple = ("A", "B"),
            confidence: float = 0.95) -> Comparison:
    """Paired comparison of two methods scored on the same seeds and splits.

    ``a[i]`` and ``b[i]`` must come from the same seed (same labelled subset,
    same validation images): pairing removes the variation the two share,
    so a paired interval is narrower than comparing two separate means.

    Example:
        >>> c = compare([0.62, 0.70, 0.66], [0.60, 0.71, 0.63], names=("fine-tune", "frozen"))
        >>> print(c)  # doctest: +NORMALIZE_WHITESPACE
        no clear difference between fine-tune and frozen: fine-tune - frozen = +0.013 ± 0.052
        (95% CI -0.038 to +0.065) over 3 seeds; ahead on 2 of 3
    """
    if len(names) != 2:
        raise ValueError(f"names={names!r} must be two names, for a and b.")
    av, bv = _values(a, "a"), _values(b, "b")
    if av.shape != bv.shape:
        raise ValueError(f"a has {av.size} scores and b has {bv.size}: a paired comparison needs one score "
                         "per seed for each method, on the same seeds.")
    diffs = av - bv
    iv = interval(diffs, confidence)
    p = float("nan")
    if diffs.size > 1 and iv.std > 0:
        from scipy import stats as _st

        p = float(_st.ttest_rel(av, bv).pvalue)
    elif diffs.size > 1:
        p = 0.0 if iv.mean != 0 else 1.0
    return Comparison(av, bv, iv, tuple(names), int((diffs > 0).sum()), p)


@dataclass
class SeedRuns:
    """Scores of a recipe over seeds: ``runs["accuracy"]`` is one score per seed.

    ``interval(name)`` and ``compare(a, b)`` read from it; ``print(runs)``
    shows every metric's mean and interval.

    Example:
        >>> runs = SeedRuns(seeds=[0, 1, 2], scores={"A": [0.8, 0.9, 0.85], "B": [0.7, 0.8, 0.8]})
        >>> runs.compare("A", "B").wins
        3
    """

    seeds: list
    scores: dict = field(default_factory=dict)
    seconds: list = field(default_factory=list)

    def __post_init__(self):
        self.scores = {k: np.asarray(v, dtype=float) for k, v in self.scores.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.scores:
            raise KeyError(f"{name!r} is not a score of these runs; available: {sorted(self.scores)}")
        return self.scores[name]

    def __contains__(self, name) -> bool:
        return name in self.scores

    def keys(self):
        return self.scores.keys()

    def interval(self, name: str, confidence: float = 0.95) -> Interval:
        return interval(self[name], confidence)

    def compare(self, a: str, b: str, confidence: float = 0.95) -> Comparison:
        return compare(self[a], self[b], names=(a, b), confidence=confidence)

    def table(self, confidence: float = 0.95) -> str:
        width = max([len(k) for k in self.scores] + [6])
        lines = [f"{'score':<{width}}  mean ± {confidence:.0%} CI half-width   (min to max, {len(self.seeds)} seeds)"]
        for name, values in self.scores.items():
            iv = interval(values, confidence)
            lines.append(f"{name:<{width}}  {iv.mean:.3f} ± {iv.half_width:.3f}   "
                         f"({values.min():.3f} to {values.max():.3f})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def over_seeds(recipe: Callable[[int], float | Mapping[str, float]], seeds: int | Sequence[int] = 5,
               verbose: bool = True) -> SeedRuns:
    """Run ``recipe(seed)`` once per seed and collect its scores.

    ``recipe`` returns one score or a dict of scores (e.g. one per method,
    all computed on that seed's split, so they can be compared in pairs).
    Before each call the global seed is set with
    ``keras.utils.set_random_seed(seed)``. ``seeds`` is a count (seeds
    0..n-1) or a list. With ``verbose`` one line per seed is printed.

    Example:
        >>> runs = over_seeds(lambda seed: {"A": 0.8 + seed / 100, "B": 0.7}, seeds=3, verbose=False)
        >>> runs["A"].round(3).tolist()
        [0.8, 0.81, 0.82]
        >>> print(runs.compare("A", "B"))
        A beats B by +0.110 ± 0.025 (95% CI +0.085 to +0.135) over 3 seeds; ahead on 3 of 3
    """
    import keras

    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds={seeds!r} is not allowed: give a positive count or a list of seeds.")
        seeds = list(range(int(seeds)))
    else:
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("seeds is an empty list: give at least one seed.")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds={seeds!r} repeats a seed: a repeated seed is not a new draw.")
    if not callable(recipe):
        raise ValueError(f"recipe={recipe!r} is not callable: give a function of the seed.")
    scores: dict[str, list] = {}
    seconds = []
    for i, seed in enumerate(seeds):
        keras.utils.set_random_seed(seed)
        t0 = time.perf_counter()
        out = recipe(seed)
        seconds.append(time.perf_counter() - t0)
        if not isinstance(out, Mapping):
            out = {"score": out}
        if i and set(out) != set(scores):
            raise ValueError(f"recipe returned scores {sorted(out)} for seed {seed} but {sorted(scores)} before: "
                             "return the same names for every seed.")
        for name, value in out.items():
            scores.setdefault(name, []).append(float(value))
        if verbose:
            shown = "  ".join(f"{k} {float(v):.3f}" for k, v in out.items())
            print(f"seed {seed}: {shown}  ({seconds[-1]:.1f} s)", flush=True)
    return SeedRuns(seeds=seeds, scores=scores, seconds=seconds)


def seeds_needed(spread: float | Sequence[float], margin: float, confidence: float = 0.95,
                 power: float = 0.8, max_seeds: int = 1000) -> int:
    """How many seeds a paired comparison needs to detect a gain of ``margin``.

    ``spread`` is the standard deviation of the per-seed differences, or the
    differences themselves (from a pilot run). The answer is the smallest
    ``n`` for which a paired t-test at ``confidence`` finds a true gain of
    ``margin`` with probability ``power`` (normal approximation with the t
    quantiles of ``n - 1`` degrees of freedom).

    Example:
        >>> seeds_needed(0.05, margin=0.05)   # differences vary as much as the gain
        10
        >>> seeds_needed(0.02, margin=0.05)
        4
    """
    _check_confidence(confidence)
    _check_confidence(power)
    if not margin > 0:
        raise ValueError(f"margin={margin!r} is not allowed: give the smallest gain worth detecting, > 0.")
    if np.ndim(spread) == 0:
        sd = float(spread)
    else:
        arr = _values(spread, "spread")
        if arr.size < 2:
            raise ValueError("spread has one difference: give at least two, or their standard deviation.")
        sd = float(arr.std(ddof=1))
    if not sd >= 0:
        raise ValueError(f"spread={spread!r} is not allowed: give a standard deviation ≥ 0.")
    if sd == 0:
        return 2
    from scipy import stats as _st

    for n in range(2, max_seeds + 1):
        t_a = _st.t.ppf(0.5 + confidence / 2, n - 1)
        t_b = _st.t.ppf(power, n - 1)
        if math.sqrt(n) * margin / sd >= t_a + t_b:
            return n
    return max_seeds


def stack_models(build: Callable[[int], "keras.Model"], seeds: int | Sequence[int],  # noqa: F821
                 name: str = "stacked") -> "keras.Model":  # noqa: F821
    """Several copies of a small model, one per seed, trained together in one ``fit``.

    ``build(seed)`` returns a fresh ``keras.Model`` (it is called after
    ``keras.utils.set_random_seed(seed)``, so each copy starts from other
    random weights). The result is one functional ``keras.Model`` with one
    output per seed (named ``seed_<s>``). Compile it with one loss (applied
    to every output) and fit it on ``[y] * len(seeds)``: the losses are
    summed, each copy gets exactly its own gradient, and one ``fit`` loop
    trains them all, which for small models costs little more than one.
    All copies see the same batches; what differs is their initialisation.
    :func:`accuracy_per_model` scores each copy.

    Example:
        >>> import keras, numpy as np
        >>> def build(seed):
        ...     return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> many = stack_models(build, seeds=3)
        >>> many.compile("adam", loss="sparse_categorical_crossentropy")
        >>> x, y = np.random.rand(32, 4).astype("float32"), np.arange(32) % 3
        >>> _ = many.fit(x, [y] * 3, epochs=1, verbose=0)
        >>> accuracy_per_model(many, x, y).shape
        (3,)
    """
    import keras

    seeds = list(range(int(seeds))) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if len(seeds) < 1 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r} must be a positive count or a list of distinct seeds.")
    models = []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        model = build(seed)
        if not isinstance(model, keras.Model):
            raise ValueError(f"build({seed}) returned {type(model).__name__}, not a keras.Model.")
        models.append(model)
    shapes = {tuple(m.inputs[0].shape[1:]) for m in models}
    if len(shapes) != 1:
        raise ValueError(f"the models take different input shapes {sorted(shapes)}: stack copies of one model.")
    inputs = keras.Input(shape=shapes.pop(), dtype=models[0].inputs[0].dtype)
    outputs = [keras.layers.Identity(name=f"seed_{s}")(m(inputs)) for s, m in zip(seeds, models)]
    return keras.Model(inputs, outputs, name=name)


def accuracy_per_model(model: "keras.Model", x, y, batch_size: int = 256) -> np.ndarray:  # noqa: F821
    """Accuracy of each output of a :func:`stack_models` model (one per seed).

    Example: see :func:`stack_models`.
    """
    y = np.asarray(y).ravel()
    preds = model.predict(x, batch_size=batch_size, verbose=0)
    if not isinstance(preds, (list, tuple)):
        preds = [preds]
    return np.array([float((np.argmax(p, axis=-1) == y).mean()) for p in preds])
