"""The sweep: every candidate strategy over target sizes and targets of different similarity, so the advice can
be checked against what actually wins (``notebooks/06_scenario_advisor.ipynb``, ``docs/advisor.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from keras_tl.advisor.recipes import STRATEGIES, train_strategy
from keras_tl.advisor.scenarios import advise
from keras_tl.data.builtin import digits, fashion_mnist
from keras_tl.data.shifts import shift_domain
from keras_tl.data.splits import sample_per_class, split_by_class, stratified_split
from keras_tl.measure.similarity import similarity as measure_similarity

__all__ = ["BUILTIN_TARGETS", "SweepResult", "builtin_targets", "sweep"]


# --------------------------------------------------------------------------- #
# The sweep: which strategy wins where, and does the advisor agree?
# --------------------------------------------------------------------------- #
@dataclass
class SweepResult:
    """The outcome of :func:`sweep`: one row per (target, size), with every strategy's test accuracy."""

    rows: list[dict]
    strategies: tuple[str, ...]
    tie_margin: float

    @property
    def agreement(self) -> float:
        """Fraction of cells where the advised strategy won outright."""
        return float(np.mean([r["advised"] == r["winner"] for r in self.rows]))

    @property
    def agreement_within_margin(self) -> float:
        """Fraction of cells where the advised strategy was within ``tie_margin`` of the winner."""
        return float(np.mean([r["regret"] <= self.tie_margin for r in self.rows]))

    def table(self) -> str:
        """The sweep as a Markdown table (test accuracy; the winner in bold, the advised one marked *)."""
        names = list(self.strategies)
        head = "| target | similarity | per class | " + " | ".join(names) + " | winner | advised | regret |"
        lines = [head, "|" + "---|" * (len(names) + 6)]
        for r in self.rows:
            cells = []
            for s in names:
                v = f"{r['accuracy'][s]:.3f}"
                v = f"**{v}**" if s == r["winner"] else v
                cells.append(v + ("*" if s == r["advised"] else ""))
            lines.append(
                f"| {r['target']} | {r['similarity']:.3f} | {r['n_per_class']} | " + " | ".join(cells)
                + f" | {r['winner']} | {r['advised']} | {r['regret']:.3f} |"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        return (
            f"advisor agreed with the winner in {self.agreement:.0%} of {len(self.rows)} cells; "
            f"within {self.tie_margin:.2f} of the winner in {self.agreement_within_margin:.0%}"
        )


#: The built-in targets of the sweep, near to far from the Fashion-MNIST 0-4 source.
BUILTIN_TARGETS = {
    "fashion 5-9": "Fashion-MNIST classes 5-9: the same domain, classes the source never saw",
    "fashion 5-9 inverted": "the same images as negatives (shift_domain 'invert', 1.0): a far domain, all sizes",
    "fashion 5-9 noisy": "the same images under heavy Gaussian noise (shift_domain 'noise', 0.5): a far domain",
    "digits": "scikit-learn's handwritten digits at 28x28: another domain (at most ~130 labels per class)",
}


_SHIFTS = {"inverted": ("invert", 1.0), "noisy": ("noise", 0.5)}


def builtin_targets(names=tuple(BUILTIN_TARGETS), n_val: int | None = 1000, n_test: int | None = 1000, seed: int = 0) -> dict:
    """The sweep's targets: ``{name: (pool, validation, test)}`` for each name of :data:`BUILTIN_TARGETS`.

    The pool is the training images of the target classes (labelled subsets are drawn from it);
    the target's test images are split in half, stratified, into validation (picks the best epoch)
    and test (scores it), each cut to ``n_val`` / ``n_test`` for quick runs.

    Example:
        >>> targets = builtin_targets(["digits"], n_val=100, n_test=100)
        >>> pool, val, test = targets["digits"]
        >>> len(val[1]), len(test[1]), int(pool[1].max())
        (100, 100, 9)
    """
    unknown = [n for n in names if n not in BUILTIN_TARGETS]
    if unknown:
        raise ValueError(f"Unknown targets {unknown}; allowed: {list(BUILTIN_TARGETS)}.")

    def cut(xy, n):
        if n is None or n >= len(xy[1]):
            return xy
        return stratified_split(*xy, val_fraction=n / len(xy[1]), seed=seed)[1]

    out = {}
    for name in names:
        if name == "digits":
            pool, evaluation = digits(seed=seed)
        else:
            (x, y), (xt, yt) = fashion_mnist()
            _, pool = split_by_class(x, y, range(5), range(5, 10))
            _, evaluation = split_by_class(xt, yt, range(5), range(5, 10))
        val, test = stratified_split(*evaluation, val_fraction=0.5, seed=seed)
        parts = [pool, cut(val, n_val), cut(test, n_test)]
        shift = _SHIFTS.get(name.rsplit(" ", 1)[-1])
        if shift is not None:
            parts = [(shift_domain(x, *shift, seed=seed + i), y) for i, (x, y) in enumerate(parts)]
        out[name] = tuple(parts)
    return out


def sweep(
    base: keras.Model,
    source_x,
    targets: dict,
    sizes=(10, 100, 1000),
    strategies=tuple(STRATEGIES),
    epochs: dict | int = 10,
    head_epochs: dict | int | None = None,
    batch_size: int = 32,
    tie_margin: float = 0.01,
    seed: int = 0,
    advise_kwargs: dict | None = None,
    verbose: bool = True,
) -> SweepResult:
    """Run every candidate strategy for every target and size; compare the winner with :func:`advise`.

    Args:
        base: the pretrained feature extractor (e.g. the source CNN cut at ``flatten``); never changed.
        source_x: source inputs, for measuring each target's similarity.
        targets: ``{name: ((x_pool, y_pool), (x_val, y_val), (x_test, y_test))}``; ``n`` labelled
            examples per class are drawn from the pool for each size, the validation set picks
            each run's best epoch and the test set scores it.
        sizes: labelled examples per class. A size larger than a target's smallest class is skipped.
        epochs, head_epochs: per size (a dict) or for all sizes; see :func:`train_strategy`.
        tie_margin: accuracy within which the advised strategy counts as "as good as the winner".

    Returns:
        A :class:`SweepResult`; ``.table()`` and ``.summary()`` print it.

    Example:
        >>> result = sweep(base, source_x, targets, sizes=(10, 100))  # doctest: +SKIP
    """
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"Unknown strategies {unknown}; allowed: {sorted(STRATEGIES)}.")
    rows = []
    for name, (pool, val, test) in targets.items():
        report = measure_similarity(source_x, pool[0], backbone=base, seed=seed)
        smallest = int(np.bincount(np.asarray(pool[1]).astype(int)).min())
        for n in sizes:
            if n > smallest:
                if verbose:
                    print(f"[{name}] {n}/class skipped: the pool has only {smallest} of its smallest class")
                continue
            train = sample_per_class(*pool, n=n, seed=seed)
            ep = epochs[n] if isinstance(epochs, dict) else epochs
            hep = head_epochs[n] if isinstance(head_epochs, dict) else head_epochs
            accuracy, seconds = {}, {}
            for strategy in strategies:
                model, log = train_strategy(
                    strategy, base, train, val, epochs=ep, head_epochs=hep, batch_size=batch_size, seed=seed, verbose=0
                )
                accuracy[strategy] = float(model.evaluate(*test, batch_size=512, verbose=0)[1])
                seconds[strategy] = log["seconds"]
                if verbose:
                    print(f"[{name}] {n}/class {strategy:<19} test accuracy {accuracy[strategy]:.3f} "
                          f"({log['seconds']:.0f} s)", flush=True)
            rec = advise(n, report, backbone=base, **(advise_kwargs or {}))
            winner = max(accuracy, key=accuracy.get)
            advised = rec.strategy if rec.strategy in accuracy else None
            rows.append(dict(
                target=name, similarity=report.score, n_per_class=n, accuracy=accuracy, seconds=seconds,
                winner=winner, advised=advised, scenario=rec.scenario,
                regret=accuracy[winner] - accuracy[advised] if advised else float("nan"),
            ))
    return SweepResult(rows=rows, strategies=tuple(strategies), tie_margin=tie_margin)
