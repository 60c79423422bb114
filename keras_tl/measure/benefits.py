"""The three benefits of transfer, read off learning curves.

Transfer learning can give a higher **start** (the score after the first
epoch), a higher **slope** (faster improvement over the first epochs) and a
higher **asymptote** (the best score reached). :func:`curve_summary` measures
them from a Keras ``History``; :func:`plot_learning_curves` draws the curves
and marks the three points.

Example:
    >>> curve_summary({"val_accuracy": [0.5, 0.7, 0.8, 0.8]}, slope_epochs=3)
    {'start': 0.5, 'slope': 0.15, 'asymptote': 0.8, 'best_epoch': 3, 'final': 0.8}
"""

from __future__ import annotations

from typing import Mapping, Sequence, Union

import numpy as np

__all__ = ["curve_summary", "compare_curves", "format_table", "plot_learning_curves"]

CurveLike = Union["keras.callbacks.History", Mapping[str, Sequence[float]], Sequence[float]]  # noqa: F821


def _curve(history: CurveLike, metric: str) -> np.ndarray:
    if hasattr(history, "history"):
        history = history.history
    if isinstance(history, Mapping):
        if metric not in history:
            raise ValueError(f"metric={metric!r} is not in the history; available: {sorted(history)}.")
        values = history[metric]
    else:
        values = history
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError("A learning curve needs at least one epoch of scores.")
    return values


def curve_summary(history: CurveLike, metric: str = "val_accuracy", slope_epochs: int = 5) -> dict:
    """Start, slope, asymptote, best epoch and final score of one learning curve.

    ``start`` is the score after epoch 1; ``slope`` the mean gain per epoch
    over the first ``slope_epochs`` epochs; ``asymptote`` the best score
    (``best_epoch`` counts from 1); ``final`` the last score. ``history`` is a
    Keras ``History``, its ``.history`` dict, or a list of scores.

    Example:
        >>> curve_summary([0.2, 0.4, 0.6])["slope"]
        0.2
    """
    values = _curve(history, metric)
    if slope_epochs < 2:
        raise ValueError(f"slope_epochs={slope_epochs!r} is not allowed: give 2 or more.")
    k = min(slope_epochs, len(values))
    slope = float((values[k - 1] - values[0]) / (k - 1)) if k > 1 else 0.0
    return {
        "start": round(float(values[0]), 6),
        "slope": round(slope, 6),
        "asymptote": round(float(values.max()), 6),
        "best_epoch": int(values.argmax()) + 1,
        "final": round(float(values[-1]), 6),
    }


def compare_curves(curves: Mapping[str, CurveLike], metric: str = "val_accuracy", slope_epochs: int = 5) -> dict:
    """:func:`curve_summary` of each named curve, e.g. ``{"transfer": h1, "scratch": h2}``.

    Example:
        >>> compare_curves({"a": [0.5, 0.9], "b": [0.1, 0.2]})["a"]["start"]
        0.5
    """
    return {name: curve_summary(h, metric, slope_epochs) for name, h in curves.items()}


def format_table(summaries: Mapping[str, Mapping[str, float]]) -> str:
    """A plain-text table of :func:`compare_curves` output, one row per curve.

    Example:
        >>> print(format_table({"a": curve_summary([0.5, 0.9])}))  # doctest: +NORMALIZE_WHITESPACE
        model   start   slope  asymptote  best_epoch   final
        a       0.500   0.400      0.900           2   0.900
    """
    cols = ["start", "slope", "asymptote", "best_epoch", "final"]
    width = max([5] + [len(n) for n in summaries])
    lines = [f"{'model':<{width}}" + "".join(f"{c:>11}" for c in cols)]
    for name, s in summaries.items():
        cells = "".join(f"{s[c]:>11d}" if c == "best_epoch" else f"{s[c]:>11.3f}" for c in cols)
        lines.append(f"{name:<{width}}" + cells)
    return "\n".join(lines)


def plot_learning_curves(
    curves: Mapping[str, CurveLike],
    metric: str = "val_accuracy",
    slope_epochs: int = 5,
    title: str | None = None,
    path=None,
    ax=None,
    train: bool = True,
):
    """Plot named learning curves and mark start, slope and asymptote of each.

    With ``train=True`` (the default) the training score (``metric`` without
    its ``val_`` prefix, when the history has it) is drawn too, as a thin
    line of the same colour: a training curve far above the validation curve
    is overfitting, which the validation curve alone hides.
    Returns the matplotlib ``Figure``; with ``path`` it is also saved there.

    Example:
        >>> fig = plot_learning_curves({"transfer": [0.8, 0.9], "scratch": [0.5, 0.85]})
        >>> len(fig.axes)
        1
        >>> fig = plot_learning_curves({"A": {"val_accuracy": [0.6, 0.7], "accuracy": [0.7, 0.9]}})
        >>> [line.get_label() for line in fig.axes[0].lines][:2]
        ['A', 'A (training)']
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    else:
        fig = ax.figure
    for name, history in curves.items():
        values = _curve(history, metric)
        epochs = np.arange(1, len(values) + 1)
        (line,) = ax.plot(epochs, values, marker=".", label=name)
        color = line.get_color()
        train_metric = metric[4:] if metric.startswith("val_") else None
        hist = history.history if hasattr(history, "history") else history
        if train and train_metric and isinstance(hist, Mapping) and train_metric in hist:
            ax.plot(epochs, _curve(hist, train_metric)[: len(values)], lw=1, alpha=0.7, color=color,
                    label=f"{name} (training)")
        k = min(slope_epochs, len(values))
        ax.plot([1, k], [values[0], values[k - 1]], ls="--", color=color, alpha=0.6)
        ax.scatter([1], [values[0]], color=color, marker="o", s=60, zorder=3)
        best = int(values.argmax())
        ax.axhline(values[best], color=color, ls=":", alpha=0.6)
        ax.scatter([best + 1], [values[best]], color=color, marker="*", s=120, zorder=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric}: start (o), slope over {slope_epochs} epochs (--), asymptote (*, ...)")
    if train and any(label.endswith("(training)") for label in ax.get_legend_handles_labels()[1]):
        ax.set_ylabel(f"{metric} (thick) and training (thin)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
