"""The learning-rate range test: train briefly at exponentially growing rates, watch the loss.

Leslie Smith's idea ("Cyclical Learning Rates for Training Neural Networks",
2017), popularised by fastai's ``lr_find``, as a thin layer over Keras:
:func:`lr_find` runs ``model.fit`` with the model's own compiled optimizer and
loss for at most ``num_steps`` batches, while a callback
(:class:`LRRangeCallback`) sets ``model.optimizer.learning_rate`` before each
batch, from ``start_lr`` up to ``end_lr`` on a log scale. The loss of each
batch is smoothed (an exponential moving average with bias correction), and
the test stops once the smoothed loss exceeds ``diverge`` times its best.

The model is left exactly as it was: its weights (BatchNorm statistics and
random-seed states included) and its optimizer's variables (iteration count,
slots, learning rate) are saved before and restored after, also when the
test is interrupted by an exception.

Two suggestions come back in the :class:`LRFinderResult`, each with its rule:

* ``steepest`` (the ``suggestion`` when the loss falls): the rate where the
  smoothed loss falls fastest, i.e. the most negative slope of the smoothed
  loss against ``log10(lr)``, looked for up to the minimum of the smoothed
  loss (skipping the first tenth of the steps, whose averages rest on a few
  batches);
* ``min_div_10``: the rate of the smoothed loss's minimum (after that first
  tenth), divided by 10 (at the minimum itself training is already on the
  edge of diverging).

When the loss does **not** fall (before fine-tuning a model whose head already
fits, the loss is flat within batch noise until the rate is large enough to
disturb the weights, then rises), both readings are noise: the smoothed
minimum lands wherever a lucky batch dipped, often in the first steps, and
a rate at or below ``start_lr`` came out (1e-8 before fine-tuning MobileNetV2
on elpv). The suggestion is then ``edge / 10``: a tenth of the rate where the
loss starts to rise, the knee of a flat-then-rising line fitted to every
batch's loss. ``result.method`` says which rule gave the suggestion.

Example:
    >>> import keras, numpy as np
    >>> keras.utils.set_random_seed(0)
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    >>> model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
    >>> result = lr_find(model, x, x[:, :3].argmax(1), num_steps=40, batch_size=32)
    >>> len(result.lrs) <= 40, result.start_lr, 1e-4 < result.suggestion < 10
    (True, 1e-07, True)
    >>> round(float(model.optimizer.learning_rate), 6)  # untouched
    0.01
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from keras_tl.core.restarts import snapshot
from keras_tl.core.validation import check_model_input, is_array_like

__all__ = ["LRFinderResult", "LRRangeCallback", "lr_find"]


# --------------------------------------------------------------------------- #
# The result
# --------------------------------------------------------------------------- #
@dataclass
class LRFinderResult:
    """What :func:`lr_find` measured: one entry per batch, and the suggested rates.

    ``lrs`` are the learning rates used, ``losses`` the raw batch losses,
    ``smoothed`` the bias-corrected moving average of them. ``suggestion`` is
    ``steepest`` when the loss falls, else a tenth of the rate where it starts
    to rise (``method`` says which: ``"steepest"``, ``"edge / 10"``, ``"too
    early"`` or ``"flat"``); ``min_div_10`` is the alternative; ``rule`` says
    how each was found. ``diverged`` tells whether the test stopped early.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steepest: float
    min_div_10: float
    rule: str
    diverged: bool
    start_lr: float
    end_lr: float
    best_index: int = field(default=0)
    suggested: float | None = None
    method: str = "steepest"

    @property
    def suggestion(self) -> float:
        """The suggested learning rate: the steepest descent of a falling loss, else a tenth of where it rises."""
        return self.steepest if self.suggested is None else self.suggested

    def __repr__(self) -> str:
        return (
            f"LRFinderResult({len(self.lrs)} steps from {self.start_lr:.1e} to {self.lrs[-1]:.1e}"
            f"{', diverged' if self.diverged else ''}; suggestion ({self.method}) {self.suggestion:.2e}, "
            f"steepest {self.steepest:.2e}, minimum / 10 {self.min_div_10:.2e})"
        )

    def plot(self, ax: Any = None, skip_end: int = 0):
        """Plot smoothed loss against learning rate (log axis), the raw losses faint, the suggestions marked.

        Returns the matplotlib figure. ``skip_end`` leaves out the last points
        (where the loss shoots up) to keep the interesting part readable. The
        y-axis spans at least a tenth of the loss and is labelled in plain
        numbers (no ``1e-13+3.07e-1`` offset on a flat loss).

        Example:
            >>> r = LRFinderResult(np.geomspace(1e-4, 1, 5), np.array([2., 1.9, 1.2, 0.9, 3.]),
            ...                    np.array([2., 1.9, 1.4, 1.1, 1.6]), 1e-2, 1e-2, "rule", True, 1e-4, 1.)
            >>> fig = r.plot()
            >>> fig.axes[0].get_xscale()
            'log'
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import ScalarFormatter

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        end = len(self.lrs) - int(skip_end) if skip_end else len(self.lrs)
        lrs, smoothed = self.lrs[:end], self.smoothed[:end]
        ax.plot(lrs, self.losses[:end], color="tab:blue", alpha=0.25, lw=1, label="batch loss")
        ax.plot(lrs, smoothed, color="tab:blue", lw=2, label="smoothed loss")
        marks = [(self.steepest, "o", "tab:red", "steepest"), (self.min_div_10, "s", "tab:green", "minimum / 10")]
        if self.method == "steepest":
            marks[0] = (self.steepest, "o", "tab:red", "steepest (suggestion)")
        else:
            marks.insert(0, (self.suggestion, "D", "tab:purple", f"{self.method} (suggestion)"))
        for lr, style, color, label in marks:
            y = float(np.interp(np.log10(lr), np.log10(lrs), smoothed))
            ax.plot([lr], [y], style, color=color, ms=8, label=f"{label}: {lr:.1e}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("loss")
        ax.set_title("Learning-rate range test")
        finite = smoothed[np.isfinite(smoothed)]
        low = float(finite.min()) if len(finite) else 0.0
        last = max(self.best_index, int(np.argmin(np.abs(np.log10(lrs) - np.log10(self.suggestion)))))
        shown = smoothed[: last + 1][np.isfinite(smoothed[: last + 1])]
        top = float(shown.max()) if len(shown) else low + 1.0
        span = max(top - low, 0.1 * abs(low), 1e-6)  # a flat loss still gets a readable axis
        ax.set_ylim(low - 0.1 * span, top + 0.5 * span)
        formatter = ScalarFormatter(useOffset=False)
        formatter.set_scientific(False)
        ax.yaxis.set_major_formatter(formatter)
        ax.legend(fontsize=8)
        return fig


# --------------------------------------------------------------------------- #
# The callback
# --------------------------------------------------------------------------- #
class LRRangeCallback(keras.callbacks.Callback):
    """Set the learning rate before each batch from ``lrs``; record each batch's loss; stop on divergence.

    The metrics are reset before each batch so that the logged ``loss`` is
    that batch's own loss (Keras logs the running mean of the epoch).

    Example:
        >>> cb = LRRangeCallback(np.geomspace(1e-3, 1, 5))
        >>> cb.lrs[0], cb.losses
        (0.001, [])
    """

    def __init__(self, lrs: np.ndarray, beta: float = 0.98, diverge: float = 4.0) -> None:
        super().__init__()
        self.lrs = [float(v) for v in lrs]
        self.beta, self.diverge = float(beta), float(diverge)
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.diverged = False
        self._avg, self._best = 0.0, math.inf

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        model = self.model  # under JAX, reading .model syncs the state, so what we set here is used
        model.reset_metrics()
        model.optimizer.learning_rate = self.lrs[len(self.losses)]

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = float(keras.ops.convert_to_numpy((logs or {})["loss"]))
        self.losses.append(loss)
        n = len(self.losses)
        self._avg = self.beta * self._avg + (1 - self.beta) * loss
        smooth = self._avg / (1 - self.beta**n)
        self.smoothed.append(smooth)
        if not math.isfinite(smooth) or smooth > self.diverge * self._best:
            self.diverged = True
            self.model.stop_training = True
        self._best = min(self._best, smooth)
        if n >= len(self.lrs):
            self.model.stop_training = True


# --------------------------------------------------------------------------- #
# Checks, state, data
# --------------------------------------------------------------------------- #
def _check_args(model, start_lr, end_lr, num_steps, batch_size, beta, diverge) -> None:
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0 \
                or not math.isfinite(value):
            raise ValueError(f"{name}={value!r} is not allowed: give a positive, finite learning rate.")
    if not start_lr < end_lr:
        raise ValueError(f"start_lr={start_lr!r} and end_lr={end_lr!r} are not allowed: start_lr must be below end_lr.")
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 5:
        raise ValueError(f"num_steps={num_steps!r} is not allowed: give an int >= 5 (100 is typical).")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta={beta!r} is not allowed: give a smoothing factor in [0, 1).")
    if not diverge > 1.0:
        raise ValueError(f"diverge={diverge!r} is not allowed: give a factor > 1 (4 is typical).")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        raise ValueError(
            f"Model {getattr(model, 'name', model)!r} is not compiled: lr_find uses the model's own optimizer and "
            "loss, so call model.compile(optimizer=..., loss=...) first."
        )
    if not isinstance(model.optimizer.learning_rate, keras.Variable):
        raise ValueError(
            f"The optimizer's learning rate is a {type(model.optimizer._learning_rate).__name__}, not a number: "
            "lr_find sets the rate itself, so compile with a float learning rate for the test."
        )
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built: give it an Input (or call it on a batch) first.")


class _CycledBatches(keras.utils.PyDataset):
    """``steps`` batches of ``batch_size`` from arrays, each pass in a new seeded order."""

    def __init__(self, x, y, batch_size: int, steps: int, seed: int) -> None:
        super().__init__()
        self.x, self.y, self.steps = x, y, steps
        n = len(x)
        self.batch_size = min(batch_size, n)
        per_pass = n // self.batch_size
        rng = np.random.default_rng(seed)
        passes = -(-steps // per_pass)
        order = np.concatenate([rng.permutation(n)[: per_pass * self.batch_size] for _ in range(passes)])
        self.index = order.reshape(-1, self.batch_size)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, i: int):
        idx = self.index[i]
        return self.x[idx], self.y[idx]


def _noise(losses: np.ndarray) -> float:
    """Batch-to-batch spread of the raw losses, robust to trends and spikes (median absolute step / 0.954)."""
    finite = losses[np.isfinite(losses)]
    if len(finite) < 3:
        return 0.0
    return float(np.median(np.abs(np.diff(finite))) / (0.6745 * np.sqrt(2.0)))


def _rise_edge(losses: np.ndarray, start: int) -> int:
    """Index where a flat loss starts to rise: the knee of the best fit ``c + b * max(0, i - e)`` (``b >= 0``).

    Fitted to the raw losses, each clipped at three times the median of the flat start so that a diverging
    tail does not pull the knee; every batch counts, so the noise of single batches averages out.
    """
    y = np.asarray(losses, dtype=float)
    level = float(np.median(y[: max(start, 3)][np.isfinite(y[: max(start, 3)])])) if np.isfinite(y).any() else 0.0
    y = np.where(np.isfinite(y), y, np.inf)
    y = np.minimum(y, level + 3.0 * abs(level) + 1e-12)
    i = np.arange(len(y), dtype=float)
    best_e, best_sse = len(y) - 1, np.inf
    for e in range(start, len(y) - 1):
        ramp = np.maximum(0.0, i - e)
        design = np.stack([np.ones_like(i), ramp], axis=1)
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        if coef[1] < 0:  # a falling ramp is not a rise
            continue
        sse = float(np.sum((y - design @ coef) ** 2))
        if sse < best_sse:
            best_e, best_sse = e, sse
    return best_e


def _suggest(lrs: np.ndarray, smoothed: np.ndarray, losses: np.ndarray | None = None) -> tuple[float, float, int, str, float, str]:
    """``(steepest, min_div_10, best, rule, suggestion, method)`` for a measured curve.

    The smoothed loss must *fall* for steepest descent to mean anything. When it does not (a head that
    already fits, before fine-tuning: the loss is flat within batch noise, then rises), the minimum of the
    smoothed curve is wherever the noise dipped lowest, often in the first steps, and "steepest" and
    "minimum / 10" both point at or below ``start_lr`` (1e-8 was suggested for fine-tuning MobileNetV2 on
    elpv). Then the suggestion is a tenth of the rate where the loss starts to rise (:func:`_rise_edge`).
    """
    n = len(lrs)
    losses = smoothed if losses is None else np.asarray(losses, dtype=float)
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    skip = max(1, n // 10)  # the first averages rest on a handful of batches: noise, not slope
    best = int(np.argmin(finite[skip:]) + skip) if n > skip + 2 else int(np.argmin(finite))
    min_div_10 = float(lrs[best]) / 10
    w = max(1, n // 25)  # slope across +-w steps: batch noise in the flat start averages out
    steepest = min_div_10
    if best - skip >= 2:
        s, t = smoothed[skip : best + 1], np.log10(lrs[skip : best + 1])
        if len(s) > 2 * w:
            slope = (s[2 * w :] - s[: -2 * w]) / (t[2 * w :] - t[: -2 * w])
            steepest = float(lrs[skip + w + int(np.argmin(slope))])
        else:
            steepest = float(lrs[skip + int(np.argmin(np.gradient(s, t)))])
    # Did the loss really fall? The first batches' mean against the smoothed minimum (the raw batches there may
    # already spike: the average lags), in units of batch noise (the smoothed curve's own spread for beta 0.98).
    head = losses[: skip + w][np.isfinite(losses[: skip + w])]
    sigma = _noise(losses)
    fall = float(np.mean(head) - finite[best]) if len(head) else 0.0
    se = sigma * (1.0 / np.sqrt(max(len(head), 1)) + np.sqrt(0.02 / 1.98))
    scale = max(abs(float(np.mean(head))) if len(head) else 0.0, 1e-12)
    falls = best - skip >= 2 and fall > max(3.0 * se, 1e-3 * scale)
    also = f"; also minimum / 10 = {min_div_10:.2e}."
    if falls:
        rule = (f"suggestion = steepest descent: the rate where the smoothed loss falls fastest "
                f"(most negative d loss / d log10(lr) across +-{w} steps, from step {skip} up to the minimum "
                f"at {lrs[best]:.2e}): {steepest:.2e}" + also)
        return steepest, min_div_10, best, rule, steepest, "steepest"
    edge = _rise_edge(losses, skip)
    spread = float(np.nanmax(finite[np.isfinite(finite)]) - np.nanmin(finite)) if np.isfinite(finite).any() else 0.0
    if spread <= 1e-6 * scale:
        suggestion = float(lrs[-1]) / 10
        rule = (f"the loss did not change over the range (by {spread:.1e}): nothing may be training (check "
                f"model.trainable_weights), or end_lr is too low. suggestion = last rate / 10 = {suggestion:.2e}"
                + also)
        return steepest, min_div_10, best, rule, suggestion, "flat"
    suggestion = float(lrs[edge]) / 10
    if edge <= skip:
        suggestion = float(lrs[0]) / 10
        rule = (f"suggestion = first rate / 10 = {suggestion:.2e}: the loss rises from the start, too early to "
                "read a slope; try a lower start_lr" + also)
        return steepest, min_div_10, best, rule, suggestion, "too early"
    rule = (f"suggestion = edge / 10 = {suggestion:.2e}: the loss does not fall (it is flat within batch noise, "
            f"{sigma:.2g} per batch, as when the head already fits before fine-tuning) and starts to rise at "
            f"{lrs[edge]:.2e}; a tenth of that rate keeps what was learned. Steepest descent ({steepest:.2e}) "
            "would read noise here" + also)
    return steepest, min_div_10, best, rule, suggestion, "edge / 10"


# --------------------------------------------------------------------------- #
# The range test
# --------------------------------------------------------------------------- #
def lr_find(
    model: keras.Model,
    x: Any,
    y: Any = None,
    start_lr: float = 1e-7,
    end_lr: float = 10,
    num_steps: int = 100,
    batch_size: int = 32,
    beta: float = 0.98,
    diverge: float = 4.0,
    seed: int = 0,
    plot: bool = False,
) -> LRFinderResult:
    """Run the learning-rate range test on a compiled ``model``, leaving it exactly as it was.

    Trains for up to ``num_steps`` batches with the model's optimizer and
    loss, the learning rate growing exponentially from ``start_lr`` to
    ``end_lr``; stops early when the smoothed loss exceeds ``diverge`` times
    its best. Only what is trainable trains (a frozen base stays frozen), so
    call it in the state you are about to train: head only, or after
    :func:`~keras_tl.fine_tune`.

    Args:
        model: a compiled, built ``keras.Model`` with a float learning rate.
        x, y: arrays (batches are drawn in a ``seed``-ed order, cycling
            through the data as often as needed), or a ``tf.data.Dataset``
            of ``(x, y)`` batches as ``x`` with ``y=None`` (repeated as needed).
        start_lr, end_lr: the range, ``0 < start_lr < end_lr``.
        num_steps: batches (>= 5), one learning rate each.
        batch_size: for arrays.
        beta: smoothing of the loss (exponential moving average, bias-corrected).
        diverge: stop when the smoothed loss exceeds this factor times its best.
        seed: orders the batches drawn from arrays.
        plot: also draw :meth:`LRFinderResult.plot`.

    Returns:
        An :class:`LRFinderResult`; ``.suggestion`` is the steepest descent of a
        falling loss, or a tenth of the rate where a flat loss starts to rise
        (``.method`` says which), ``.min_div_10`` the minimum divided by 10,
        ``.rule`` says so.

    Example:
        >>> import keras, numpy as np
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")], name="m")
        >>> lr_find(model, np.zeros((8, 2)), np.zeros(8, int))
        Traceback (most recent call last):
        ...
        ValueError: Model 'm' is not compiled: lr_find uses the model's own optimizer and loss, so call model.compile(optimizer=..., loss=...) first.
    """
    _check_args(model, start_lr, end_lr, num_steps, batch_size, beta, diverge)
    num_steps = int(num_steps)
    lrs = np.geomspace(float(start_lr), float(end_lr), num_steps)
    if is_array_like(x):
        if y is None:
            raise ValueError("y is None but x is an array: give labels y, or a tf.data.Dataset of (x, y) batches as x.")
        x = check_model_input(model, x)
        y = np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"x and y have different lengths: {len(x)} samples and {len(y)} labels; "
                             "allowed: one label per sample.")
        data, steps = _CycledBatches(x, y, int(batch_size), num_steps, seed), None
    else:
        if y is not None:
            raise ValueError("y is given but x is a dataset: a dataset must yield (x, y) batches itself; pass y=None.")
        data, steps = (x.repeat() if hasattr(x, "repeat") else x), num_steps

    callback = LRRangeCallback(lrs, beta=beta, diverge=diverge)
    state = snapshot(model)  # weights and optimizer state, put back exactly after the sweep
    had_history = hasattr(model, "history")
    history = getattr(model, "history", None)
    try:
        model.fit(data, epochs=1, steps_per_epoch=steps, callbacks=[callback], verbose=0, shuffle=False)
    finally:
        state.restore()
        model.stop_training = False
        if had_history:
            model.history = history
    n = len(callback.losses)
    if n == 0:
        raise ValueError("lr_find ran no batch: the data gave no batches.")
    used = lrs[:n]
    smoothed = np.array(callback.smoothed)
    losses = np.array(callback.losses)
    steepest, min_div_10, best, rule, suggested, method = _suggest(used, smoothed, losses)
    result = LRFinderResult(
        lrs=used, losses=losses, smoothed=smoothed, steepest=steepest, min_div_10=min_div_10,
        rule=rule, diverged=callback.diverged, start_lr=float(start_lr), end_lr=float(end_lr), best_index=best,
        suggested=suggested, method=method,
    )
    if plot:
        result.plot()
    return result
