"""One recipe for every candidate strategy (:func:`train_strategy`): the same base, the same data, the same
early stopping, so the strategies the advisor chooses between can be compared fairly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from keras_tl.core.data_input import as_arrays, is_dataset
from keras_tl.core.validation import check_xy
from keras_tl.transfer.adaptation import ScoreWithOwnStatistics
from keras_tl.transfer.features import (
    _check_validation,
    _input_shape,
    train_head_on_features,
)
from keras_tl.transfer.freezing import freeze_to as _freeze_to
from keras_tl.transfer.heads import (
    add_head,
    architecture_only,
    feature_extractor,
    set_trainable,
)

__all__ = [
    "EARLY_LAYERS",
    "STRATEGIES",
    "MIN_HEAD_STEPS",
    "MIN_PATIENCE_STEPS",
    "StrategyHistory",
    "default_patience",
    "train_strategy",
]

#: The candidate strategies, by name, with what each does.
STRATEGIES = {
    "feature_extraction": "freeze the whole base, train a new head on its features",
    "linear_early": "a linear classifier on activations of an early layer (CS231n's advice for small, different data)",
    "freeze_first_k": "freeze the first k layers (the general ones); train the head, then the rest at a lower rate",
    "fine_tune_all": "pretrained weights as the start: train the head, then every layer at a lower rate",
    "scratch": "the same architecture with random weights, every layer trained (architecture only)",
}


#: The last of the "first k" (general) layers of each backbone: the end of its third stage of five.
EARLY_LAYERS = {
    "source_cnn": "block1_pool",
    "VGG16": "block3_pool",
    "ResNet50": "conv3_block4_out",
    "InceptionV3": "mixed2",
    "MobileNetV2": "block_5_add",
    "EfficientNetB0": "block3b_add",
    "EfficientNetLite0": "block3b_add",
    "Xception": "add_2",
}


class StrategyHistory(keras.callbacks.History):
    """What :func:`train_strategy` (and :meth:`Recommendation.train`) return beside the model, for every strategy.

    A ``keras.callbacks.History``: ``.history`` is ``{metric: [one float per epoch]}`` over all
    phases in order (the head phase, then fine-tuning), ``.epoch`` the epoch indices, ``.phases``
    ``[(phase, epochs), ...]``, ``.seconds`` the wall time and ``.strategy`` the strategy's name.
    Anything that takes a History (:func:`keras_tl.plot_learning_curves`, :func:`keras_tl.curve_summary`)
    takes it; ``log["val_accuracy"]`` and ``log["seconds"]`` also work, as with the dict of earlier versions.

    Example:
        >>> log = StrategyHistory("scratch")
        >>> log.history["val_accuracy"] = [0.5, 0.75]
        >>> log["val_accuracy"], log.best("val_accuracy")
        ([0.5, 0.75], 0.75)
    """

    def __init__(self, strategy: str = "") -> None:
        super().__init__()
        self.strategy = strategy
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.phases: list[tuple[str, int]] = []
        self.seconds = 0.0

    def _extend(self, phase: str, history: keras.callbacks.History) -> None:
        n = len(history.epoch) if history.epoch else len(next(iter(history.history.values()), []))
        for key, values in history.history.items():
            self.history.setdefault(key, [float("nan")] * len(self.epoch)).extend(float(v) for v in values)
        self.epoch += list(range(len(self.epoch), len(self.epoch) + n))
        self.phases.append((phase, n))

    def best(self, metric: str = "val_accuracy") -> float:
        """The best value of ``metric`` (the lowest for a loss, else the highest).

        Example:
            >>> log = StrategyHistory()
            >>> log.history["val_loss"] = [0.9, 0.4, 0.6]
            >>> log.best("val_loss")
            0.4
        """
        if metric not in self.history:
            raise KeyError(f"{metric!r} was not recorded; recorded: {sorted(self.history)}.")
        values = self.history[metric]
        return float(min(values) if "loss" in metric else max(values))

    def __getitem__(self, key: str):
        if key == "seconds":
            return self.seconds
        if key not in self.history:
            raise KeyError(f"{key!r} was not recorded; recorded: {sorted(self.history)} and 'seconds'.")
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key == "seconds" or key in self.history

    def __repr__(self) -> str:
        phases = ", ".join(f"{p} {n}" for p, n in self.phases)
        return f"StrategyHistory({self.strategy!r}, epochs: {phases or 'none'}, {self.seconds:.1f} s)"


# --------------------------------------------------------------------------- #
# The advice
# --------------------------------------------------------------------------- #
def _early_layer(backbone) -> str | float:
    """The last early layer of ``backbone`` (a name or a model), else a third of its layers."""
    if backbone is None:
        return 1.0 / 3.0
    if isinstance(backbone, str):
        for key, layer in EARLY_LAYERS.items():
            if key.lower() == backbone.lower():
                return layer
        raise ValueError(f"Unknown backbone {backbone!r}; allowed: {sorted(EARLY_LAYERS)} or a keras.Model.")
    if isinstance(backbone, keras.Model):
        names = {layer.name for layer in backbone.layers}

        def norm(text: str) -> str:
            return text.lower().replace("_", "")

        # By the model's name first ("vgg16", "xception", "source_cnn_base"): layer names are shared
        # between families (VGG16 and Xception both have a "block3_pool").
        for key, layer in EARLY_LAYERS.items():
            if norm(backbone.name).startswith(norm(key)) and layer in names:
                return layer
        for key in sorted(EARLY_LAYERS, key=lambda k: k == "source_cnn"):
            if EARLY_LAYERS[key] in names:
                return EARLY_LAYERS[key]
        return 1.0 / 3.0
    raise ValueError(f"backbone={backbone!r} is not allowed: give a backbone name, a keras.Model or None.")





# --------------------------------------------------------------------------- #
# One recipe for every candidate strategy
# --------------------------------------------------------------------------- #
def _copy(model: keras.Model) -> keras.Model:
    """An independent copy with the same weights, so a candidate never changes the shared base."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _linear_early_base(base: keras.Model, layer: str, max_side: int = 7) -> keras.Model:
    """``base`` cut at ``layer``, average-pooled to at most ``max_side`` x ``max_side`` and flattened."""
    cut = feature_extractor(base, layer)
    x = cut.output
    if len(x.shape) == 4 and x.shape[1] > max_side:
        factor = int(np.ceil(x.shape[1] / max_side))
        x = keras.layers.AveragePooling2D(factor, name="early_pool")(x)
    x = keras.layers.Flatten(name="early_flatten")(x)
    return set_trainable(keras.Model(cut.inputs, x, name=f"{base.name}_{layer}_linear"), False)


