"""The headline demo: transfer against training from scratch on Fashion-MNIST.

A source CNN is trained on Fashion-MNIST classes 0-4 (30,000 images). The
target task is classes 5-9 with only ``n_per_class`` labels per class. Two
models with the same architecture learn the target:

* **transfer** -- the source model's conv blocks (up to ``flatten``), frozen, plus a
  new softmax head (feature extraction);
* **scratch** -- the same layers with random weights, all trained. Its held-out score is
  taken after its BatchNorm statistics are re-estimated on its own training images
  (:class:`~keras_tl.ScoreWithOwnStatistics`): after a few steps the moving
  statistics still hold their initial values and would make scratch look far worse than
  it is. The transfer base is frozen and keeps the source statistics throughout.

Their validation learning curves give the start, slope and asymptote of each.
``python -m keras_tl tour`` runs it and prints the table.

Example:
    >>> result = run_tour(quick=True, verbose=0)  # doctest: +SKIP
    >>> sorted(result.summaries)  # doctest: +SKIP
    ['scratch', 'transfer']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras

from keras_tl.data.tasks import TransferTask, transfer_task
from keras_tl.measure import benefits
from keras_tl.models.source_model import FEATURE_LAYER, pretrain_source_model
from keras_tl.transfer.adaptation import ScoreWithOwnStatistics
from keras_tl.transfer.heads import add_head, architecture_only, feature_extractor

__all__ = ["TourResult", "run_tour"]


@dataclass
class TourResult:
    """What :func:`run_tour` measured: Keras histories, their summaries, the plot's path."""

    histories: dict
    summaries: dict
    plot_path: Path | None
    task: TransferTask

    def table(self) -> str:
        return benefits.format_table(self.summaries)


def run_tour(
    quick: bool = False,
    epochs: int | None = None,
    n_per_class: int = 20,
    source_epochs: int = 3,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    seed: int = 0,
    out_dir: str | Path | None = "keras_tl_output",
    verbose: int | str = 2,
) -> TourResult:
    """Compare feature extraction from the source model with training from scratch.

    Args:
        quick: 10 target epochs validated on 1,000 target images (CI size)
            instead of 30 epochs on all 5,000.
        epochs: override the number of target epochs.
        n_per_class: labelled target images per class.
        source_epochs: epochs of source pretraining (the model is cached).
        batch_size, learning_rate: target training settings (Adam), same for both models.
        seed: seeds the target sample and both models' initialisation.
        out_dir: folder for ``tour.png``; ``None`` draws no plot.
        verbose: Keras ``fit`` verbosity (2: one line per epoch).

    Example:
        >>> result = run_tour(quick=True, out_dir=None, verbose=0)  # doctest: +SKIP
        >>> print(result.table())  # doctest: +SKIP
    """
    epochs = epochs if epochs is not None else (10 if quick else 30)
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs={epochs!r} is not allowed: give an int >= 1.")
    task = transfer_task(n_per_class=n_per_class, n_val=1000 if quick else None, seed=seed)
    source = pretrain_source_model(task, epochs=source_epochs, seed=seed, verbose=verbose)

    base = feature_extractor(source, FEATURE_LAYER)  # frozen, pretrained
    models = {
        "transfer": add_head(base, task.n_target_classes, name="transfer"),
        "scratch": add_head(
            architecture_only(base, seed=seed), task.n_target_classes, name="scratch"
        ),
    }
    histories = {}
    for name, model in models.items():
        keras.utils.set_random_seed(seed)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        if verbose:
            print(f"\n== {name}: {model.count_params() - _frozen_params(model):,} trainable parameters ==")
        # scratch: held-out scores with its BatchNorm statistics re-estimated (a fair control)
        fair = [ScoreWithOwnStatistics(task.target[0], task.target_val)] if name == "scratch" else []
        history = model.fit(
            *task.target, validation_data=task.target_val, epochs=epochs,
            batch_size=batch_size, verbose=verbose, callbacks=fair,
        )
        histories[name] = history.history
    summaries = benefits.compare_curves(histories)
    plot_path = None
    if out_dir is not None:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg",) and not _in_notebook():
            matplotlib.use("Agg")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        plot_path = out / "tour.png"
        fig = benefits.plot_learning_curves(
            histories,
            title=f"Fashion-MNIST 5-9, {n_per_class} labels/class: transfer vs scratch",
            path=plot_path,
        )
        import matplotlib.pyplot as plt

        plt.close(fig)
    return TourResult(histories=histories, summaries=summaries, plot_path=plot_path, task=task)


def _frozen_params(model: keras.Model) -> int:
    return sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False
