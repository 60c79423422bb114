"""The scenario advisor: which transfer strategy for *this* target, and why, checked against experiments.

* :mod:`keras_tl.advisor.scenarios` -- :func:`advise`: the four scenarios as a :class:`Recommendation`.
* :mod:`keras_tl.advisor.recipes` -- :func:`train_strategy`: one recipe that trains every candidate.
* :mod:`keras_tl.advisor.inputs` -- what similarity is measured on (datasets, the ImageNet photos).
* :mod:`keras_tl.advisor.sweep` -- :func:`sweep`: every candidate over sizes and targets, against the advice.

Imports from every room below it (core, data, models, transfer, measure).
"""

from keras_tl.advisor.recipes import (
    EARLY_LAYERS,
    STRATEGIES,
    MIN_HEAD_STEPS,
    MIN_PATIENCE_STEPS,
    StrategyHistory,
    default_patience,
    train_strategy,
)
from keras_tl.advisor.inputs import PHOTO_SOURCE_WEIGHTS
from keras_tl.advisor.scenarios import (
    HIGH_SIMILARITY,
    NEGATIVE_TRANSFER_SIMILARITY,
    POLICIES,
    SCENARIOS,
    SMALL_PER_CLASS,
    SCRATCH_PARAMS_PER_SAMPLE,
    Recommendation,
    advise,
)
from keras_tl.advisor.sweep import BUILTIN_TARGETS, SweepResult, builtin_targets, sweep

__all__ = [
    "EARLY_LAYERS", "STRATEGIES", "MIN_HEAD_STEPS", "MIN_PATIENCE_STEPS", "StrategyHistory", "default_patience",
    "train_strategy", "PHOTO_SOURCE_WEIGHTS", "HIGH_SIMILARITY", "NEGATIVE_TRANSFER_SIMILARITY", "POLICIES",
    "SCENARIOS", "SMALL_PER_CLASS", "SCRATCH_PARAMS_PER_SAMPLE", "Recommendation", "advise", "BUILTIN_TARGETS",
    "SweepResult", "builtin_targets", "sweep",
]