#: The default early-stopping patience of :func:`train_strategy` covers at least this many optimizer
#: steps. With 10 labels per class and batch 32 an epoch is 2 steps; a model trained from scratch
#: has BatchNorm moving statistics that are still mostly their initial values after a few dozen
#: steps (momentum 0.9), so its validation accuracy can sit at chance for 10-20 epochs before it
#: climbs. A patience counted only in epochs stopped such runs at chance (Fashion-MNIST 5-9 noisy,
#: 10 labels/class, seed 1: 0.31 test accuracy after 14 of 40 epochs, 0.78 with the whole phase).
MIN_PATIENCE_STEPS = 100


#: A head that :func:`train_strategy` trains on cached features runs at least this many optimizer steps
#: (its epochs are raised to reach them). On ImageNet MobileNetV2 features of Fashion-MNIST 5-9 at 64 px,
#: 20 labels per class, a Dense head at Adam 1e-3 reached 0.823 / 0.845 (seeds 0 / 1) after 80 steps
#: (20 epochs), 0.855 / 0.854 after 240; logistic regression on standardised features 0.856 / 0.838.
#: Standardising the features for the Dense head instead did worse (0.747 / 0.724): a few near-constant
#: features blow up without the regression's L2 penalty (docs/advisor.md).
MIN_HEAD_STEPS = 300


def _batchnorm_count(model: keras.Model) -> int:
    return sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model._flatten_layers())


def default_patience(phase_epochs: int, steps_per_epoch: int) -> int:
    """Early-stopping patience (in epochs) that :func:`train_strategy` uses when none is given.

    A third of the phase's epochs, at least 5 epochs, and at least :data:`MIN_PATIENCE_STEPS`
    optimizer steps. A patience of the whole phase or more never stops early; the best epoch is
    still restored.

    Example:
        >>> default_patience(30, 157)   # 1,000 images per class: a third of the phase
        10
        >>> default_patience(40, 2)     # 10 images per class, batch 32: 100 steps = 50 epochs
        50
    """
    if phase_epochs < 1 or steps_per_epoch < 1:
        raise ValueError(
            f"phase_epochs={phase_epochs!r} and steps_per_epoch={steps_per_epoch!r} are not allowed: both must be >= 1."
        )
    return max(5, phase_epochs // 3, -(-MIN_PATIENCE_STEPS // steps_per_epoch))


def train_strategy(
    strategy: str,
    base: keras.Model,
    train: tuple,
    validation_data: tuple,
    n_classes: int | None = None,
    freeze_to: float | int | str | None = None,
    epochs: int = 10,
    head_epochs: int | None = None,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    fine_tune_learning_rate: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    verbose: int | str = "auto",
    own_statistics: bool = True,
    min_head_steps: int = MIN_HEAD_STEPS,
) -> tuple[keras.Model, StrategyHistory]:
    """Train one candidate strategy on a copy of ``base`` (never changing ``base``) and return the model.

    The recipes (every phase early-stops on ``val_accuracy`` after ``patience`` epochs without
    improvement and keeps the best epoch; the default patience is a third of the phase's epochs,
    at least 5 epochs and at least :data:`MIN_PATIENCE_STEPS` optimizer steps, see
    :func:`default_patience`):

    * ``feature_extraction``: a new head on the frozen base, trained on cached features for ``head_epochs + epochs``;
    * ``linear_early``: a linear softmax on the (pooled) activations of the early layer ``freeze_to``;
    * ``freeze_first_k``: the head first (``head_epochs``), then every layer above ``freeze_to`` for
      ``epochs`` at ``fine_tune_learning_rate`` (default: a tenth of ``learning_rate``);
    * ``fine_tune_all``: the head first, then all layers, likewise;
    * ``scratch``: the same architecture with random weights, all layers, ``head_epochs + epochs`` at ``learning_rate``.

    A head on cached features trains for at least ``min_head_steps`` optimizer steps
    (:data:`MIN_HEAD_STEPS`; its epochs are raised to reach them, and they cost little on cached
    features), so that it is as good as logistic regression on the same features (see the constant);
    ``min_head_steps=0`` keeps the epochs as given.
    BatchNorm layers stay frozen in the pretrained strategies (keras_tl's default, see
    :func:`keras_tl.freeze_to`). In ``scratch`` they train, but their *moving* statistics start at
    0 and 1 and follow the batches slowly (momentum 0.99, 0.999 in MobileNetV2): after a few
    hundred steps they are still far from the data, and the network scores the majority class in
    inference mode although it fits its training images (elpv, MobileNetV2: 0.688 on every epoch).
    With ``own_statistics=True`` (the default) each epoch's validation score is taken after
    re-estimating the statistics on (up to 1,000 of) the training images
    (:class:`keras_tl.ScoreWithOwnStatistics`), and the returned model keeps re-estimated ones.

    Progress: ``verbose="auto"`` (the default) prints one line per epoch (Keras's ``verbose=2``)
    for the phases that run the base (scratch, fine-tuning) and one summary line for a head
    trained on cached features (seconds); ``0`` is silent; ``1`` or ``2`` go to every ``fit``. Returns the compiled model and a :class:`StrategyHistory`, the same
    for every strategy: a ``keras.callbacks.History`` whose ``.history`` holds per-epoch lists
    (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``) over all phases one after the other;
    ``.phases`` says how many epochs each phase ran and ``.seconds`` the wall time
    (``log["val_accuracy"]`` and ``log["seconds"]`` work too).
    ``train`` and ``validation_data`` may be finite ``tf.data.Dataset`` / ``keras.utils.PyDataset``
    of ``(x, y)`` batches: each is read into arrays once (every recipe reuses them).

    Example:
        >>> from keras_tl import build_source_cnn
        >>> base = feature_extractor(build_source_cnn(), "flatten")
        >>> x, y = np.zeros((8, 28, 28)), np.arange(8) % 2
        >>> model, log = train_strategy("fine_tune_all", base, (x, y), (x, y), epochs=1, head_epochs=1,
        ...                             verbose=0, min_head_steps=0)
        >>> model.output_shape, len(log["val_accuracy"]), log.phases
        ((None, 2), 2, [('head', 1), ('fine_tune', 1)])
        >>> sorted(log.history)
        ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """
    _check_recipe_options(strategy, epochs, verbose, own_statistics, min_head_steps, n_classes)
    x, y, validation_data, n_classes = _recipe_data(base, train, validation_data, n_classes)
    head_epochs = epochs if head_epochs is None else head_epochs
    if strategy in ("freeze_first_k", "linear_early") and freeze_to not in (None, 0, 1.0):
        early = freeze_to
    else:
        early = _early_layer(base)
    run = _Run(strategy, x, y, validation_data, batch_size, patience, verbose, StrategyHistory(strategy))
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    if strategy == "scratch":
        model = _train_scratch(run, base, n_classes, head_epochs + epochs, learning_rate, seed, own_statistics)
    else:
        frozen = _linear_early_base(base, early) if strategy == "linear_early" else set_trainable(_copy(base), False)
        total = head_epochs + epochs if strategy in ("feature_extraction", "linear_early") else head_epochs
        total = max(total, 1, -(-int(min_head_steps) // run.steps_per_epoch))
        model = _train_head(run, frozen, n_classes, total, learning_rate, seed)
        if strategy in ("freeze_first_k", "fine_tune_all"):
            fine_lr = fine_tune_learning_rate or learning_rate * 0.1
            _freeze_to(model, 0 if strategy == "fine_tune_all" else early)
            model.compile(optimizer=keras.optimizers.Adam(fine_lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            run.announce("fine-tuning " + ("every layer" if strategy == "fine_tune_all" else f"above {early!r}"), epochs,
                         f"Adam {fine_lr:g}, BatchNorm frozen")
            run.log._extend("fine_tune", model.fit(x, y, epochs=epochs, callbacks=run.stop(epochs), **run.fit_args()))
    run.log.seconds = time.perf_counter() - start
    run.log.set_model(model)
    return model, run.log


def _check_recipe_options(strategy, epochs, verbose, own_statistics, min_head_steps, n_classes) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"Unknown strategy {strategy!r}; allowed: {sorted(STRATEGIES)}.")
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs={epochs!r} is not allowed: give an int >= 1.")
    if verbose not in ("auto", 0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose={verbose!r} is not allowed: give 'auto' (epoch lines for slow phases), 0, 1 or 2.")
    if not isinstance(own_statistics, bool):
        raise ValueError(f"own_statistics={own_statistics!r} is not allowed: give True or False.")
    if isinstance(min_head_steps, bool) or not isinstance(min_head_steps, (int, np.integer)) or min_head_steps < 0:
        raise ValueError(f"min_head_steps={min_head_steps!r} is not allowed: give an int >= 0 (0: the epochs as given).")
    if n_classes is not None and (not isinstance(n_classes, (int, np.integer)) or n_classes < 2):
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")


def _recipe_data(base, train, validation_data, n_classes) -> tuple:
    """``(x, y, validation_data, n_classes)``: datasets read once into arrays (every recipe needs the labels:
    class count, steps per epoch), then checked against ``base``'s input."""
    if is_dataset(train):
        train = as_arrays(train, name="train", need_labels=True)
    if is_dataset(validation_data):
        validation_data = as_arrays(validation_data, name="validation_data", need_labels=True)
    if not isinstance(train, (tuple, list)) or len(train) != 2:
        raise ValueError(f"train of type {type(train).__name__} is not allowed: give a pair (x, y).")
    shape = _input_shape(base)
    x, y = check_xy(*train, n_classes=n_classes, shape=shape, names=("train[0]", "train[1]"))
    validation_data = _check_validation(validation_data, n_classes, shape)
    n_classes = n_classes or int(max(np.max(y), np.max(validation_data[1]))) + 1
    return x, y, validation_data, n_classes


@dataclass
class _Run:
    """What every phase of one :func:`train_strategy` call shares: the data, early stopping, progress lines."""

    strategy: str
    x: np.ndarray
    y: np.ndarray
    validation_data: tuple
    batch_size: int
    patience: int | None
    verbose: int | str
    log: StrategyHistory

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def stop(self, phase_epochs: int) -> list:
        wait = self.patience if self.patience is not None else default_patience(phase_epochs, self.steps_per_epoch)
        return [keras.callbacks.EarlyStopping("val_accuracy", patience=wait, restore_best_weights=True, mode="max")]

    def fit_args(self) -> dict:
        slow_verbose = 2 if self.verbose == "auto" else self.verbose
        return dict(validation_data=self.validation_data, batch_size=self.batch_size, verbose=slow_verbose)

    def announce(self, phase: str, n_epochs: int, what: str) -> None:
        if self.verbose:
            print(f"[{self.strategy}] {phase}: up to {n_epochs} epochs, {what}, {len(self.x)} images", flush=True)


def _train_scratch(run: _Run, base, n_classes: int, epochs: int, learning_rate: float, seed: int,
                   own_statistics: bool) -> keras.Model:
    """Every layer from random weights; validation scored with re-estimated BatchNorm statistics if asked."""
    model = add_head(architecture_only(base, seed=seed), n_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = run.stop(epochs)
    args = run.fit_args()
    if own_statistics and _batchnorm_count(model):
        x = run.x
        pick = np.random.default_rng(seed).permutation(len(x))[:1000]
        callbacks = [ScoreWithOwnStatistics(x[np.sort(pick)], run.validation_data, batch_size=256)] + callbacks
        args["validation_data"] = None  # the callback scores validation with the re-estimated statistics
    run.announce("every layer from random weights", epochs, f"Adam {learning_rate:g}")
    run.log._extend("scratch", model.fit(run.x, run.y, epochs=epochs, callbacks=callbacks, **args))
    # EarlyStopping restored the best epoch's weights: with own_statistics, the statistics re-estimated then
    return model


def _train_head(run: _Run, frozen, n_classes: int, epochs: int, learning_rate: float, seed: int) -> keras.Model:
    """A new head on the frozen base's cached features (:func:`keras_tl.train_head_on_features`)."""
    head_start = time.perf_counter()
    model, history = train_head_on_features(
        frozen, run.x, run.y, n_classes, validation_data=run.validation_data, epochs=epochs,
        batch_size=run.batch_size, learning_rate=learning_rate, seed=seed,
        verbose=0 if run.verbose == "auto" else run.verbose, callbacks=run.stop(epochs),
    )
    run.log._extend("features" if run.strategy == "linear_early" else "head", history)
    if run.verbose == "auto":
        best = int(np.argmax(history.history["val_accuracy"]))
        print(f"[{run.strategy}] head on cached features: {len(history.epoch)} epochs in "
              f"{time.perf_counter() - head_start:.1f} s, best val_accuracy "
              f"{history.history['val_accuracy'][best]:.3f} (epoch {best + 1})", flush=True)
    return model
